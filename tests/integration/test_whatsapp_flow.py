"""WhatsApp end to end on the local stack: only customers who opted in get the store's approved template, in
E.164, through the store's own number; the fake Graph API keeps what it was sent."""

from tests.conftest import Harness, generic

SHIPPED = {"order_id": "o1", "carrier": "correios", "tracking_code": "AA123456785BR"}
OPT_IN = {"channel": "whatsapp", "granted": True}


def test_a_customer_who_opted_in_hears_on_whatsapp_and_one_who_did_not_does_not(harness: Harness) -> None:
    opted = {"id": "c-1", "email": "maria@example.com", "phone": "(11) 98765-4321", "name": "Maria Silva"}
    other = {"id": "c-2", "email": "joao@example.com", "phone": "(11) 97777-6666", "name": "João"}
    harness.post(generic("consent.changed", "k1", "2026-11-24T11:00:00Z", OPT_IN, opted))
    harness.post(generic("order.shipped", "s1", "2026-11-24T12:00:00Z", SHIPPED, opted))
    harness.post(generic("order.shipped", "s2", "2026-11-24T12:00:00Z", {**SHIPPED, "order_id": "o2"}, other))
    harness.stack.advance(10 * 60)
    whatsapp = [e for e in harness.outbox.entries if e.channel == "whatsapp"]
    assert [(e.recipient, e.template) for e in whatsapp] == [("+5511987654321", "order_shipped")]
    *said, link = whatsapp[0].text.splitlines()
    assert said == ["[proativo_order_shipped / pt_BR]", "Maria", "o1", "CORREIOS"]
    assert "/t/" in link  # the order's own page, not the carrier's
    (sent,) = harness.stack.fake_whatsapp.messages.values()
    assert sent["to"] == "5511987654321"


def test_a_store_without_whatsapp_sends_nothing_there_and_loses_nothing_else(harness: Harness) -> None:
    from proativo import aws, stores

    aws.ssm().delete_parameter(Name=stores.whatsapp_name("/proativo/local", "demo"))
    harness.stack.wiring_reset()
    from aws_lambda_powertools.utilities.parameters import clear_caches

    clear_caches()  # type: ignore[no-untyped-call]
    opted = {"id": "c-1", "email": "maria@example.com", "phone": "(11) 98765-4321"}
    harness.post(generic("consent.changed", "k1", "2026-11-24T11:00:00Z", OPT_IN, opted))
    harness.post(generic("order.shipped", "s1", "2026-11-24T12:00:00Z", SHIPPED, opted))
    harness.stack.advance(10 * 60)
    assert [e.channel for e in harness.outbox.entries] == ["email"]
    assert harness.stack.fake_whatsapp.messages == {}
    assert harness.queue_depth("SendDLQ") == 0  # skipped for a reason, not failed
