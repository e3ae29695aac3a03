"""Receiving a platform webhook: verify, parse, and hand canonical events to the events queue. Nothing else runs
in the request path, so platforms get their answer well inside their time limits."""

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import ValidationError

from proativo.edge.refusals import json_answer
from proativo.errors import InvalidPayload, NotFound, PayloadTooLarge
from proativo.events import Event, ResourceChanged, dump_event, taken_by_receipt
from proativo.ids import STORE_ID as _STORE_ID
from proativo.intake import deliveries
from proativo.platforms.base import Platform, invalid_from
from proativo.platforms.generic import GenericPlatform
from proativo.platforms.registry import PLATFORMS
from proativo.tracking.carriers import PLUGINS
from proativo.tracking.push import CarrierPush, parse_push

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Powertools' module-level instances share the function's configuration and metric set.
logger, metrics = Logger(child=True), Metrics()
# One delivery is one item of the deliveries table (400 KB at most) and its events are queue messages: bounded.
MAX_EVENTS = 100
MAX_EVENTS_BYTES = 300 * 1024
# What a platform adapter may raise reading a payload of an unexpected shape that its typed readers did not name.
_SHAPE_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError, ArithmeticError, RecursionError)


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


def _parsed(
    platform: Platform, headers: Mapping[str, str], body: bytes, store_id: str, now: datetime
) -> Sequence[Event | ResourceChanged] | None:
    """The platform's reading of a signed body. The adapters name the field of every shape they expect; a shape
    none of them foresaw is still the sender's mistake, answered 400 (never a 500 the platform would retry for
    days), and logged with the error's type so that the adapter learns to name it."""
    try:
        return platform.parse(headers, body, store_id, now)
    except ValidationError as exc:  # a notification built straight from the body
        raise invalid_from(exc) from None
    except _SHAPE_ERRORS as exc:
        logger.warning("payload of an unexpected shape", extra={"platform": platform.name, "error": type(exc).__name__})
        raise InvalidPayload(f"unreadable payload ({type(exc).__name__})", field="body") from None


def _delivery_id(platform: Platform, headers: Mapping[str, str], body: bytes) -> str:
    """The platform's delivery id, checked (see `checked_delivery`)."""
    return checked_delivery(platform.delivery_id(headers, body))


def checked_delivery(delivery: str) -> str:
    """A delivery id we can key on: printable, at most 200 characters (it becomes part of a DynamoDB key)."""
    if len(delivery) > 200 or not delivery.isprintable():
        raise InvalidPayload("delivery id must be printable and at most 200 characters", field="delivery id")
    return delivery


def _bounded(events: Sequence[Event | ResourceChanged], now: datetime) -> tuple[str, ...]:
    """The events as queue messages, each dated no later than its receipt (see `taken_by_receipt`), the whole within
    what one delivery holds."""
    if len(events) > MAX_EVENTS:
        raise PayloadTooLarge(f"{len(events)} events in one delivery; at most {MAX_EVENTS}")
    dumped = tuple(dump_event(e) for e in taken_by_receipt(events, now))
    if sum(len(d) for d in dumped) > MAX_EVENTS_BYTES:
        raise PayloadTooLarge(f"the events of one delivery exceed {MAX_EVENTS_BYTES} bytes")
    return dumped


_CARRIER = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


def carrier_secret_name(carrier: str) -> str:
    """The name a carrier's push secret is kept under, beside the platforms' (`webhook-secrets/carrier-<name>`)."""
    return f"carrier-{carrier}"


@dataclass(frozen=True)
class Webhooks:
    """The webhook routes: receive, then record the delivery (one conditional write: a repeat answers 200
    duplicate and changes nothing; the table's stream queues the rest). Answers fast."""

    dynamodb: "DynamoDBClient"
    deliveries_table_name: str
    # A store's secret for a platform (or a carrier's push): SSM, cached, under that store only.
    secret_of: Callable[[str, str], str]
    max_body_bytes: int
    tolerance_seconds: int

    def receive(
        self,
        platform_name: str,
        store_id: str,
        headers: Mapping[str, str],
        body: bytes,
        now: datetime,
    ) -> Delivery | Ignored:
        """Verify and parse one webhook. `Ignored` means nothing to do: a topic we do not handle, a payload with nothing
        actionable, or a platform's unsigned handshake (answer 200 so the platform neither retries nor disables us)."""
        platform = PLATFORMS.get(platform_name)
        if platform is None:
            raise NotFound(f"unknown platform '{platform_name}'; known: {', '.join(sorted(PLATFORMS))}")
        lowered = _admitted(store_id, headers, body, self.max_body_bytes)
        if platform.is_handshake(lowered, body):
            return Ignored("handshake acknowledged")
        platform.verify(lowered, body, self.secret_of(store_id, platform_name), now, self.tolerance_seconds)
        events = _parsed(platform, lowered, body, store_id, now)
        if events is None:
            return Ignored("topic not handled")
        if not events:
            return Ignored("nothing actionable (no customer contact or a completed checkout)")
        delivery = _delivery_id(platform, lowered, body)
        return Delivery(
            key=f"{store_id}:{platform_name}:{delivery}" if delivery else None,
            events=_bounded(events, now),
            event_types=tuple(e.type for e in events),
        )

    def receive_carrier_push(
        self,
        carrier: str,
        store_id: str,
        headers: Mapping[str, str],
        body: bytes,
        now: datetime,
    ) -> Delivery | Ignored:
        """Verify and parse a carrier's push of scans: in its own format when its plugin reads one (AfterShip), else
        signed like the generic platform in ours. One message per tracking code for the tracking queue, keyed by the
        push's delivery id so a repeat changes nothing."""
        if not _CARRIER.match(carrier):
            raise NotFound(f"unknown carrier '{carrier}'")
        lowered = _admitted(store_id, headers, body, self.max_body_bytes)
        own = PLUGINS.get(carrier)
        if own is not None and own.push is not None:
            own.push.verify(lowered, body, self.secret_of(store_id, carrier_secret_name(carrier)))
            results = [r for r in own.push.results(body) if r.scans]
            if not results:
                return Ignored("no scans in this update")
            delivery = checked_delivery(own.push.delivery_id(lowered, body) or hashlib.sha256(body).hexdigest())
            messages = tuple(
                json.dumps(
                    {
                        "store_id": store_id,
                        "carrier": carrier,
                        "push": CarrierPush.of(r, delivery).model_dump(mode="json"),
                    }
                )
                for r in results
            )
            key = f"{store_id}:carrier-{carrier}:{delivery}"
            return Delivery(key=key, events=messages, event_types=("CarrierPush",) * len(messages), queue="tracking")
        GenericPlatform().verify(
            lowered, body, self.secret_of(store_id, carrier_secret_name(carrier)), now, self.tolerance_seconds
        )
        push = parse_push(body)
        message = json.dumps({"store_id": store_id, "carrier": carrier, "push": push.model_dump(mode="json")})
        delivery = checked_delivery(lowered.get("x-proativo-delivery") or push.id)
        key = f"{store_id}:carrier-{carrier}:{delivery}"
        return Delivery(key=key, events=(message,), event_types=("CarrierPush",), queue="tracking")

    def platform(
        self, platform: str, store_id: str, request: APIGatewayProxyEventV2, now: datetime
    ) -> Response[dict[str, Any]]:
        """`POST /webhooks/{platform}/{store_id}`."""
        delivery = self.receive(platform, store_id, request.headers, _body(request), now)
        if isinstance(delivery, Ignored):
            metrics.add_metric(name="WebhookIgnored", unit=MetricUnit.Count, value=1)
            return json_answer(200, {"status": "ignored", "reason": delivery.reason})
        return self._record(delivery, store_id, request, now, "EventsReceived", f"{store_id}:{platform}")

    def carrier(
        self, carrier: str, store_id: str, request: APIGatewayProxyEventV2, now: datetime
    ) -> Response[dict[str, Any]]:
        """`POST /webhooks/carrier/{carrier}/{store_id}`."""
        delivery = self.receive_carrier_push(carrier, store_id, request.headers, _body(request), now)
        if isinstance(delivery, Ignored):
            return json_answer(200, {"status": "ignored", "reason": delivery.reason})
        return self._record(delivery, store_id, request, now, "CarrierPushes", f"{store_id}:carrier-{carrier}")

    def _record(
        self,
        delivery: Delivery,
        store_id: str,
        request: APIGatewayProxyEventV2,
        now: datetime,
        metric: str,
        fallback_key: str,
    ) -> Response[dict[str, Any]]:
        # A platform without delivery ids: every request is its own delivery (the events function still drops
        # events it has applied, by event id).
        key = delivery.key or f"{fallback_key}:request:{request.request_context.request_id}"
        table = self.deliveries_table_name
        if not deliveries.record(self.dynamodb, table, key, store_id, delivery.events, now, delivery.queue):
            metrics.add_metric(name="WebhookDuplicate", unit=MetricUnit.Count, value=1)
            return json_answer(200, {"status": "duplicate", "events": 0})
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=len(delivery.events))
        # The API access log already has every request, and the metric the count: the event types are for debugging.
        logger.debug("webhook accepted", extra={"event_types": delivery.event_types})
        return json_answer(202, {"status": "accepted", "events": len(delivery.events)})


def _body(request: APIGatewayProxyEventV2) -> bytes:
    """The raw body, exactly as signed."""
    return base64.b64decode(request.body or "") if request.is_base64_encoded else (request.body or "").encode()
