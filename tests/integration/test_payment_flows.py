"""Payment flows on virtual time: a boleto reminded before it expires and dropped once paid; refused cards."""

from datetime import timedelta

from tests.conftest import Harness, generic


def test_a_boleto_is_reminded_then_paid_and_nothing_more_is_sent(harness: Harness) -> None:
    data = {
        "order_id": "6001",
        "method": "boleto",
        "expires_at": "2026-11-27T12:00:00Z",
        "payment_url": "https://x.test/b",
    }
    assert harness.post(generic("payment.pending", "p1", "2026-11-24T12:00:00Z", data)).status == 202
    harness.stack.jump(timedelta(days=2, hours=12, minutes=5).total_seconds())  # past "12 h before it expires"
    (reminder,) = harness.outbox.entries
    assert (reminder.template, reminder.subject) == (
        "payment_pending_reminder",
        "Seu boleto do pedido 6001 vence em breve",
    )
    assert harness.post(generic("order.paid", "p2", "2026-11-27T00:30:00Z", {"order_id": "6001"})).status == 202
    harness.stack.jump(timedelta(days=2).total_seconds())
    assert [e.template for e in harness.outbox.entries] == ["payment_pending_reminder", "order_thanks"]


def test_an_unpaid_boleto_gets_the_last_call_and_the_way_out(harness: Harness) -> None:
    data = {"order_id": "6001", "method": "boleto", "expires_at": "2026-11-27T12:00:00Z"}
    harness.post(generic("payment.pending", "p1", "2026-11-24T12:00:00Z", data))
    harness.stack.jump(timedelta(days=4).total_seconds())
    assert [e.template for e in harness.outbox.entries] == [
        "payment_pending_reminder",
        "payment_pending_last_call",
        "payment_expired",
    ]


def test_a_card_refused_on_fraud_suspicion_gets_careful_words_and_a_person(harness: Harness) -> None:
    harness.post(generic("payment.failed", "f1", "2026-11-24T12:00:00Z", {"order_id": "6002", "reason": "fraud"}))
    harness.stack.advance(11 * 60)
    (message,) = harness.outbox.entries
    assert (message.template, message.subject) == (
        "card_refused_fraud",
        "Precisamos confirmar alguns dados do pedido 6002",
    )
