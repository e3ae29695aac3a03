"""The rules around the engine, on pure data: which cart series, exits with a condition, skipped steps keep their
time, quiet hours and the frequency cap, signed links, one transaction per event."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from proativo.aws.writes import Writes
from proativo.errors import Unauthorized
from proativo.events import CartUpdated, Customer, OrderDelivered, SurveyAnswered
from proativo.messaging import links
from proativo.messaging.timing import cap_until, quiet_until
from proativo.sequences.engine import CustomerFacts, Enrol, Exit, decide, exits, without
from proativo.sequences.flows import Step, default_flows

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ANA = Customer(id="c-ana", email="ana@example.com")


def cart(at: datetime, cart_id: str, total: str = "100") -> CartUpdated:
    return CartUpdated(
        event_id=f"e-{cart_id}-{at.timestamp()}",
        store_id="s",
        source="test",
        customer=ANA,
        occurred_at=at,
        cart_id=cart_id,
        currency="BRL",
        total=Decimal(total),
    )


def enrolled(decisions: list) -> dict:
    return {(d.enrolment.flow_id, d.enrolment.key): d.enrolment for d in decisions if isinstance(d, Enrol)}


def test_a_cart_enrols_in_one_series_of_its_group_chosen_by_who_left_it() -> None:
    first = enrolled(decide(default_flows(), {}, CustomerFacts(), cart(T0, "a"), T0))
    assert list(first) == [("cart_abandonment", "a")]
    big = enrolled(decide(default_flows(), {}, CustomerFacts(), cart(T0, "a", total="500"), T0))
    assert list(big) == [("cart_abandonment_high_value", "a")]
    later = T0 + timedelta(days=10)
    repeat = enrolled(decide(default_flows(), first, CustomerFacts(), cart(later, "b"), later))
    assert list(repeat) == [("cart_abandonment_repeat", "b")]
    much_later = T0 + timedelta(days=31)
    again_first = enrolled(decide(default_flows(), first, CustomerFacts(), cart(much_later, "c"), much_later))
    assert list(again_first) == [("cart_abandonment", "c")]


def test_a_bigger_cart_later_does_not_start_a_second_series_for_the_same_cart() -> None:
    current = enrolled(decide(default_flows(), {}, CustomerFacts(), cart(T0, "a"), T0))
    later = T0 + timedelta(minutes=5)
    decisions = decide(default_flows(), current, CustomerFacts(), cart(later, "a", total="900"), later)
    assert [d.enrolment.flow_id for d in decisions] == ["cart_abandonment"]  # its wait restarts, nothing new


def test_skipping_steps_keeps_the_time_of_those_that_remain() -> None:
    steps = (
        Step(id="a", delay=timedelta(hours=1), channel="email", template="one"),
        Step(id="b", delay=timedelta(hours=23), channel="email", template="two"),
        Step(id="c", delay=timedelta(days=2), channel="email", template="three"),
    )
    kept = without(steps, {"one", "two"})
    assert [(s.id, s.delay) for s in kept] == [("c", timedelta(days=3))]
    assert without(steps, {"one", "two", "three"}) == ()


def test_an_exit_may_name_a_field_value() -> None:
    base = {"event_id": "x", "store_id": "s", "source": "t", "customer": ANA, "occurred_at": T0, "order_id": "o1"}
    low, high = SurveyAnswered(score=3, **base), SurveyAnswered(score=10, **base)
    assert exits("SurveyAnswered:rating=detractor", low)
    assert not exits("SurveyAnswered:rating=detractor", high)
    assert exits("SurveyAnswered", high)
    assert not exits("OrderPlaced", high)


def test_cross_sell_needs_products_to_suggest_and_ends_for_an_unhappy_customer() -> None:
    delivered = OrderDelivered(event_id="d", store_id="s", source="t", customer=ANA, occurred_at=T0, order_id="o1")
    plain = enrolled(decide(default_flows(), {}, CustomerFacts(), delivered, T0))
    assert ("cross_sell", "o1") not in plain
    facts = CustomerFacts(orders={"o1": {"recommendations": [{"name": "Meias", "url": "https://x.test/m"}]}})
    current = enrolled(decide(default_flows(), {}, facts, delivered, T0))
    assert current[("cross_sell", "o1")].context["recommendations"][0]["name"] == "Meias"
    unhappy = SurveyAnswered(
        event_id="s", store_id="s", source="t", customer=ANA, occurred_at=T0 + timedelta(days=3), order_id="o1", score=2
    )
    decisions = decide(default_flows(), current, facts, unhappy, unhappy.occurred_at)
    assert {d.enrolment.flow_id for d in decisions if isinstance(d, Exit)} == {"satisfaction_survey", "cross_sell"}


@pytest.mark.parametrize(
    ("utc", "until"),
    [
        ("2026-11-25T01:30:00+00:00", "2026-11-25T11:00:00+00:00"),  # 22:30 in São Paulo: wait for 08:00
        ("2026-11-25T09:30:00+00:00", "2026-11-25T11:00:00+00:00"),  # 06:30
        ("2026-11-25T12:00:00+00:00", None),  # 09:00: go
        ("2026-11-24T23:59:00+00:00", None),  # 20:59: go
    ],
)
def test_quiet_hours_are_the_customers_night(utc: str, until: str | None) -> None:
    found = quiet_until(datetime.fromisoformat(utc), "America/Sao_Paulo", 21, 8)
    assert (found.astimezone(UTC).isoformat() if found else None) == until


def test_the_cap_lets_a_journey_keep_its_cadence_and_makes_other_flows_wait() -> None:
    day = timedelta(days=1)
    last = T0 - timedelta(hours=2)
    assert cap_until(T0, day, last, "cart#a", "win_back#o1", None) == last + day
    assert cap_until(T0, day, last, "cart#a", "cart#a", None) is None
    assert cap_until(T0, day, T0 - 2 * day, "cart#a", "win_back#o1", None) is None
    rival = T0 + timedelta(hours=3)
    assert cap_until(T0, day, None, None, "win_back#o1", rival) == rival + day


def test_a_link_is_refused_when_edited_expired_or_for_something_else() -> None:
    token = links.sign("k", {"p": "survey", "s": "s", "x": int((T0 + timedelta(days=1)).timestamp())})
    assert links.verify("k", token, "survey", T0)["s"] == "s"
    for bad, purpose, now in (
        (token, "survey", T0 + timedelta(days=2)),
        (token, "unsubscribe", T0),
        (token.replace(".", "x."), "survey", T0),
        ("nonsense", "survey", T0),
    ):
        with pytest.raises(Unauthorized):
            links.verify("k", bad, purpose, now)
    with pytest.raises(Unauthorized):
        links.verify("other key", token, "survey", T0)


def test_writes_to_one_item_become_one_operation_and_counters_add_up() -> None:
    writes = Writes("t")
    writes.put({"pk": "P", "sk": "EVENT#1"}, "attribute_not_exists(pk)")  # the fact: it carries the counts
    key = {"pk": "P", "sk": "PROFILE"}
    writes.revise(key, {"pk": "P", "sk": "PROFILE", "rev": 3, "name": "Ana"}, {"contact_at": "x"})
    writes.revise(key, None, {"last_order_at": "y"}, add={"order_count": 1})
    day = datetime(2026, 11, 24, tzinfo=UTC)
    writes.count("s", day, "FLOW#f", enrolled=1)
    writes.count("s", day, "FLOW#f", recovered_orders=1, enrolled=1)
    items = writes.transact_items()
    assert len(items) == 2  # no counter item in the transaction: it would be every event's hot spot
    log, put = [i["Put"] for i in items]
    assert log["Item"]["counts"] == {"STORE#s#STATS|DAY#2026-11-24#FLOW#f": {"enrolled": 2, "recovered_orders": 1}}
    assert put["Item"] == {
        "pk": "P",
        "sk": "PROFILE",
        "name": "Ana",
        "contact_at": "x",
        "last_order_at": "y",
        "order_count": 1,
        "rev": 4,
    }
    assert put["ExpressionAttributeValues"] == {":rev": 3}
    bare = Writes("t")
    bare.count("s", day, "FLOW#f", enrolled=1)
    with pytest.raises(ValueError, match="need a put"):  # counts never ride on an item rewritten over time
        bare.transact_items()


def test_a_low_score_case_carries_a_whatsapp_link_with_the_first_words_written() -> None:
    from proativo.customers.profile import agent_whatsapp_link

    profile = {"phone": "(21) 91234-5678", "name": "Carla Dias", "locale": "pt-BR"}
    link = agent_whatsapp_link(profile, "low_score", "20261124-ABC123", "5003")
    assert link is not None and link.startswith("https://wa.me/5521912345678?text=Ol%C3%A1%20Carla%21")
    assert "5003" in link
    other = agent_whatsapp_link(
        {**profile, "phone": "+55 21 91234-5678", "locale": "en-US"}, "store", "20261124-ABC123", None
    )
    assert other is not None and "20261124-ABC123" in other and "Hi%20Carla" in other
    assert agent_whatsapp_link({"name": "Carla"}, "low_score", "20261124-ABC123", "5003") is None
