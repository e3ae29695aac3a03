"""Who may be contacted: opt-out respected everywhere, opt-in required for SMS and WhatsApp."""

from proativo.customers.consent import may_contact


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


def test_the_newer_statement_wins_whoever_made_it() -> None:
    granted_then = {"email#marketing": {"granted": True, "at": "2026-11-24T11:00:00Z"}}
    refused_later = {"accepts_marketing": False, "accepts_marketing_at": "2026-11-24T11:55:00Z"}
    assert may_contact(refused_later, granted_then, set(), "email", "marketing").reason == "opted_out"
    refused_before = {"accepts_marketing": False, "accepts_marketing_at": "2026-11-24T10:00:00Z"}
    assert may_contact(refused_before, granted_then, set(), "email", "marketing").allowed
    sms_then = {"sms#marketing": {"granted": False, "at": "2026-11-24T11:00:00Z"}}
    sms_later = {"accepts_sms": True, "accepts_sms_at": "2026-11-24T12:00:00Z"}
    assert may_contact(sms_later, sms_then, set(), "sms", "marketing").allowed


def test_a_tie_goes_to_the_withdrawal() -> None:
    at = "2026-11-24T11:00:00Z"
    granted = {"email#marketing": {"granted": True, "at": at}}
    assert not may_contact(
        {"accepts_marketing": False, "accepts_marketing_at": at}, granted, set(), "email", "marketing"
    ).allowed
    refused = {"email#marketing": {"granted": False, "at": at}}
    assert not may_contact(
        {"accepts_marketing": True, "accepts_marketing_at": at}, refused, set(), "email", "marketing"
    ).allowed


def test_a_profile_from_before_flags_were_dated_is_dated_by_its_last_contact() -> None:
    granted = {"email#marketing": {"granted": True, "at": "2026-11-24T11:00:00Z"}}
    legacy = {"accepts_marketing": False, "contact_at": "2026-11-24T12:00:00Z"}
    assert not may_contact(legacy, granted, set(), "email", "marketing").allowed
