"""Input nobody here wrote, through the public edges (the webhook route, the queues, the sender): another store's
ids, purchases told out of order, consent that changes its mind, future dates, absurd numbers, odd signatures,
hostile links and headers, a dependency that stumbles. Each answer is a 4xx or a retry, never a 500 or a wrong
message."""

import email
import json
from email import policy
from typing import Any

import pytest
from moto.ses.models import ses_backends

from infra.local.moto_patches import raw_mime
from infra.local.samples import raw_body
from infra.local.stack import ACCOUNT, DEMO_SECRET, REGION
from tests.conftest import EVENTS, Harness, cart, generic, order

HOUR = 3600
OTHER_SECRET = "outra-secret"


def _other_store(harness: Harness, store: str = "outra-loja") -> None:
    from proativo import aws, stores

    stores.put_webhook_secret(aws.ssm(), "/proativo/local", store, "generic", OTHER_SECRET)


def _paid(event_id: str, at: str, order_id: str = "o-1", **customer: Any) -> dict[str, Any]:
    return generic("order.paid", event_id, at, {"order_id": order_id, "total": "199.90"}, customer or None)


# 1. Tenant isolation


def test_the_same_event_id_at_two_stores_is_two_events(harness: Harness) -> None:
    _other_store(harness)
    body = cart("e1", "2026-11-24T11:55:00Z")
    assert harness.post(body).status == 202
    assert harness.post(body, store="outra-loja", secret=OTHER_SECRET).status == 202
    for store in ("demo", "outra-loja"):
        assert len(harness.items("c-1", "EVENT#", store=store)) == 1, store
        (enrolment,) = harness.items("c-1", "ENROL#", store=store)
        assert enrolment["status"] == "active"


def test_the_same_shopify_order_number_at_two_stores_is_two_orders(harness: Harness) -> None:
    from proativo import aws, stores

    stores.put_webhook_secret(aws.ssm(), "/proativo/local", "outra-loja", "shopify", OTHER_SECRET)
    event = json.loads((EVENTS / "webhooks" / "shopify" / "orders-paid.json").read_text(encoding="utf-8"))
    headers = {k: v for k, v in event["headers"].items() if k != "x-shopify-hmac-sha256"}  # each store signs its own
    first = harness.post(raw_body(event), platform="shopify", headers=headers)
    second = harness.post(raw_body(event), platform="shopify", store="outra-loja", secret=OTHER_SECRET, headers=headers)
    assert (first.status, second.status) == (202, 202)
    customer = _only_customer(harness, "demo")
    assert harness.items(customer, "ORDER#", store="outra-loja"), "the second store's order was dropped"


def _only_customer(harness: Harness, store: str) -> str:
    prefix = f"STORE#{store}#CUST#"
    items = harness.table().scan()["Items"]
    (customer,) = {
        str(i["pk"]).removeprefix(prefix) for i in items if i["sk"] == "PROFILE" and i["pk"].startswith(prefix)
    }
    return customer


ODD_IDS = ["", None, {"a": 1}, [1], True, "a\r\nX-Injected: 1", "x" * 300, 1.5]


def test_an_event_id_that_is_not_an_id_is_refused(harness: Harness) -> None:
    for event_id in ODD_IDS:
        body = cart("e1", "2026-11-24T11:55:00Z")
        body["id"] = event_id
        answer = harness.post(body, drain=False)
        assert (answer.status, answer.body.get("field")) == (400, "id"), (event_id, answer.body)
    assert harness.received() == 0


# 2. A purchase ends abandonment, whatever order it arrives in


def test_an_order_paid_without_an_order_placed_ends_the_cart_reminders(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T11:55:00Z"))
    harness.post(_paid("p1", "2026-11-24T12:10:00Z"))
    (enrolment,) = [e for e in harness.items("c-1", "ENROL#") if e["flow_id"].startswith("cart_")]
    assert (enrolment["status"], enrolment.get("exit_reason")) == ("exited", "OrderPaid")
    harness.stack.jump(2 * HOUR)
    assert [e.template for e in harness.outbox.entries if e.template.startswith("cart")] == []


@pytest.mark.parametrize("purchase", ["order.paid", "order.placed"])
def test_a_cart_older_than_the_last_purchase_arriving_late_never_enrols(harness: Harness, purchase: str) -> None:
    body = _paid("p1", "2026-11-24T11:50:00Z") if purchase == "order.paid" else order("o1", "2026-11-24T11:50:00Z")
    harness.post(body)
    harness.post(cart("e1", "2026-11-24T11:40:00Z"))  # sent before the purchase, delivered after it
    assert [e for e in harness.items("c-1", "ENROL#") if e["flow_id"].startswith("cart_")] == []
    harness.stack.jump(2 * HOUR)
    assert [e.template for e in harness.outbox.entries if e.template.startswith("cart")] == []


def test_a_boleto_reminder_told_after_the_payment_is_never_enrolled(harness: Harness) -> None:
    harness.post(_paid("p1", "2026-11-24T11:58:00Z", order_id="o-9"))
    pending = generic(
        "payment.pending",
        "pp1",
        "2026-11-24T11:50:00Z",
        {"order_id": "o-9", "method": "boleto", "expires_at": "2026-11-27T11:50:00Z"},
    )
    assert harness.post(pending).status == 202
    assert [e for e in harness.items("c-1", "ENROL#") if e["flow_id"] == "payment_pending"] == []


# 3. Consent by its own time; time that cannot lie


def test_a_newer_platform_refusal_beats_an_older_recorded_grant(harness: Harness) -> None:
    grant = generic("consent.changed", "k1", "2026-11-24T11:00:00Z", {"channel": "email", "granted": True})
    harness.post(grant)
    refusing = {"id": "c-1", "email": "maria@example.com", "name": "Maria Silva", "accepts_marketing": False}
    harness.post(cart("e1", "2026-11-24T11:55:00Z", **refusing))
    harness.stack.jump(HOUR + 300)
    assert [e.template for e in harness.outbox.entries] == []


def test_a_newer_recorded_grant_beats_an_older_platform_refusal(harness: Harness) -> None:
    refusing = {"id": "c-1", "email": "maria@example.com", "name": "Maria Silva", "accepts_marketing": False}
    harness.post(cart("e1", "2026-11-24T11:50:00Z", **refusing))
    grant = generic("consent.changed", "k1", "2026-11-24T11:55:00Z", {"channel": "email", "granted": True})
    harness.post(grant)
    harness.stack.jump(HOUR + 300)
    assert [e.template for e in harness.outbox.entries] == ["cart_abandoned_1"]


def test_an_event_dated_in_the_future_is_taken_at_its_receipt_and_cannot_outlive_a_withdrawal(
    harness: Harness,
) -> None:
    future = generic("consent.changed", "k1", "2027-06-01T00:00:00Z", {"channel": "email", "granted": True})
    assert harness.post(future).status == 202
    (consent,) = harness.items("c-1", "CONSENT#")
    assert (consent["granted"], consent["at"]) == (True, "2026-11-24T12:00:00Z")  # its receipt, not next June
    harness.stack.advance(60)
    withdrawal = generic("consent.changed", "k2", "2026-11-24T12:01:00Z", {"channel": "email", "granted": False})
    assert harness.post(withdrawal).status == 202
    (consent,) = harness.items("c-1", "CONSENT#")
    assert (consent["granted"], consent["at"]) == (False, "2026-11-24T12:01:00Z")
    # A few minutes ahead is a clock running fast, not a lie: taken as dated.
    assert harness.post(cart("e1", "2026-11-24T12:04:00Z")).status == 202
    (stored,) = harness.items("c-1", "CART#")
    assert stored["updated_at"] == "2026-11-24T12:04:00Z"


# 4. Numbers with bounds


ABSURD_TOTALS = [b"1e308", b"1" + b"0" * 400, b'"NaN"', b'"Infinity"', b'"0.1234567"', b'"-1"', b"true", b"[1]"]


def test_absurd_amounts_are_refused_at_the_door(harness: Harness) -> None:
    for raw_total in ABSURD_TOTALS:
        body = json.dumps(cart("e1", "2026-11-24T11:55:00Z", total="1.00")).encode()
        body = body.replace(b'"total": "1.00"', b'"total": ' + raw_total, 1)
        answer = harness.post(body, drain=False)
        assert (answer.status, answer.body.get("field")) == (400, "data.total"), (raw_total[:20], answer.body)
    assert harness.received() == 0


def test_a_quantity_of_ten_to_the_thirty_is_refused(harness: Harness) -> None:
    body = cart("e1", "2026-11-24T11:55:00Z")
    body["data"]["items"][0]["quantity"] = 10**30
    answer = harness.post(body, drain=False)
    assert (answer.status, answer.body["field"]) == (400, "data.items.0.quantity")


# 5. Signature parsing never crashes


ODD_STAMPS = ["²", "1" * 5000, "+1764000000", " 1764000000", "1764000000 ", "-1", "1e9", "١٧٦٤٠٠٠٠٠٠", "\ud800"]


def test_odd_timestamps_are_unauthorized_on_every_signed_route(harness: Harness) -> None:
    body = json.dumps(cart("e1", "2026-11-24T11:55:00Z")).encode()
    for stamp in ODD_STAMPS:
        headers = {"x-proativo-timestamp": stamp, "x-proativo-signature": "v1=" + "0" * 64}
        for method, path in (
            ("POST", "/webhooks/generic/demo"),
            ("POST", "/webhooks/carrier/expressa/demo"),
            ("GET", "/stores/demo/customers/c-1"),
        ):
            status, _, out = harness.stack.http(method, path, headers, body if method == "POST" else b"")
            assert status == 401, (stamp[:20], path, status, out)
    assert harness.received() == 0


# 7. Nothing from a webhook reaches a header or a link unsanitised


def test_a_javascript_link_never_becomes_an_href_and_crlf_never_adds_a_header(harness: Harness) -> None:
    body = cart("e1", "2026-11-24T11:55:00Z", id="c-1", email="maria@example.com", name="Maria\r\nBcc: x@evil.test")
    body["data"]["recovery_url"] = "javascript:alert(document.cookie)"
    body["data"]["items"][0]["url"] = "data:text/html,<script>alert(1)</script>"
    assert harness.post(body).status == 202
    harness.stack.jump(HOUR + 300)
    (sent,) = ses_backends[ACCOUNT][REGION].sent_messages
    message = email.message_from_string(raw_mime(sent), policy=policy.default)
    assert message["Bcc"] is None
    assert "\r" not in str(message["Subject"]) and "\n" not in str(message["Subject"])
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    page = str(html.get_content())
    assert "javascript:" not in page and "data:text" not in page
    assert 'href="https://' in page  # the button leads to the store instead


def test_an_order_id_with_a_line_break_is_refused(harness: Harness) -> None:
    body = order("o1", "2026-11-24T11:55:00Z", order_id="o-1\r\nX-Extra: 1")
    answer = harness.post(body, drain=False)
    assert (answer.status, answer.body["field"]) == (400, "data.order_id")


# 8. A dependency's hiccup is not the caller's fault


def test_ssm_throttled_is_503_not_unknown_store(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_lambda_powertools.utilities import parameters
    from botocore.exceptions import ClientError

    def throttled(*args: Any, **kwargs: Any) -> Any:
        try:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetParameter")
        except ClientError as exc:
            raise parameters.exceptions.GetParameterError(str(exc))  # as Powertools wraps it  # noqa: B904

    monkeypatch.setattr(parameters, "get_parameter", throttled)
    answer = harness.post(cart("e1", "2026-11-24T11:55:00Z"), drain=False)
    assert (answer.status, answer.body["error"]) == (503, "unavailable")
    assert harness.received() == 0


def test_dynamodb_throttled_while_recording_is_503(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError
    from proativo.intake import deliveries

    def throttled(*args: Any, **kwargs: Any) -> bool:
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "PutItem"
        )

    monkeypatch.setattr(deliveries, "record", throttled)
    answer = harness.post(cart("e1", "2026-11-24T11:55:00Z"), drain=False)
    assert answer.status == 503
    assert harness.items("c-1") == []


# 9. The local stack survives what it serves


def test_a_failing_outbox_is_reported_and_the_stack_goes_on(harness: Harness) -> None:
    def full_disk(invocation: Any) -> None:
        raise OSError(28, "No space left on device")

    harness.stack.listeners.insert(0, full_disk)
    assert harness.post(cart("e1", "2026-11-24T11:55:00Z")).status == 202
    harness.stack.jump(HOUR + 300)  # the clock goes on: the reminder is sent and still reaches the outbox
    assert [e.template for e in harness.outbox.entries] == ["cart_abandoned_1"]
    assert harness.stack.incidents and "No space left on device" in harness.stack.incidents[-1]


# 10. Personal data has an end


def test_a_relayed_delivery_keeps_its_key_and_not_the_customer(harness: Harness) -> None:
    body = cart("e1", "2026-11-24T11:55:00Z", id="c-1", email="maria@example.com", phone="+5511987654321")
    assert harness.post(body, headers={"x-proativo-delivery": "d-1"}).status == 202
    deliveries = harness.stack.client("dynamodb").scan(TableName=harness.stack.physical["DeliveriesTable"])["Items"]
    assert [d["id"]["S"] for d in deliveries] == ["demo:generic:d-1"]
    assert "maria@example.com" not in json.dumps(deliveries) and "98765" not in json.dumps(deliveries)
    # The key still makes a redelivery a duplicate.
    again = harness.post(body, headers={"x-proativo-delivery": "d-1"})
    assert (again.status, again.body["status"]) == (200, "duplicate")


def test_an_unsubscribe_that_cannot_be_recorded_never_says_it_was(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urllib.parse import urlsplit

    from botocore.exceptions import ClientError

    harness.post(cart("e1", "2026-11-24T11:55:00Z"))
    harness.stack.jump(HOUR + 300)
    raw = raw_mime(ses_backends[ACCOUNT][REGION].sent_messages[-1])
    link = str(email.message_from_string(raw, policy=policy.default)["List-Unsubscribe"]).strip("<>")
    from proativo.intake import deliveries

    def throttled(*args: Any, **kwargs: Any) -> bool:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutItem")

    monkeypatch.setattr(deliveries, "record", throttled)
    parts = urlsplit(link)
    status, _, page = harness.stack.http("POST", parts.path, {}, b"List-Unsubscribe=One-Click", parts.query)
    assert status == 503
    assert "não vai mais receber" not in page.decode()
    monkeypatch.undo()
    status, _, page = harness.stack.http("POST", parts.path, {}, b"List-Unsubscribe=One-Click", parts.query)
    harness.stack.drain()
    assert status == 200 and "não vai mais receber" in page.decode()
    (consent,) = harness.items("c-1", "CONSENT#")
    assert consent["granted"] is False


def test_a_store_id_ssm_cannot_name_is_an_unknown_store_not_an_outage(harness: Harness) -> None:
    from proativo.edge.storeapi import sign_request

    for store in ("Loja..Demo", "a" * 300, "demo_1"):
        path = f"/stores/{store}/customers/c-1"
        headers = sign_request(DEMO_SECRET, "GET", path, harness.stack.clock.now())
        status, _, out = harness.stack.http("GET", path, headers, b"")
        assert status == 404, (store[:20], status, out)
