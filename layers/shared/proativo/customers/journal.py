"""An order's journal: what we saw and did about it, kept in the customer's partition for their own page.

Each fact is a small `NOTE#<order>#<instant>#<what>` item written in the event's own transaction (the page reads
the partition once and finds them beside the order and its parcels): a trouble the tracker detected, a claim that
moved, a resolution, a request for help. The messages we sent are already there (`MSG#…`). A page view marks the
order and counts the visit; a request for help is noted (the case it opens is `proativo.cases`')."""

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from proativo.aws.writes import Writes
from proativo.clock import expires, parse_utc
from proativo.events import ClaimUpdated, HelpRequested, PageViewed, ParcelException, ParcelResolved

if TYPE_CHECKING:
    from proativo.customers.profile import CustomerState

NOTE_RETENTION = timedelta(days=730)
# Views of one order closer together than this are one visit (what the report counts as a page view).
VISIT_GAP = timedelta(minutes=30)


def note_sk(order_id: str, at: str, what: str) -> str:
    """Sort key of one journal note."""
    return f"NOTE#{order_id}#{at}#{what}"


def _note(pk: str, event: Any, at: str, what: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "pk": pk,
        "sk": note_sk(event.order_id, at, what),
        "kind": "note",
        "order_id": event.order_id,
        "what": what,
        "at": at,
        **{k: v for k, v in fields.items() if v is not None},
        "ttl": expires(event.occurred_at, NOTE_RETENTION),
    }


def fold_journal(pk: str, event: Any, at: str, state: "CustomerState", writes: Writes) -> None:
    """Add to `writes` what `event` adds to its order's journal (nothing for events the page does not tell)."""
    fields: dict[str, Any]
    match event:
        case ParcelException():
            fields = {
                "trouble": event.kind,
                "carrier": event.carrier,
                "tracking_code": event.tracking_code,
                "location": event.location,
                "pickup_deadline": event.pickup_deadline.isoformat() if event.pickup_deadline else None,
            }
            writes.put(_note(pk, event, at, f"detected#{event.kind}#{event.tracking_code}", fields))
        case ClaimUpdated():
            fields = {
                "status": event.status,
                "trouble": event.kind,
                "carrier": event.carrier,
                "tracking_code": event.tracking_code,
                "protocol": event.protocol,
                "channel": event.channel,
                "amount": event.amount,
            }
            writes.put(_note(pk, event, at, f"claim#{event.status}#{event.tracking_code}", fields))
        case ParcelResolved():
            fields = {
                "resolution": event.resolution,
                "carrier": event.carrier,
                "tracking_code": event.tracking_code,
                "amount": event.amount,
                "currency": event.currency,
            }
            writes.put(_note(pk, event, at, f"resolved#{event.resolution}#{event.tracking_code}", fields))
        case PageViewed():
            _viewed(pk, event, at, state, writes)
        case HelpRequested():
            _help(pk, event, at, state, writes)


def _viewed(pk: str, event: PageViewed, at: str, state: "CustomerState", writes: Writes) -> None:
    key = {"pk": pk, "sk": f"ORDER#{event.order_id}"}
    order = state.get(key["sk"])
    if order is None:
        return  # an order erased or never known: nothing to mark
    last = order.get("last_viewed_at")
    if last and parse_utc(str(last)) + VISIT_GAP > event.occurred_at:
        return  # the same visit (announced twice before the first was applied)
    first = not order.get("viewed_at")
    writes.revise(key, order, {"last_viewed_at": at, **({"viewed_at": at} if first else {})}, add={"page_visits": 1})
    writes.count(
        event.store_id,
        event.occurred_at,
        "PAGE",
        visits=1,
        orders_viewed=int(first),
        answers_shown=len(event.answers),
    )
    if event.answers:
        writes.count(event.store_id, event.occurred_at, "ANSWERS", **{a: 1 for a in event.answers})


def _help(pk: str, event: HelpRequested, at: str, state: "CustomerState", writes: Writes) -> None:
    key = {"pk": pk, "sk": f"ORDER#{event.order_id}"}
    order = state.get(key["sk"])
    first = order is not None and not order.get("help_requested_at")
    if order is not None:
        writes.revise(key, order, {"help_requested_at": order.get("help_requested_at") or at})
    fields = {"protocol": event.protocol, "topic": event.topic, "answer_by": event.answer_by.isoformat()}
    writes.put(_note(pk, event, at, f"help#{event.protocol}", fields))
    writes.count(event.store_id, event.occurred_at, "PAGE", help_requests=1, orders_helped=int(first))
