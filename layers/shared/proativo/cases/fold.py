"""Cases inside the engine's transaction: opened by the events that call for one, changed by the team's and the
clock's actions, each change written with the event that made it (nothing half-written, a repeat changes nothing)
and told to the customer as a `CaseUpdated` event the flows send.

The case lives in the customer's partition (`CASE#<protocol>`: the engine reads it with the rest of the customer,
the order page shows it); a summary of it lives in the store's cases partition (the team's inbox, one Query per
store); an open case is on the due index at its deadline (the dispatcher escalates it when it passes). A parcel's
trouble that may become a case waits on the due index too (`CASEWATCH#…`), until its kind's `open_after`."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from proativo.aws import keys
from proativo.aws.writes import Writes
from proativo.cases.kinds import CaseRules
from proativo.cases.notices import Notice, notice_item
from proativo.clock import as_utc, parse_utc
from proativo.customers.profile import agent_whatsapp_link
from proativo.events import (
    CaseChanged,
    CaseOpened,
    CaseUpdated,
    ClaimUpdated,
    Event,
    HelpRequested,
    ParcelException,
    ParcelResolved,
    SurveyAnswered,
)
from proativo.ids import protocol_for

CASE_PREFIX = "CASE#"
WATCH_PREFIX = "CASEWATCH#"
# A case's history is bounded (the item is rewritten at every step): the oldest entries beyond it are dropped.
HISTORY_MAX = 100
OPEN = ("open", "waiting_customer", "waiting_carrier", "escalated")
# What the team's summary keeps of a case (no history, no customer's words).
_SUMMARY = (
    "store_id",
    "customer_id",
    "protocol",
    "case_kind",
    "status",
    "level",
    "order_id",
    "subject",
    "source",
    "owner",
    "opened_at",
    "answer_by",
    "updated_at",
    "resolved_at",
    "escalated_at",
    "reopened",
    "overdue",
    "resolved_in_sla",
)


@dataclass(frozen=True)
class CaseDesk:
    """What the engine needs to open and change a store's cases: its rules, its ouvidoria's name, the due index's
    shards, and where its team hears of cases as they happen (a webhook; the ouvidoria's e-mail, of escalations)."""

    rules: CaseRules
    ouvidoria: str
    shards: int
    webhook: bool = False
    ouvidoria_email: bool = False


def case_sk(protocol: str) -> str:
    """Sort key of a case in its customer's partition and in the store's cases partition."""
    return f"{CASE_PREFIX}{protocol}"


def store_cases_pk(store_id: str) -> str:
    """The store's cases partition (the team's inbox)."""
    return f"{keys.store_pk(store_id)}#CASES"


def concerns_cases(event: Event) -> bool:
    """Whether applying `event` may open or change a case (the engine reads the store's case rules only then)."""
    match event:
        case SurveyAnswered():
            return event.rating == "detractor"
        case ClaimUpdated():
            return event.status in ("task", "deadline_near")
        case HelpRequested() | ParcelException() | ParcelResolved() | CaseOpened() | CaseChanged():
            return True
    return False


def fold_cases(event: Event, state: Any, now: datetime, writes: Writes, desk: CaseDesk) -> list[CaseUpdated]:
    """Add to `writes` what `event` opens or changes of the customer's cases; what the customer is to be told."""
    match event:
        case SurveyAnswered() if event.rating == "detractor":
            source = f"survey:{event.order_id}"
            opening = _opening(event, "low_score", protocol_for(source, event.occurred_at), source)
            opening.update(order_id=event.order_id, subject=f"survey score {event.score}")
            return _open(opening, state, now, writes, desk)
        case HelpRequested():
            opening = _opening(event, "help_request", event.protocol, f"help:{event.order_id}:{event.protocol}")
            opening.update(
                order_id=event.order_id,
                subject=f"help asked: {event.topic} ({event.state})",
                detail=event.message,
                answer_by=event.answer_by,
                more={"topic": event.topic, "state": event.state},
            )
            return _open(opening, state, now, writes, desk)
        case ClaimUpdated() if event.status in ("task", "deadline_near"):
            # No API files this claim, or its deadline is near: a person has to (one case per parcel's claim).
            source = f"claim:{event.carrier}:{event.tracking_code}"
            opening = _opening(event, "claim_needs_person", protocol_for(source, event.deadline_at), source)
            opening.update(
                order_id=event.order_id,
                subject=f"file the {event.carrier} claim for {event.tracking_code} ({event.kind})",
                tell=False,  # the customer heard of the claim already
            )
            return _open(opening, state, now, writes, desk)
        case ParcelException():
            _watch(event, state, writes, desk)
            return []
        case ParcelResolved():
            _parcel_resolved(event, state, writes, desk)
            return []
        case CaseOpened():
            return _from_source(event, state, now, writes, desk)
        case CaseChanged():
            return _act(event, state, now, writes, desk)
    return []


def _opening(event: Event, kind: str, protocol: str, source_ref: str) -> dict[str, Any]:
    return {
        "event": event,
        "kind": kind,
        "protocol": protocol,
        "source_ref": source_ref,
        "order_id": None,
        "subject": None,
        "detail": None,
        "answer_by": None,
        "tell": True,
        "more": {},
    }


def _from_source(event: CaseOpened, state: Any, now: datetime, writes: Writes, desk: CaseDesk) -> list[CaseUpdated]:
    watch = state.get(f"{WATCH_PREFIX}{event.protocol}")
    if watch is not None:
        # A parcel's trouble whose wait is over: a case only if it is still open (delivered, or the carrier moved
        # it on meanwhile: nothing to open).
        writes.delete({"pk": str(watch["pk"]), "sk": str(watch["sk"])})
        if not _still_in_trouble(state, str(watch["tracking_code"]), str(watch["trouble"])):
            return []
    opening = _opening(event, event.kind, event.protocol, event.source_ref or f"{event.source}:{event.event_id}")
    opening.update(
        order_id=event.order_id,
        subject=event.subject,
        detail=event.detail,
        answer_by=event.answer_by,
        tell=event.tell_customer,
    )
    return _open(opening, state, now, writes, desk)


def _open(opening: dict[str, Any], state: Any, now: datetime, writes: Writes, desk: CaseDesk) -> list[CaseUpdated]:
    event: Event = opening["event"]
    protocol, kind = str(opening["protocol"]), str(opening["kind"])
    if state.get(case_sk(protocol)) is not None:
        return []  # opened before (the same source again): nothing new
    at = event.occurred_at
    due = at + desk.rules.kind(kind).sla
    if opening["answer_by"] is not None:
        due = min(due, opening["answer_by"])  # the source's own promise, when sooner
    pk = keys.customer_pk(event.store_id, event.customer.id)
    case: dict[str, Any] = {
        "pk": pk,
        "sk": case_sk(protocol),
        "kind": "case",
        "store_id": event.store_id,
        "customer_id": event.customer.id,
        "protocol": protocol,
        "case_kind": kind,
        "status": "open",
        "level": "first",
        "order_id": opening["order_id"],
        "subject": opening["subject"],
        "detail": opening["detail"],
        "source": event.source,
        "source_ref": opening["source_ref"],
        "opened_at": as_utc(at),
        "answer_by": as_utc(due),
        "updated_at": as_utc(at),
        "history": [
            _entry(at, "opened", event.source, opening["subject"], told=bool(opening["tell"]), due=as_utc(due))
        ],
        # Where it helps, the agent starts the conversation on WhatsApp with the first words written.
        "whatsapp_link": agent_whatsapp_link(state.profile, kind, protocol, opening["order_id"]),
        **_order_context(state, opening["order_id"]),
        **opening["more"],
        **keys.due_keys("case", f"{pk}|{case_sk(protocol)}", due, desk.shards),
    }
    _save(case, None, writes)
    _tell_team(case, "opened", at, writes, desk)
    writes.count(event.store_id, at, "CASES", opened=1, **{f"opened__{kind}": 1})
    if not opening["tell"]:
        return []
    return [_news(event, case, "opened", 0)]


def _act(event: CaseChanged, state: Any, now: datetime, writes: Writes, desk: CaseDesk) -> list[CaseUpdated]:
    read = state.get(case_sk(event.protocol))
    if read is None:
        return []  # not this customer's case, or erased: nothing to change
    case = {k: v for k, v in read.items() if k != "rev"}
    at, status, level = event.occurred_at, str(case["status"]), str(case.get("level", "first"))
    kind = str(case["case_kind"])
    news: str | None = None
    counts: dict[str, int] = {}
    match event.action:
        case "answer_published":
            answer = dict(case.get("public_answer") or {})
            if answer.get("status") != "approved":
                return []
            case["public_answer"] = {**answer, "status": "published", "published_at": as_utc(at)}
        case "reopen" if status == "resolved":
            counts.update(reopened=1, **{f"reopened__{kind}": 1})
            case.update(status="open", reopened=int(case.get("reopened", 0)) + 1, resolved_at=None)
            if desk.rules.escalation.reopened and level == "first":
                news = _escalate(case, at, desk, counts)
            else:
                case["answer_by"] = as_utc(at + desk.rules.kind(kind).sla)
                news = "reopened"
        case _ if status == "resolved":
            return []  # a resolved case changes only by being reopened
        case "assign":
            case["owner"] = event.owner
        case "note":
            news = "note" if event.tell_customer else None
        case "wait_customer":
            case["status"], news = "waiting_customer", "waiting_customer"
        case "wait_carrier":
            case["status"], news = "waiting_carrier", "waiting_carrier"
        case "resolve":
            _resolve(case, at, counts)
            news = "resolved"
        case "draft_answer":
            # A new draft replaces the last one, approved or not (an approval is of the words approved).
            case["public_answer"] = {"status": "draft", "text": event.note, "by": event.by, "at": as_utc(at)}
        case "approve_answer":
            answer = dict(case.get("public_answer") or {})
            if answer.get("status") != "draft":
                return []
            case["public_answer"] = {**answer, "status": "approved", "approved_by": event.by, "approved_at": as_utc(at)}
        case "escalate" if level == "first":
            case["missed_deadline"] = case.get("missed_deadline") or event.by == "sla"
            if event.by == "sla" and not desk.rules.escalation.overdue:
                case["overdue"] = True
            else:
                news = _escalate(case, at, desk, counts)
        case "escalate":
            # Past the ouvidoria's deadline too (or escalated again by hand): the team is told; there is no third
            # instance to send it to.
            case["overdue"] = as_utc(at) >= str(case["answer_by"])
            case["missed_deadline"] = case.get("missed_deadline") or case["overdue"]
    told = news is not None and (event.tell_customer or news != "note")
    case["updated_at"] = as_utc(at)
    _record(
        case,
        _entry(
            at,
            event.action,
            event.by,
            event.note,
            told=told,
            owner=event.owner or (case.get("owner") if news == "escalated" else None),
            ref=event.event_id,
            due=case["answer_by"],
        ),
    )
    open_now = case["status"] in OPEN and not case.get("overdue")
    due = keys.due_keys("case", f"{case['pk']}|{case['sk']}", parse_utc(str(case["answer_by"])), desk.shards)
    case.update(due if open_now else {"due_shard": None, "due_at": None})
    _save(case, read, writes)
    if event.action == "approve_answer":
        # Posted on the site by the team function, once: the only way anything is said there in the store's name.
        writes.put(notice_item(case, "answer_approved", at, desk.shards, "site", by=event.by))
    if news in ("escalated", "reopened"):
        _tell_team(case, news, at, writes, desk)  # type: ignore[arg-type]
    elif case.get("overdue") and not read.get("overdue"):
        _tell_team(case, "overdue", at, writes, desk)
    if counts:
        writes.count(event.store_id, at, "CASES", **counts)
    if news is None:
        return []
    return [_news(event, case, news, len(case["history"]) - 1, note=event.note, ouvidoria=desk.ouvidoria)]


def _tell_team(case: dict[str, Any], what: Notice, at: datetime, writes: Writes, desk: CaseDesk) -> None:
    # One notice per destination: one that fails is retried without repeating the other.
    if desk.webhook:
        writes.put(notice_item(case, what, at, desk.shards, "webhook"))
    if desk.ouvidoria_email and what == "escalated":
        writes.put(notice_item(case, what, at, desk.shards, "ouvidoria"))


def _escalate(case: dict[str, Any], at: datetime, desk: CaseDesk, counts: dict[str, int]) -> str:
    case.update(
        status="escalated",
        level="ouvidoria",
        owner=desk.ouvidoria,
        escalated_at=as_utc(at),
        answer_by=as_utc(at + desk.rules.escalation.ouvidoria_sla),
        overdue=None,
    )
    counts.update(escalated=1, **{f"escalated__{case['case_kind']}": 1})
    return "escalated"


def _watch(event: ParcelException, state: Any, writes: Writes, desk: CaseDesk) -> None:
    """Put a parcel's trouble on the due index for its kind's wait; the dispatcher opens the case when it is over
    (and the engine only if the trouble is still open then)."""
    found = desk.rules.parcel_kind(event.kind)
    if found is None:
        return
    kind, rule = found
    assert rule.open_after is not None
    source = f"parcel:{event.carrier}:{event.tracking_code}:{event.kind}"
    protocol = protocol_for(source, event.occurred_at)
    sk = f"{WATCH_PREFIX}{protocol}"
    if state.get(sk) is not None or state.get(case_sk(protocol)) is not None:
        return
    pk = keys.customer_pk(event.store_id, event.customer.id)
    due = event.occurred_at + rule.open_after
    writes.put(
        {
            "pk": pk,
            "sk": sk,
            "kind": "case_watch",
            "store_id": event.store_id,
            "customer_id": event.customer.id,
            "protocol": protocol,
            "case_kind": kind,
            "order_id": event.order_id,
            "carrier": event.carrier,
            "tracking_code": event.tracking_code,
            "trouble": event.kind,
            "source_ref": source,
            "detected_at": as_utc(event.occurred_at),
            **keys.due_keys("case", f"{pk}|{sk}", due, desk.shards),
        }
    )


def _order_context(state: Any, order_id: str | None) -> dict[str, Any]:
    """What the team needs to know of the case's order at a glance: its status, its parcels, the claims filed."""
    if not order_id:
        return {}
    order = state.get(f"ORDER#{order_id}") or {}
    parcels = [
        {
            "carrier": p.get("carrier"),
            "tracking_code": p.get("tracking_code"),
            "status": p.get("status"),
            "troubles": sorted(p.get("open_episodes") or ()),
        }
        for p in state.with_prefix("PARCEL#")
        if p.get("order_id") == order_id
    ]
    claims = [
        {k: n.get(k) for k in ("carrier", "tracking_code", "status", "protocol", "at") if n.get(k) is not None}
        for n in state.with_prefix(f"NOTE#{order_id}#")
        if str(n.get("what", "")).startswith("claim#")
    ]
    return {"order_status": order.get("status"), "parcels": parcels or None, "claims": claims or None}


# The kinds a parcel's own resolution settles (a public complaint still needs the team's public answer).
_SETTLED_BY_RESOLUTION = ("parcel_trouble", "claim_needs_person")


def _parcel_resolved(event: ParcelResolved, state: Any, writes: Writes, desk: CaseDesk) -> None:
    """The store made a parcel right (a new item, the money back): its wait for a case ends, and its open cases of
    the kinds that resolution settles are resolved (the customer hears of it from the resolution's own message)."""
    code = event.tracking_code
    for watch in state.with_prefix(WATCH_PREFIX):
        if str(watch.get("tracking_code")) == code:
            writes.delete({"pk": str(watch["pk"]), "sk": str(watch["sk"])})
    for read in state.with_prefix(CASE_PREFIX):
        ref = str(read.get("source_ref") or "").split(":")
        if read.get("case_kind") not in _SETTLED_BY_RESOLUTION or read.get("status") not in OPEN or code not in ref:
            continue
        case = {k: v for k, v in read.items() if k != "rev"}
        at = event.occurred_at
        counts: dict[str, int] = {}
        _resolve(case, at, counts)
        note = f"the store {event.resolution} it"
        _record(case, _entry(at, "resolve", event.source, note, told=False, ref=event.event_id, due=case["answer_by"]))
        case.update(due_shard=None, due_at=None, updated_at=as_utc(at))
        _save(case, read, writes)
        writes.count(event.store_id, at, "CASES", **counts)


def _resolve(case: dict[str, Any], at: datetime, counts: dict[str, int]) -> None:
    """Resolve `case` at `at`, counted by kind; within its deadline: before the one in force, and never past one
    before (escalated by the clock)."""
    kind = str(case["case_kind"])
    in_sla = as_utc(at) <= str(case["answer_by"]) and not case.get("missed_deadline")
    case.update(status="resolved", resolved_at=as_utc(at), resolved_in_sla=in_sla)
    counts.update(resolved=1, resolved_in_sla=int(in_sla), **{f"resolved__{kind}": 1})
    counts[f"resolved_in_sla__{kind}"] = int(in_sla)


def _still_in_trouble(state: Any, tracking_code: str, trouble: str) -> bool:
    for parcel in state.with_prefix("PARCEL#"):
        if str(parcel.get("tracking_code")) == tracking_code:
            return trouble in set(parcel.get("open_episodes") or ()) and parcel.get("status") != "delivered"
    return False


def _shortened(text: str | None, most: int = 280) -> str | None:
    """A long text as the history shows it (the whole is kept where it belongs)."""
    return text if text is None or len(text) <= most else text[: most - 1] + "…"


def _record(case: dict[str, Any], entry: dict[str, Any]) -> None:
    """Add `entry` to the case's history, keeping the newest `HISTORY_MAX`."""
    case["history"] = [*list(case.get("history") or ())[-(HISTORY_MAX - 1) :], entry]


def _entry(at: datetime, action: str, by: str | None, note: str | None, *, told: bool, **more: Any) -> dict[str, Any]:
    entry = {"at": as_utc(at), "action": action, "by": by, "note": note, "told": told, **more}
    return {k: v for k, v in entry.items() if v is not None}


def _save(case: dict[str, Any], read: dict[str, Any] | None, writes: Writes) -> None:
    """The case (over what was read of it) and its summary in the store's inbox, in the same transaction."""
    plain = {k: v for k, v in case.items() if v is not None}
    key = {"pk": str(case["pk"]), "sk": str(case["sk"])}
    writes.revise(key, read, {k: v for k, v in plain.items() if k not in key})
    removed = [k for k, v in case.items() if v is None]
    revised = writes.revised(key)
    assert revised is not None
    for name in removed:
        revised.pop(name, None)
    writes.put(
        {
            "pk": store_cases_pk(str(case["store_id"])),
            "sk": str(case["sk"]),
            "kind": "case_summary",
            **{k: plain[k] for k in _SUMMARY if k in plain},
        }
    )


def _news(
    event: Event, case: dict[str, Any], news: str, step: int, note: str | None = None, ouvidoria: str | None = None
) -> CaseUpdated:
    protocol = str(case["protocol"])
    return CaseUpdated(
        event_id=f"{event.event_id}:case:{protocol}:{step}",
        store_id=event.store_id,
        source="cases",
        customer=event.customer,
        occurred_at=event.occurred_at,
        protocol=protocol,
        step_key=f"{protocol}#{step}",
        kind=str(case["case_kind"]),
        news=news,
        status=str(case["status"]),
        level=case.get("level", "first"),
        order_id=case.get("order_id"),
        answer_by=parse_utc(str(case["answer_by"])),
        note=note if news != "opened" else None,
        escalated_to=ouvidoria if news == "escalated" else None,
    )
