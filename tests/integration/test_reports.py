"""The store's report: counters written as the work happened, read back per day through the signed API and the
CLI; they match a scripted day exactly."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from proativo.cli.main import main as cli
from proativo.edge.storeapi import sign_request

from infra.local.stack import DEMO_SECRET
from tests.conftest import WHERE, Harness, cart, generic, order


def _day(harness: Harness) -> None:
    """Maria abandons a cart, is reminded and buys; João's boleto is reminded and paid; one e-mail bounces."""
    harness.post(cart("e1", "2026-11-24T12:00:00Z", total="300.00"))
    harness.stack.jump(3600 + 300)  # the 1 h reminder
    harness.post(order("o1", "2026-11-24T13:30:00Z"))  # order.placed: 199.90
    joao = {"id": "c-2", "email": "joao@example.com", "name": "João"}
    placed = {"order_id": "6001", "currency": "BRL", "total": "129.90"}
    harness.post(generic("order.placed", "p0", "2026-11-24T13:31:00Z", placed, joao))
    pending = {"order_id": "6001", "method": "boleto", "expires_at": "2026-11-25T03:00:00Z"}
    harness.post(generic("payment.pending", "p1", "2026-11-24T13:32:00Z", pending, joao))
    harness.stack.jump(2 * 3600)  # the reminder, 12 h before it is due: at 15:00
    harness.post(generic("order.paid", "p2", "2026-11-24T15:40:00Z", {"order_id": "6001"}, joao))
    harness.stack.advance(55 * 60)  # the thanks, 5 minutes after the payment


def _get(harness: Harness, path: str, secret: str = DEMO_SECRET) -> tuple[int, dict[str, Any]]:
    raw_path, _, query = path.partition("?")
    headers = sign_request(secret, "GET", path, harness.stack.clock.now())
    status, _, body = harness.stack.http("GET", raw_path, headers, b"", query)
    return status, json.loads(body)


def test_the_report_counts_a_scripted_day_exactly(harness: Harness) -> None:
    _day(harness)
    status, figures = _get(harness, "/stores/demo/reports?from=2026-11-24&to=2026-11-24")
    assert status == 200
    (day,) = figures["days"]
    total = figures["total"]
    assert day["day"] == "2026-11-24"
    assert total["events"] == 5  # Maria's cart and order; João's order, boleto and payment
    assert total["messages"] == {"email": {"sent": 3}}  # reminder, boleto reminder, João's thanks
    assert (total["carts_abandoned"], total["carts_recovered"], total["recovery_rate"]) == (1, 1, 1.0)
    assert total["recovered_revenue"] == "199.90"  # money as a decimal string, never a float
    assert (total["payments_recovered"], total["payments_recovered_value"]) == (1, "129.90")
    assert total["flows"]["cart_abandonment"]["messages_sent"] == 1


def test_the_report_is_the_stores_own_and_says_what_is_wrong_with_a_period(harness: Harness) -> None:
    assert _get(harness, "/stores/demo/reports?from=2026-11-24&to=2026-11-24", "not-the-secret")[0] == 401
    status, answer = _get(harness, "/stores/demo/reports?from=2026-11-30&to=2026-11-24")
    assert status == 400 and "ends before it starts" in answer["reason"]
    assert _get(harness, "/stores/demo/reports?from=yesterday&to=2026-11-24")[0] == 400


def test_the_cli_prints_the_table_and_writes_the_page_with_charts(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _day(harness)
    page = tmp_path / "report.html"
    argv = ["report", "--store", "demo", "--from", "2026-11-23", "--to", "2026-11-24", "--html", str(page)]
    assert cli([*argv, *WHERE]) == 0
    table = capsys.readouterr().out
    assert re.search(r"revenue recovered\s+199\.90", table) and re.search(r"recovery rate\s+100\.0%", table)
    html = page.read_text(encoding="utf-8")
    sent = re.findall(r'class="sent" data-day="([0-9-]+)" data-value="([0-9.]+)"', html)
    assert sent == [("11-23", "0"), ("11-24", "3")]


def test_deliveries_opens_and_clicks_count_once_per_message(harness: Harness) -> None:
    from infra.local.shapes import sns_event

    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.advance(3600 + 60)
    (message,) = harness.items("c-1", "MSG#")
    tags = {"store_id": ["demo"], "customer_id": ["c-1"], "message_id": [message["message_id"]]}
    for n, (kind, detail) in enumerate(
        [("Delivery", "delivery"), ("Open", "open"), ("Open", "open"), ("Click", "click")]
    ):
        notification = {
            "eventType": kind,
            "mail": {"messageId": f"ses-{n}" if kind == "Open" else "ses-x", "tags": tags},
            detail: {"timestamp": "2026-11-24T13:30:00.000Z"},
        }
        harness.stack.invoke(
            "FeedbackFunction",
            sns_event(harness.stack.arns["SesFeedbackTopic"], json.dumps(notification), harness.stack.clock.now()),
        )
    harness.stack.drain()
    status, figures = _get(harness, "/stores/demo/reports?from=2026-11-24&to=2026-11-24")
    assert status == 200
    assert figures["total"]["messages"]["email"] == {"clicked": 1, "delivered": 1, "opened": 1, "sent": 1}
    assert figures["total"]["flows"]["cart_abandonment"]["messages_opened"] == 1
