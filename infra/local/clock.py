"""A virtual clock: frozen (tests, the demo) or following the wall clock from an offset (`make serve`)."""

import threading
import time
from datetime import UTC, datetime, timedelta


class VirtualClock:
    """Time as the local stack's functions see it; only moves when told to (or with the wall, if following)."""

    def __init__(self, start: datetime | None = None, follow_wall: bool = False) -> None:
        self._lock = threading.Lock()
        self._at = (start or datetime.now(UTC)).astimezone(UTC)
        self._follow = follow_wall
        self._wall_base = time.monotonic()

    def now(self) -> datetime:
        """The current virtual instant (UTC)."""
        with self._lock:
            if self._follow:
                return self._at + timedelta(seconds=time.monotonic() - self._wall_base)
            return self._at

    def set(self, at: datetime) -> None:
        """Jump to `at` (never backwards)."""
        with self._lock:
            current = self._at + timedelta(seconds=time.monotonic() - self._wall_base) if self._follow else self._at
            self._at = max(current, at.astimezone(UTC))
            self._wall_base = time.monotonic()
