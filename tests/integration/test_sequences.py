"""The built-in sequences on virtual time, through the webhook route, the queues and the sender: cart series by
abandoner, coupons, the frequency cap and priorities, quiet hours, the survey and its case, cross-sell, and the
revenue each of them brings back."""

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from proativo.cases import desk
from proativo.cli.main import main as cli

from tests.conftest import WHERE, Harness, cart, generic, order

HOUR = 3600
DAY = 24 * HOUR


def _stats(harness: Harness, day: str) -> dict[str, dict[str, Any]]:
    return harness.counters(day)


def _flows(harness: Harness, tmp_path: Path, text: str) -> None:
    path = tmp_path / "flows.yaml"
    path.write_text(text, encoding="utf-8")
    assert cli(["flows", "set", "demo", str(path), *WHERE]) == 0
    harness.stack.wiring_reset()  # a new container: the flow cache starts empty


def test_a_cart_left_three_days_gets_three_reminders_the_last_with_a_coupon_only_its_customer_has(
    harness: Harness,
) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.jump(HOUR + 300)
    harness.stack.jump(DAY - HOUR)
    harness.stack.jump(2 * DAY)
    first, second, third = harness.outbox.entries
    assert [first.template, second.template, third.template] == [
        "cart_abandoned_1",
        "cart_abandoned_2",
        "cart_abandoned_3",
    ]
    assert [e.at[:13] for e in (first, second, third)] == ["2026-11-24T13", "2026-11-25T12", "2026-11-27T12"]
    (coupon,) = harness.items("c-1", "COUPON#")
    assert re.fullmatch(r"VOLTA-[A-Z2-7]{8}", coupon["code"])
    assert coupon["percent_off"] == 10 and coupon["expires_at"].startswith("2026-11-30T12")
    assert coupon["code"] in third.text and "10% de desconto" in third.text
    harness.post(order("o1", "2026-11-28T09:00:00Z"))
    (placed,) = harness.items("c-1", "ORDER#")
    assert (placed["attributed_step"], str(placed["recovered_value"])) == ("coupon_72h", "199.90")


def test_a_journeys_history_is_kept_only_while_something_reads_it(harness: Harness) -> None:
    """Every event reads the customer's partition: a loyal customer's past journeys must not make it grow for ever.
    A journey is one item whatever its steps; once ended it goes after 400 days (the longest a flow looks back), the
    messages after two years; nothing of a journey under way expires."""
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.jump(HOUR + 300)
    (enrolment,) = harness.items("c-1", "ENROL#")
    assert enrolment["status"] == "active" and "ttl" not in enrolment and enrolment["pending"]["index"] == 1
    harness.stack.jump(3 * DAY)  # the third reminder goes: the journey is over
    (enrolment,) = harness.items("c-1", "ENROL#")
    assert enrolment["status"] == "completed" and len(harness.outbox.entries) == 3
    assert "pending" not in enrolment and "due_at" not in enrolment  # off the due index
    harness.stack.jump(8 * DAY)
    harness.stack.expire()
    assert harness.items("c-1", "STEP#") == []
    assert [e["status"] for e in harness.items("c-1", "ENROL#")] == ["completed"]
    harness.stack.jump(400 * DAY)
    harness.stack.expire()
    assert harness.items("c-1", "ENROL#") == []
    assert len(harness.items("c-1", "MSG#")) == 3  # what was sent, kept two years
    again = harness.stack.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    harness.post(cart("e2", again))  # the same cart, abandoned again: a journey like the first
    harness.stack.jump(HOUR + 300)
    assert harness.outbox.entries[-1].template == "cart_abandoned_1"


def test_a_repeat_abandoner_gets_other_words_no_coupon_and_never_the_same_message_twice(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z", cart_id="a"))
    harness.stack.jump(3 * DAY + 600)
    assert len(harness.outbox.entries) == 3
    harness.post(cart("e2", "2026-11-28T12:10:00Z", cart_id="b"))  # another cart, four days later
    harness.stack.jump(3 * DAY)
    assert [e.template for e in harness.outbox.entries[3:]] == ["cart_repeat_1", "cart_repeat_2"]
    assert len(harness.items("c-1", "COUPON#")) == 1  # the first series' only
    harness.post(cart("e3", "2026-12-01T12:20:00Z", cart_id="c"))  # and a third: every message already sent
    harness.stack.jump(4 * DAY)
    assert len(harness.outbox.entries) == 5
    journeys = {(i["flow_id"], i["key"]) for i in harness.items("c-1", "ENROL#")}
    assert journeys == {("cart_abandonment", "a"), ("cart_abandonment_repeat", "b")}


def test_a_cart_worth_more_is_offered_a_person_before_any_discount(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z", total="799.00"))
    harness.stack.jump(HOUR + 300)
    (first,) = harness.outbox.entries
    assert first.template == "cart_high_value_1"
    assert first.subject == "Podemos ajudar com a sua compra na Loja Demo?"


POOL_FLOW = """
flows:
  - id: cart_abandonment
    version: 9
    purpose: marketing
    trigger: [CartUpdated]
    key: cart_id
    exit_on: [OrderPlaced]
    steps:
      - id: coupon
        delay: PT10M
        channel: email
        template: cart_abandoned_3
        coupon: {amount_off: 20, valid_for: P2D, pool: natal}
"""


def test_a_pool_gives_each_customer_a_code_of_its_own_and_an_empty_pool_sends_nothing(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    codes = tmp_path / "natal.csv"
    codes.write_text("code\nNATAL-A1\nNATAL-B2\nNATAL-A1\n", encoding="utf-8")
    assert cli(["coupons", "add", "demo", "--pool", "natal", str(codes), *WHERE]) == 0
    assert json.loads(capsys.readouterr().out) == {"store_id": "demo", "pool": "natal", "added": 2, "free": 2}
    _flows(harness, tmp_path, POOL_FLOW)
    capsys.readouterr()
    for n in (1, 2, 3):
        harness.post(cart(f"e{n}", "2026-11-24T12:00:00Z", cart_id=f"k{n}", id=f"c-{n}", email=f"c{n}@example.com"))
    harness.stack.advance(11 * 60)
    sent = {e.recipient: e.text for e in harness.outbox.entries}
    assert len(sent) == 2  # the third customer's message waits for nobody: no code, no message
    given = {code for text in sent.values() for code in ("NATAL-A1", "NATAL-B2") if code in text}
    assert given == {"NATAL-A1", "NATAL-B2"}
    assert all("20,00 de desconto" in text for text in sent.values())
    assert cli(["coupons", "count", "demo", "--pool", "natal", *WHERE]) == 0
    assert json.loads(capsys.readouterr().out)["free"] == 0


PROMOS = """
flows:
  - id: promo_small
    version: 1
    purpose: marketing
    trigger: [OrderDelivered]
    key: order_id
    priority: 5
    steps:
      - {id: only, delay: PT10M, channel: email, template: order_delivered}
  - id: promo_big
    version: 1
    purpose: marketing
    trigger: [OrderDelivered]
    key: order_id
    priority: 50
    steps:
      - {id: only, delay: PT10M, channel: email, template: cart_repeat_2}
"""


def test_one_marketing_message_a_day_the_higher_priority_first_the_other_postponed_not_dropped(
    harness: Harness, tmp_path: Path
) -> None:
    _flows(harness, tmp_path, PROMOS)
    harness.post(generic("order.delivered", "d1", "2026-11-24T12:00:00Z", {"order_id": "o1"}))
    harness.stack.advance(2 * HOUR)
    marketing = [e for e in harness.outbox.entries if e.flow_id.startswith("promo")]
    assert [e.flow_id for e in marketing] == ["promo_big"]
    # Transactional messages are not capped: the arrival note went as usual.
    assert "order_delivered" in [e.template for e in harness.outbox.entries]
    (waiting,) = harness.items("c-1", "DEFER#")
    assert waiting["reason"] == "frequency_cap"
    harness.stack.jump(DAY)  # the idle hours at once: what fell due in them goes out as the day ends
    marketing = [e for e in harness.outbox.entries if e.flow_id.startswith("promo")]
    assert [e.flow_id for e in marketing] == ["promo_big", "promo_small"]
    assert marketing[1].at >= "2026-11-25T12:10"
    assert harness.items("c-1", "DEFER#") == []


def test_an_sms_at_night_waits_for_the_morning_and_the_email_goes_at_once(harness: Harness) -> None:
    who = {"id": "c-1", "email": "maria@example.com", "phone": "+5511999990000", "accepts_sms": True}
    shipped = {"order_id": "o1", "carrier": "correios", "tracking_code": "AA123456785BR"}
    harness.stack.jump(14 * HOUR + 30 * 60)  # 23:30 in São Paulo
    harness.post(generic("order.shipped", "s1", "2026-11-25T02:30:00Z", shipped, who))
    harness.stack.advance(5 * 60)
    harness.stack.jump(8 * HOUR + 15 * 60)  # to 07:50 there, the night's idle minutes at once
    harness.stack.advance(15 * 60)
    email, sms = harness.outbox.entries
    assert email.channel == "email" and "2026-11-25T02:30" <= email.at[:16] <= "2026-11-25T02:32"
    assert sms.channel == "sms" and "2026-11-25T11:00" <= sms.at[:16] <= "2026-11-25T11:02"  # 08:00 there


def _survey_links(harness: Harness) -> list[str]:
    (survey,) = [e for e in harness.outbox.entries if e.template == "survey"]
    return [line.split(": ", 1)[1] for line in survey.text.splitlines() if re.match(r"^\d+: http", line)]


def _click(harness: Harness, link: str) -> tuple[int, str]:
    parts = urlsplit(link)
    status, _, body = harness.stack.http("GET", parts.path, {}, b"", parts.query)
    harness.stack.drain()
    return status, body.decode()


def test_a_low_score_opens_a_case_tells_the_customer_and_stops_the_cross_sell(harness: Harness) -> None:
    recommended = [{"name": "Garrafa Térmica", "url": "https://x.test/garrafa", "price": "89.90"}]
    placed = {"order_id": "o1", "currency": "BRL", "total": "199.90", "recommendations": recommended}
    harness.post(generic("order.placed", "p1", "2026-11-24T12:00:00Z", placed))
    harness.post(generic("order.delivered", "d1", "2026-11-25T12:00:00Z", {"order_id": "o1"}))
    harness.stack.jump(4 * DAY + 300)
    links = _survey_links(harness)
    assert len(links) == 11 and all("/links/survey?t=" in link for link in links)
    status, page = _click(harness, links[3])
    assert status == 200 and "Recebemos sua nota 3" in page
    harness.stack.advance(10 * 60)
    told = harness.outbox.entries[-1]
    assert told.template == "case_news" and "Obrigado por ser sincero sobre o pedido o1" in told.text
    (case,) = harness.table().query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": "STORE#demo#CASES"}
    )["Items"]
    assert (case["order_id"], case["subject"], case["status"]) == ("o1", "survey score 3", "open")
    assert case["protocol"] in told.text
    assert "whatsapp_link" not in desk.show(harness.table(), "demo", case["protocol"])  # Maria left no phone
    # A second click, another score: the first answer stands, no second case.
    assert _click(harness, links[9])[0] == 200
    assert (
        len(
            harness.table().query(
                KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": "STORE#demo#CASES"}
            )["Items"]
        )
        == 1
    )
    survey = _stats(harness, harness.stack.clock.now().strftime("%Y-%m-%d"))["SURVEY"]
    assert (survey["responses"], survey["detractors"], survey["score_sum"]) == (1, 1, 3)
    harness.stack.jump(5 * DAY)
    assert "cross_sell" not in [e.template for e in harness.outbox.entries]  # not to an unhappy customer


def test_a_forged_or_edited_survey_link_records_nothing(harness: Harness) -> None:
    harness.post(generic("order.delivered", "d1", "2026-11-24T12:00:00Z", {"order_id": "o1"}))
    harness.stack.jump(3 * DAY + 300)
    link = _survey_links(harness)[10]
    token = urlsplit(link).query.split("t=")[1].split("&")[0]
    body, mac = token.split(".")
    forged = link.replace(token, f"{body[:-2]}AA.{mac}")
    status, page = _click(harness, forged)
    assert status == 401 and "não vale mais" in page
    assert _click(harness, link.replace("score=10", "score=11"))[0] == 400
    assert harness.items("c-1", "SURVEY#") == []


def test_a_happy_customer_gets_the_products_that_go_with_the_order_a_week_after_delivery(harness: Harness) -> None:
    recommended = [
        {"name": "Garrafa Térmica", "url": "https://x.test/garrafa", "price": "89.90"},
        {"name": "Meias de Corrida", "url": "https://x.test/meias"},
    ]
    placed = {"order_id": "o1", "currency": "BRL", "total": "199.90", "recommendations": recommended}
    harness.post(generic("order.placed", "p1", "2026-11-24T12:00:00Z", placed))
    harness.post(
        generic("order.placed", "p2", "2026-11-24T12:05:00Z", {**placed, "order_id": "o2"} | {"recommendations": []})
    )
    for order_id in ("o1", "o2"):
        harness.post(generic("order.delivered", f"d-{order_id}", "2026-11-25T12:00:00Z", {"order_id": order_id}))
    harness.stack.jump(8 * DAY + 600)
    (offer,) = [e for e in harness.outbox.entries if e.template == "cross_sell"]  # o2 had nothing to suggest
    assert "Garrafa Térmica: https://x.test/garrafa" in offer.text and "Meias de Corrida" in offer.text
    assert offer.at.startswith("2026-12-02T12")


def test_a_boleto_paid_after_its_reminder_counts_as_a_payment_recovered(harness: Harness) -> None:
    harness.post(
        generic(
            "order.placed", "p0", "2026-11-24T11:59:00Z", {"order_id": "6001", "currency": "BRL", "total": "129.90"}
        )
    )
    pending = {"order_id": "6001", "method": "boleto", "expires_at": "2026-11-27T12:00:00Z"}
    harness.post(generic("payment.pending", "p1", "2026-11-24T12:00:00Z", pending))
    harness.stack.jump(2 * DAY + 12 * HOUR + 300)
    assert [e.template for e in harness.outbox.entries] == ["payment_pending_reminder"]
    harness.post(generic("order.paid", "p2", "2026-11-27T00:30:00Z", {"order_id": "6001"}))
    counters = _stats(harness, "2026-11-27")["FLOW#payment_pending"]
    assert (counters["recovered_payments"], str(counters["recovered_payment_value"])) == (1, "129.90")
    (paid,) = harness.items("c-1", "ORDER#")
    assert paid["payment_recovered_flow"] == "payment_pending"


def test_a_pix_expiring_within_the_hour_gets_only_the_way_out_after_it_expires(harness: Harness) -> None:
    pending = {"order_id": "7001", "method": "pix", "expires_at": "2026-11-24T12:30:00Z"}
    harness.post(generic("payment.pending", "p1", "2026-11-24T12:00:00Z", pending))
    harness.stack.advance(2 * HOUR)
    (way_out,) = harness.outbox.entries
    assert way_out.template == "payment_expired" and way_out.at.startswith("2026-11-24T13:30")


def test_a_cart_touched_again_before_its_first_reminder_moves_the_journeys_wait(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.advance(1800)
    harness.post(cart("e2", "2026-11-24T12:30:00Z", total=150))
    (journey,) = harness.items("c-1", "ENROL#")
    assert (journey["anchor_at"], journey["pending"]["scheduled_for"]) == (
        "2026-11-24T12:30:00Z",
        "2026-11-24T13:30:00Z",
    )
    harness.stack.jump(1800 + 300)  # 13:05: the first reminder's old time has passed, and nothing went
    assert harness.outbox.entries == []
    harness.stack.jump(1800)
    assert [e.template for e in harness.outbox.entries] == ["cart_abandoned_1"]
