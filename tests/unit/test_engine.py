"""The sequence engine decides on pure data and virtual time: days of a journey run in microseconds."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from proativo.events import CartUpdated, Customer, OrderPlaced, OrderShipped, PaymentFailed, PaymentPending
from proativo.sequences.engine import CustomerFacts, Enrol, Exit, Restart, decide, following_due
from proativo.sequences.flows import default_flows, parse_flows

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ANA = Customer(id="c-ana", email="ana@example.com")


def cart(at: datetime, cart_id: str = "c1", total: str = "100") -> CartUpdated:
    return CartUpdated(
        event_id=f"e-{at.timestamp()}",
        store_id="s",
        source="test",
        customer=ANA,
        occurred_at=at,
        cart_id=cart_id,
        currency="BRL",
        total=Decimal(total),
    )


def placed(at: datetime) -> OrderPlaced:
    return OrderPlaced(
        event_id="o",
        store_id="s",
        source="test",
        customer=ANA,
        occurred_at=at,
        order_id="o1",
        currency="BRL",
        total=Decimal("100"),
    )


def enrolments_after(decisions: list) -> dict:
    return {(d.enrolment.flow_id, d.enrolment.key): d.enrolment for d in decisions}


def test_an_abandoned_cart_enrols_with_its_first_reminder_an_hour_later() -> None:
    decisions = decide(default_flows(), {}, CustomerFacts(), cart(T0), T0)
    assert [type(d) for d in decisions] == [Enrol]
    assert decisions[0].due_at == T0 + timedelta(hours=1)
    assert decisions[0].enrolment.context["total"] == "100"


def test_touching_the_cart_again_restarts_the_wait() -> None:
    current = enrolments_after(decide(default_flows(), {}, CustomerFacts(), cart(T0), T0))
    later = T0 + timedelta(minutes=20)
    decisions = decide(default_flows(), current, CustomerFacts(), cart(later, total="150"), later)
    assert [type(d) for d in decisions] == [Restart]
    assert decisions[0].due_at == later + timedelta(hours=1)
    assert decisions[0].enrolment.context["total"] == "150"


def test_a_cart_event_arriving_late_does_not_move_the_wait_backwards() -> None:
    current = enrolments_after(decide(default_flows(), {}, CustomerFacts(), cart(T0), T0))
    assert decide(default_flows(), current, CustomerFacts(), cart(T0 - timedelta(minutes=5)), T0) == []


def test_an_order_exits_the_abandonment_flow() -> None:
    current = enrolments_after(decide(default_flows(), {}, CustomerFacts(), cart(T0), T0))
    decisions = decide(default_flows(), current, CustomerFacts(), placed(T0 + timedelta(hours=2)), T0)
    cart_decisions = [d for d in decisions if d.enrolment.flow_id == "cart_abandonment"]
    assert [type(d) for d in cart_decisions] == [Exit]
    assert cart_decisions[0].reason == "OrderPlaced"


def test_a_cart_older_than_the_last_order_never_starts_a_reminder() -> None:
    facts = CustomerFacts(last_purchase_at=T0 + timedelta(minutes=1))
    assert decide(default_flows(), {}, facts, cart(T0), T0) == []


def test_a_shipment_enrols_the_transactional_notice_at_once() -> None:
    shipped = OrderShipped(
        event_id="s1",
        store_id="s",
        source="test",
        customer=ANA,
        occurred_at=T0,
        order_id="o1",
        carrier="correios",
        tracking_code="AA123456785BR",
    )
    decisions = decide(default_flows(), {}, CustomerFacts(), shipped, T0)
    assert [(type(d), d.enrolment.flow_id, d.due_at) for d in decisions] == [(Enrol, "order_shipped", T0)]


def test_a_journey_keeps_the_flow_version_it_started_with() -> None:
    started = enrolments_after(decide(default_flows(), {}, CustomerFacts(), cart(T0), T0))
    edited = parse_flows(
        """
flows:
  - id: cart_abandonment
    version: 3
    purpose: marketing
    trigger: [CartUpdated]
    key: cart_id
    restart_on_trigger: true
    exit_on: [OrderPlaced]
    steps:
      - {id: only, delay: PT10M, channel: sms, template: cart_abandoned_1}
""",
        "edited.yaml",
    )
    later = T0 + timedelta(minutes=5)
    decisions = decide(edited, started, CustomerFacts(), cart(later), later)
    enrolment = decisions[0].enrolment
    assert enrolment.version == 2
    assert [s.id for s in enrolment.steps] == ["reminder_1h", "reminder_24h", "coupon_72h"]
    assert decisions[0].due_at == later + timedelta(hours=1)


def test_the_second_reminder_falls_due_a_day_after_the_cart_was_left() -> None:
    enrolment = decide(default_flows(), {}, CustomerFacts(), cart(T0), T0)[0].enrolment
    first = T0 + timedelta(hours=1)
    assert following_due(enrolment, 0, first) == (1, T0 + timedelta(hours=24))
    assert following_due(enrolment, 1, T0 + timedelta(hours=24)) == (2, T0 + timedelta(hours=72))
    assert following_due(enrolment, 2, T0 + timedelta(hours=72)) is None


def pending(at: datetime, expires: datetime, method: str = "boleto") -> PaymentPending:
    return PaymentPending(
        event_id=f"p-{at.timestamp()}",
        store_id="s",
        source="test",
        customer=ANA,
        occurred_at=at,
        order_id="o1",
        method=method,
        expires_at=expires,
    )


def test_a_boleto_is_reminded_twelve_hours_before_it_expires() -> None:
    (decision,) = decide(default_flows(), {}, CustomerFacts(), pending(T0, T0 + timedelta(days=3)), T0)
    assert (decision.enrolment.flow_id, decision.enrolment.next_index) == ("payment_pending", 0)
    assert decision.due_at == T0 + timedelta(days=3) - timedelta(hours=12)
    assert following_due(decision.enrolment, 0, decision.due_at) == (1, T0 + timedelta(days=3) - timedelta(hours=2))
    assert following_due(decision.enrolment, 1, T0) == (2, T0 + timedelta(days=3, hours=1))


def test_a_pix_expiring_within_the_hour_skips_the_reminders_it_is_too_late_for() -> None:
    (decision,) = decide(default_flows(), {}, CustomerFacts(), pending(T0, T0 + timedelta(hours=1), "pix"), T0)
    assert decision.enrolment.next_index == 2  # only "expired, here is a way out" is still ahead
    assert decision.due_at == T0 + timedelta(hours=2)


def test_a_refused_card_picks_the_flow_for_its_reason() -> None:
    def refused(reason: str) -> PaymentFailed:
        return PaymentFailed(
            event_id=reason,
            store_id="s",
            source="test",
            customer=ANA,
            occurred_at=T0,
            order_id="o1",
            reason=reason,
        )

    assert [d.enrolment.flow_id for d in decide(default_flows(), {}, CustomerFacts(), refused("fraud"), T0)] == [
        "card_refused_fraud"
    ]
    assert [
        d.enrolment.flow_id for d in decide(default_flows(), {}, CustomerFacts(), refused("issuer_declined"), T0)
    ] == ["card_refused_issuer"]


def test_a_deadline_step_without_a_deadline_field_is_refused() -> None:
    import pytest
    from proativo.sequences.flows import FlowError

    with pytest.raises(FlowError, match="deadline"):
        parse_flows(
            "flows:\n  - {id: x, version: 1, purpose: transactional, trigger: [PaymentPending], key: order_id,"
            " steps: [{id: a, at_deadline: -PT1H, channel: email, template: t}]}\n",
            "f.yaml",
        )


def test_every_order_restarts_the_win_back_wait_and_a_late_old_order_ends_nothing() -> None:
    first = placed(T0)
    (enrol,) = [d for d in decide(default_flows(), {}, CustomerFacts(), first, T0) if d.enrolment.flow_id == "win_back"]
    assert enrol.due_at == T0 + timedelta(days=180)
    current = enrolments_after([enrol])
    later = OrderPlaced(
        event_id="o2",
        store_id="s",
        source="test",
        customer=ANA,
        occurred_at=T0 + timedelta(days=30),
        order_id="o2",
        currency="BRL",
        total=Decimal("50"),
    )
    decisions = [
        d for d in decide(default_flows(), current, CustomerFacts(), later, T0) if d.enrolment.flow_id == "win_back"
    ]
    assert [(type(d), d.enrolment.key) for d in decisions] == [(Exit, "o1"), (Enrol, "o2")]
    stale = OrderPlaced(
        event_id="o0",
        store_id="s",
        source="test",
        customer=ANA,
        occurred_at=T0 - timedelta(days=3),
        order_id="o0",
        currency="BRL",
        total=Decimal("50"),
    )
    assert not any(isinstance(d, Exit) for d in decide(default_flows(), current, CustomerFacts(), stale, T0))


def test_the_order_that_started_a_win_back_never_ends_it_when_redelivered() -> None:
    (enrol,) = [
        d for d in decide(default_flows(), {}, CustomerFacts(), placed(T0), T0) if d.enrolment.flow_id == "win_back"
    ]
    again = placed(T0 + timedelta(days=20))  # the same order reported again by a later snapshot
    assert decide(default_flows(), enrolments_after([enrol]), CustomerFacts(), again, T0) == []
