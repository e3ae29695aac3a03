"""LGPD through the store's signed API and the CLI: a customer's data exported whole, erased whole, and not brought
back by a late retry; another store's secret opens nothing."""

import json
from typing import Any

import pytest
from proativo.cli.main import main as cli
from proativo.edge.storeapi import sign_request

from infra.local.stack import DEMO_SECRET
from tests.conftest import WHERE, Harness, cart, generic

PATH = "/stores/demo/customers/c-1"


def _api(harness: Harness, method: str, path: str = PATH, secret: str = DEMO_SECRET) -> tuple[int, dict[str, Any]]:
    headers = sign_request(secret, method, path, harness.stack.clock.now())
    status, _, body = harness.stack.http(method, path, headers, b"")
    return status, json.loads(body or b"{}")


def _customer_day(harness: Harness) -> None:
    who = {"id": "c-1", "email": "maria@example.com", "phone": "+5511999990000", "name": "Maria Silva"}
    harness.post(cart("e1", "2026-11-24T12:00:00Z", **who))
    shipped = {"order_id": "o1", "carrier": "correios", "tracking_code": "AA123456785BR"}
    harness.post(generic("order.shipped", "s1", "2026-11-24T12:01:00Z", shipped, who))
    harness.stack.advance(2 * 3600)


def test_the_store_exports_everything_it_holds_about_a_customer(harness: Harness) -> None:
    _customer_day(harness)
    status, exported = _api(harness, "GET")
    assert status == 200
    records = exported["records"]
    assert {"cart", "enrolment", "message", "event", "parcel"} <= set(records)
    (profile,) = records["profile"]
    assert (profile["email"], profile["phone"], profile["name"]) == (
        "maria@example.com",
        "+5511999990000",
        "Maria Silva",
    )


def test_erasure_removes_every_item_and_a_late_retry_does_not_bring_them_back(harness: Harness) -> None:
    _customer_day(harness)
    status, answer = _api(harness, "DELETE")
    # The lookups that pointed at the customer: their parcel's (pushes, aggregators) and their order's (the page's
    # look-up by number and e-mail).
    assert status == 200 and answer["erased_items"] > 5 and answer["erased_lookups"] == 2
    left = harness.items("c-1")
    assert [i["sk"] for i in left] == ["ERASED"] and set(left[0]) == {"pk", "sk", "kind", "erased_at"}
    assert harness.items("c-1", "EVENT#") == []  # the log of what was applied to them goes too
    assert harness.table().get_item(Key={"pk": "STORE#demo#ORDERREF#o1", "sk": "REF"}).get("Item") is None
    # The platform retries the cart event later: it happened before the erasure, so it is ignored.
    harness.post(cart("e1-retry", "2026-11-24T12:00:00Z", id="c-1", email="maria@example.com"))
    assert [i["sk"] for i in harness.items("c-1")] == ["ERASED"]
    harness.stack.jump(3 * 24 * 3600)
    assert len(harness.outbox.entries) == 2  # nothing more goes out: the pending reminders were erased with them


@pytest.mark.parametrize(
    ("path", "secret", "status"),
    [
        (PATH, "another-store-secret", 401),  # the wrong secret
        ("/stores/nobody/customers/c-1", DEMO_SECRET, 404),  # a store that does not exist
    ],
)
def test_the_api_opens_nothing_without_the_stores_own_signature(
    harness: Harness, path: str, secret: str, status: int
) -> None:
    _customer_day(harness)
    assert _api(harness, "DELETE", path, secret)[0] == status
    assert len(harness.items("c-1")) > 5


def test_a_signature_for_one_customer_does_not_open_another(harness: Harness) -> None:
    _customer_day(harness)
    headers = sign_request(DEMO_SECRET, "GET", "/stores/demo/customers/c-2", harness.stack.clock.now())
    status, _, _ = harness.stack.http("GET", PATH, headers, b"")
    assert status == 401


def test_the_cli_exports_and_erases_too(harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    _customer_day(harness)
    assert cli(["customers", "export", "demo", "c-1", *WHERE]) == 0
    assert "maria@example.com" in capsys.readouterr().out
    assert cli(["customers", "erase", "demo", "c-1", *WHERE]) == 0
    assert json.loads(capsys.readouterr().out)["erased_items"] > 5
    assert [i["sk"] for i in harness.items("c-1")] == ["ERASED"]
