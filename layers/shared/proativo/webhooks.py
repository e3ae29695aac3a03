"""Receiving a platform webhook: verify, parse, and hand canonical events to the events queue. Nothing else runs
in the request path, so platforms get their answer well inside their time limits."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from proativo.errors import NotFound, PayloadTooLarge
from proativo.events import content_id, dump_event
from proativo.platforms import PLATFORMS
from proativo.stores import STORE_ID_PATTERN

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_STORE_ID = re.compile(STORE_ID_PATTERN)


@dataclass(frozen=True)
class Delivery:
    """A verified webhook: its idempotency key and the canonical events it carries (JSON)."""

    key: str
    events: tuple[str, ...]
    event_types: tuple[str, ...]


def receive(
    platform_name: str,
    store_id: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    secret_of: Callable[[str, str], str],
    max_body_bytes: int,
    tolerance_seconds: int,
) -> Delivery | None:
    """Verify and parse one webhook. None means a topic we do not handle (answer 200, do not make them retry)."""
    platform = PLATFORMS.get(platform_name)
    if platform is None:
        raise NotFound(f"unknown platform '{platform_name}'; known: {', '.join(sorted(PLATFORMS))}")
    if not _STORE_ID.match(store_id):
        raise NotFound(f"unknown store '{store_id}'")
    if len(body) > max_body_bytes:
        raise PayloadTooLarge(f"body of {len(body)} bytes exceeds {max_body_bytes}")
    lowered = {k.lower(): v for k, v in headers.items()}
    platform.verify(lowered, body, secret_of(store_id, platform_name), now, tolerance_seconds)
    events = platform.parse(lowered, body, store_id)
    if events is None:
        return None
    delivery = platform.delivery_id(lowered, body) or content_id(body.decode("utf-8", "replace"))
    return Delivery(
        key=f"{store_id}:{platform_name}:{delivery}",
        events=tuple(dump_event(e) for e in events),
        event_types=tuple(e.type for e in events),
    )


def enqueue(sqs: "SQSClient", queue_url: str, events: tuple[str, ...], store_id: str) -> int:
    """Send canonical events to the events queue (batches of 10); raises unless every one was accepted."""
    for start in range(0, len(events), 10):
        chunk = events[start : start + 10]
        answer = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {
                    "Id": str(n),
                    "MessageBody": body,
                    "MessageAttributes": {"store_id": {"DataType": "String", "StringValue": store_id}},
                }
                for n, body in enumerate(chunk)
            ],
        )
        if answer.get("Failed"):
            raise RuntimeError(f"events queue refused {len(answer['Failed'])} of {len(chunk)} messages")
    return len(events)
