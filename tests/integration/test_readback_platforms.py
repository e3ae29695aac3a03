"""Nuvemshop and VTEX only notify: the route verifies and queues the notice, the events function reads the order
back from the platform's API (recorded responses in their documented formats, served by respx) and applies it."""

import io
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import respx
from proativo.cli.main import main as cli

from infra.local.samples import raw_body
from tests.conftest import EVENTS, WHERE, Harness

FIXTURES = Path(__file__).resolve().parents[2] / "infra" / "local" / "fake_platforms"
NUVEMSHOP_ORDER = "https://api.nuvemshop.com.br/v1/1203577/orders/1489225701"
VTEX_ORDER = "https://lojademo.vtexcommercestable.com.br/api/oms/pvt/orders/1478930512345-01"


def _fixture(path: str) -> dict:
    found: dict = json.loads((FIXTURES / path).read_text(encoding="utf-8"))
    return found


def _post_sample(harness: Harness, platform: str, name: str, **kwargs: object):
    event = json.loads((EVENTS / "webhooks" / platform / f"{name}.json").read_text(encoding="utf-8"))
    harness.received_at(event)
    return harness.post(raw_body(event), platform=platform, headers=event["headers"], **kwargs)


def _credentials(monkeypatch: pytest.MonkeyPatch, platform: str, value: dict) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(value)))
    assert cli(["stores", "set-api-credentials", "demo", "--platform", platform, *WHERE]) == 0


def test_a_nuvemshop_order_is_read_back_and_applied(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    _credentials(monkeypatch, "nuvemshop", {"access_token": "tok-nuvem"})
    with respx.mock(assert_all_called=True) as api:
        route = api.get(NUVEMSHOP_ORDER).respond(json=_fixture("nuvemshop/orders/1489225701-paid.json"))
        assert _post_sample(harness, "nuvemshop", "order-paid").status == 202
    assert route.calls.last.request.headers["Authentication"] == "bearer tok-nuvem"
    (order,) = [i for i in harness.table().scan()["Items"] if i["sk"] == "ORDER#2210"]
    assert (order["status"], str(order["total"])) == ("paid", "264.70")
    # The buyer's CPF (`customer.identification`) is kept only as the keyed digest a complaint can be matched by.
    assert str(order["tax_id_digest"]).startswith("h1:")
    assert "52998224725" not in json.dumps(harness.table().scan()["Items"], default=str)


def test_a_nuvemshop_shipment_read_back_tells_the_customer(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    _credentials(monkeypatch, "nuvemshop", {"access_token": "tok-nuvem"})
    with respx.mock() as api:
        api.get(NUVEMSHOP_ORDER).respond(json=_fixture("nuvemshop/orders/1489225701.json"))
        _post_sample(harness, "nuvemshop", "order-fulfilled")
        harness.stack.jump(timedelta(days=2).total_seconds())
    assert [(e.recipient, e.template) for e in harness.outbox.entries if e.channel == "email"] == [
        ("luiza.martins@example.com", "order_thanks"),  # the read-back order is paid as well as shipped
        ("luiza.martins@example.com", "order_shipped"),
    ]


def test_the_platform_api_failing_is_retried_not_lost(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    _credentials(monkeypatch, "vtex", {"app_key": "vtexappkey-lojademo-ABCDEF", "app_token": "secret-token"})
    with respx.mock() as api:
        route = api.get(VTEX_ORDER)
        route.side_effect = [
            httpx.Response(503),
            httpx.Response(429),
            httpx.Response(200, json=_fixture("vtex/orders/1478930512345-01.json")),
        ]
        assert _post_sample(harness, "vtex", "order-payment-approved").status == 202
    assert route.call_count == 3
    assert route.calls.last.request.headers["X-VTEX-API-AppToken"] == "secret-token"
    orders = [i for i in harness.table().scan()["Items"] if i["sk"] == "ORDER#1478930512345-01"]
    assert [(o["status"], str(o["total"]), o["tracking_code"]) for o in orders] == [
        ("shipped", "459.90", "AA123456785BR")
    ]
    assert str(orders[0]["tax_id_digest"]).startswith("h1:")  # `clientProfileData.document`, never kept as such
    assert harness.queue_depth("EventsDLQ") == 0


def test_a_vtex_hook_without_the_store_token_is_refused(harness: Harness) -> None:
    event = json.loads((EVENTS / "webhooks" / "vtex" / "order-invoiced.json").read_text(encoding="utf-8"))
    headers = {k: v for k, v in event["headers"].items() if k != "x-proativo-token"}
    assert harness.post(raw_body(event), platform="vtex", headers=headers, signed=False).status == 401
    wrong = {**headers, "x-proativo-token": "guess"}
    assert harness.post(raw_body(event), platform="vtex", headers=wrong, signed=False).status == 401


def test_an_order_gone_from_the_platform_changes_nothing(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    _credentials(monkeypatch, "nuvemshop", {"access_token": "tok-nuvem"})
    with respx.mock() as api:
        api.get(NUVEMSHOP_ORDER).respond(404)
        assert _post_sample(harness, "nuvemshop", "order-paid").status == 202
    assert [i for i in harness.table().scan()["Items"] if i["sk"].startswith("ORDER#")] == []
    assert harness.queue_depth("EventsDLQ") == 0


def test_credentials_missing_a_key_are_refused(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"app_key": "only-the-key"})))
    assert cli(["stores", "set-api-credentials", "demo", "--platform", "vtex", *WHERE]) == 2
