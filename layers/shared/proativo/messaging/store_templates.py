"""A store's own templates: checked when saved, never when 10 000 customers are waiting.

A store may replace any built-in template file (`<locale>/<name>.<part>.j2`, parts subject/txt/html/sms/whatsapp).
Before it is saved, every template of that locale is rendered in the sandbox with sample data for each flow that
uses it (the trigger events of the built-in flows, with the coupon, survey links and unsubscribe link the sender
adds): a syntax error, a variable the messages will not have, or an attempt to reach outside the sandbox is refused
with the reason. Saved templates live at `STORE#<id>#TEMPLATES`; the sender reads a store's at most once a minute.
"""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from jinja2 import TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from proativo.aws import keys, query_items
from proativo.clock import as_utc
from proativo.events import EVENT_TYPES, CaseNews
from proativo.messaging.kinds import PARTS
from proativo.messaging.templates import LOCALES, make_environment, render
from proativo.sequences.engine import CustomerFacts, enriched_context
from proativo.sequences.flows import default_flows

if TYPE_CHECKING:
    from pathlib import Path

    from mypy_boto3_dynamodb.service_resource import Table

CACHE_SECONDS = 60.0


class TemplateRefused(ValueError):
    """A store template that cannot be used, and why."""


def templates_pk(store_id: str) -> str:
    """Partition of a store's own templates."""
    return f"{keys.store_pk(store_id)}#TEMPLATES"


def _check_name(name: str) -> tuple[str, str, str]:
    locale, _, file = name.partition("/")
    stem, _, rest = file.partition(".")
    part = rest.removesuffix(".j2")
    if locale not in LOCALES or not stem or part not in PARTS or not rest.endswith(".j2") or "/" in file:
        raise TemplateRefused(
            f"{name}: a template is named <locale>/<name>.<part>.j2, locale one of {', '.join(LOCALES)}, "
            f"part one of {', '.join(PARTS)}"
        )
    return locale, stem, part


@cache
def _samples() -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(template, channel) → the contexts the sender would give it: one per built-in flow step that uses it."""
    # What the platform sent with the order before (the engine adds it to the trigger's fields).
    order = {
        "total": "409.70",
        "currency": "BRL",
        "recommendations": [{"name": "Meias", "url": "https://loja.example/m"}],
    }
    facts = CustomerFacts(orders={"5001": order})
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for flow in default_flows():
        for trigger, variant in ((t, v) for t in flow.trigger for v in _variants(t)):
            event = sample_event(trigger, {**{k: v[0] for k, v in flow.when.items()}, **variant})
            for step in flow.steps:
                context = _base_context()
                context["context"] = enriched_context(event, facts)
                if step.coupon:
                    context["coupon"] = {"code": "VOLTA-ABCD2345", "expires_at": "2026-11-30T12:00:00Z"}
                    context["coupon"].update(
                        {"percent_off": step.coupon.percent_off}
                        if step.coupon.percent_off
                        else {"amount_off": step.coupon.amount_off}
                    )
                if step.survey:
                    context["survey"] = {
                        "links": [f"https://api.example/links/survey?t=x&score={n}" for n in range(11)]
                    }
                if flow.purpose == "marketing":
                    context["unsubscribe_url"] = "https://api.example/links/unsubscribe?t=x"
                found.setdefault((step.template, step.channel), []).append(context)
    return found


def _variants(trigger: str) -> list[dict[str, str]]:
    """The variants of a trigger whose templates branch on one field: a case's news, each told differently."""
    if trigger == "CaseUpdated":
        return [{"news": news} for news in get_args(CaseNews)]
    return [{}]


def _base_context() -> dict[str, Any]:
    return {
        "store": {"name": "Loja Exemplo", "url": "https://loja.example", "currency": "BRL"},
        "customer": {"first_name": "Ana", "timezone": "America/Sao_Paulo", "checkout_step": "shipping"},
    }


def sample_event(kind: str, fields: dict[str, str]) -> Any:
    """A realistic event of `kind` (every optional field filled, so every branch has data), with `fields` set."""
    at = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    line = {
        "sku": "TN-42",
        "name": "Tênis de Corrida",
        "quantity": 1,
        "unit_price": Decimal("399.90"),
        "url": "https://loja.example/p/tenis",
    }
    common: dict[str, Any] = {
        "order_id": "5001",
        "cart_id": "c-1001",
        "currency": "BRL",
        "total": Decimal("409.70"),
        "items": [line],
        "recovery_url": "https://loja.example/cart/c-1001",
        "method": "boleto",
        "expires_at": at,
        "payment_url": "https://loja.example/pay/5001",
        "reason": "issuer_declined",
        "carrier": "correios",
        "tracking_code": "AA123456785BR",
        "tracking_url": "https://rastreamento.example/AA123456785BR",
        "promised_at": at,
        "status": "in_transit",
        "substatus": None,
        "description": "Objeto em trânsito",
        "location": "CAMPINAS/SP",
        "at": at,
        "kind": "late",
        "detail": "Objeto em trânsito",
        "pickup_deadline": at,
        "channel": "api",
        "protocol": "PI-123456",
        "amount": Decimal("189.90"),
        "deadline_at": at,
        "resolution": "reshipped",
        "new_carrier": "correios",
        "new_tracking_code": "AB987654321BR",
        "product_id": "TN-42",
        "product_name": "Tênis de Corrida",
        "product_url": "https://loja.example/p/tenis",
        "new_tracking_url": "https://rastreamento.example/AB987654321BR",
        "score": 4,
        "step_key": "20261124-ABC123#1",
        "news": "opened",
        "level": "first",
        "answer_by": at,
        "note": "Enviamos um novo par; o rastreio segue por e-mail.",
        "escalated_to": "Ouvidoria",
        "recommendations": [{"name": "Meias", "url": "https://loja.example/p/meias", "price": Decimal("59.90")}],
    }
    cls = EVENT_TYPES[kind]
    data = {k: v for k, v in {**common, **fields}.items() if k in cls.model_fields}
    envelope = {
        "event_id": "sample",
        "store_id": "sample",
        "source": "sample",
        "occurred_at": at,
        "customer": {"id": "c-1", "email": "ana@example.com", "name": "Ana Souza"},
    }
    return cls.model_validate({**envelope, **data})


def validate(overrides: dict[str, str], name: str, source: str) -> None:
    """Refuse `source` as the store's `name` unless every template of its locale still renders with sample data."""
    locale, _, _ = _check_name(name)
    env = make_environment({**overrides, name: source})
    try:
        env.parse(source)
    except TemplateError as exc:
        raise TemplateRefused(f"{name}: does not compile: {exc}") from None
    for (template, channel), contexts in _samples().items():
        for context in contexts:
            try:
                render(template, channel, locale, context, env)
            except SecurityError as exc:
                raise TemplateRefused(f"{name}: reaches outside the sandbox: {exc}") from None
            except TemplateError as exc:
                raise TemplateRefused(f"{name}: {template} ({channel}) fails with flow data: {exc}") from None


def preview(out: Path, overrides: dict[str, str] | None = None) -> list[Path]:
    """Render every template, in every locale, with the sample data of each flow that uses it, to files a person
    can open (`index.html` lists them). With `overrides`, a store's own templates take their place."""
    env = make_environment(overrides or {})
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows = []
    for (template, channel), contexts in sorted(_samples().items()):
        for locale in LOCALES:
            rendered = render(template, channel, locale, contexts[0], env)
            stem = f"{locale}-{template}-{channel}"
            text_file = out / f"{stem}.txt"
            text_file.write_text(rendered.text, encoding="utf-8")
            written.append(text_file)
            shown = text_file
            if rendered.html:
                shown = out / f"{stem}.html"
                shown.write_text(rendered.html, encoding="utf-8")
                written.append(shown)
            label = escape(rendered.subject or " ".join(rendered.text.split())[:80])
            cells = f"<td>{locale}</td><td>{channel}</td><td>{template}</td>"
            rows.append(f'<tr>{cells}<td><a href="{shown.name}">{label}</a></td></tr>')
    index = out / "index.html"
    index.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Proativo templates</title></head><body>'
        "<h1>Every template, with sample data</h1><table><tr><th>locale</th><th>channel</th><th>template</th>"
        f"<th>subject / text</th></tr>{''.join(rows)}</table></body></html>",
        encoding="utf-8",
    )
    return [index, *written]


def load(table: "Table", store_id: str) -> dict[str, str]:
    """The store's own templates by name."""
    items = query_items(
        table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": templates_pk(store_id)}
    )
    return {str(i["sk"]): str(i["source"]) for i in items}


def save(table: "Table", store_id: str, name: str, source: str, now: datetime) -> None:
    """Validate and save one of the store's templates (replacing its previous version)."""
    validate(load(table, store_id), name, source)
    table.put_item(
        Item={"pk": templates_pk(store_id), "sk": name, "kind": "template", "source": source, "updated_at": as_utc(now)}
    )


def reset(table: "Table", store_id: str, name: str) -> None:
    """Back to the built-in template."""
    table.delete_item(Key={"pk": templates_pk(store_id), "sk": name})


@dataclass
class StoreTemplates:
    """Each container builds a store's environment at most once per `seconds`."""

    table: "Table"
    seconds: float = CACHE_SECONDS
    _entries: dict[str, tuple[float, ImmutableSandboxedEnvironment]] = field(default_factory=dict)

    def __call__(self, store_id: str) -> ImmutableSandboxedEnvironment:
        found = self._entries.get(store_id)
        if found and found[0] > time.monotonic():
            return found[1]
        env = make_environment(load(self.table, store_id))
        self._entries[store_id] = (time.monotonic() + self.seconds, env)
        return env
