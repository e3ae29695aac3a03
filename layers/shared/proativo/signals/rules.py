"""Rules as data: when a visit's hesitation is worth an invitation, and which (`rules.yaml`, a store's own on top).

A rule's conditions are read against a `Visit` (`signals.visit`); every condition given must hold. Pure: `now` is
an argument, nothing here reads or writes anything."""

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from proativo.aws.keys import store_pk
from proativo.clock import as_utc
from proativo.errors import InvalidPayload

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

    from proativo.signals.visit import Visit

_STRICT = ConfigDict(frozen=True, extra="forbid", defer_build=True)
SLUG = r"^[a-z][a-z0-9_]{0,39}$"
FALLBACK_LOCALE = "pt-BR"


class BackAndForth(BaseModel):
    model_config = _STRICT
    steps: tuple[str, str] = Field(description="the earlier step, then the later one")
    times: int = Field(ge=1, le=20)


class Stays(BaseModel):
    model_config = _STRICT
    step: str = Field(pattern=SLUG)
    seconds: int = Field(ge=5, le=3600)


class IdleCart(BaseModel):
    model_config = _STRICT
    min_value: Decimal = Field(ge=0, le=10**10)
    seconds: int = Field(ge=5, le=3600)


class PageViews(BaseModel):
    model_config = _STRICT
    page: str = Field(pattern=SLUG)
    times: int = Field(ge=1, le=50)
    days: int = Field(ge=1, le=30)


class ExitIntent(BaseModel):
    model_config = _STRICT
    with_cart: bool = True


class When(BaseModel):
    model_config = _STRICT
    back_and_forth: BackAndForth | None = None
    stays: Stays | None = None
    idle_cart: IdleCart | None = None
    page_views: PageViews | None = None
    exit_intent: ExitIntent | None = None

    @model_validator(mode="after")
    def _some(self) -> "When":
        if not any(getattr(self, name) for name in type(self).model_fields):
            raise ValueError("a rule needs at least one condition")
        return self


class Action(BaseModel):
    model_config = _STRICT
    channel: Literal["chat", "whatsapp", "answer"]
    message: dict[str, str] = Field(min_length=1)

    @model_validator(mode="after")
    def _texts(self) -> "Action":
        for locale, text in self.message.items():
            if not 1 <= len(text) <= 500 or not text.isprintable():
                raise ValueError(f"message in {locale}: 1 to 500 printable characters")
        return self

    def text(self, locale: str) -> str:
        """The message in `locale`, else in its language, else the first written."""
        language = locale.split("-")[0]
        for wanted in (locale, *(k for k in self.message if k.split("-")[0] == language), FALLBACK_LOCALE):
            if wanted in self.message:
                return self.message[wanted]
        return next(iter(self.message.values()))


class Rule(BaseModel):
    model_config = _STRICT
    id: str = Field(pattern=SLUG)
    when: When
    action: Action

    def holds(self, visit: "Visit", now: datetime, exiting: bool) -> bool:
        """Whether every condition of the rule holds for `visit` now (`exiting`: the batch carried an exit intent)."""
        when = self.when
        if when.back_and_forth and visit.returns_between(*when.back_and_forth.steps) < when.back_and_forth.times:
            return False
        if when.stays and not (
            visit.step == when.stays.step
            and visit.step_since is not None
            and now - visit.step_since >= timedelta(seconds=when.stays.seconds)
        ):
            return False
        if when.idle_cart and not (
            visit.cart_value >= when.idle_cart.min_value
            and visit.idle_for(now) >= timedelta(seconds=when.idle_cart.seconds)
        ):
            return False
        if when.page_views and visit.views_of(when.page_views.page, now - timedelta(days=when.page_views.days)) < (
            when.page_views.times
        ):
            return False
        return not (when.exit_intent and not (exiting and (visit.cart_items > 0 or not when.exit_intent.with_cart)))


class RuleBook(BaseModel):
    model_config = _STRICT
    rules: tuple[Rule, ...] = Field(max_length=50)

    @model_validator(mode="after")
    def _unique(self) -> "RuleBook":
        ids = [r.id for r in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids must be unique")
        return self

    def with_store(self, own: "RuleBook") -> "RuleBook":
        """The built-in rules with a store's own: a rule of the same id replaced, new ones after."""
        theirs = {r.id: r for r in own.rules}
        kept = [theirs.pop(r.id, r) for r in self.rules]
        return RuleBook(rules=(*kept, *theirs.values()))

    def first(self, visit: "Visit", now: datetime, exiting: bool) -> Rule | None:
        """The first rule, in order, that holds."""
        return next((r for r in self.rules if r.holds(visit, now, exiting)), None)


def parse(document: Mapping[str, Any] | Sequence[Any] | None) -> RuleBook:
    """A rule book from its YAML or JSON shape; `InvalidPayload` naming the field when it is not one."""
    try:
        return RuleBook.model_validate(document)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "rules"
        raise InvalidPayload(f"{where}: {first['msg']}", field=where) from None


@cache
def built_in() -> RuleBook:
    """The rules Proativo ships (`rules.yaml`)."""
    text = resources.files("proativo.signals").joinpath("rules.yaml").read_text(encoding="utf-8")
    return parse(yaml.safe_load(text))


def save(table: "Table", store_id: str, document: Any, now: datetime) -> RuleBook:
    """Check a store's own rules (InvalidPayload says where they are wrong) and keep them; the signals route uses them
    within a minute. Each rule replaces the built-in of its id, or comes after the built-ins."""
    checked = parse(document)
    plain = json.dumps(checked.model_dump(mode="json"))
    table.put_item(Item={**rules_key(store_id), "kind": "signal_rules", "document": plain, "updated_at": as_utc(now)})
    return checked


def load(table: "Table", store_id: str) -> dict[str, Any] | None:
    """A store's own rules document (None: the built-ins only)."""
    item = table.get_item(Key=rules_key(store_id)).get("Item")
    found: dict[str, Any] | None = json.loads(str(item["document"])) if item else None
    return found


def reset(table: "Table", store_id: str) -> None:
    """Back to the built-in rules."""
    table.delete_item(Key=rules_key(store_id))


RULES_SK = "SIGNALS#RULES"


def rules_key(store_id: str) -> dict[str, str]:
    """Where a store's own rules are kept (a JSON document, beside the store's profile)."""
    return {"pk": store_pk(store_id), "sk": RULES_SK}
