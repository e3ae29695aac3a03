"""Applying one canonical event: fold it into customer state, then let the sequences react, then start tracking."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from proativo.customers import CustomerRepository
from proativo.events import Event, OrderShipped
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
        enrolments = self.sequences.enrolments(event.store_id, event.customer.id)
        decisions = decide(self.flows_for(event.store_id), enrolments, facts, event, now)
        applied = self.sequences.apply(event.store_id, event.customer.id, decisions, now)
        if isinstance(event, OrderShipped):
            self.parcels.register(event, now)
        return Applied(event.type, event.customer.id, tuple(applied))
