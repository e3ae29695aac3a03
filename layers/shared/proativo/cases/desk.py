"""The team's side of cases: the inbox (a store's cases, newest first), one case with its history, and the requests
that open or change one — checked here against the case as it stands (unknown: NotFound, not allowed now:
Conflict, malformed: InvalidPayload), then recorded as an event the engine applies (a repeated request, by its
`request_id`, changes nothing). Used by the store API and the CLI alike."""

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proativo.aws import keys, query_pages
from proativo.cases.fold import OPEN, case_sk, store_cases_pk
from proativo.cases.kinds import CaseRules
from proativo.clock import as_utc
from proativo.errors import Conflict, InvalidPayload, NotFound
from proativo.events import CaseChanged, CaseOpened, Customer, TeamCaseAction
from proativo.ids import protocol_for
from proativo.platforms.base import invalid_from

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

_STRICT = ConfigDict(frozen=True, extra="forbid")
REQUEST_ID = r"^[A-Za-z0-9._:-]{1,80}$"
Status = Literal["open", "waiting_customer", "waiting_carrier", "escalated", "resolved", "overdue", "all"]


class OpenRequest(BaseModel):
    """`POST /stores/{store_id}/cases`: a case the store's own systems open."""

    model_config = _STRICT

    request_id: str = Field(pattern=REQUEST_ID, description="the caller's id for this request: a retry opens nothing")
    kind: str = Field(default="store", pattern=r"^[a-z][a-z0-9_]{0,39}$")
    customer: Customer
    order_id: str | None = Field(default=None, min_length=1, max_length=200)
    subject: str = Field(min_length=1, max_length=300)
    detail: str | None = Field(default=None, max_length=4000)
    answer_by: datetime | None = None
    tell_customer: bool = True


class ActionRequest(BaseModel):
    """`POST /stores/{store_id}/cases/{protocol}/actions`: the team acts on a case."""

    model_config = _STRICT

    request_id: str | None = Field(default=None, pattern=REQUEST_ID)
    action: TeamCaseAction
    by: str | None = Field(default=None, min_length=1, max_length=120)
    owner: str | None = Field(default=None, min_length=1, max_length=120)
    note: str | None = Field(
        default=None, min_length=1, max_length=4000, description="what is noted; for draft_answer, the answer's text"
    )
    tell_customer: bool = False


def _parsed[M: BaseModel](model: type[M], body: Any) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise invalid_from(exc) from None


def inbox(
    table: "Table", store_id: str, now: datetime, status: Status = "open", limit: int = 100
) -> list[dict[str, Any]]:
    """A store's cases, newest first: `open` (every open status), one status, `overdue` (open past the deadline), or
    `all`."""
    found: list[dict[str, Any]] = []
    for summary in _summaries(table, store_id):
        if status == "all" or _in(summary, status, now):
            found.append(_plain(summary))
            if len(found) >= limit:
                break
    return found


def overdue(summary: dict[str, Any], now: datetime) -> bool:
    """Whether an open case is past its deadline."""
    return summary.get("status") in OPEN and (bool(summary.get("overdue")) or str(summary["answer_by"]) < as_utc(now))


def _in(summary: dict[str, Any], status: str, now: datetime) -> bool:
    if status == "open":
        return summary.get("status") in OPEN
    if status == "overdue":
        return overdue(summary, now)
    return summary.get("status") == status


def _summaries(table: "Table", store_id: str) -> Iterator[dict[str, Any]]:
    for page in query_pages(
        table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :case)",
        ExpressionAttributeValues={":pk": store_cases_pk(store_id), ":case": "CASE#"},
        ScanIndexForward=False,
    ):
        yield from (dict(i) for i in page.get("Items", []))


def summary(table: "Table", store_id: str, protocol: str) -> dict[str, Any]:
    """A case's summary in the store's inbox; NotFound when the store has no such case."""
    item = table.get_item(Key={"pk": store_cases_pk(store_id), "sk": case_sk(protocol)}).get("Item")
    if not item:
        raise NotFound(f"store '{store_id}' has no case '{protocol}'")
    return dict(item)


def show(table: "Table", store_id: str, protocol: str) -> dict[str, Any]:
    """A case whole: its summary, what the customer said, its history, the agent's WhatsApp link."""
    found = summary(table, store_id, protocol)
    key = {"pk": keys.customer_pk(store_id, str(found["customer_id"])), "sk": case_sk(protocol)}
    case = table.get_item(Key=key, ConsistentRead=True).get("Item") or found
    return _plain(dict(case))


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    hidden = {"pk", "sk", "kind", "rev", "due_shard", "due_at", "source_ref"}
    plain: dict[str, Any] = json.loads(json.dumps({k: v for k, v in item.items() if k not in hidden}, default=_number))
    return plain


def _number(value: Any) -> Any:
    return int(value) if value == int(value) else float(value)


def opening(store_id: str, body: Any, rules: CaseRules, now: datetime) -> CaseOpened:
    """The event that opens the case a store's request asks for (InvalidPayload when it is not one)."""
    request = _parsed(OpenRequest, body)
    if request.kind not in rules.kinds:
        known = ", ".join(sorted(rules.kinds))
        raise InvalidPayload(f"kind: one of {known}", field="kind")
    source = f"store:{request.request_id}"
    return CaseOpened(
        event_id=f"case:{source}",
        store_id=store_id,
        source="store_api",
        customer=request.customer,
        occurred_at=now,
        kind=request.kind,
        protocol=protocol_for(f"{store_id}:{source}", now),
        order_id=request.order_id,
        subject=request.subject,
        detail=request.detail,
        source_ref=source,
        answer_by=request.answer_by,
        tell_customer=request.tell_customer,
    )


# What each action needs, and the statuses it may act on (reopen: only a resolved case; the others: an open one).
# A public answer: drafted by someone, approved by someone named, only on a public complaint's case.
_NEEDS = {
    "draft_answer": "note",
    "approve_answer": "by",
    "assign": "owner",
    "note": "note",
    "wait_customer": None,
    "wait_carrier": None,
    "resolve": None,
    "escalate": None,
    "reopen": None,
}


def acting(table: "Table", store_id: str, protocol: str, body: Any, now: datetime) -> CaseChanged:
    """The event that applies the team's action to a case, checked against the case as it stands now."""
    request = _parsed(ActionRequest, body)
    found = summary(table, store_id, protocol)
    plain = json.dumps(request.model_dump(mode="json"), sort_keys=True)
    request_id = request.request_id or hashlib.sha256(f"{plain}{as_utc(now)}".encode()).hexdigest()[:16]
    event_id = f"case:{protocol}:{request.action}:{request_id}"
    if request.request_id and any(h.get("ref") == event_id for h in show(table, store_id, protocol)["history"]):
        return _changed(event_id, store_id, found, request, now)  # a retry of a request applied: recorded as a repeat
    needed = _NEEDS[request.action]
    if needed and not getattr(request, needed):
        raise InvalidPayload(f"{needed}: required to {request.action}", field=needed)
    status = str(found.get("status"))
    if request.action == "reopen" and status != "resolved":
        raise Conflict(f"case '{protocol}' is {status}: only a resolved case is reopened")
    if request.action != "reopen" and status == "resolved":
        raise Conflict(f"case '{protocol}' is resolved: reopen it first")
    if request.action == "escalate" and found.get("level") == "ouvidoria":
        raise Conflict(f"case '{protocol}' is with the ouvidoria already")
    if request.action in ("draft_answer", "approve_answer"):
        _answerable(table, store_id, found, request.action)
    return _changed(event_id, store_id, found, request, now)


def _answerable(table: "Table", store_id: str, found: dict[str, Any], action: str) -> None:
    """A public answer is for a public complaint's case; approved only once drafted, and only once."""
    protocol = str(found["protocol"])
    if found.get("case_kind") != "public_complaint":
        raise Conflict(f"case '{protocol}' is not a public complaint: there is nothing to answer in public")
    if action == "approve_answer":
        status = (show(table, store_id, protocol).get("public_answer") or {}).get("status")
        if status != "draft":
            said = "no answer was drafted" if status is None else f"its answer is {status} already"
            raise Conflict(f"case '{protocol}': {said} (draft_answer first)")


def _changed(event_id: str, store_id: str, found: dict[str, Any], request: ActionRequest, now: datetime) -> CaseChanged:
    return CaseChanged(
        event_id=event_id,
        store_id=store_id,
        source="team",
        customer=Customer(id=str(found["customer_id"])),
        occurred_at=now,
        protocol=str(found["protocol"]),
        action=request.action,
        by=request.by,
        owner=request.owner,
        note=request.note,
        tell_customer=request.tell_customer,
    )
