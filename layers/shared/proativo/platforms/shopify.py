"""Shopify: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body with the app's secret; the topic is
in `X-Shopify-Topic`, the delivery id in `X-Shopify-Webhook-Id` (stable across Shopify's retries).

Checkouts (`checkouts/create|update`) become abandoned-cart candidates; every order topic sends the whole order,
from which we read each fact (placed, pending PIX/boleto, paid, shipped per tracking code, delivered, cancelled,
refused) with a stable id; customers topics carry marketing consent.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from proativo.errors import InvalidPayload
from proativo.events import Event, ResourceChanged
from proativo.platforms.base import BodySignedPlatform
from proativo.platforms.snapshots import (
    DEFAULT_EXPIRY,
    Facts,
    customer_id,
    full_name,
    header,
    instant,
    json_object,
    money,
    obj,
    objects,
    payment_method,
    strings,
)
from proativo.tracking.carriers import carrier_id

ORDER_TOPICS = {
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "orders/fulfilled",
    "orders/partially_fulfilled",
}
CHECKOUT_TOPICS = {"checkouts/create", "checkouts/update"}
CUSTOMER_TOPICS = {"customers/create", "customers/update"}
# Shopify's cancel reasons that mean the payment was refused.
REFUSALS = {"declined": "issuer_declined", "fraud": "fraud"}


def _consent(value: Any) -> bool | None:
    state = (value or {}).get("state") if isinstance(value, dict) else None
    return {"subscribed": True, "unsubscribed": False, "redacted": False}.get(str(state)) if state else None


def _customer(payload: dict[str, Any]) -> dict[str, Any] | None:
    raw = obj(payload.get("customer"))
    email = payload.get("email") or raw.get("email") or payload.get("contact_email")
    phone = payload.get("phone") or raw.get("phone") or obj(payload.get("billing_address")).get("phone")
    key = customer_id(email, phone, raw.get("id"))
    if key is None:
        return None
    name = full_name(raw.get("first_name"), raw.get("last_name"))
    email_consent = _consent(raw.get("email_marketing_consent"))
    if email_consent is None and "buyer_accepts_marketing" in payload:
        email_consent = bool(payload["buyer_accepts_marketing"])
    customer: dict[str, Any] = {
        "id": key,
        "email": email,
        "phone": phone,
        "name": name,
        "locale": payload.get("customer_locale") or raw.get("locale"),
        "accepts_marketing": email_consent,
        "accepts_sms": _consent(raw.get("sms_marketing_consent")),
    }
    return {k: v for k, v in customer.items() if v is not None}


def _items(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "sku": line.get("sku") or None,
            "name": line.get("title") or line.get("name") or "item",
            "quantity": line.get("quantity") or 1,
            "unit_price": money(line.get("price", "0"), "line_items.price"),
        }
        for line in objects(payload.get("line_items"), "line_items")
    ]


def _checkout(payload: dict[str, Any], store_id: str) -> list[Event]:
    if payload.get("completed_at"):
        return []  # the order topics tell the rest
    customer = _customer(payload)
    if customer is None:
        return []  # nobody to remind yet
    token = str(payload.get("token") or payload.get("cart_token") or "")
    if not token:
        raise InvalidPayload("field required", field="token")
    at = instant(payload.get("updated_at") or payload.get("created_at"), "updated_at")
    facts = Facts("shopify", store_id, customer)
    facts.add(
        "CheckoutStarted",
        f"checkout:{token}:{at.isoformat()}",
        at,
        cart_id=token,
        currency=payload.get("presentment_currency") or payload.get("currency") or "BRL",
        total=money(payload.get("total_price", "0"), "total_price"),
        items=_items(payload),
        recovery_url=payload.get("abandoned_checkout_url"),
    )
    return facts.events


def _order(payload: dict[str, Any], store_id: str) -> list[Event]:
    customer = _customer(payload)
    if customer is None:
        return []
    if "id" not in payload:
        raise InvalidPayload("field required", field="id")
    order_id = str(payload.get("order_number") or payload["id"])
    created = instant(payload.get("created_at"), "created_at")
    total = money(payload.get("total_price", "0"), "total_price")
    facts = Facts("shopify", store_id, customer)
    facts.add(
        "OrderPlaced",
        f"order:{payload['id']}:placed",
        created,
        order_id=order_id,
        cart_id=payload.get("checkout_token") or payload.get("cart_token"),
        currency=payload.get("presentment_currency") or payload.get("currency") or "BRL",
        total=total,
        items=_items(payload),
    )
    status = payload.get("financial_status")
    method = payment_method(list(payload.get("payment_gateway_names") or []))
    if status == "pending" and method:
        facts.add(
            "PaymentPending",
            f"order:{payload['id']}:pending",
            created,
            order_id=order_id,
            method=method,
            expires_at=created + DEFAULT_EXPIRY[method],
        )
    if status in ("paid", "partially_refunded", "refunded", "partially_paid"):
        paid_at = instant(payload.get("processed_at") or payload.get("updated_at"), "processed_at")
        facts.add("OrderPaid", f"order:{payload['id']}:paid", max(paid_at, created), order_id=order_id, total=total)
    for fulfillment in objects(payload.get("fulfillments"), "fulfillments"):
        if fulfillment.get("status") not in (None, "success"):
            continue
        codes = strings(fulfillment.get("tracking_numbers") or fulfillment.get("tracking_number"))
        urls = strings(fulfillment.get("tracking_urls") or fulfillment.get("tracking_url"))
        shipped_at = instant(fulfillment.get("created_at") or payload.get("updated_at"), "fulfillments.created_at")
        for n, code in enumerate(c for c in codes if c):
            facts.add(
                "OrderShipped",
                f"order:{payload['id']}:shipped:{fulfillment.get('id')}:{code}",
                shipped_at,
                order_id=order_id,
                carrier=carrier_id(fulfillment.get("tracking_company")),
                tracking_code=str(code),
                tracking_url=urls[n] if n < len(urls) else None,
            )
        if fulfillment.get("shipment_status") == "delivered":
            facts.add(
                "OrderDelivered",
                f"order:{payload['id']}:delivered:{fulfillment.get('id')}",
                instant(fulfillment.get("updated_at") or payload.get("updated_at"), "fulfillments.updated_at"),
                order_id=order_id,
            )
    if payload.get("cancelled_at"):
        cancelled = instant(payload["cancelled_at"], "cancelled_at")
        refusal = REFUSALS.get(str(payload.get("cancel_reason")))
        if refusal:
            facts.add("PaymentFailed", f"order:{payload['id']}:refused", cancelled, order_id=order_id, reason=refusal)
        facts.add("OrderCanceled", f"order:{payload['id']}:canceled", cancelled, order_id=order_id)
    return facts.events


def _customer_topic(payload: dict[str, Any], store_id: str) -> list[Event]:
    customer = _customer(payload if "customer" in payload else {"customer": payload, **payload})
    if customer is None:
        return []
    facts = Facts("shopify", store_id, customer)
    for channel, key in (("email", "email_marketing_consent"), ("sms", "sms_marketing_consent")):
        consent = payload.get(key)
        granted = _consent(consent)
        if granted is None or not isinstance(consent, dict):
            continue
        when = consent.get("consent_updated_at") or payload.get("updated_at")
        at = instant(when, f"{key}.consent_updated_at")
        facts.add(
            "ConsentChanged",
            f"customer:{payload.get('id')}:{channel}:{at.isoformat()}",
            at,
            channel=channel,
            purpose="marketing",
            granted=granted,
        )
    return facts.events


class ShopifyPlatform(BodySignedPlatform):
    """Shopify's webhooks (REST payloads, any API version since 2023-01)."""

    name = "shopify"
    signature_header = "X-Shopify-Hmac-Sha256"
    delivery_header = "X-Shopify-Webhook-Id"

    def parse(
        self, headers: Mapping[str, str], body: bytes, store_id: str, now: datetime
    ) -> Sequence[Event | ResourceChanged] | None:
        """Canonical events for the topic in `X-Shopify-Topic`; None for topics we do not handle."""
        topic = header(headers, "x-shopify-topic")
        if not topic:
            raise InvalidPayload("missing X-Shopify-Topic", field="X-Shopify-Topic")
        if topic not in ORDER_TOPICS | CHECKOUT_TOPICS | CUSTOMER_TOPICS:
            return None
        payload = json_object(body)
        if topic in CHECKOUT_TOPICS:
            return _checkout(payload, store_id)
        if topic in CUSTOMER_TOPICS:
            return _customer_topic(payload, store_id)
        return _order(payload, store_id)
