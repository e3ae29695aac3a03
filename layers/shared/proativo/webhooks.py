"""Receiving a platform webhook: verify, parse, and hand canonical events to the events queue. Nothing else runs
in the request path, so platforms get their answer well inside their time limits."""

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


@dataclass(frozen=True)
class Ignored:
    """A webhook acknowledged with 200 and nothing stored: why."""

    reason: str


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
    if not _STORE_ID.match(store_id):
        raise NotFound(f"unknown store '{store_id}'")
    if len(body) > max_body_bytes:
        raise PayloadTooLarge(f"body of {len(body)} bytes exceeds {max_body_bytes}")
    lowered = {k.lower(): v for k, v in headers.items()}
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
