"""Templates render in a Jinja2 sandbox: autoescaped HTML, strict undefined variables, locale-aware filters.

Store-edited templates are untrusted input; the sandbox refuses attribute tricks (`__class__`, `mro`, …) and a
missing variable is an error, never a silently empty greeting.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency
from jinja2 import BaseLoader, ChoiceLoader, DictLoader, PackageLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

from proativo.clock import parse_utc
from proativo.messaging.kinds import CHANNELS

DEFAULT_LOCALE = "pt-BR"
LOCALES = ("pt-BR", "en")
_UNSUBSCRIBE = {"pt-BR": "Não quer mais receber estas mensagens? Cancele aqui", "en": "Unsubscribe"}


def _babel_locale(locale: str) -> str:
    return locale.replace("-", "_")


def money(value: Any, currency: str = "BRL", locale: str = DEFAULT_LOCALE) -> str:
    """Format an amount in the customer's locale, e.g. R$ 1.234,50."""
    return str(format_currency(Decimal(str(value)), currency, locale=_babel_locale(locale)))


def when(value: Any, tz: str = "America/Sao_Paulo", locale: str = DEFAULT_LOCALE, fmt: str = "medium") -> str:
    """Format an instant in the customer's time zone and locale."""
    instant = value if isinstance(value, datetime) else parse_utc(str(value))
    return str(format_datetime(instant.astimezone(ZoneInfo(tz)), format=fmt, locale=_babel_locale(locale)))


@cache
def environment() -> ImmutableSandboxedEnvironment:
    """The shared sandboxed environment over the built-in templates."""
    return make_environment({})


def make_environment(overrides: dict[str, str]) -> ImmutableSandboxedEnvironment:
    """A sandboxed environment where a store's own templates (by name, e.g. `pt-BR/order_thanks.html.j2`) take the
    place of the built-in ones; the rest, partials included, are ours."""
    loaders: list[BaseLoader] = [DictLoader(overrides)] if overrides else []
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader([*loaders, PackageLoader("proativo.messaging", "templates")]),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["decimal"] = lambda value: Decimal(str(value))
    env.filters["when"] = when
    return env


@dataclass(frozen=True)
class Rendered:
    """A message ready for a channel."""

    subject: str | None
    text: str
    html: str | None


def resolve_locale(locale: str | None) -> str:
    """The closest locale we ship templates for."""
    if locale:
        for candidate in (locale, locale.split("-")[0]):
            for known in LOCALES:
                if known.lower() == candidate.lower() or known.split("-")[0].lower() == candidate.lower():
                    return known
    return DEFAULT_LOCALE


def render(
    template: str,
    channel: str,
    locale: str,
    context: dict[str, Any],
    env: ImmutableSandboxedEnvironment | None = None,
) -> Rendered:
    """Render a template for a channel (the store's own when `env` has it): e-mail has subject, text and HTML; SMS
    and WhatsApp text only."""
    env = env or environment()
    loc = resolve_locale(locale)
    ctx = {**context, "locale": loc}
    if CHANNELS[channel].address == "email":
        subject = env.get_template(f"{loc}/{template}.subject.j2").render(ctx).strip()
        text = env.get_template(f"{loc}/{template}.txt.j2").render(ctx).strip() + "\n"
        if ctx.get("unsubscribe_url"):
            text += f"\n{_UNSUBSCRIBE[loc]}: {ctx['unsubscribe_url']}\n"
        return Rendered(subject=subject, text=text, html=env.get_template(f"{loc}/{template}.html.j2").render(ctx))
    return Rendered(
        subject=None, text=env.get_template(f"{loc}/{template}.{channel}.j2").render(ctx).strip(), html=None
    )
