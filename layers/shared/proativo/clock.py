"""Where "now" comes from. Only the edges (handlers, CLIs) read it; domain code receives `now` as an argument.

The local stack swaps the source for a virtual clock so a store day replays in seconds.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo

type Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, timezone-aware UTC."""
    return datetime.now(UTC)


_source: Clock = system_clock


def now() -> datetime:
    """The current instant from the configured source (UTC, aware)."""
    return _source()


def use(source: Clock) -> None:
    """Replace the clock source (the local stack and tests use a virtual one)."""
    global _source
    _source = source


def as_utc(value: datetime) -> str:
    """ISO-8601 in UTC with seconds, sortable as a string (how every instant is stored)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expires(start: datetime, kept: timedelta) -> int:
    """The epoch second `kept` after `start`: an item's `ttl` (DynamoDB removes it after), a link's expiry."""
    return int((start + kept).timestamp())


def parse_utc(value: str) -> datetime:
    """The instant a stored ISO-8601 string names."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def wall_clock(value: object, zone: tzinfo, formats: tuple[str, ...] = ()) -> datetime | None:
    """A carrier's date as it writes it — ISO-8601 with a space or a T, or one of `formats` — read in `zone` when it
    names no offset of its own (carriers write their local wall clock); None when empty or unreadable."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        for form in formats:
            try:
                parsed = datetime.strptime(text, form).replace(tzinfo=zone)
                break
            except ValueError:
                continue
        else:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
