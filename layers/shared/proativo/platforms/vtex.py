"""VTEX: order hooks (Feed v3 "hook" delivery) carry no signature. The hook configuration lets the store add
headers to every request, so the store sets `X-Proativo-Token: <its secret>` there and we compare it in constant
time. The payload names the order and its state change; the order is read back from the OMS API
(`GET /api/oms/pvt/orders/{orderId}` with `X-VTEX-API-AppKey` / `X-VTEX-API-AppToken`) by the events function.
VTEX checks a new hook with `{"hookConfig": "ping"}`, which must answer 200.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from proativo.errors import InvalidPayload, Unauthorized
from proativo.events import Event, ResourceChanged
from proativo.platforms.base import Reader, same
from proativo.platforms.snapshots import (
    DEFAULT_EXPIRY,
    Facts,
    customer_id,
    full_name,
    get_json,
    instant,
    json_object,
    obj,
    objects,
    payment_method,
)
from proativo.tracking.carriers import carrier_id

if TYPE_CHECKING:
    import httpx  # the client is handed in: the webhook path never loads httpx

TOKEN_HEADER = "x-proativo-token"  # noqa: S105 - a header name, not a secret
PAID_STATES = {"payment-approved", "ready-for-handling", "start-handling", "handling", "invoiced", "invoice"}
_FRACTION = re.compile(r"(\.\d{6})\d+")


def _cents(value: Any) -> Decimal:
    return (Decimal(int(value or 0)) / 100).quantize(Decimal("0.01"))


def _vtex_instant(value: Any, field: str) -> datetime:
    # VTEX dates carry seven fractional digits; Python reads six.
    return instant(_FRACTION.sub(r"\1", str(value)), field)


class VtexPlatform:
    """VTEX order hooks: notifications to read back."""

    name = "vtex"

    @property
    def reader(self) -> Reader:
        """VTEX notifies: the order is read back with the store's app key and token."""
        return READER

    def is_handshake(self, headers: Mapping[str, str], body: bytes) -> bool:
        """VTEX's hook check."""
        try:
            return json_object(body).get("hookConfig") == "ping"
        except InvalidPayload:
            return False

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: datetime, tolerance: int) -> None:
        """The token the store put in the hook's headers."""
        given = headers.get(TOKEN_HEADER, "")
        if not given:
            raise Unauthorized("missing X-Proativo-Token (set it in the hook's headers)")
        if not same(given, secret):
            raise Unauthorized("token does not match")

    def sign_headers(self, secret: str, body: bytes, now: datetime) -> dict[str, str]:
        """What a hook configured for us sends."""
        return {TOKEN_HEADER: secret}

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        """The order and the state change: stable across VTEX's retries, new for every change."""
        data = json_object(body)
        return f"{data.get('OrderId')}:{data.get('State')}:{data.get('CurrentChange')}"

    def parse(
        self, headers: Mapping[str, str], body: bytes, store_id: str, now: datetime
    ) -> Sequence[Event | ResourceChanged] | None:
        """A `ResourceChanged` for the order named."""
        data = json_object(body)
        for field in ("OrderId", "State"):
            if not isinstance(data.get(field), str) or not data[field]:
                raise InvalidPayload("field required", field=field)
        account = obj(data.get("Origin")).get("Account")
        if not account:
            raise InvalidPayload("field required", field="Origin.Account")
        changed = _vtex_instant(data["CurrentChange"], "CurrentChange") if data.get("CurrentChange") else now
        return [
            ResourceChanged(
                event_id=f"vtex:{data['OrderId']}:{data['State']}:{changed.isoformat()}",
                store_id=store_id,
                platform=self.name,
                resource="order",
                resource_id=data["OrderId"],
                topic=data["State"],
                account=str(account),
                occurred_at=changed,
            )
        ]


def fetch_order(
    client: "httpx.Client", credentials: dict[str, Any], account: str, order_id: str
) -> dict[str, Any] | None:
    """The order from the OMS API; None when it does not exist. Raises on 429/5xx (the queue retries)."""
    base = str(credentials.get("api_url") or f"https://{account}.vtexcommercestable.com.br").rstrip("/")
    return get_json(
        client,
        f"{base}/api/oms/pvt/orders/{order_id}",
        {
            "X-VTEX-API-AppKey": str(credentials["app_key"]),
            "X-VTEX-API-AppToken": str(credentials["app_token"]),
            "Accept": "application/json",
        },
    )


def order_facts(order: dict[str, Any], store_id: str) -> list[Event]:
    """Every fact a VTEX order shows, each with a stable id. Amounts come in cents."""
    profile = obj(order.get("clientProfileData"))
    # VTEX hands out a relay address (…@ct.vtex.com.br) that forwards to the shopper: it is their e-mail for us.
    email, phone = profile.get("email"), profile.get("phone")
    key = customer_id(email, phone, profile.get("userProfileId"), where="clientProfileData.")
    if key is None:
        return []
    name = full_name(profile.get("firstName"), profile.get("lastName"))
    # `document` is the CPF/CNPJ (or the country's id, as `documentType` says): kept only as a digest.
    given = {"id": key, "email": email, "phone": phone, "name": name, "tax_id": profile.get("document")}
    customer = {k: v for k, v in given.items() if v}
    oid = str(order["orderId"])
    created = _vtex_instant(order.get("creationDate"), "creationDate")
    total = _cents(order.get("value"))
    currency = obj(order.get("storePreferencesData")).get("currencyCode") or "BRL"
    facts = Facts("vtex", store_id, customer)
    facts.add(
        "OrderPlaced",
        f"order:{oid}:placed",
        created,
        order_id=oid,
        currency=currency,
        total=total,
        items=[
            {
                "sku": i.get("refId") or None,
                "name": i.get("name") or "item",
                "quantity": i.get("quantity") or 1,
                "unit_price": _cents(i.get("sellingPrice") or i.get("price")),
            }
            for i in objects(order.get("items"), "items")
        ],
    )
    systems = [
        str(p.get("paymentSystemName", ""))
        for t in objects(obj(order.get("paymentData")).get("transactions"), "paymentData.transactions")
        for p in objects(t.get("payments"), "paymentData.transactions.payments")
    ]
    method = payment_method(systems)
    status = str(order.get("status", ""))
    if status == "payment-pending" and method:
        facts.add(
            "PaymentPending",
            f"order:{oid}:pending",
            created,
            order_id=oid,
            method=method,
            expires_at=created + DEFAULT_EXPIRY[method],
        )
    if status in PAID_STATES or order.get("authorizedDate"):
        paid = _vtex_instant(order.get("authorizedDate") or order.get("lastChange"), "authorizedDate")
        facts.add("OrderPaid", f"order:{oid}:paid", paid, order_id=oid, total=total)
    for package in objects(obj(order.get("packageAttachment")).get("packages"), "packageAttachment.packages"):
        code = package.get("trackingNumber")
        if code:
            shipped = _vtex_instant(package.get("issuanceDate") or order.get("lastChange"), "packages.issuanceDate")
            facts.add(
                "OrderShipped",
                f"order:{oid}:shipped:{code}",
                shipped,
                order_id=oid,
                carrier=carrier_id(package.get("courier")),
                tracking_code=str(code),
                tracking_url=package.get("trackingUrl") or None,
            )
    if status == "canceled":
        facts.add(
            "OrderCanceled",
            f"order:{oid}:canceled",
            _vtex_instant(order.get("lastChange") or order.get("creationDate"), "lastChange"),
            order_id=oid,
        )
    return facts.events


READER = Reader(credentials=("app_key", "app_token"), fetch=fetch_order, facts=order_facts)
