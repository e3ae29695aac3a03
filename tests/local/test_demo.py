"""`make demo` end to end: the store day replays through HTTP, queues and schedules, and the outbox tells it."""

import re
from pathlib import Path

import pytest

from infra.local.demo import run_demo
from infra.local.outbox import Outbox
from infra.local.timeline import Timeline


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Timeline, Outbox]:
    out = tmp_path_factory.mktemp("demo")
    timeline, outbox = run_demo(out, quiet=True)
    return out, timeline, outbox


def test_the_day_sends_exactly_the_messages_the_story_calls_for(demo: tuple[Path, Timeline, Outbox]) -> None:
    _, _, outbox = demo
    sent = [(e.channel, e.recipient, e.template) for e in outbox.entries]
    assert sent == [
        ("email", "ana.souza@example.com", "cart_abandoned_1"),  # an hour after her last cart change
        ("email", "carla.dias@example.com", "order_thanks"),  # paid at once: thanks and what happens next
        ("email", "bruno.lima@example.com", "cart_high_value_1"),  # a R$ 899 jacket: a person offers help first
        ("email", "ana.souza@example.com", "order_thanks"),
        ("email", "ana.souza@example.com", "order_shipped"),
        ("sms", "+5511987654321", "order_shipped"),  # Ana opted in to SMS
        ("email", "carla.dias@example.com", "order_shipped"),
        ("sms", "+5521912345678", "order_shipped"),
        ("whatsapp", "+5521912345678", "order_shipped"),  # she asked for WhatsApp at checkout
        ("email", "davi.rocha@example.com", "payment_pending_reminder"),  # 12 h before the boleto is due
        ("email", "bruno.lima@example.com", "cart_abandoned_2"),  # Ana bought: her second reminder never goes
        # Carla's parcel goes out for delivery the next morning (the fake Correios' scripted journeys).
        ("email", "carla.dias@example.com", "parcel_out_for_delivery"),
        ("sms", "+5521912345678", "parcel_out_for_delivery"),
        ("email", "davi.rocha@example.com", "order_thanks"),  # Davi paid at 10:30: no last call
        ("email", "davi.rocha@example.com", "order_shipped"),  # no SMS: Davi did not opt in
        # The days after. Carla: nobody home, then the agency.
        ("email", "carla.dias@example.com", "parcel_exception"),  # failed attempt
        ("sms", "+5521912345678", "parcel_exception"),
        ("email", "carla.dias@example.com", "parcel_exception"),  # waiting at the agency, until when
        ("sms", "+5521912345678", "parcel_exception"),
        ("email", "bruno.lima@example.com", "cart_abandoned_3"),  # 72 h on: a coupon only Bruno has
        # Ana's is late: she is told the evening it was promised, before she could ask.
        ("email", "ana.souza@example.com", "parcel_exception"),
        ("sms", "+5511987654321", "parcel_exception"),
        ("email", "ana.souza@example.com", "parcel_out_for_delivery"),
        ("sms", "+5511987654321", "parcel_out_for_delivery"),
        ("email", "ana.souza@example.com", "order_delivered"),
        # Davi's stalls, then Correios says it is lost: he is told, and that a claim was filed for him.
        ("email", "davi.rocha@example.com", "parcel_exception"),  # stalled
        ("email", "carla.dias@example.com", "parcel_pickup_reminder"),  # two days before it would go back
        ("email", "davi.rocha@example.com", "parcel_exception"),  # lost
        ("email", "davi.rocha@example.com", "parcel_claim_opened"),
        ("email", "davi.rocha@example.com", "parcel_resolved"),  # the store sends a new T-shirt, tracked
        ("email", "carla.dias@example.com", "order_delivered"),  # she collected it
        ("email", "ana.souza@example.com", "survey"),  # three days after delivery: 0 to 10 (she answers 10)
        ("email", "davi.rocha@example.com", "parcel_out_for_delivery"),
        ("email", "davi.rocha@example.com", "order_delivered"),
        ("email", "carla.dias@example.com", "survey"),  # she answers 4: a case for the team, and a word to her
        ("email", "carla.dias@example.com", "survey_detractor"),
        ("email", "ana.souza@example.com", "cross_sell"),  # a week after delivery, what goes with her shoes
        ("email", "davi.rocha@example.com", "survey"),
    ]
    times = [e.at[:16] for e in outbox.entries]
    assert times[0] == "2026-11-24T13:12"  # 09:12 in São Paulo + 1 h, in UTC
    assert times[2] == "2026-11-24T13:30"


def test_the_outbox_is_files_a_person_can_open(demo: tuple[Path, Timeline, Outbox]) -> None:
    out, _, outbox = demo
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count("<tr><td>") == 38
    for entry in outbox.entries:
        # A WhatsApp template's words are Meta's approved text; we send (and show) its parameters.
        expected = "[proativo_" if entry.channel == "whatsapp" else "Loja Demo"
        assert expected in (out / entry.file).read_text(encoding="utf-8")
        assert (out / entry.text_file).read_text(encoding="utf-8").strip()
    sms = (out / outbox.entries[5].text_file).read_text(encoding="utf-8")
    assert sms.startswith("Loja Demo: seu pedido 5001 saiu com CORREIOS. Rastreio AA123456785BR")
    assert (out / "timeline.txt").exists()


def test_the_timeline_tells_the_story(demo: tuple[Path, Timeline, Outbox]) -> None:
    _, timeline, _ = demo
    text = timeline.render()
    assert "200 duplicate" in text
    assert "OrderPlaced for c-ana -> left cart_abandonment (OrderPlaced)" in text
    assert "OrderPlaced for c-carla -> left cart_abandonment (OrderPlaced)" in text
    assert "$$ recovered 409.70 by cart_abandonment/reminder_1h/email" in text
    assert "$$ recovered 129.90 by payment_pending/reminder/email" in text  # Davi's boleto, paid after it
    assert text.count("$$ recovered") == 2  # Carla bought before any reminder: nothing to credit
    assert "!! case opened for the store's team: order 5003 rated 4" in text
    assert "Bruno puts a jacket in his cart and leaves" in text
    assert "OrderPaid for c-davi -> left payment_pending (OrderPaid)" in text
    assert " failed: " not in text  # no function failed
    assert "ParcelException:late" in text and "ParcelException:awaiting_pickup" in text
    assert "claims: correios#QD314159268BR -> open" in text
    assert "claims: correios#QD314159268BR -> won (189.90 to the store)" in text


def test_the_demo_ends_with_the_stores_report(demo: tuple[Path, Timeline, Outbox]) -> None:
    out, _, outbox = demo
    report = (out / "report.txt").read_text(encoding="utf-8")
    assert re.search(r"revenue recovered\s+409\.70", report)
    assert re.search(r"payments recovered, value\s+129\.90", report)
    assert re.search(rf"messages sent\s+{len(outbox.entries)}\n", report)
    assert re.search(r"claims won\s+1\n", report)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count('class="sent"') == 16  # a bar per day, 24 Nov to 9 Dec
