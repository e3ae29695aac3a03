"""The words every tracking module speaks, and nothing else: what a carrier adapter and a claims channel are, what a
carrier plugin declares, which parcel a queue message names. A leaf: it imports no other tracking module but the
status model and the limits, so the registry, the tracker, the claims and each carrier can all import it."""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict

from proativo.tracking.limits import Limits
from proativo.tracking.status import TrackingResult

if TYPE_CHECKING:
    import httpx


class Carrier(Protocol):
    """A carrier adapter: asks about up to `batch_size` codes per request, within its `limits` (shared by every store's
    adapter of the same carrier `name` in a worker); codes it has nothing on may be absent from the answer."""

    name: str
    batch_size: int
    limits: Limits

    async def fetch(self, http: "httpx.AsyncClient", codes: list[str], now: datetime) -> dict[str, TrackingResult]: ...


class ClaimChannel(Protocol):
    """Opens and follows claims with one carrier."""

    async def open(self, http: "httpx.AsyncClient", claim: dict[str, Any], now: datetime) -> dict[str, Any]: ...

    async def answer(
        self, http: "httpx.AsyncClient", claim: dict[str, Any], now: datetime
    ) -> dict[str, Any] | None: ...


def any_code(code: str) -> bool:
    """A carrier that publishes no code format takes any code."""
    return bool(code.strip())


class PushFormat(Protocol):
    """A carrier's (or an aggregator's) own signed webhook: verified with the store's secret for it, read as tracking
    results (one per tracking code it speaks of)."""

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> None: ...

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str | None: ...

    def results(self, body: bytes) -> list[TrackingResult]: ...


class Registrar(Protocol):
    """An aggregator that follows parcels of any carrier once they are registered with it, and pushes their scans;
    registrations go out within its `limits`."""

    name: str
    limits: Limits

    async def register(self, http: "httpx.AsyncClient", parcel: dict[str, Any], now: datetime) -> None: ...


@dataclass(frozen=True)
class CarrierPlugin:
    """Everything Proativo knows of one carrier, declared beside its adapter and registered in one line
    (`proativo.tracking.carriers`).

    `aliases` are the words that mean this carrier in a platform's carrier name ("Correios - SEDEX"), matched
    anywhere in it; `prefixes` only at its start ("PAC"). `detect` recognises the carrier's own code format (a
    shipment that names no carrier we know is matched by its code); `code_format` says it in words. `valid_code`
    rejects a mistyped code before the carrier is asked about it. `credentials` is the model of a store's contract
    (stored in SSM, `proativo stores set-carrier-credentials`); `build` makes a polling adapter from it; `push` reads
    the carrier's own signed webhooks; `register` (an aggregator) makes the store's registrar, with which parcels of
    any carrier are followed. `claims_channel` names the channel that files claims with it (`claims.yaml` says which
    carriers use it) and `claims` makes that channel from the store's adapter. `min_check_interval` is how often the
    carrier may usefully be asked about a parcel (its answers are cached that long); `covers` lists the other carriers
    whose parcels it follows (a label platform), for a store without those carriers' own contracts; `events` names
    the data file of its status table."""

    name: str
    title: str = ""
    aliases: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    detect: Callable[[str], bool] | None = None
    code_format: str = ""
    valid_code: Callable[[str], bool] = any_code
    credentials: type[BaseModel] | None = None
    credentials_example: str = ""
    build: Callable[[Any], Carrier] | None = None
    limits: Limits | None = None
    min_check_interval: timedelta | None = None
    covers: tuple[str, ...] = ()
    push: PushFormat | None = None
    register: Callable[[Any], Registrar] | None = None
    events: str = ""
    claims_channel: str | None = None
    claims: Callable[[Any], ClaimChannel | None] | None = None

    @property
    def can(self) -> tuple[str, ...]:
        """What Proativo can do with this carrier: poll, push, register (follow any carrier), claims."""
        found = [w for w, has in (("poll", self.build), ("push", self.push), ("register", self.register)) if has]
        found += ["follow " + ", ".join(self.covers)] if self.covers else []
        return (*found, *(("claims",) if self.claims else ()))


def parcel_sk(carrier: str, tracking_code: str) -> str:
    """Sort key of a parcel inside the customer's partition."""
    return f"PARCEL#{carrier}#{tracking_code}"


class ParcelRef(BaseModel):
    """The tracking queue's message: which parcel to check."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    store_id: str
    customer_id: str
    order_id: str
    carrier: str
    tracking_code: str


class ParcelBatch(BaseModel):
    """The tracking queue's message: parcels of one store and carrier to check together (a lone ParcelRef, the
    earlier shape, reads as a batch of one)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    parcels: tuple[ParcelRef, ...]

    @classmethod
    def from_message(cls, body: str) -> "ParcelBatch":
        """Parse a tracking queue message."""
        data = json.loads(body)
        return cls.model_validate(data if isinstance(data, dict) and "parcels" in data else {"parcels": [data]})


class ParcelNotYetKnown(RuntimeError):
    """A carrier pushed scans for a code no shipment has named yet (the shipment event may still be on its way):
    the queue retries, and after its retries the message waits in the DLQ."""


class ClaimsDue(BaseModel):
    """The tracking queue's message: a store's claims with something to do now (file, follow up, warn)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    store_id: str
    keys: tuple[str, ...]
