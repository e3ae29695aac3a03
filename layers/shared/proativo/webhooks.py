"""Receiving a platform webhook: verify, parse, and hand canonical events to the events queue. Nothing else runs
in the request path, so platforms get their answer well inside their time limits."""

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from proativo.errors import NotFound, PayloadTooLarge
from proativo.events import dump_event
from proativo.platforms import PLATFORMS
from proativo.stores import STORE_ID_PATTERN

_STORE_ID = re.compile(STORE_ID_PATTERN)


@dataclass(frozen=True)
class Delivery:
    """A verified webhook: its idempotency key (None: the platform gives deliveries no identity, every one counts)
    and the canonical events it carries (JSON)."""

    key: str | None
    events: tuple[str, ...]
    event_types: tuple[str, ...]
    queue: str = "events"  # where the relay sends them: "events", or "tracking" for a carrier's pushed scans


@dataclass(frozen=True)
class Ignored:
    """A webhook acknowledged with 200 and nothing stored: why."""

    reason: str


def _admitted(store_id: str, headers: Mapping[str, str], body: bytes, max_body_bytes: int) -> dict[str, str]:
    """The checks every webhook passes before its signature: a well-formed store id, a body within the limit. The
    headers, lower-cased."""
    if not _STORE_ID.match(store_id):
        raise NotFound(f"unknown store '{store_id}'")
    if len(body) > max_body_bytes:
        raise PayloadTooLarge(f"body of {len(body)} bytes exceeds {max_body_bytes}")
    return {k.lower(): v for k, v in headers.items()}


def receive(
    platform_name: str,
    store_id: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    secret_of: Callable[[str, str], str],
    max_body_bytes: int,
    tolerance_seconds: int,
) -> Delivery | Ignored:
    """Verify and parse one webhook. `Ignored` means nothing to do: a topic we do not handle, a payload with nothing
    actionable, or a platform's unsigned handshake (answer 200 so the platform neither retries nor disables us)."""
    platform = PLATFORMS.get(platform_name)
    if platform is None:
        raise NotFound(f"unknown platform '{platform_name}'; known: {', '.join(sorted(PLATFORMS))}")
    lowered = _admitted(store_id, headers, body, max_body_bytes)
    if platform.is_handshake(lowered, body):
        return Ignored("handshake acknowledged")
    platform.verify(lowered, body, secret_of(store_id, platform_name), now, tolerance_seconds)
    events = platform.parse(lowered, body, store_id, now)
    if events is None:
        return Ignored("topic not handled")
    if not events:
        return Ignored("nothing actionable (no customer contact or a completed checkout)")
    delivery = platform.delivery_id(lowered, body)
    return Delivery(
        key=f"{store_id}:{platform_name}:{delivery}" if delivery else None,
        events=tuple(dump_event(e) for e in events),
        event_types=tuple(e.type for e in events),
    )


_CARRIER = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


def carrier_secret_name(carrier: str) -> str:
    """The name a carrier's push secret is kept under, beside the platforms' (`webhook-secrets/carrier-<name>`)."""
    return f"carrier-{carrier}"


def receive_carrier_push(
    carrier: str,
    store_id: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    secret_of: Callable[[str, str], str],
    max_body_bytes: int,
    tolerance_seconds: int,
) -> Delivery:
    """Verify and parse a carrier's push of scans (signed like the generic platform): one message for the tracking
    queue, keyed by the push's delivery id so a repeat changes nothing."""
    from proativo.platforms.generic import GenericPlatform
    from proativo.tracking.push import parse_push

    if not _CARRIER.match(carrier):
        raise NotFound(f"unknown carrier '{carrier}'")
    lowered = _admitted(store_id, headers, body, max_body_bytes)
    GenericPlatform().verify(lowered, body, secret_of(store_id, carrier_secret_name(carrier)), now, tolerance_seconds)
    push = parse_push(body)
    message = json.dumps({"store_id": store_id, "carrier": carrier, "push": push.model_dump(mode="json")})
    delivery = lowered.get("x-proativo-delivery") or push.id
    key = f"{store_id}:carrier-{carrier}:{delivery}"
    return Delivery(key=key, events=(message,), event_types=("CarrierPush",), queue="tracking")
