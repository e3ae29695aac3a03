"""A store's do-not-contact list (such as Brazil's "Não Me Perturbe") stops marketing to those on it, on every
channel; phone numbers are read as E.164 whatever way the platform wrote them."""

import json
from pathlib import Path

import pytest
from proativo.cli.main import main as cli

from tests.conftest import WHERE, Harness, cart, generic

SMS_PROMO = """
flows:
  - id: shipped_promo
    version: 1
    purpose: marketing
    trigger: [OrderShipped]
    key: order_id
    steps:
      - {id: sms, delay: PT5M, channel: sms, template: order_shipped}
"""
SHIPPED = {"order_id": "o1", "carrier": "correios", "tracking_code": "AA123456785BR"}


def _import(tmp_path: Path, capsys: pytest.CaptureFixture[str], *rows: str) -> dict[str, object]:
    listing = tmp_path / "nao-me-perturbe.csv"
    listing.write_text("phone\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert cli(["consent", "import-dnc", "demo", str(listing), *WHERE]) == 0
    answer: dict[str, object] = json.loads(capsys.readouterr().out)
    return answer


def test_marketing_email_skips_who_is_on_the_list_and_orders_are_still_told(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _import(tmp_path, capsys, "Maria@Example.com", "not a contact") == {
        "store_id": "demo",
        "added": 1,
        "refused": ["not a contact"],
    }
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.post(generic("order.paid", "p1", "2026-11-24T12:01:00Z", {"order_id": "o9"}))
    harness.stack.jump(2 * 3600)
    assert [e.template for e in harness.outbox.entries] == ["order_thanks"]


def test_a_phone_on_the_list_gets_no_marketing_sms_however_it_was_written(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flows = tmp_path / "flows.yaml"
    flows.write_text(SMS_PROMO, encoding="utf-8")
    assert cli(["flows", "set", "demo", str(flows), *WHERE]) == 0
    harness.stack.wiring_reset()
    capsys.readouterr()
    assert _import(tmp_path, capsys, "(21) 98888-7777")["added"] == 1
    listed = {"id": "c-1", "email": "maria@example.com", "phone": "+55 21 98888-7777", "accepts_sms": True}
    free = {"id": "c-2", "email": "joao@example.com", "phone": "(11) 97777-6666", "accepts_sms": True}
    harness.post(generic("order.shipped", "s1", "2026-11-24T12:00:00Z", SHIPPED, listed))
    harness.post(generic("order.shipped", "s2", "2026-11-24T12:00:00Z", {**SHIPPED, "order_id": "o2"}, free))
    harness.stack.advance(20 * 60)
    sms = [(e.flow_id, e.recipient) for e in harness.outbox.entries if e.channel == "sms"]
    # The order's own SMS goes to both (transactional); the promotion only to who is not on the list, in E.164.
    assert sorted(sms) == [
        ("order_shipped", "+5511977776666"),
        ("order_shipped", "+5521988887777"),
        ("shipped_promo", "+5511977776666"),
    ]


def test_a_phone_that_is_no_number_is_not_texted(harness: Harness) -> None:
    who = {"id": "c-1", "email": "maria@example.com", "phone": "12", "accepts_sms": True}
    harness.post(generic("order.shipped", "s1", "2026-11-24T12:00:00Z", SHIPPED, who))
    harness.stack.advance(10 * 60)
    assert [e.channel for e in harness.outbox.entries] == ["email"]


def test_in_a_batch_of_reminders_only_the_listed_customer_is_left_out(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Carts left in the same minute are reminded in one batch, whose do-not-contact entries are read together:
    each answer must reach its own message."""
    listing = tmp_path / "nao-me-perturbe.csv"
    listing.write_text("email\nCliente2@Example.com\n", encoding="utf-8")
    assert cli(["consent", "import-dnc", "demo", str(listing), *WHERE]) == 0
    for n in range(5):
        who = {"id": f"c-{n}", "email": f"cliente{n}@example.com", "name": f"Cliente {n}", "locale": "pt-BR"}
        harness.post(cart(f"e{n}", "2026-11-24T12:00:00Z", cart_id=f"cart-{n}", **who), drain=False)
    harness.stack.drain()
    harness.stack.jump(3600 + 300)
    reminded = sorted(e.recipient for e in harness.outbox.entries if e.template == "cart_abandoned_1")
    assert reminded == [f"cliente{n}@example.com" for n in (0, 1, 3, 4)]
