"""The generic JSON platform: any store can post our canonical format, signed like Stripe-style webhooks.

Headers: `X-Proativo-Timestamp` (Unix seconds), `X-Proativo-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw
body>" with the store's secret>`, optional `X-Proativo-Delivery` (else the body's `id`). The timestamp must be
within the tolerance window, so a captured request cannot be replayed later.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from proativo.errors import InvalidPayload, Unauthorized
from proativo.events import Event, ResourceChanged, event_from
from proativo.ids import customer_id_for_email
from proativo.platforms.base import hmac_sha256, invalid_from, same, signed_stamp
from proativo.platforms.snapshots import json_object

TOPICS = {
    "cart.updated": "CartUpdated",
    "checkout.started": "CheckoutStarted",
    "order.placed": "OrderPlaced",
    "order.paid": "OrderPaid",
    "order.canceled": "OrderCanceled",
    "order.shipped": "OrderShipped",
    "order.delivered": "OrderDelivered",
    "parcel.resolved": "ParcelResolved",
    "payment.failed": "PaymentFailed",
    "payment.pending": "PaymentPending",
    "consent.changed": "ConsentChanged",
}


def event_ref(value: Any) -> str:
    """The sender's id of an event: a non-empty printable string of at most 128 characters, or a whole number (as
    platforms number their records). Anything else (`""`, null, an object, a list, true) is refused."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**20:
        return str(value)
    if isinstance(value, str) and 0 < len(value) <= 128 and value.isprintable():
        return value
    raise InvalidPayload("must be a non-empty printable string (at most 128 characters) or a whole number", field="id")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Proativo-Signature` value for a body sent at `timestamp`."""
    return "v1=" + hmac_sha256(secret, f"{timestamp}.".encode() + body).hex()


class GenericPlatform:
    """Our own documented JSON format (see README: "Generic JSON platform")."""

    name = "generic"
    reader = None

    def is_handshake(self, headers: Mapping[str, str], body: bytes) -> bool:
        """This platform has none."""
        return False

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: datetime, tolerance: int) -> None:
        """Check the v1 signature over timestamp and body, and that the timestamp is recent."""
        seconds, given = signed_stamp(headers, now, tolerance)
        candidates = [part.strip() for part in given.split(",")[:8]]
        expected = sign(secret, seconds, body)
        if not any(same(candidate, expected) for candidate in candidates):
            raise Unauthorized("signature does not match")

    def sign_headers(self, secret: str, body: bytes, now: datetime) -> dict[str, str]:
        """The headers a sender of `body` at `now` must add (what our samples, tests and SDK users compute)."""
        stamp = int(now.timestamp())
        return {"x-proativo-timestamp": str(stamp), "x-proativo-signature": sign(secret, stamp, body)}

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        """`X-Proativo-Delivery`, else the event's own id."""
        given = headers.get("x-proativo-delivery")
        if given:
            return given
        return event_ref(json_object(body).get("id"))

    def parse(
        self, headers: Mapping[str, str], body: bytes, store_id: str, now: datetime
    ) -> Sequence[Event | ResourceChanged] | None:
        """One canonical event per delivery, from `topic`, `id`, `occurred_at`, `customer` and `data`."""
        data = json_object(body)
        topic = data.get("topic")
        if not isinstance(topic, str) or not topic:
            raise InvalidPayload("field required", field="topic")
        event_type = TOPICS.get(topic)
        if event_type is None:
            return None
        for name in ("id", "occurred_at", "customer", "data"):
            if name not in data:
                raise InvalidPayload("field required", field=name)
        customer = data["customer"]
        if not isinstance(customer, dict):
            raise InvalidPayload("must be an object", field="customer")
        if not customer.get("id"):
            if not customer.get("email"):
                raise InvalidPayload("a customer needs an id or an e-mail", field="customer.id")
            customer = {**customer, "id": customer_id_for_email(str(customer["email"]))}
        payload = data["data"]
        if not isinstance(payload, dict):
            raise InvalidPayload("must be an object", field="data")
        envelope = {
            "type": event_type,
            "event_id": f"generic:{event_ref(data['id'])}",
            "store_id": store_id,
            "source": self.name,
            "customer": customer,
            "occurred_at": data["occurred_at"],
        }
        try:
            event = event_from({**payload, **envelope})
        except ValidationError as exc:
            problem = invalid_from(exc)
            if problem.field and problem.field.split(".")[0] not in envelope:
                problem.field = f"data.{problem.field}"
            raise problem from None
        return [event]
