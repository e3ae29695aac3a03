"""Browsing signals: the route a store's pages call while the visitor is still there, through the local stack."""

import gzip
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from proativo.cli.main import main as cli

from infra.local.meter import Meter
from tests.conftest import WHERE, Harness

ORIGIN = "https://lojademo.com.br"  # the demo store's site


def _batch(events: list[dict[str, Any]], visitor: str = "v-0000000000000001", **extra: Any) -> dict[str, Any]:
    return {"visitor": visitor, "session": "s-0000000000000001", "consent": True, "events": events, **extra}


def _at(harness: Harness, seconds: float = 0) -> str:
    return (harness.stack.clock.now() + timedelta(seconds=seconds)).isoformat()


def post(harness: Harness, body: dict[str, Any] | str, origin: str | None = ORIGIN) -> tuple[int, dict[str, str], Any]:
    raw = body if isinstance(body, str) else json.dumps(body)
    headers = {"content-type": "application/json", **({"origin": origin} if origin else {})}
    status, answer_headers, out = harness.stack.http("POST", "/signals/demo", headers, raw.encode())
    return status, {k.lower(): v for k, v in answer_headers.items()}, json.loads(out or b"{}")


def hesitation(harness: Harness) -> list[dict[str, Any]]:
    """Into the cart, then back and forth between shipping and payment twice."""
    steps = ["shipping", "payment", "shipping", "payment", "shipping"]
    return [
        {"type": "cart", "at": _at(harness, -60), "cart_value": "349.90", "cart_items": 1},
        *({"type": "checkout_step", "at": _at(harness, -50 + 10 * n), "step": s} for n, s in enumerate(steps)),
    ]


def visit_item(harness: Harness, visitor: str = "v-0000000000000001") -> dict[str, Any] | None:
    from proativo.signals.web import visitor_key

    found: dict[str, Any] | None = (
        harness.table().get_item(Key=visitor_key("demo", visitor), ConsistentRead=True).get("Item")
    )
    return found


@pytest.fixture
def shown(harness: Harness) -> Iterator[Harness]:
    """No visit held out: every invitation is shown."""
    _profile(harness, signals_holdout_share=Decimal(0))
    yield harness


def _profile(harness: Harness, **fields: Any) -> None:
    from proativo import stores

    table = harness.table()
    profile = stores.get_profile(table, "demo").model_copy(update=fields)
    stores.put_profile(table, profile, harness.stack.clock.now())


def test_back_and_forth_between_shipping_and_payment_earns_an_invitation_to_chat(shown: Harness) -> None:
    status, headers, answer = post(shown, _batch(hesitation(shown)))
    assert status == 200
    assert headers["access-control-allow-origin"] == ORIGIN
    (action,) = answer["actions"]
    assert (action["type"], action["channel"], action["rule"]) == ("invite", "chat", "shipping_payment_back_and_forth")
    assert "frete" in action["message"]
    # At most one invitation a visit: the same hesitation again offers nothing.
    again = [{"type": "checkout_step", "at": _at(shown), "step": s} for s in ("payment", "shipping")]
    assert post(shown, _batch(again))[2] == {"actions": []}


def test_nothing_without_the_visitors_consent(shown: Harness) -> None:
    status, _, answer = post(shown, _batch(hesitation(shown), consent=False))
    assert (status, answer) == (200, {"actions": []})
    assert visit_item(shown) is None


def test_a_signal_that_carries_personal_data_is_refused_and_nothing_is_stored(shown: Harness) -> None:
    for product in ("maria@example.com", "+5511987654321", "529.982.247-25", "52998224725"):
        body = _batch([{"type": "product_view", "at": _at(shown), "product_id": product}])
        status, _, answer = post(shown, body)
        assert status == 400, product
        assert "personal" in answer["reason"]
    # A product id of digits that is no CPF and has no phone's shape is a product id (Shopify's are 13 digits).
    status, _, _ = post(shown, _batch([{"type": "product_view", "at": _at(shown), "product_id": "7982374982374"}]))
    assert status == 200
    assert visit_item(shown) is not None


def test_only_the_stores_own_site_may_send(shown: Harness) -> None:
    assert post(shown, _batch(hesitation(shown)), origin="https://evil.example")[0] == 403
    assert post(shown, _batch(hesitation(shown)), origin=None)[0] == 403
    assert visit_item(shown) is None
    status, headers, _ = shown.stack.http("OPTIONS", "/signals/demo", {"origin": ORIGIN}, b"")
    assert status == 204
    assert {k.lower(): v for k, v in headers.items()}["access-control-allow-origin"] == ORIGIN
    assert shown.stack.http("OPTIONS", "/signals/demo", {"origin": "https://evil.example"}, b"")[0] == 403


def test_a_customer_is_joined_only_when_the_store_vouches_for_them(shown: Harness) -> None:
    from infra.local.stack import DEMO_SECRET

    forged = {"id": "c-ana", "sig": "0" * 64}
    assert post(shown, _batch(hesitation(shown), customer=forged))[0] == 401
    assert visit_item(shown) is None
    sig = hmac.new(DEMO_SECRET.encode(), b"c-ana", hashlib.sha256).hexdigest()
    assert post(shown, _batch(hesitation(shown), customer={"id": "c-ana", "sig": sig}))[0] == 200
    item = visit_item(shown)
    assert item is not None and item["customer_id"] == "c-ana"


def test_a_held_out_visit_is_recorded_and_not_shown(harness: Harness) -> None:
    _profile(harness, signals_holdout_share=Decimal("0.5"))
    answers = [post(harness, _batch(hesitation(harness), visitor=f"v-{n:016d}"))[2] for n in range(40)]
    shown = sum(1 for a in answers if a["actions"])
    assert 5 < shown < 35  # about half held out
    facts = harness.table().query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": "STORE#demo#SIGNALS"}
    )["Items"]
    assert len(facts) == 40
    assert sum(1 for f in facts if f["held_out"]) == 40 - shown


def test_a_big_cart_left_idle_opens_whatsapp_with_the_cart(shown: Harness) -> None:
    _profile(shown, whatsapp_number="5511999990000")
    cart = {"type": "cart", "at": _at(shown, -120), "cart_value": "899.00", "cart_items": 3}
    answer = post(shown, _batch([cart, {"type": "idle", "at": _at(shown), "seconds": 60}]))[2]
    (action,) = answer["actions"]
    assert (action["channel"], action["rule"]) == ("whatsapp", "big_cart_idle")
    assert action["url"].startswith("https://wa.me/5511999990000?text=")
    assert "899.00" in action["url"]


def test_quiet_after_a_purchase(shown: Harness) -> None:
    bought = [{"type": "page_view", "at": _at(shown, -5), "page": "purchase"}]
    assert post(shown, _batch(bought))[2] == {"actions": []}
    later = {"visitor": "v-0000000000000001", "session": "s-0000000000000002", "consent": True}
    assert post(shown, {**later, "events": hesitation(shown)})[2] == {"actions": []}


def test_a_visit_costs_one_read_and_one_write(shown: Harness) -> None:
    with Meter(shown.stack) as meter:
        post(shown, _batch(hesitation(shown)[:2]))  # warm: the store's profile and rules, cached a minute
        for n in range(3):
            post(shown, _batch([{"type": "page_view", "at": _at(shown, n), "page": "product"}]))
    calls = [c.operation for r in meter.runs[1:] for c in r.calls if c.service == "dynamodb"]
    assert calls == ["GetItem", "PutItem"] * 3


def test_the_snippet_is_small_and_cached(harness: Harness) -> None:
    status, headers, body = harness.stack.http("GET", "/s/demo.js", {}, b"")
    assert status == 200
    assert {k.lower(): v for k, v in headers.items()}["cache-control"].startswith("public")
    assert len(gzip.compress(body)) <= 5 * 1024
    assert harness.stack.http("GET", "/s/not%20a%20store.js", {}, b"")[0] == 404


def test_a_store_adds_its_own_rule_and_a_broken_one_is_refused_with_its_place(
    shown: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = tmp_path / "rules.yaml"
    own.write_text(
        "rules:\n"
        "  - id: size_guide_twice\n"
        "    when: {page_views: {page: size_guide, times: 2, days: 1}}\n"
        "    action: {channel: answer, message: {pt-BR: 'Na dúvida entre dois tamanhos, escolha o maior.'}}\n",
        encoding="utf-8",
    )
    assert cli(["signals", "rules", "set", "demo", str(own), *WHERE]) == 0
    assert "size_guide_twice" in capsys.readouterr().out
    views = [{"type": "page_view", "at": _at(shown, n - 5), "page": "size_guide"} for n in range(2)]
    (action,) = post(shown, _batch(views))[2]["actions"]
    assert (action["channel"], action["rule"]) == ("answer", "size_guide_twice")
    assert action["message"].startswith("Na dúvida")
    own.write_text(
        "rules:\n  - id: x\n    when: {}\n    action: {channel: fax, message: {pt-BR: oi}}\n", encoding="utf-8"
    )
    with pytest.raises(SystemExit, match=r"rules refused at rules\.0\.when"):
        cli(["signals", "rules", "set", "demo", str(own), *WHERE])


def test_the_report_compares_purchases_after_shown_and_held_out_invitations(harness: Harness) -> None:
    from proativo.reporting import reports

    _profile(harness, signals_holdout_share=Decimal("0.5"))
    visitors = [f"v-{n:016d}" for n in range(20)]
    shown = {v for v in visitors if post(harness, _batch(hesitation(harness), visitor=v))[2]["actions"]}
    # Every shown visit buys within the day; of the held-out ones, only the first two.
    held = [v for v in visitors if v not in shown]
    for visitor in [*shown, *held[:2]]:
        page = {"type": "page_view", "at": _at(harness, 5), "page": "purchase"}
        assert post(harness, _batch([page], visitor=visitor))[0] == 200
    harness.stack.drain()  # the counters, from the stream
    day = harness.stack.clock.now().date()
    figures = reports.report(harness.table(), "demo", day, day)["total"]
    rule = figures["invitations"]["shipping_payment_back_and_forth"]
    assert (rule["shown"], rule["held_out"]) == (len(shown), len(held))
    assert (rule["bought_after_shown"], rule["bought_after_held_out"]) == (len(shown), 2)
    assert rule["lift"] == round(1.0 / (2 / len(held)), 2)
    assert figures["invitations_invited"] == len(shown)
    assert "shipping_payment_back_and_forth" in reports.as_table(reports.report(harness.table(), "demo", day, day))


def test_a_known_customer_who_looked_twice_gets_one_email_the_next_day_unless_a_cart_came(shown: Harness) -> None:
    from infra.local.stack import DEMO_SECRET
    from tests.conftest import generic

    def customer(cid: str) -> dict[str, str]:
        return {"id": cid, "sig": hmac.new(DEMO_SECRET.encode(), cid.encode(), hashlib.sha256).hexdigest()}

    def looked_twice(visitor: str, cid: str) -> None:
        views = [
            {
                "type": "product_view",
                "at": _at(shown, n * 60 - 300),
                "product_id": "TN-42",
                "product_name": "Tênis Corrida Leve",
                "product_url": "https://lojademo.com.br/p/tenis-corrida-leve",
            }
            for n in range(2)
        ]
        assert post(shown, _batch(views, visitor=visitor, customer=customer(cid)))[0] == 200

    for cid, email in (("c-rita", "rita@example.com"), ("c-joao", "joao@example.com")):
        known = {"id": cid, "email": email, "name": cid.title(), "locale": "pt-BR", "accepts_marketing": True}
        consent = generic("consent.changed", f"consent-{cid}", _at(shown, -600), {"channel": "email", "granted": True})
        assert shown.post({**consent, "customer": known}).status in (200, 202)
    looked_twice("v-rita00000000000", "c-rita")
    looked_twice("v-joao00000000000", "c-joao")
    # Again the same day: nothing more is announced.
    looked_twice("v-rita00000000000", "c-rita")
    # João puts something in a cart on the platform: his journey ends there.
    cart = generic(
        "cart.updated",
        "cart-joao",
        _at(shown, 60),
        {"cart_id": "k-1", "currency": "BRL", "total": "349.90", "items": []},
        {"id": "c-joao", "email": "joao@example.com"},
    )
    assert shown.post(cart).status == 202
    shown.stack.jump(26 * 3600)
    browse = [e for e in shown.outbox.entries if e.template == "browse_abandoned_1"]
    assert [e.recipient for e in browse] == ["rita@example.com"]
    assert "Tênis Corrida Leve" in browse[0].text and "https://lojademo.com.br/p/tenis-corrida-leve" in browse[0].text


def test_a_cart_message_speaks_of_the_checkout_step_where_the_customer_stopped(shown: Harness) -> None:
    from infra.local.stack import DEMO_SECRET
    from tests.conftest import cart

    def stops_at(cid: str, step: str) -> None:
        sig = hmac.new(DEMO_SECRET.encode(), cid.encode(), hashlib.sha256).hexdigest()
        steps = [{"type": "checkout_step", "at": _at(shown, 10), "step": step}]
        body = _batch(steps, visitor=f"v-{cid}-0000000000", customer={"id": cid, "sig": sig})
        assert post(shown, body)[0] == 200

    assert shown.post(cart("k-maria", _at(shown), cart_id="k-1")).status == 202
    assert shown.post(cart("k-joao", _at(shown), cart_id="k-2", id="c-2", email="joao@example.com")).status == 202
    stops_at("c-1", "shipping")  # Maria stopped at shipping; João's step is unknown
    shown.stack.jump(3600 + 300)
    first = {e.recipient: e.text for e in shown.outbox.entries if e.template == "cart_abandoned_1"}
    assert "Parou no frete?" in first["maria@example.com"]
    assert "Parou no" not in first["joao@example.com"]


def test_a_store_names_the_sites_that_may_send_and_its_other_signal_settings(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "https://m.lojademo.com.br"
    args = ["signals", "settings", "demo", "--origin", ORIGIN, "--origin", other, "--holdout", "0"]
    assert cli([*args, "--whatsapp", "5511999990000", *WHERE]) == 0
    assert other in capsys.readouterr().out
    assert post(harness, _batch(hesitation(harness)), origin=other)[2]["actions"]  # never held out now
    with pytest.raises(SystemExit, match="signals settings refused"):
        cli(["signals", "settings", "demo", "--origin", "https://x.test/path", *WHERE])
    with pytest.raises(SystemExit, match="signals settings refused"):
        cli(["signals", "settings", "demo", "--holdout", "0.9", *WHERE])


def test_a_batch_api_gateway_passed_base64_encoded_is_read_all_the_same(shown: Harness) -> None:
    import base64

    from infra.local.shapes import http_api_event

    raw = json.dumps(_batch(hesitation(shown))).encode()
    headers = {"content-type": "application/octet-stream", "origin": ORIGIN}
    event = http_api_event(
        "POST", "/signals/{store_id}", "/signals/demo", {"store_id": "demo"}, headers, raw, "", shown.stack.clock.now()
    )
    event.update(body=base64.b64encode(raw).decode(), isBase64Encoded=True)
    answer = shown.stack.invoke("SignalsFunction", event).result
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["actions"]
