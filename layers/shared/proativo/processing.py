"""Applying one canonical event: fold it into customer state, then let the sequences react, then start tracking."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from proativo.customers import CustomerRepository
from proativo.events import Event, OrderPlaced, OrderShipped, ParcelResolved
from proativo.sequences.attribution import Attribution, attribute
from proativo.sequences.engine import Decision, decide
from proativo.sequences.flows import Flow
from proativo.sequences.store import SequenceStore
from proativo.tracking import ParcelRegistry


@dataclass(frozen=True)
class Applied:
    """What an event changed (for logs, metrics and the local timeline)."""

    event_type: str
    customer_id: str
    decisions: tuple[Decision, ...]
    attribution: Attribution | None = None


@dataclass(frozen=True)
class EventProcessor:
    """Applies canonical events for every store."""

    customers: CustomerRepository
    sequences: SequenceStore
    parcels: ParcelRegistry
    flows_for: Callable[[str], tuple[Flow, ...]]

    def apply(self, event: Event, now: datetime) -> Applied:
        """Apply one event; safe to repeat (every write is conditional)."""
        facts = self.customers.record(event, now)
        flows = self.flows_for(event.store_id)
        enrolments = self.sequences.enrolments(event.store_id, event.customer.id)
        decisions = decide(flows, enrolments, facts, event, now)
        applied = self.sequences.apply(event.store_id, event.customer.id, decisions, now)
        credited = None
        if isinstance(event, OrderPlaced):
            messages = self.customers.sent_messages(event.store_id, event.customer.id)
            found = attribute(event.total, event.occurred_at, messages, flows)
            if found and self.customers.record_attribution(event, found):
                credited = found
        if isinstance(event, OrderShipped):
            self.parcels.register(event, now)
        if isinstance(event, ParcelResolved) and event.new_tracking_code:
            # The replacement is tracked like any shipment (its own parcel, its own notices).
            self.parcels.register(replacement_shipment(event), now)
        return Applied(event.type, event.customer.id, tuple(applied), credited)


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
