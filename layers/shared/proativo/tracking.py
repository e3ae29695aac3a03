"""Parcel tracking: every shipped parcel gets a next-check time on the due index; the tracking schedule fans due
parcels out to the tracking queue and the worker asks the parcel's carrier adapter for new scans.

Carrier adapters plug in behind `Carrier`; a carrier without an adapter is checked again later (its parcels are
kept, not dropped), so adding an adapter starts tracking the parcels already waiting.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from proativo import keys
from proativo.aws import error_code
from proativo.clock import as_utc
from proativo.events import OrderShipped

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

FIRST_CHECK_AFTER = timedelta(hours=2)
RECHECK_WITHOUT_ADAPTER = timedelta(hours=12)
RECHECK_IN_TRANSIT = timedelta(hours=6)


class Scan(BaseModel):
    """One carrier scan, normalised."""

    model_config = ConfigDict(frozen=True)

    tracking_code: str
    status: str
    raw_code: str
    description: str
    location: str | None
    at: datetime


class Carrier(Protocol):
    """A carrier adapter: the scans it knows for each tracking code."""

    def track(self, codes: list[str]) -> dict[str, list[Scan]]: ...


def parcel_sk(carrier: str, tracking_code: str) -> str:
    """Sort key of a parcel inside the customer's partition."""
    return f"PARCEL#{carrier}#{tracking_code}"


class ParcelRef(BaseModel):
    """The tracking queue's message: which parcel to check."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    store_id: str
    customer_id: str
    order_id: str
    carrier: str
    tracking_code: str


@dataclass(frozen=True)
class ParcelRegistry:
    """Parcels under watch."""

    table: "Table"
    due_shards: int

    def register(self, event: OrderShipped, now: datetime) -> bool:
        """Start watching a shipped parcel (once; a repeated shipment event changes nothing)."""
        pk = keys.customer_pk(event.store_id, event.customer.id)
        sk = parcel_sk(event.carrier, event.tracking_code)
        first = max(now, event.occurred_at) + FIRST_CHECK_AFTER
        try:
            self.table.put_item(
                Item={
                    "pk": pk,
                    "sk": sk,
                    "kind": "parcel",
                    "store_id": event.store_id,
                    "customer_id": event.customer.id,
                    "order_id": event.order_id,
                    "carrier": event.carrier,
                    "tracking_code": event.tracking_code,
                    "shipped_at": as_utc(event.occurred_at),
                    **({"promised_at": as_utc(event.promised_at)} if event.promised_at else {}),
                    "status": "info_received",
                    "next_check_at": as_utc(first),
                    **keys.due_keys("track", f"{pk}|{sk}", first, self.due_shards),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def reschedule(self, ref: ParcelRef, at: datetime) -> bool:
        """Put the parcel back on the due index for a check at `at`; False if the parcel is gone (e.g. erased)."""
        pk = keys.customer_pk(ref.store_id, ref.customer_id)
        sk = parcel_sk(ref.carrier, ref.tracking_code)
        due = keys.due_keys("track", f"{pk}|{sk}", at, self.due_shards)
        try:
            self.table.update_item(
                Key={"pk": pk, "sk": sk},
                UpdateExpression="SET due_shard = :s, due_at = :d, next_check_at = :d",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":s": due["due_shard"], ":d": due["due_at"]},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True


@dataclass(frozen=True)
class CheckOutcome:
    """What one carrier check found for one parcel, and when it is checked next (None: never again)."""

    ref: ParcelRef
    scans: tuple[Scan, ...]
    next_check_at: datetime | None
    note: str


@dataclass(frozen=True)
class Tracker:
    """Checks parcels with their carriers."""

    registry: ParcelRegistry
    carriers: dict[str, Carrier]

    def check(self, refs: list[ParcelRef], now: datetime) -> list[CheckOutcome]:
        """Ask each parcel's carrier for scans (one call per carrier) and put every parcel back on the due index."""
        outcomes: list[CheckOutcome] = []
        by_carrier: dict[str, list[ParcelRef]] = {}
        for ref in refs:
            by_carrier.setdefault(ref.carrier, []).append(ref)
        for carrier, group in by_carrier.items():
            adapter = self.carriers.get(carrier)
            if adapter is None:
                found: dict[str, list[Scan]] = {}
                after, note = RECHECK_WITHOUT_ADAPTER, f"no adapter for carrier '{carrier}' yet; kept for later"
            else:
                found = adapter.track([r.tracking_code for r in group])
                after, note = RECHECK_IN_TRANSIT, "checked"
            for ref in group:
                at = now + after
                if not self.registry.reschedule(ref, at):
                    outcomes.append(CheckOutcome(ref, (), None, "parcel no longer exists"))
                    continue
                outcomes.append(CheckOutcome(ref, tuple(found.get(ref.tracking_code, ())), at, note))
        return outcomes
