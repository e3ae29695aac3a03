"""The vertical slice on virtual time: cart left, reminder an hour later, order, nothing more; shipped, notice."""

from datetime import timedelta

from tests.conftest import Harness, cart, generic, order


def test_an_abandoned_cart_gets_a_reminder_an_hour_later_and_nothing_after_the_order(harness: Harness) -> None:
    assert harness.post(cart("e1", "2026-11-24T12:00:00Z")).status == 202
    harness.stack.advance(59 * 60)
    assert harness.outbox.entries == []

    harness.stack.advance(2 * 60)
    (reminder,) = harness.outbox.entries
    assert (reminder.template, reminder.recipient, reminder.channel) == (
        "cart_abandoned_1",
        "maria@example.com",
        "email",
    )
    assert reminder.subject == "Maria, seu carrinho na Loja Demo está guardado"

    harness.stack.advance(30 * 60)
    assert harness.post(order("o1", "2026-11-24T13:31:00Z")).status == 202
    harness.stack.jump(timedelta(days=3).total_seconds())
    assert [e.template for e in harness.outbox.entries] == ["cart_abandoned_1"]
    (enrolment,) = harness.items("c-1", "ENROL#cart_abandonment")
    assert (enrolment["status"], enrolment["exit_reason"]) == ("exited", "OrderPlaced")


def test_a_cart_left_alone_gets_both_reminders(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.jump(timedelta(days=2).total_seconds())
    assert [e.template for e in harness.outbox.entries] == ["cart_abandoned_1", "cart_abandoned_2"]


def test_a_customer_buying_straight_away_gets_no_reminder(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.advance(10 * 60)
    harness.post(order("o1", "2026-11-24T12:10:00Z"))
    harness.stack.jump(timedelta(days=2).total_seconds())
    assert harness.outbox.entries == []


def test_an_order_shipped_tells_the_customer_it_is_on_its_way(harness: Harness) -> None:
    shipped = generic(
        "order.shipped",
        "s1",
        "2026-11-24T12:00:00Z",
        {
            "order_id": "5001",
            "carrier": "correios",
            "tracking_code": "AA123456785BR",
            "promised_at": "2026-11-28T21:00:00Z",
        },
    )
    assert harness.post(shipped).status == 202
    harness.stack.advance(90)
    (notice,) = harness.outbox.entries
    assert notice.template == "order_shipped"
    assert notice.subject == "Seu pedido 5001 está a caminho"
    (parcel,) = harness.items("c-1", "PARCEL#")
    assert (parcel["carrier"], parcel["tracking_code"]) == ("correios", "AA123456785BR")


def test_the_same_webhook_delivered_twice_changes_nothing(harness: Harness) -> None:
    body = cart("e1", "2026-11-24T12:00:00Z")
    harness.post(body, headers={"x-proativo-delivery": "d-1"})
    before = sorted((i["sk"], i.get("status"), i.get("anchor_at")) for i in harness.items("c-1"))
    harness.post(body, headers={"x-proativo-delivery": "d-1"})
    harness.post(body, headers={"x-proativo-delivery": "d-2"})
    after = sorted((i["sk"], i.get("status"), i.get("anchor_at")) for i in harness.items("c-1"))
    assert after == before
    harness.stack.jump(timedelta(days=2).total_seconds())
    assert [e.template for e in harness.outbox.entries] == ["cart_abandoned_1", "cart_abandoned_2"]


def _stats(harness: Harness, day: str) -> dict[str, dict]:
    return harness.counters(day)


def test_an_order_after_a_reminder_is_credited_to_it_once_and_counted(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.advance(61 * 60)
    harness.post(order("o1", "2026-11-24T14:00:00Z"))
    harness.post(order("o1", "2026-11-24T14:00:00Z"), headers={"x-proativo-delivery": "again"})
    (placed,) = harness.items("c-1", "ORDER#")
    assert (placed["attributed_flow"], placed["attributed_step"], placed["attributed_channel"]) == (
        "cart_abandonment",
        "reminder_1h",
        "email",
    )
    assert str(placed["recovered_value"]) == "199.90"
    flow = _stats(harness, "2026-11-24")["FLOW#cart_abandonment"]
    assert (int(flow["enrolled"]), int(flow["recovered_orders"]), str(flow["recovered_revenue"])) == (1, 1, "199.90")


def test_an_order_without_a_message_before_it_is_not_credited(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.post(order("o1", "2026-11-24T12:20:00Z"))
    (placed,) = harness.items("c-1", "ORDER#")
    assert "attributed_flow" not in placed
    assert "recovered_orders" not in _stats(harness, "2026-11-24")["FLOW#cart_abandonment"]


def test_an_order_after_the_attribution_window_is_not_credited(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.jump(timedelta(days=2).total_seconds())  # both reminders go out by 26 Nov 12:00
    assert len(harness.outbox.entries) == 2
    harness.stack.jump(timedelta(days=1, minutes=5).total_seconds())
    assert len(harness.outbox.entries) == 3  # the coupon, 72 h after the cart was left (27 Nov)
    harness.stack.jump(timedelta(days=6).total_seconds())
    harness.post(order("o1", "2026-12-03T12:05:00Z"))  # six days after the last one: past the five-day window
    (placed,) = harness.items("c-1", "ORDER#")
    assert "attributed_flow" not in placed


def test_a_customer_who_stops_buying_hears_from_the_store_after_180_days(harness: Harness) -> None:
    harness.post(order("o1", "2026-11-24T12:00:00Z"))
    harness.stack.jump(timedelta(days=179).total_seconds())
    assert harness.outbox.entries == []
    harness.stack.jump(timedelta(days=1, hours=1).total_seconds())
    assert [e.template for e in harness.outbox.entries] == ["winback_reminder"]
    harness.post(order("o2", "2027-05-23T14:00:00Z", order_id="o-2"))  # comes back: the offer never goes
    harness.stack.jump(timedelta(days=20).total_seconds())
    assert [e.template for e in harness.outbox.entries] == ["winback_reminder"]
    (credited,) = harness.items("c-1", "ORDER#o-2")
    assert credited["attributed_step"] == "we_miss_you"


def test_a_delivered_order_gets_its_arrival_note_half_an_hour_later(harness: Harness) -> None:
    harness.post(generic("order.delivered", "d1", "2026-11-24T12:00:00Z", {"order_id": "5001"}))
    harness.stack.advance(29 * 60)
    assert harness.outbox.entries == []
    harness.stack.advance(2 * 60)
    assert [(e.template, e.subject) for e in harness.outbox.entries] == [("order_delivered", "Seu pedido 5001 chegou")]
