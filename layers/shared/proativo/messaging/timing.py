"""When a message may go: quiet hours in the customer's time zone, and the marketing frequency cap. Pure."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# How long a capped marketing message may wait for its turn before it is dropped (old news by then).
MAX_POSTPONEMENT = timedelta(days=3)


def quiet_until(now: datetime, timezone: str, start_hour: int, end_hour: int) -> datetime | None:
    """The end of the quiet hours `now` falls in (local `start_hour` to `end_hour`, across midnight), else None."""
    if start_hour == end_hour:
        return None
    local = now.astimezone(ZoneInfo(timezone))
    hour = local.hour
    inside = (start_hour <= hour or hour < end_hour) if start_hour > end_hour else (start_hour <= hour < end_hour)
    if not inside:
        return None
    day = local.date() if hour < end_hour else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end_hour), tzinfo=local.tzinfo)


def cap_until(
    now: datetime,
    period: timedelta,
    last_sent_at: datetime | None,
    last_journey: str | None,
    journey: str,
    rival_due_at: datetime | None,
) -> datetime | None:
    """When a marketing message may go under a cap of one per `period` across flows: None for now, else the instant
    its turn comes. A journey's own steps keep the cadence its flow gives them (`last_journey` is the journey, flow
    and key, that sent the last one). `rival_due_at`: when a higher-priority marketing step of the same customer
    falls due within the period (it takes the slot; this one waits for the next)."""
    if last_sent_at is not None and last_journey != journey and now < last_sent_at + period:
        return last_sent_at + period
    if rival_due_at is not None and rival_due_at < now + period:
        return max(rival_due_at, now) + period
    return None
