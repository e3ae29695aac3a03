"""How hard we may press a carrier: at most `concurrency` requests in flight and `per_second` started per second,
shared by every batch one worker runs at once. (Several workers multiply it: the tracker's reserved concurrency
bounds the whole.)"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiolimiter import AsyncLimiter


@dataclass(frozen=True)
class Limits:
    """A carrier's limits for one worker."""

    concurrency: int
    per_second: float


@dataclass
class Throttle:
    """Limits applied (one per carrier and event loop: asyncio primitives belong to the loop that uses them)."""

    limits: Limits
    _in_flight: asyncio.Semaphore = field(init=False)
    _rate: AsyncLimiter = field(init=False)

    def __post_init__(self) -> None:
        self._in_flight = asyncio.Semaphore(self.limits.concurrency)
        self._rate = AsyncLimiter(self.limits.per_second, 1.0)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a request slot within both limits."""
        async with self._in_flight:
            await self._rate.acquire()
            yield
