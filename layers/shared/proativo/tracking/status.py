"""One tracking status model for every carrier. Nine statuses (the AfterShip/TrackingMore families map onto them
one to one), a sub-status that says more, and the carrier's raw code kept beside them."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Status(StrEnum):
    """Where a parcel is, whatever the carrier."""

    INFO_RECEIVED = "info_received"  # the carrier knows the parcel but has not handled it yet
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    FAILED_ATTEMPT = "failed_attempt"
    EXCEPTION = "exception"
    RETURNED_TO_SENDER = "returned_to_sender"
    EXPIRED = "expired"  # no news for too long: the carrier stopped telling


# Sub-statuses that carry the trouble a customer must hear about (the detector turns them into episodes).
LOST = "lost"
DAMAGED = "damaged"
ADDRESS_PROBLEM = "address_problem"
REFUSED = "refused"
RETURNING = "returning"  # on its way back to the sender

# After these, nothing the carrier says changes the outcome: the parcel is no longer checked.
FINAL = frozenset({Status.DELIVERED, Status.RETURNED_TO_SENDER, Status.EXPIRED})


class Scan(BaseModel):
    """One carrier scan, normalised; `raw_code` is the carrier's own code (Correios: `BDE/01`)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    tracking_code: str
    status: Status
    substatus: str | None = None
    raw_code: str
    description: str
    location: str | None = None
    at: datetime


class TrackingResult(BaseModel):
    """What a carrier says of one code: its scans (oldest first), its own delivery estimate, or that it has none."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    tracking_code: str
    scans: tuple[Scan, ...] = ()
    estimated_delivery: datetime | None = None
    found: bool = True
