"""Exception detection: pure, from (parcel state, what the carrier said, now, the store's policy) to the parcel's
new state, the events to announce and when to look again. Each kind of trouble is announced once per episode: an
episode opens when its condition starts and closes when it ends, however many times the carrier repeats itself.
"""

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field

from proativo.tracking.calendar import add_business_days
from proativo.tracking.status import (
    ADDRESS_PROBLEM,
    DAMAGED,
    FINAL,
    LOST,
    RETURNING,
    Scan,
    Status,
    TrackingResult,
)

# Kinds of trouble, as `ParcelException.kind`.
LATE, STALLED, AWAITING_PICKUP, FAILED_ATTEMPT, RETURNED = (
    "late",
    "stalled",
    "awaiting_pickup",
    "failed_attempt",
    "returned",
)


class TrackingPolicy(BaseModel):
    """A store's thresholds (defaults suit Brazilian domestic parcels)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    stalled_business_days: int = Field(default=3, ge=1)
    lost_business_days: int = Field(default=10, ge=2)
    late_grace: timedelta = Field(default=timedelta(0), ge=timedelta(0))
    pickup_hold_days: int = Field(default=7, ge=1, description="days an agency keeps a parcel before returning it")
    expire_after_days: int = Field(default=30, ge=1, description="stop checking after this long with no news at all")
    incident_rate_alert: float = Field(default=0.10, gt=0, le=1, description="a carrier's monthly incident rate")
    incident_min_parcels: int = Field(default=20, ge=1, description="parcels a month before the rate means anything")
    country: str = Field(default="BR", pattern=r"^[A-Z]{2}$")
    timezone: str = "America/Sao_Paulo"


@dataclass(frozen=True)
class ParcelState:
    """What we know of a parcel between checks."""

    shipped_at: datetime
    promised_at: datetime | None = None
    estimated_delivery: datetime | None = None
    status: Status = Status.INFO_RECEIVED
    substatus: str | None = None
    last_scan_at: datetime | None = None
    last_description: str | None = None
    last_location: str | None = None
    scans_seen: int = 0
    open_episodes: frozenset[str] = frozenset()
    episodes_seen: frozenset[str] = frozenset()  # every kind of trouble this parcel ever met (the scorecard's)
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class Episode:
    """A kind of trouble that just started: `since` is when (the scan that showed it, or the threshold crossed),
    which keeps the announcement's identity the same however often it is re-detected."""

    kind: str
    since: datetime
    detail: str | None = None
    pickup_deadline: datetime | None = None


@dataclass(frozen=True)
class Assessment:
    """The outcome of one check."""

    state: ParcelState
    new_scans: tuple[Scan, ...]
    status_changed: bool
    opened: tuple[Episode, ...]
    closed: tuple[str, ...]
    next_check_at: datetime | None


def _active(state: ParcelState, latest: Scan | None, now: datetime, policy: TrackingPolicy) -> dict[str, Episode]:
    """Every kind of trouble true now, with when it started."""
    if state.status in (Status.DELIVERED, Status.EXPIRED):
        return {}
    found: dict[str, Episode] = {}
    detail = state.last_description
    since_scan = latest.at if latest else (state.last_scan_at or state.shipped_at)
    if state.status == Status.RETURNED_TO_SENDER or state.substatus in (RETURNING, "not_collected"):
        found[RETURNED] = Episode(RETURNED, since_scan, detail)
    if state.status == Status.RETURNED_TO_SENDER:
        return found
    if state.substatus == DAMAGED:
        found[DAMAGED] = Episode(DAMAGED, since_scan, detail)
    if state.substatus == ADDRESS_PROBLEM:
        found[ADDRESS_PROBLEM] = Episode(ADDRESS_PROBLEM, since_scan, detail)
    if state.status == Status.FAILED_ATTEMPT:
        found[FAILED_ATTEMPT] = Episode(FAILED_ATTEMPT, since_scan, detail)
    if state.status == Status.AVAILABLE_FOR_PICKUP:
        deadline = since_scan + timedelta(days=policy.pickup_hold_days)
        found[AWAITING_PICKUP] = Episode(AWAITING_PICKUP, since_scan, detail, pickup_deadline=deadline)
    promised = state.promised_at or state.estimated_delivery
    # Waiting at an agency, the parcel has arrived: from then on the customer's move, not the carrier's delay.
    if promised is not None and now > promised + policy.late_grace and state.status != Status.AVAILABLE_FOR_PICKUP:
        found[LATE] = Episode(LATE, promised + policy.late_grace, detail)
    quiet_since = state.last_scan_at or state.shipped_at
    lost_at = add_business_days(quiet_since, policy.lost_business_days, policy.country, policy.timezone)
    if state.substatus == LOST:
        found[LOST] = Episode(LOST, since_scan, detail)
    elif now >= lost_at:
        found[LOST] = Episode(LOST, lost_at, detail)
    elif state.status in (Status.INFO_RECEIVED, Status.IN_TRANSIT):
        stalled_at = add_business_days(quiet_since, policy.stalled_business_days, policy.country, policy.timezone)
        if now >= stalled_at:
            found[STALLED] = Episode(STALLED, stalled_at, detail)
    if LOST in found:
        # Lost says it all: "late" or "stalled" after it would only confuse the customer.
        found.pop(LATE, None)
        found.pop(STALLED, None)
    return found


def _next_check(state: ParcelState, now: datetime, policy: TrackingPolicy) -> datetime | None:
    """Often when something is about to happen, seldom during long transit, never after the end."""
    if state.status in FINAL:
        return None
    # The earliest of the store's promise and the carrier's estimate: the day delivery may happen.
    expected = min((d for d in (state.promised_at, state.estimated_delivery) if d is not None), default=None)
    cadence = _cadence()
    quiet = state.last_scan_at is not None and now - state.last_scan_at > timedelta(days=cadence.quiet_after_days)
    match state.status:
        case Status.OUT_FOR_DELIVERY:
            hours = cadence.out_for_delivery
        case Status.IN_TRANSIT if expected is not None and expected - now < timedelta(days=1):
            hours = cadence.expected_day
        case Status.FAILED_ATTEMPT:
            hours = cadence.failed_attempt
        case Status.AVAILABLE_FOR_PICKUP:
            hours = cadence.available_for_pickup
        case Status.EXCEPTION:
            hours = cadence.exception
        case _ if quiet:
            hours = cadence.quiet
        case _:
            hours = cadence.default
    after = timedelta(hours=hours)
    if state.status in (Status.INFO_RECEIVED, Status.IN_TRANSIT, Status.FAILED_ATTEMPT):
        return min(now + after, _next_local_time(now, cadence.morning_check, policy.timezone))
    return now + after


class Cadence(BaseModel):
    """How often a parcel is checked (`cadence.yaml`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    out_for_delivery: float = Field(gt=0)
    expected_day: float = Field(gt=0)
    failed_attempt: float = Field(gt=0)
    available_for_pickup: float = Field(gt=0)
    exception: float = Field(gt=0)
    quiet: float = Field(gt=0)
    quiet_after_days: float = Field(gt=0)
    default: float = Field(gt=0)
    morning_check: time


@cache
def _cadence() -> Cadence:
    text = resources.files("proativo.tracking").joinpath("cadence.yaml").read_text(encoding="utf-8")
    return Cadence.model_validate(yaml.safe_load(text))


def _next_local_time(now: datetime, at: time, timezone: str) -> datetime:
    local = now.astimezone(ZoneInfo(timezone))
    candidate = datetime.combine(local.date(), at, tzinfo=local.tzinfo)
    return candidate if candidate > local else candidate + timedelta(days=1)


def assess(state: ParcelState, result: TrackingResult | None, now: datetime, policy: TrackingPolicy) -> Assessment:
    """Fold what the carrier said into the parcel's state; open and close episodes; say when to check next."""
    scans = result.scans if result else ()
    new_scans = tuple(s for s in scans if state.last_scan_at is None or s.at > state.last_scan_at)
    latest = scans[-1] if scans else None
    updated = state
    if result and result.estimated_delivery:
        updated = replace(updated, estimated_delivery=result.estimated_delivery)
    if new_scans and latest is not None:
        updated = replace(
            updated,
            status=latest.status,
            substatus=latest.substatus,
            last_scan_at=latest.at,
            last_description=latest.description,
            last_location=latest.location,
            scans_seen=state.scans_seen + len(new_scans),
            delivered_at=latest.at if latest.status == Status.DELIVERED else updated.delivered_at,
        )
    if not scans and now - state.shipped_at > timedelta(days=policy.expire_after_days):
        updated = replace(updated, status=Status.EXPIRED)
    active = _active(updated, latest if new_scans else None, now, policy)
    opened = tuple(e for kind, e in sorted(active.items()) if kind not in state.open_episodes)
    closed = tuple(sorted(state.open_episodes - active.keys()))
    updated = replace(updated, open_episodes=frozenset(active), episodes_seen=state.episodes_seen | active.keys())
    return Assessment(
        state=updated,
        new_scans=new_scans,
        status_changed=(updated.status, updated.substatus) != (state.status, state.substatus),
        opened=opened,
        closed=closed,
        next_check_at=_next_check(updated, now, policy),
    )
