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
