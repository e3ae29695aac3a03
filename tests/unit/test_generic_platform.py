"""The generic JSON platform: HMAC over timestamp and body, a replay window, and strict mapping."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from proativo.errors import InvalidPayload, Unauthorized
from proativo.events import CartUpdated
from proativo.ids import customer_id_for_email
from proativo.platforms.generic import GenericPlatform, sign

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SECRET = "s3cret"
BODY = json.dumps(
    {
        "topic": "cart.updated",
        "id": "evt-1",
        "occurred_at": "2026-11-24T09:00:00-03:00",
        "customer": {"email": "Ana@Example.com", "name": "Ana"},
        "data": {"cart_id": "c1", "currency": "BRL", "total": "10.50", "items": []},
    }
).encode()
platform = GenericPlatform()


def headers(at: datetime = NOW, secret: str = SECRET, body: bytes = BODY) -> dict[str, str]:
    return platform.sign_headers(secret, body, at)


def test_a_signed_request_verifies() -> None:
    platform.verify(headers(), BODY, SECRET, NOW, 300)


@pytest.mark.parametrize(
    ("given", "body", "reason"),
    [
        (headers(), BODY.replace(b"10.50", b"0.01"), "does not match"),
        (headers(secret="other"), BODY, "does not match"),
        ({}, BODY, "missing"),
        ({"x-proativo-timestamp": str(int(NOW.timestamp()))}, BODY, "missing"),
        (headers(at=NOW - timedelta(minutes=6)), BODY, "tolerance"),
        ({**headers(), "x-proativo-timestamp": "yesterday"}, BODY, "Unix seconds"),
    ],
    ids=["tampered-body", "wrong-secret", "no-headers", "no-signature", "replayed", "bad-timestamp"],
)
def test_a_request_that_is_not_ours_is_refused(given: dict[str, str], body: bytes, reason: str) -> None:
    with pytest.raises(Unauthorized, match=reason):
        platform.verify(given, body, SECRET, NOW, 300)


def test_a_rotated_secret_can_be_accepted_alongside_the_old_one() -> None:
    both = f"{sign('old', int(NOW.timestamp()), BODY)}, {sign(SECRET, int(NOW.timestamp()), BODY)}"
    platform.verify(
        {"x-proativo-timestamp": str(int(NOW.timestamp())), "x-proativo-signature": both}, BODY, SECRET, NOW, 300
    )


def test_a_cart_maps_to_the_canonical_event_with_a_customer_id_from_the_email() -> None:
    (event,) = platform.parse({}, BODY, "loja", NOW) or []
    assert isinstance(event, CartUpdated)
    assert event.store_id == "loja"
    assert event.event_id == "generic:evt-1"
    assert event.customer.id == customer_id_for_email("ana@example.com")
    assert event.customer.email == "ana@example.com"
    assert str(event.total) == "10.50"
    assert event.occurred_at == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_an_unknown_topic_is_ignored_not_refused() -> None:
    assert platform.parse({}, json.dumps({"topic": "product.updated"}).encode(), "loja", NOW) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"data": {"cart_id": "c1", "currency": "BRL", "total": "-1"}}, "data.total"),
        ({"data": {"currency": "BRL", "total": "1"}}, "data.cart_id"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"customer": {"name": "no contact"}}, "customer.id"),
        ({"topic": None}, "topic"),
    ],
)
def test_an_invalid_payload_names_the_field(change: dict, field: str) -> None:
    body = json.dumps({**json.loads(BODY), **change}).encode()
    with pytest.raises(InvalidPayload) as caught:
        platform.parse({}, body, "loja", NOW)
    assert caught.value.field == field


def test_a_body_that_is_not_json_is_refused() -> None:
    with pytest.raises(InvalidPayload, match="not valid JSON"):
        platform.parse({}, b"{nope", "loja", NOW)
