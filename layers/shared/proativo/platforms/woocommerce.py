"""WooCommerce: `X-WC-Webhook-Signature` is the base64 HMAC-SHA256 of the raw body with the webhook's secret; the
topic is in `X-WC-Webhook-Topic` (`order.created`, `order.updated`), the delivery in `X-WC-Webhook-Delivery-ID`.

Order webhooks send the whole order; its status and dates tell each fact. Tracking codes come from the two
plugins Brazilian stores use: "Shipment Tracking" (`_wc_shipment_tracking_items`) and "Claudio Sanches -
Correios" (`_correios_tracking_code`). When a webhook is created WooCommerce sends an unsigned ping
(`webhook_id=N`, form-encoded) and disables webhooks whose ping fails: we acknowledge it and store nothing.
"""

import re
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
)
from proativo.tracking.carriers import carrier_id

ORDER_TOPICS = {"order.created", "order.updated"}
PING = re.compile(rb"^webhook_id=\d+$")
PAID = {"processing", "completed"}
AWAITING = {"pending", "on-hold"}


def is_ping(headers: Mapping[str, str], body: bytes) -> bool:
    """WooCommerce's unsigned creation ping."""
    return not header(headers, "x-wc-webhook-signature") and bool(PING.match(body.strip()))


def _meta(order: dict[str, Any], key: str) -> Any:
    for entry in objects(order.get("meta_data"), "meta_data"):
        if entry.get("key") == key:
            return entry.get("value")
    return None


def _customer(order: dict[str, Any]) -> dict[str, Any] | None:
    billing = obj(order.get("billing"))
    email, phone = billing.get("email") or None, billing.get("phone") or None
    key = customer_id(email, phone, order.get("customer_id"), where="billing.")
    if key is None:
        return None
    name = full_name(billing.get("first_name"), billing.get("last_name"))
    # A Brazilian store's CPF/CNPJ (the "Brazilian Market on WooCommerce" plugin's billing fields, or its order
    # meta): kept only as a digest.
    tax_id = billing.get("cpf") or billing.get("cnpj") or _meta(order, "_billing_cpf") or _meta(order, "_billing_cnpj")
    customer = {"id": key, "email": email, "phone": phone, "name": name, "tax_id": tax_id or None}
    return {k: v for k, v in customer.items() if v is not None}


def _shipments(order: dict[str, Any]) -> list[tuple[str, str, str | None, str | None]]:
    """(carrier, code, url, shipped date) of every tracking code the order's meta carries."""
    found = []
    tracking = _meta(order, "_wc_shipment_tracking_items")
    for item in tracking if isinstance(tracking, list) else []:
        if isinstance(item, dict) and item.get("tracking_number"):
            provider = item.get("custom_tracking_provider") or item.get("tracking_provider")
            found.append(
                (
                    carrier_id(provider),
                    str(item["tracking_number"]),
                    item.get("custom_tracking_link") or None,
                    str(item["date_shipped"]) if item.get("date_shipped") else None,
                )
            )
    codes = _meta(order, "_correios_tracking_code")
    for code in str(codes or "").split(","):
        if code.strip() and all(code.strip() != f[1] for f in found):
            found.append(("correios", code.strip(), None, None))
    return found


def _order(order: dict[str, Any], store_id: str) -> list[Event]:
    customer = _customer(order)
    if customer is None:
        return []
    if "id" not in order:
        raise InvalidPayload("field required", field="id")
    key = order["id"]
    order_id = str(order.get("number") or key)
    created = instant(order.get("date_created_gmt"), "date_created_gmt", assume_utc=True)
    modified = instant(order.get("date_modified_gmt") or order.get("date_created_gmt"), "date_modified_gmt", True)
    total = money(order.get("total", "0"), "total")
    status = str(order.get("status", ""))
    facts = Facts("woocommerce", store_id, customer)
    facts.add(
        "OrderPlaced",
        f"order:{key}:placed",
        created,
        order_id=order_id,
        currency=order.get("currency") or "BRL",
        total=total,
        items=[
            {
                "sku": line.get("sku") or None,
                "name": line.get("name") or "item",
                "quantity": line.get("quantity") or 1,
                "unit_price": money(line.get("price", "0"), "line_items.price"),
            }
            for line in objects(order.get("line_items"), "line_items")
        ],
    )
    method = payment_method([str(order.get("payment_method", "")), str(order.get("payment_method_title", ""))])
    if status in AWAITING and method:
        facts.add(
            "PaymentPending",
            f"order:{key}:pending",
            created,
            order_id=order_id,
            method=method,
            expires_at=created + DEFAULT_EXPIRY[method],
        )
    if order.get("date_paid_gmt") or status in PAID:
        paid_at = instant(order.get("date_paid_gmt") or order.get("date_modified_gmt"), "date_paid_gmt", True)
        facts.add("OrderPaid", f"order:{key}:paid", paid_at, order_id=order_id, total=total)
    if status == "failed":
        facts.add(
            "PaymentFailed",
            f"order:{key}:failed",
            modified,
            order_id=order_id,
            reason="other",
            method=order.get("payment_method") or None,
        )
    for carrier, code, url, shipped in _shipments(order):
        at = instant(shipped, "meta_data.date_shipped", True) if shipped and not shipped.isdigit() else modified
        facts.add(
            "OrderShipped",
            f"order:{key}:shipped:{code}",
            at,
            order_id=order_id,
            carrier=carrier,
            tracking_code=code,
            tracking_url=url,
        )
    if status == "cancelled":
        facts.add("OrderCanceled", f"order:{key}:canceled", modified, order_id=order_id)
    return facts.events


class WooCommercePlatform(BodySignedPlatform):
    """WooCommerce's webhooks (REST API v3 payloads)."""

    name = "woocommerce"
    signature_header = "X-WC-Webhook-Signature"
    delivery_header = "X-WC-Webhook-Delivery-ID"

    def is_handshake(self, headers: Mapping[str, str], body: bytes) -> bool:
        """The creation ping."""
        return is_ping(headers, body)

    def parse(
        self, headers: Mapping[str, str], body: bytes, store_id: str, now: datetime
    ) -> Sequence[Event | ResourceChanged] | None:
        """Canonical events for `X-WC-Webhook-Topic`; None for topics we do not handle."""
        topic = header(headers, "x-wc-webhook-topic")
        if not topic:
            raise InvalidPayload("missing X-WC-Webhook-Topic", field="X-WC-Webhook-Topic")
        if topic not in ORDER_TOPICS:
            return None
        return _order(json_object(body), store_id)
