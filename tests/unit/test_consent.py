"""Who may be contacted: opt-out respected everywhere, opt-in required for SMS and WhatsApp."""

from proativo.consent import may_contact


def test_email_marketing_is_allowed_unless_refused() -> None:
    assert may_contact({}, {}, set(), "email", "marketing").allowed
    assert not may_contact({"accepts_marketing": False}, {}, set(), "email", "marketing").allowed


def test_sms_needs_an_opt_in_even_for_order_news() -> None:
    assert may_contact({}, {}, set(), "sms", "marketing").reason == "no_opt_in"
    assert may_contact({}, {}, set(), "sms", "transactional").reason == "no_opt_in"
    assert may_contact({"accepts_marketing": True}, {}, set(), "sms", "transactional").reason == "no_opt_in"
    assert may_contact({"accepts_sms": True}, {}, set(), "sms", "transactional").allowed


def test_a_recorded_withdrawal_beats_what_the_platform_says() -> None:
    consents = {"email#marketing": {"granted": False}, "sms#marketing": {"granted": False}}
    assert not may_contact({"accepts_marketing": True}, consents, set(), "email", "marketing").allowed
    assert not may_contact({"accepts_sms": True}, consents, set(), "sms", "transactional").allowed


def test_transactional_email_goes_unless_suppressed() -> None:
    assert may_contact({"accepts_marketing": False}, {}, set(), "email", "transactional").allowed
    assert may_contact({}, {}, {"email"}, "email", "transactional").reason == "suppressed"
