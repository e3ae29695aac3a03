"""The send rules one by one, without AWS: `decide(request, facts, now)` on the facts a customer's read brings."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from proativo.clock import as_utc
from proativo.messaging.decision import (
    Facts,
    Marketing,
    Postpone,
    Send,
    SendRequest,
    Skip,
    decide,
    needs_marketing_facts,
)
from proativo.stores import StoreProfile

# 15:00 in São Paulo: outside the default quiet hours (21:00-08:00).
NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
STORE = StoreProfile(store_id="s1", name="Loja", marketing_cap_hours=24)
HOUR = timedelta(hours=1)


def request(channel: str = "email", purpose: str = "marketing", flow: str = "cart_abandoned") -> SendRequest:
    return SendRequest.model_validate(
        {
            "message_id": "m1",
            "store_id": "s1",
            "customer_id": "c1",
            "flow_id": flow,
            "key": "cart-1",
            "index": 0,
            "step_id": "first",
            "channel": channel,
            "template": "cart_reminder",
            "purpose": purpose,
        }
    )


def facts(**changes: Any) -> Facts:
    base = Facts(
        enrolment={"status": "active"},
        step={"status": "queued", "scheduled_for": as_utc(NOW), "priority": 0},
        message_handled=False,
        profile={
            "email": "ana@example.com",
            "phone": "11 98765-4321",
            "accepts_marketing": True,
            "accepts_sms": True,
            "contact_at": as_utc(NOW - timedelta(days=1)),
        },
        consents={},
        suppressed=frozenset(),
        channel_connected=True,
        store=STORE,
        marketing=Marketing(do_not_contact=False, rival_due_at=None),
    )
    return replace(base, **changes)


def test_a_message_that_may_go_goes_to_the_channel_s_address() -> None:
    assert decide(request(), facts(), NOW) == Send("ana@example.com", timedelta(hours=24))
    # A phone is read in the store's country and sent as E.164; a transactional message is never capped.
    assert decide(request("sms", "transactional"), facts(), NOW) == Send("+5511987654321", timedelta(0))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"enrolment": None}, "unknown_step"),
        ({"step": None}, "unknown_step"),
        ({"enrolment": {"status": "exited", "exit_reason": "OrderPlaced"}}, "exited:OrderPlaced"),
        ({"step": {"status": "canceled", "scheduled_for": as_utc(NOW)}}, "exited:canceled"),
        # The journey's wait for this very step began again after the message left (a cart touched once more).
        (
            {"enrolment": {"status": "active", "pending": {"index": 0, "scheduled_for": as_utc(NOW + HOUR)}}},
            "rescheduled",
        ),
        ({"message_handled": True}, "duplicate"),
        ({"suppressed": frozenset({"email"})}, "suppressed"),
        ({"channel_connected": False}, "channel_unavailable:email"),
        ({"store": None}, "unknown_store"),
        ({"profile": {"accepts_marketing": True}}, "no_email_address"),
        ({"marketing": Marketing(do_not_contact=True, rival_due_at=None)}, "do_not_contact"),
    ],
)
def test_each_reason_not_to_send(changes: dict[str, Any], reason: str) -> None:
    assert decide(request(), facts(**changes), NOW) == Skip(reason)


def test_a_step_its_journey_waits_for_at_its_time_or_has_left_behind_goes() -> None:
    """The dispatcher queues the step, then moves the journey on: the sender may see either."""
    for pending in (
        {"index": Decimal(0), "scheduled_for": as_utc(NOW)},
        {"index": 1, "scheduled_for": as_utc(NOW + HOUR)},
    ):
        journey = {"status": "active", "pending": pending}
        assert decide(request(), facts(enrolment=journey), NOW) == Send("ana@example.com", timedelta(hours=24))


def test_consent_is_the_customer_s_latest_word() -> None:
    withdrawn = {"email#marketing": {"granted": False, "at": as_utc(NOW)}}
    assert decide(request(), facts(consents=withdrawn), NOW) == Skip("opted_out")
    # Their own orders' news still reaches them.
    assert isinstance(decide(request(purpose="transactional"), facts(consents=withdrawn), NOW), Send)
    # SMS and WhatsApp need an opt-in, even for order news.
    no_opt_in = facts(profile={"phone": "11 98765-4321"})
    assert decide(request("sms", "transactional"), no_opt_in, NOW) == Skip("no_opt_in")


def test_the_do_not_contact_list_binds_marketing_only() -> None:
    listed = facts(marketing=Marketing(do_not_contact=True, rival_due_at=None))
    assert decide(request(purpose="transactional"), listed, NOW) == Send("ana@example.com", timedelta(0))


def test_phones_never_ring_in_the_customer_s_night() -> None:
    night = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 23:00 in São Paulo
    morning = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # 08:00 there
    decided = decide(request("sms", "transactional"), facts(), night)
    assert decided == Postpone(morning, "quiet_hours")
    # The customer's own time zone wins over the store's; e-mail does not ring.
    lisbon = facts(profile={**facts().profile, "timezone": "Europe/Lisbon"})  # 02:00 there: quiet too
    assert decide(request("sms", "transactional"), lisbon, night) == Postpone(
        datetime(2026, 11, 25, 8, 0, tzinfo=UTC), "quiet_hours"
    )
    assert isinstance(decide(request("email"), facts(), night), Send)


def test_one_marketing_message_per_period_across_journeys() -> None:
    last = NOW - timedelta(hours=2)
    taken = facts(slot={"last_sent_at": as_utc(last), "journey": "win_back#o1"})
    assert decide(request(), taken, NOW) == Postpone(last + timedelta(hours=24), "frequency_cap")
    # The journey that took the slot keeps its own cadence.
    own = facts(slot={"last_sent_at": as_utc(last), "journey": "cart_abandoned#cart-1"})
    assert isinstance(decide(request(), own, NOW), Send)
    # A store with the cap off.
    uncapped = facts(slot=taken.slot, store=STORE.model_copy(update={"marketing_cap_hours": 0}))
    assert decide(request(), uncapped, NOW) == Send("ana@example.com", timedelta(0))


def test_a_higher_priority_flow_takes_the_slot_and_a_message_too_late_is_dropped() -> None:
    rival = NOW + timedelta(hours=1)
    decided = decide(request(), facts(marketing=Marketing(False, rival)), NOW)
    assert decided == Postpone(rival + timedelta(hours=24), "frequency_cap")
    # Its turn would come more than three days after its schedule: old news, dropped.
    stale = facts(
        marketing=Marketing(False, rival),
        step={"status": "queued", "scheduled_for": as_utc(NOW - timedelta(days=3)), "priority": 0},
    )
    assert decide(request(), stale, NOW) == Skip("frequency_cap")


def test_the_first_pass_stops_where_the_marketing_facts_are_needed() -> None:
    first = facts(marketing=None, slot={"last_sent_at": as_utc(NOW), "journey": "x#y"})
    decided = decide(request("sms"), first, datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    # Not postponed yet: the do-not-contact list, read next, would skip it instead.
    assert decided == Send("+5511987654321", timedelta(hours=24))
    assert needs_marketing_facts(decided, request("sms"))
    # Transactional messages and skipped ones read nothing more.
    assert not needs_marketing_facts(
        decide(request(purpose="transactional"), first, NOW), request(purpose="transactional")
    )
    assert not needs_marketing_facts(decide(request(), replace(first, enrolment=None), NOW), request())


def test_a_send_request_whose_step_time_is_not_a_utc_instant_is_refused() -> None:
    from pydantic import ValidationError

    body = {**request().model_dump(), "scheduled_for": "amanhã"}
    with pytest.raises(ValidationError, match="scheduled_for"):
        SendRequest.model_validate(body)
    assert SendRequest.model_validate({**body, "scheduled_for": "2026-11-24T18:00:00Z"}).step() is not None
