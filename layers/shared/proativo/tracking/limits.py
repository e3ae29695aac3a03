"""How hard we may press a carrier: at most `concurrency` requests in flight and `per_second` started per second,
in all. A plugin declares its carrier's limits for the whole deployment; the tracker runs as at most `workers`
Lambda instances at once (its queue trigger's maximum concurrency, `TrackerConcurrency`), and each presses a carrier
with its share only (`shared_by`), shared by every batch that worker runs at once."""

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

    def shared_by(self, workers: int) -> "Limits":
        """One worker's share when `workers` run at once: the rate split evenly, the requests in flight too (at
        least one each: a carrier that allows fewer in flight than there are workers sees at most one per worker)."""
        if workers <= 1:
            return self
        return Limits(concurrency=max(1, self.concurrency // workers), per_second=self.per_second / workers)


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
