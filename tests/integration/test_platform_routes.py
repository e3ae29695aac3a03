"""Shopify and WooCommerce through the real route: verified, mapped, idempotent on their delivery ids."""

import json
from datetime import timedelta

from infra.local.samples import raw_body
from tests.conftest import EVENTS, Harness


def _sample(platform: str, name: str) -> tuple[dict[str, str], bytes]:
    event = json.loads((EVENTS / "webhooks" / platform / f"{name}.json").read_text(encoding="utf-8"))
    return event["headers"], raw_body(event)


def _post_sample(harness: Harness, platform: str, name: str, **kwargs: object):
    event = json.loads((EVENTS / "webhooks" / platform / f"{name}.json").read_text(encoding="utf-8"))
    harness.received_at(event)
    return harness.post(raw_body(event), platform=platform, headers=event["headers"], **kwargs)


def test_a_shopify_checkout_then_its_order_enrols_then_exits(harness: Harness) -> None:
    assert _post_sample(harness, "shopify", "checkouts-create").status == 202
    (customer_id,) = {i["pk"].split("#CUST#")[1] for i in _all_customers(harness)}
    (enrolment,) = harness.items(customer_id, "ENROL#")
    assert enrolment["status"] == "active"
    assert _post_sample(harness, "shopify", "orders-create-pix-pending").status == 202
    (enrolment,) = harness.items(customer_id, "ENROL#cart_abandonment")
    assert (enrolment["status"], enrolment["exit_reason"]) == ("exited", "OrderPlaced")
    (order,) = harness.items(customer_id, "ORDER#")
    assert (order["order_id"], order["status"], order["payment_method"]) == ("1042", "payment_pending", "pix")


def test_the_same_shopify_delivery_five_times_is_one_set_of_events(harness: Harness) -> None:
    answers = [_post_sample(harness, "shopify", "orders-paid") for _ in range(5)]
    assert [a.status for a in answers] == [202, 200, 200, 200, 200]
    (customer_id,) = {i["pk"].split("#CUST#")[1] for i in _all_customers(harness)}
    assert len(harness.items(customer_id, "EVENT#")) == 2


def test_a_woocommerce_ping_is_acknowledged_and_nothing_is_stored(harness: Harness) -> None:
    headers, body = _sample("woocommerce", "ping")
    answer = harness.post(body, platform="woocommerce", headers=headers, signed=False, drain=False)
    assert (answer.status, answer.body["status"]) == (200, "ignored")
    assert harness.received() == 0


def test_shopify_secret_of_one_store_does_not_open_another(harness: Harness) -> None:
    from proativo import aws, stores

    stores.put_webhook_secret(aws.ssm(), "/proativo/local", "outra-loja", "shopify", "outra-secret")
    headers, body = _sample("shopify", "orders-paid")
    assert harness.post(body, platform="shopify", store="outra-loja", headers=headers).status == 401


def test_a_woocommerce_shipment_tells_the_customer(harness: Harness) -> None:
    assert _post_sample(harness, "woocommerce", "order-updated-shipped").status == 202
    harness.stack.jump(timedelta(days=2).total_seconds())
    assert [(e.recipient, e.template) for e in harness.outbox.entries] == [
        ("rafael.costa@example.com", "order_thanks"),  # the snapshot shows it paid, too
        ("rafael.costa@example.com", "order_shipped"),
    ]


def _all_customers(harness: Harness) -> list[dict]:
    # A test-only look at the whole (tiny) table: which customer partitions exist.
    return [i for i in harness.table().scan()["Items"] if "#CUST#" in i["pk"] and not i["pk"].endswith("#LOG")]
