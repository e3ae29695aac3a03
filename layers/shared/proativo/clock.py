"""Where "now" comes from. Only the edges (handlers, CLIs) read it; domain code receives `now` as an argument.

The local stack swaps the source for a virtual clock so a store day replays in seconds.
"""

from collections.abc import Callable
from datetime import UTC, datetime

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


def parse_utc(value: str) -> datetime:
    """The instant a stored ISO-8601 string names."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
