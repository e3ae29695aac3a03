"""Applying one canonical event: fold it into the customer's state and let the sequences react, in one read and one
transaction (a shipped parcel's registration with it)."""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from proativo.aws import failed_conditions
from proativo.aws import metrics as business
from proativo.aws.writes import Writes
from proativo.cases.fold import CaseDesk, concerns_cases, fold_cases
from proativo.clock import as_utc
from proativo.customers import identity
from proativo.customers.privacy import ERASED_SK
from proativo.customers.profile import (
    CustomerRepository,
    answered_before,
    fold,
    record_attribution,
    record_payment_recovery,
)
from proativo.events import (
    CaseUpdated,
    Event,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    ParcelResolved,
    ResourceChanged,
    SurveyAnswered,
    parse_message,
    taken_by_receipt,
)
from proativo.sequences.attribution import Attribution, attribute, attribute_payment
from proativo.sequences.engine import Decision, Enrol, decide, describe
from proativo.sequences.flows import Flow
from proativo.sequences.store import SequenceStore, enrolments_of
from proativo.tracking.carriers import with_carrier_resolved
from proativo.tracking.registry import ParcelRegistry

if TYPE_CHECKING:
    from proativo.platforms.readback import ReadBack


@dataclass(frozen=True)
class Applied:
    """What an event changed (for logs, metrics and the local timeline)."""

    event_type: str
    customer_id: str
    decisions: tuple[Decision, ...]
    attribution: Attribution | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventProcessor:
    """Applies canonical events for every store: one read of the customer, one transaction of what changed."""

    customers: CustomerRepository
    sequences: SequenceStore
    parcels: ParcelRegistry
    flows_for: Callable[[str], tuple[Flow, ...]]
    # Reads a notify-only platform's resource back (built on first use: most deployments' messages need none).
    read_back: Callable[[], "ReadBack"] | None = None
    # The store's case rules and ouvidoria (read only for the events that open or change a case).
    case_desks: Callable[[str], CaseDesk] | None = None
    # A buyer's tax id → its keyed digest (`customers.identity`), before anything is written; None: ids are dropped.
    pseudonym: Callable[[str, str], str] | None = None
    attempts: int = 10

    def apply_message(self, body: str, now: datetime) -> dict[str, Any]:
        """Apply an events queue message: a canonical event, or a notify-only platform's notice read back from its
        API into the events it stands for. What each changed, as the events function keeps (idempotency) and logs."""
        message = parse_message(body)
        if isinstance(message, ResourceChanged):
            assert self.read_back is not None, "the processor was built without a read-back"
            events = taken_by_receipt(self.read_back().events(message), now)
        else:
            events = [message]
        return {"applied": [summary(self.apply(event, now)) for event in events]}

    @staticmethod
    def observe(result: dict[str, Any], store_id: str, metrics: Metrics, logger: Logger) -> None:
        """What applying a message did, as metrics (events by type, enrolments and recoveries by flow and channel) and a
        log line per event."""
        for applied in result["applied"]:
            metrics.add_metric(name="EventsApplied", unit=MetricUnit.Count, value=1)
            business.record("EventsByType", store_id, type=str(applied["event_type"]))
            for flow in applied.get("enrolled", []):  # carts abandoned, payments pending, customers won back…
                business.record("Enrolments", store_id, flow=str(flow))
            recovery = applied.get("recovery")
            if recovery:  # by the flow and channel whose message brought it back
                name = "PaymentsRecovered" if applied["event_type"] == "OrderPaid" else "RevenueRecovered"
                by = {"flow": str(recovery["flow"]), "channel": str(recovery["channel"])}
                business.record(name, store_id, float(recovery["value"]), MetricUnit.NoUnit, **by)
            logger.info("event applied", extra={"store_id": store_id, **applied})

    def _pseudonymized(self, event: Event) -> Event:
        """The event with its buyer's tax id replaced by the keyed digest (or dropped, with no key to make one)."""
        tax_id = event.customer.tax_id
        if tax_id is None or tax_id.startswith(identity.PREFIX):
            return event
        kept = self.pseudonym(event.store_id, tax_id) if self.pseudonym else None
        return event.model_copy(update={"customer": event.customer.model_copy(update={"tax_id": kept})})

    def apply(self, event: Event, now: datetime) -> Applied:
        """Apply one event; a repeat changes nothing. A concurrent change to the same customer fails the transaction
        and the event is read and decided again."""
        if isinstance(event, CaseUpdated):
            # What a customer is told of a case is the engine's own word, never a message's.
            return Applied(event.type, event.customer.id, (), notes=("ignored: case news comes from the engine",))
        event, matched = with_carrier_resolved(event)
        event = self._pseudonymized(event)
        flows = self.flows_for(event.store_id)
        desk = self.case_desks(event.store_id) if self.case_desks and concerns_cases(event) else None
        for attempt in range(self.attempts):
            if attempt:
                # Another writer changed the customer between our read and our write: back off a little (jitter
                # spreads racing duplicates apart), read again, decide again.
                time.sleep(random.uniform(0, 0.01 * attempt))  # noqa: S311 - jitter, not security
            state = self.customers.state(event.store_id, event.customer.id)
            erased = state.get(ERASED_SK)
            if erased and as_utc(event.occurred_at) <= str(erased["erased_at"]):
                # Older than the customer's erasure (a late retry): it must not bring their data back.
                return Applied(event.type, event.customer.id, (), notes=("ignored: the customer's data was erased",))
            writes = Writes(self.sequences.table_name)
            fold(event, state, now, writes)
            writes.count(event.store_id, event.occurred_at, "EVENTS", **{event.type: 1})
            if matched:  # a parcel to follow: how its carrier was known (by name, by code, or not: unmatched)
                writes.count(event.store_id, event.occurred_at, "SHIPMENTS", shipped=1, **{f"by_{matched}": 1})
            enrolled = {str(item["sk"]): item for item in state.with_prefix("ENROL#")}
            enrolments = enrolments_of(list(enrolled.values()))
            decisions = decide(flows, enrolments, state.facts(event), event, now)
            repeat_answer = isinstance(event, SurveyAnswered) and answered_before(event, state)
            if repeat_answer:
                decisions = []  # a second click with another score changes nothing
            elif desk is not None:
                # A case opened or changed in the same transaction; what the customer is told of it, enrolled too.
                for news in fold_cases(event, state, now, writes, desk):
                    decisions += decide(flows, enrolments, state.facts(news), news, now)
            self.sequences.add(event.store_id, event.customer.id, decisions, now, enrolled, writes)
            credited = None
            messages = state.with_prefix("MSG#")
            if isinstance(event, OrderPlaced):
                credited = attribute(event.total, event.occurred_at, messages, flows)
                order = state.get(f"ORDER#{event.order_id}") or {}
                if credited and "attributed_message_id" not in order:
                    record_attribution(event, credited, state, writes)
                else:
                    credited = None
            if isinstance(event, OrderShipped):
                self.parcels.register(event, now, state.items, writes)
            if isinstance(event, ParcelResolved) and event.new_tracking_code:
                # The replacement is tracked like any shipment (its own parcel, its own notices).
                self.parcels.register(replacement_shipment(event), now, state.items, writes)
            if isinstance(event, OrderPaid):
                order = state.get(f"ORDER#{event.order_id}") or {}
                total = event.total if event.total is not None else order.get("total")
                paid_by = (
                    attribute_payment(event.order_id, Decimal(str(total)), event.occurred_at, messages, flows)
                    if total is not None and "payment_recovered_by" not in order
                    else None
                )
                if paid_by:
                    record_payment_recovery(event, paid_by, state, writes)
                    credited = paid_by
            outcome = self._commit(writes)
            if outcome == "duplicate":
                return Applied(event.type, event.customer.id, ())
            if outcome == "written":
                break
        else:
            raise ConcurrentChange(f"{event.type} {event.event_id}: the customer kept changing; the queue retries it")
        notes: tuple[str, ...] = ()
        if isinstance(event, SurveyAnswered) and event.rating == "detractor" and not repeat_answer:
            notes = (f"case opened for the store's team: order {event.order_id} rated {event.score}",)
        notes += tuple(
            f"case {d.enrolment.key.split('#')[0]}: the customer is told ({d.enrolment.flow_id})"
            for d in decisions
            if isinstance(d, Enrol) and d.enrolment.flow_id == "case_news"
        )
        return Applied(event.type, event.customer.id, tuple(decisions), credited, notes)

    def _commit(self, writes: Writes) -> Literal["written", "duplicate", "raced"]:
        """Write everything at once. The first item is the event log entry: when only it failed its condition, the
        event was applied before."""
        client = self.customers.table.meta.client
        try:
            client.transact_write_items(TransactItems=writes.transact_items())  # type: ignore[arg-type]
        except ClientError as exc:
            failed = failed_conditions(exc)
            if failed is None:
                raise
            return "duplicate" if failed[0] else "raced"
        return "written"


class ConcurrentChange(RuntimeError):
    """The customer's state changed under every attempt (the queue retries the event)."""


def replacement_shipment(event: ParcelResolved) -> OrderShipped:
    """The shipment a reshipment stands for."""
    assert event.new_tracking_code is not None
    return OrderShipped(
        event_id=f"{event.event_id}:replacement",
        store_id=event.store_id,
        source=event.source,
        customer=event.customer,
        occurred_at=event.occurred_at,
        order_id=event.order_id,
        carrier=event.new_carrier or event.carrier,
        tracking_code=event.new_tracking_code,
        tracking_url=event.new_tracking_url,
    )


def summary(applied: Applied) -> dict[str, Any]:
    """An applied event in plain values (no personal data): its decisions, the flows it enrolled in, and the
    recovery it is credited to."""
    found: dict[str, Any] = {
        "event_type": applied.event_type,
        "customer_id": applied.customer_id,
        "decisions": [describe(d) for d in applied.decisions],
        "enrolled": [d.enrolment.flow_id for d in applied.decisions if isinstance(d, Enrol)],
    }
    if applied.notes:
        found["notes"] = list(applied.notes)
    if applied.attribution:
        by = applied.attribution
        found["recovery"] = {"flow": by.flow_id, "step": by.step_id, "channel": by.channel, "value": str(by.value)}
        found["recovered_by"], found["recovered_value"] = f"{by.flow_id}/{by.step_id}/{by.channel}", str(by.value)
    return found
