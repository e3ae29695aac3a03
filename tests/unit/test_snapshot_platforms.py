"""Shopify and WooCommerce: their documented signatures, and every fact their order snapshots show, once."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from proativo.errors import InvalidPayload, Unauthorized
from proativo.events import Event, ResourceChanged
from proativo.ids import customer_id_for_email
from proativo.platforms.registry import PLATFORMS

from infra.local.samples import raw_body
from tests.conftest import EVENTS

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)


def sample(platform: str, name: str) -> tuple[dict[str, str], bytes]:
    event = json.loads((EVENTS / "webhooks" / platform / f"{name}.json").read_text(encoding="utf-8"))
    return event["headers"], raw_body(event)


def parse(platform: str, name: str) -> list[Event]:
    headers, body = sample(platform, name)
    found = PLATFORMS[platform].parse(headers, body, "demo", NOW) or []
    assert all(not isinstance(e, ResourceChanged) for e in found)
    return list(found)


def summary(events: list[Event]) -> list[tuple[str, str]]:
    return [(e.type, e.event_id) for e in events]


@pytest.mark.parametrize(
    ("platform", "name"),
    [
        ("shopify", "checkouts-create"),
        ("shopify", "orders-fulfilled"),
        ("woocommerce", "order-updated-paid"),
    ],
)
def test_the_samples_verify_with_the_demo_secret(platform: str, name: str) -> None:
    headers, body = sample(platform, name)
    PLATFORMS[platform].verify(headers, body, "demo-secret", NOW, 300)


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_tampered_wrong_secret_and_unsigned_are_refused(platform: str) -> None:
    name = "orders-paid" if platform == "shopify" else "order-updated-paid"
    headers, body = sample(platform, name)
    adapter = PLATFORMS[platform]
    with pytest.raises(Unauthorized, match="does not match"):
        adapter.verify(headers, body.replace(b"179.80", b"1.00").replace(b"151.40", b"1.00"), "demo-secret", NOW, 300)
    with pytest.raises(Unauthorized, match="does not match"):
        adapter.verify(headers, body, "another-store-secret", NOW, 300)
    unsigned = {k: v for k, v in headers.items() if "hmac" not in k and "signature" not in k}
    with pytest.raises(Unauthorized, match="missing"):
        adapter.verify(unsigned, body, "demo-secret", NOW, 300)


def test_a_shopify_checkout_is_an_abandonment_candidate_keyed_by_email() -> None:
    (event,) = parse("shopify", "checkouts-create")
    assert event.type == "CheckoutStarted"
    assert event.customer.id == customer_id_for_email("joana.prado@example.com")
    assert (event.customer.accepts_marketing, event.customer.accepts_sms) == (True, True)
    assert event.cart_id == "9f2c0d5b8e7a4c31b1d6e0f4a2c8b7d1"
    assert str(event.total) == "179.80"
    assert event.recovery_url.startswith("https://lojademo.com.br/")


def test_a_shopify_pix_order_is_placed_and_pending_and_exits_the_checkout_reminders() -> None:
    placed, pending = parse("shopify", "orders-create-pix-pending")
    assert (placed.type, placed.order_id, placed.cart_id) == ("OrderPlaced", "1042", "9f2c0d5b8e7a4c31b1d6e0f4a2c8b7d1")
    assert (pending.type, pending.method) == ("PaymentPending", "pix")
    assert (pending.expires_at - placed.occurred_at).total_seconds() == 24 * 3600


def test_every_shopify_order_topic_repeats_the_same_facts_with_the_same_ids() -> None:
    created = summary(parse("shopify", "orders-create-pix-pending"))
    paid = summary(parse("shopify", "orders-paid"))
    fulfilled = summary(parse("shopify", "orders-fulfilled"))
    assert created[0] == paid[0] == fulfilled[0]
    assert [t for t, _ in fulfilled] == ["OrderPlaced", "OrderPaid", "OrderShipped"]
    shipped = parse("shopify", "orders-fulfilled")[2]
    assert (shipped.carrier, shipped.tracking_code) == ("correios", "QB876543216BR")


def test_a_shopify_order_cancelled_as_declined_is_an_issuer_refusal() -> None:
    events = parse("shopify", "orders-cancelled-declined")
    assert [e.type for e in events] == ["OrderPlaced", "PaymentFailed", "OrderCanceled"]
    assert events[1].reason == "issuer_declined"


def test_shopify_customer_consent_becomes_consent_events() -> None:
    events = parse("shopify", "customers-update")
    assert [(e.type, e.channel, e.granted) for e in events] == [
        ("ConsentChanged", "email", True),
        ("ConsentChanged", "sms", True),
    ]


def test_woocommerce_orders_map_status_and_tracking_meta() -> None:
    created = parse("woocommerce", "order-created-pix")
    assert [e.type for e in created] == ["OrderPlaced", "PaymentPending"]
    assert created[0].customer.id == customer_id_for_email("rafael.costa@example.com")
    assert created[0].occurred_at == datetime(2026, 11, 24, 14, 20, 7, tzinfo=UTC)
    assert created[0].customer.tax_id == "39053344705"  # the Brazilian Market plugin's `_billing_cpf`, cleaned
    shipped = parse("woocommerce", "order-updated-shipped")
    assert [e.type for e in shipped] == ["OrderPlaced", "OrderPaid", "OrderShipped"]
    assert (shipped[2].carrier, shipped[2].tracking_code) == ("correios", "AA123456785BR")
    failed = parse("woocommerce", "order-updated-failed")
    assert [e.type for e in failed] == ["OrderPlaced", "PaymentFailed"]


def test_the_woocommerce_creation_ping_is_a_handshake_only_when_unsigned() -> None:
    headers, body = sample("woocommerce", "ping")
    adapter = PLATFORMS["woocommerce"]
    assert adapter.is_handshake(headers, body)
    assert not adapter.is_handshake({**headers, "x-wc-webhook-signature": "x"}, body)
    assert not adapter.is_handshake(headers, b'{"webhook_id": 12}')


@pytest.mark.parametrize(
    ("platform", "headers", "body", "field"),
    [
        ("shopify", {"x-shopify-topic": "orders/create"}, b"[]", "body"),
        (
            "shopify",
            {"x-shopify-topic": "orders/create"},
            b'{"email": "a@b.co", "id": 1, "created_at": "ontem"}',
            "created_at",
        ),
        ("shopify", {}, b"{}", "X-Shopify-Topic"),
        (
            "woocommerce",
            {"x-wc-webhook-topic": "order.created"},
            b'{"id": 1, "billing": {"email": "a@b.co"}, "date_created_gmt": "2026-11-24T10:00:00", "total": "abc"}',
            "total",
        ),
    ],
)
def test_bad_payloads_name_the_field(platform: str, headers: dict, body: bytes, field: str) -> None:
    with pytest.raises(InvalidPayload) as caught:
        PLATFORMS[platform].parse(headers, body, "demo", NOW)
    assert caught.value.field == field


def test_topics_we_do_not_handle_are_ignored() -> None:
    assert PLATFORMS["shopify"].parse({"x-shopify-topic": "products/update"}, b"{}", "demo", NOW) is None
    assert PLATFORMS["woocommerce"].parse({"x-wc-webhook-topic": "coupon.created"}, b"{}", "demo", NOW) is None


def test_every_platform_sample_has_a_file(tmp_path: Path) -> None:
    for platform in PLATFORMS:
        assert list((EVENTS / "webhooks" / platform).glob("*.json")), platform


@pytest.mark.parametrize(
    ("platform", "name", "change", "field"),
    [
        ("shopify", "orders-fulfilled", {"line_items": "camiseta"}, "line_items"),
        (
            "shopify",
            "orders-fulfilled",
            {"line_items": [{"title": "Meia", "quantity": "dez", "price": "1"}]},
            "items.0.quantity",
        ),
        ("shopify", "orders-fulfilled", {"fulfillments": {"id": 1}}, "fulfillments"),
        ("shopify", "orders-fulfilled", {"total_price": [1]}, "total_price"),
        ("woocommerce", "order-updated-shipped", {"meta_data": [1, 2]}, "meta_data"),
        (
            "woocommerce",
            "order-updated-shipped",
            {"line_items": [{"name": "x", "quantity": 10**30, "price": "1"}]},
            "items.0.quantity",
        ),
    ],
)
def test_a_mistyped_field_is_named(platform: str, name: str, change: dict, field: str) -> None:
    headers, body = sample(platform, name)
    mutated = json.dumps({**json.loads(body), **change}).encode()
    with pytest.raises(InvalidPayload) as refused:
        PLATFORMS[platform].parse(headers, mutated, "demo", NOW)
    assert refused.value.field == field


def test_tracking_numbers_sent_as_one_string_are_one_parcel() -> None:
    headers, body = sample("shopify", "orders-fulfilled")
    order = json.loads(body)
    order["fulfillments"][0]["tracking_numbers"] = "AA123456785BR"
    found = PLATFORMS["shopify"].parse(headers, json.dumps(order).encode(), "demo", NOW) or []
    assert [getattr(e, "tracking_code", None) for e in found if e.type == "OrderShipped"] == ["AA123456785BR"]
