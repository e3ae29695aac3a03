"""Business days in the parcel's country: weekends and national holidays do not count towards "stalled"
(carriers do not move parcels on them). Holidays come from the `holidays` package, so any country works."""

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo


@cache
def _holidays(country: str, year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays(country, years=year))


def is_business_day(day: date, country: str) -> bool:
    """A weekday that is not a national holiday."""
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def add_business_days(start: datetime, days: int, country: str, timezone: str) -> datetime:
    """The instant `days` business days after `start`, counted in the country's local calendar (same local time)."""
    local = start.astimezone(ZoneInfo(timezone))
    day, left = local.date(), days
    while left > 0:
        day += timedelta(days=1)
        if is_business_day(day, country):
            left -= 1
    return datetime.combine(day, local.timetz())
