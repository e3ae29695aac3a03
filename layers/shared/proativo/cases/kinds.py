"""Case kinds as data (`kinds.yaml`, a store's own on top): each kind's deadline, when a parcel's trouble becomes
one, and the second instance. Pure; checked when loaded and when a store saves its own."""

import json
import re
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proativo.aws.keys import store_pk
from proativo.clock import as_utc
from proativo.errors import InvalidPayload
from proativo.platforms.base import invalid_from

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

_STRICT = ConfigDict(frozen=True, extra="forbid", defer_build=True)
KIND = r"^[a-z][a-z0-9_]{0,39}$"


class KindRule(BaseModel):
    """One kind of case."""

    model_config = _STRICT

    sla: timedelta = Field(gt=timedelta(0), le=timedelta(days=90), description="answer within this")
    open_after: timedelta | None = Field(
        default=None, gt=timedelta(0), le=timedelta(days=60), description="a parcel's trouble open this long"
    )
    troubles: tuple[str, ...] = Field(default=(), description="the parcel troubles that open this kind")


class Escalation(BaseModel):
    """The second instance."""

    model_config = _STRICT

    overdue: bool = True
    reopened: bool = True
    ouvidoria_sla: timedelta = Field(default=timedelta(days=10), gt=timedelta(0), le=timedelta(days=90))
    due_soon: timedelta = Field(default=timedelta(days=1), ge=timedelta(0), le=timedelta(days=30))


class CaseRules(BaseModel):
    """Every kind and the escalation rules."""

    model_config = _STRICT

    kinds: dict[str, KindRule] = Field(min_length=1, max_length=40)
    escalation: Escalation = Escalation()

    def kind(self, name: str) -> KindRule:
        """The rule of kind `name` (a kind nobody defined: the `store` kind's)."""
        return self.kinds.get(name) or self.kinds["store"]

    def with_store(self, own: dict[str, Any]) -> "CaseRules":
        """These rules with a store's own on top (kinds replaced by name or added; escalation fields replaced);
        InvalidPayload naming the field when the store's are not rules."""
        return parse(self.merged(own))

    def merged(self, own: dict[str, Any]) -> dict[str, Any]:
        """The plain document of these rules with a store's own on top."""
        mine = self.model_dump(mode="json")
        return {
            "kinds": {**mine["kinds"], **dict(own.get("kinds") or {})},
            "escalation": {**mine["escalation"], **dict(own.get("escalation") or {})},
        }

    def parcel_kind(self, trouble: str) -> tuple[str, KindRule] | None:
        """The kind a parcel trouble opens once it has been open `open_after` (None: it opens none)."""
        return next(((n, k) for n, k in self.kinds.items() if k.open_after and trouble in k.troubles), None)


def parse(document: Any) -> CaseRules:
    """Rules from their YAML or JSON shape; InvalidPayload naming the field when they are not."""
    try:
        rules = CaseRules.model_validate(document)
    except ValidationError as exc:
        raise invalid_from(exc) from None
    for name in rules.kinds:
        if not re.fullmatch(KIND, name):
            raise InvalidPayload(f"kinds.{name}: a kind is lower-case letters, digits and _", field=f"kinds.{name}")
    return rules


@cache
def built_in() -> CaseRules:
    """The rules Proativo ships (`kinds.yaml`)."""
    text = resources.files("proativo.cases").joinpath("kinds.yaml").read_text(encoding="utf-8")
    return parse(yaml.safe_load(text))


def rules_from(document: Any) -> CaseRules:
    """The rules a store works by: the built-ins with its own document (None: none) on top."""
    return built_in() if document is None else built_in().with_store(document)


RULES_SK = "CASES#RULES"


def rules_key(store_id: str) -> dict[str, str]:
    """Where a store's own case rules are kept (a JSON document, beside the store's profile)."""
    return {"pk": store_pk(store_id), "sk": RULES_SK}


def save(table: "Table", store_id: str, document: Any, now: datetime) -> CaseRules:
    """Check a store's own rules against the built-ins (InvalidPayload says where they are wrong) and keep them."""
    if not isinstance(document, dict) or set(document) - {"kinds", "escalation"}:
        raise InvalidPayload("a document of `kinds` and/or `escalation`", field="rules")
    for part in ("kinds", "escalation"):
        if not isinstance(document.get(part) or {}, dict):
            raise InvalidPayload(f"{part}: a mapping", field=part)
    checked = built_in().with_store(document)
    plain = json.dumps(document, default=str)
    table.put_item(Item={**rules_key(store_id), "kind": "case_rules", "document": plain, "updated_at": as_utc(now)})
    return checked


def reset(table: "Table", store_id: str) -> None:
    """Back to the built-in rules."""
    table.delete_item(Key=rules_key(store_id))
