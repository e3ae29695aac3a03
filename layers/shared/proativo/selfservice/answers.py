"""The answers a customer's page shows for the state their order is in (the "smart FAQ"), as data.

Built-ins are `answers.yaml` (pt-BR and en); a store replaces the answers of any state with its own (`proativo
answers set STORE FILE`), checked when saved: known states, at most three answers each, ids of plain words, and
every answer a template that renders in the sandbox with an order's facts. Answers are filled with this order's
facts in a sandbox (store-edited text must not reach our code) as plain text: the page escapes all of it."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml
from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, Field, ValidationError

from proativo.aws import keys
from proativo.clock import as_utc
from proativo.errors import InvalidPayload

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

STATES = frozenset(
    {
        "lost", "damaged", "returned", "address_problem", "awaiting_pickup", "failed_attempt", "stalled", "late",
        "info_received", "in_transit", "out_for_delivery", "available_for_pickup", "delivered", "exception",
        "returned_to_sender", "expired", "placed", "payment_pending", "payment_failed", "paid", "shipped", "canceled",
    }
)  # fmt: skip
MAX_SHOWN = 3
SAMPLE_FACTS = {
    "store": "Loja Exemplo",
    "first_name": "Ana",
    "order_id": "1001",
    "carrier": "Correios",
    "tracking_code": "AA123456785BR",
    "location": "AC Centro - Rio de Janeiro/RJ",
    "promised": "5 de dezembro de 2026",
    "estimated": "6 de dezembro de 2026",
    "pickup_deadline": "12 de dezembro de 2026",
    "delivered": "",
    "claim_protocol": "PI 123456",
    "claim_due": "10 de dezembro de 2026",
    "help_days": 2,
}


class Answer(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9_]{1,60}$")
    q: str = Field(min_length=1, max_length=200)
    a: str = Field(min_length=1, max_length=2000)


class Shown(BaseModel):
    """An answer as the page shows it."""

    id: str
    question: str
    answer: str


_env = ImmutableSandboxedEnvironment(autoescape=False, undefined=StrictUndefined)


@lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    return _env.from_string(source)


def _render(source: str, facts: Mapping[str, Any]) -> str:
    """Plain text (the page escapes it, tags and all)."""
    return " ".join(_compiled(source).render(**facts).split())


@dataclass(frozen=True)
class AnswerBook:
    """Answers by locale and state: the built-ins, with a store's own states in their place."""

    by_locale: Mapping[str, Mapping[str, Sequence[Answer]]]

    def for_states(self, states: Sequence[str], locale: str, facts: Mapping[str, Any]) -> tuple[str, list[Shown]]:
        """The first of `states` that has answers, and its answers filled with `facts`."""
        book = self.by_locale.get(locale) or self.by_locale["pt-BR"]
        for state in states:
            found = book.get(state) or self.by_locale["pt-BR"].get(state)
            if found:
                shown = [Shown(id=a.id, question=a.q, answer=_render(a.a, facts)) for a in found[:MAX_SHOWN]]
                return state, shown
        return states[0] if states else "placed", []

    def with_store(self, own: Mapping[str, Mapping[str, Sequence[Answer]]]) -> "AnswerBook":
        merged = {loc: dict(states) for loc, states in self.by_locale.items()}
        for loc, states in own.items():
            merged.setdefault(loc, {}).update(states)
        return AnswerBook(merged)


def parse(document: Any) -> dict[str, dict[str, list[Answer]]]:
    """A store's (or the built-in) answers document, checked; InvalidPayload says what is wrong and where."""
    if not isinstance(document, dict) or not document:
        raise InvalidPayload("answers: a mapping of locale → state → answers", field="answers")
    checked: dict[str, dict[str, list[Answer]]] = {}
    for locale, states in document.items():
        if not isinstance(locale, str) or not isinstance(states, dict):
            raise InvalidPayload("each locale maps states to answers", field=str(locale))
        for state, entries in states.items():
            where = f"{locale}.{state}"
            if state not in STATES:
                raise InvalidPayload(f"unknown state; known: {', '.join(sorted(STATES))}", field=where)
            if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_SHOWN:
                raise InvalidPayload(f"1 to {MAX_SHOWN} answers", field=where)
            try:
                answers = [Answer.model_validate(e) for e in entries]
            except ValidationError as exc:
                first = exc.errors()[0]
                raise InvalidPayload(first["msg"], field=f"{where}.{'.'.join(map(str, first['loc']))}") from None
            for answer in answers:
                try:
                    _render(answer.a, SAMPLE_FACTS)
                except (TemplateError, TypeError, ValueError) as exc:
                    raise InvalidPayload(f"template does not render: {exc}", field=f"{where}.{answer.id}") from None
            checked.setdefault(locale, {})[state] = answers
    return checked


@cache
def built_in() -> AnswerBook:
    """The answers Proativo ships."""
    text = resources.files("proativo.selfservice").joinpath("answers.yaml").read_text(encoding="utf-8")
    return AnswerBook(parse(yaml.safe_load(text)))


ANSWERS_SK = "ANSWERS"


def answers_key(store_id: str) -> dict[str, str]:
    """Where a store's own answers live (beside its profile: the page reads both at once)."""
    return {"pk": keys.store_pk(store_id), "sk": ANSWERS_SK}


def save(table: "Table", store_id: str, document: Any, now: datetime) -> dict[str, dict[str, list[Answer]]]:
    """Check a store's answers (InvalidPayload says where it is wrong) and keep them; the page uses them within a
    minute."""
    checked = parse(document)
    plain = {
        loc: {s: [a.model_dump() for a in answers] for s, answers in states.items()} for loc, states in checked.items()
    }
    table.put_item(
        Item={**answers_key(store_id), "kind": "answers", "document": json.dumps(plain), "updated_at": as_utc(now)}
    )
    return checked


def load(table: "Table", store_id: str) -> dict[str, Any] | None:
    """A store's own answers document (None: the built-ins only)."""
    item = table.get_item(Key=answers_key(store_id)).get("Item")
    return json.loads(str(item["document"])) if item else None


def reset(table: "Table", store_id: str) -> None:
    """Back to the built-in answers."""
    table.delete_item(Key=answers_key(store_id))
