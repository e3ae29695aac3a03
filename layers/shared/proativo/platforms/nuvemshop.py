"""Nuvemshop (Tiendanube): the webhook only names what changed — `{"store_id", "event", "id"}` — signed with the
app's client secret as hex HMAC-SHA256 of the raw body in `x-linkedstore-hmac-sha256`. The order itself is read
back from the API (`GET /v1/{store_id}/orders/{id}`, `Authentication: bearer <token>`) by the events function,
never in the request path.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from proativo.errors import InvalidPayload
from proativo.events import Event, ResourceChanged
from proativo.platforms.base import BodySignedPlatform, Reader
from proativo.platforms.snapshots import (
    DEFAULT_EXPIRY,
    Facts,
    customer_id,
    get_json,
    instant,
    json_object,
    money,
    obj,
    objects,
    payment_method,
)
from proativo.tracking.carriers import carrier_id

if TYPE_CHECKING:
    import httpx  # the client is handed in: the webhook path never loads httpx

ORDER_EVENTS = {"order/created", "order/updated", "order/paid", "order/packed", "order/fulfilled", "order/cancelled"}
API_URL = "https://api.nuvemshop.com.br/v1"


class NuvemshopPlatform(BodySignedPlatform):
    """Nuvemshop's webhooks: notifications to read back."""

    name = "nuvemshop"
    signature_header = "x-linkedstore-hmac-sha256"
    delivery_header = ""
    hex_digest = True

    @property
    def reader(self) -> Reader:
        """Nuvemshop notifies: the order is read back with the store's access token."""
        return READER

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        """None: the same notification body stands for every change of an order, so each one is read back."""
        return ""

    def parse(
        self, headers: Mapping[str, str], body: bytes, store_id: str, now: datetime
    ) -> Sequence[Event | ResourceChanged] | None:
        """A `ResourceChanged` for order events; None for the others."""
        data = json_object(body)
        event = data.get("event")
        if not isinstance(event, str):
            raise InvalidPayload("field required", field="event")
        if event not in ORDER_EVENTS:
            return None
        for field in ("store_id", "id"):
            value = data.get(field)
            if isinstance(value, bool) or not re.fullmatch(r"[0-9]{1,20}", str(value), re.ASCII):
                raise InvalidPayload("must be a numeric id", field=field)
        return [
            ResourceChanged(
                # Every notification is read back anew: the id only has to be new each time.
                event_id=f"nuvemshop:{event}:{data['id']}:{now.isoformat()}",
                store_id=store_id,
                platform=self.name,
                resource="order",
                resource_id=str(data["id"]),
                topic=event,
                account=str(data["store_id"]),
                occurred_at=now,
            )
        ]


def fetch_order(
    client: "httpx.Client", credentials: dict[str, Any], account: str, order_id: str
) -> dict[str, Any] | None:
    """The order from Nuvemshop's API; None when it no longer exists. Raises on 429/5xx (the queue retries)."""
    base = str(credentials.get("api_url") or API_URL).rstrip("/")
    token = str(credentials["access_token"])
    return get_json(
        client,
        f"{base}/{account}/orders/{order_id}",
        {
            "Authentication": f"bearer {token}",
            "User-Agent": str(credentials.get("user_agent") or "Proativo (https://github.com/proativo)"),
        },
    )


def order_facts(order: dict[str, Any], store_id: str) -> list[Event]:
    """Every fact a Nuvemshop order shows, each with a stable id."""
    raw = obj(order.get("customer"))
    email = order.get("contact_email") or raw.get("email")
    phone = order.get("contact_phone") or raw.get("phone")
    key = customer_id(email, phone, raw.get("id"))
    if key is None:
        return []
    language = str(order.get("language") or "pt")
    customer = {
        "id": key,
        "email": email,
        "phone": phone,
        "name": order.get("contact_name") or raw.get("name"),
        "locale": {"pt": "pt-BR", "es": "es", "en": "en"}.get(language, language),
        "tax_id": raw.get("identification"),  # CPF/CNPJ (DNI, CUIT… in other countries): kept only as a digest
    }
    customer = {k: v for k, v in customer.items() if v}
    oid = order["id"]
    order_id = str(order.get("number") or oid)
    created = instant(order.get("created_at"), "created_at")
    total = money(order.get("total", "0"), "total")
    facts = Facts("nuvemshop", store_id, customer)
    facts.add(
        "OrderPlaced",
        f"order:{oid}:placed",
        created,
        order_id=order_id,
        cart_id=str(order["checkout_id"]) if order.get("checkout_id") else None,
        currency=order.get("currency") or "BRL",
        total=total,
        items=[
            {
                "sku": p.get("sku") or None,
                "name": p.get("name") or "item",
                "quantity": p.get("quantity") or 1,
                "unit_price": money(p.get("price", "0"), "products.price"),
            }
            for p in objects(order.get("products"), "products")
        ],
    )
    details = obj(order.get("payment_details"))
    method = payment_method([str(details.get("method", "")), str(order.get("gateway", ""))])
    status = order.get("payment_status")
    if status == "pending" and method:
        facts.add(
            "PaymentPending",
            f"order:{oid}:pending",
            created,
            order_id=order_id,
            method=method,
            expires_at=created + DEFAULT_EXPIRY[method],
        )
    if status == "paid" or order.get("paid_at"):
        facts.add(
            "OrderPaid",
            f"order:{oid}:paid",
            instant(order.get("paid_at") or order.get("updated_at"), "paid_at"),
            order_id=order_id,
            total=total,
        )
    code = order.get("shipping_tracking_number")
    if code:
        shipped_at = order.get("shipped_at") or order.get("updated_at")
        facts.add(
            "OrderShipped",
            f"order:{oid}:shipped:{code}",
            instant(shipped_at, "shipped_at"),
            order_id=order_id,
            carrier=carrier_id(order.get("shipping_option") or order.get("shipping")),
            tracking_code=str(code),
            tracking_url=order.get("shipping_tracking_url") or None,
        )
    if order.get("status") == "cancelled" or order.get("cancelled_at"):
        cancelled = instant(order.get("cancelled_at") or order.get("updated_at"), "cancelled_at")
        if order.get("cancel_reason") == "fraud":
            facts.add("PaymentFailed", f"order:{oid}:refused", cancelled, order_id=order_id, reason="fraud")
        facts.add("OrderCanceled", f"order:{oid}:canceled", cancelled, order_id=order_id)
    return facts.events


READER = Reader(credentials=("access_token",), fetch=fetch_order, facts=order_facts)
