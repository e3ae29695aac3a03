"""`make demo` end to end: the store day replays through HTTP, queues and schedules, and the outbox tells it."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.local.demo import run_demo
from infra.local.outbox import Outbox
from infra.local.template import load_template
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
        # Carla's parcel (Jadlog) goes out for delivery the next morning (the fake carriers' scripted journeys).
        ("email", "carla.dias@example.com", "parcel_out_for_delivery"),
        ("sms", "+5521912345678", "parcel_out_for_delivery"),
        ("email", "davi.rocha@example.com", "order_thanks"),  # Davi paid at 10:30: no last call
        ("email", "davi.rocha@example.com", "order_shipped"),  # no SMS: Davi did not opt in
        # Gabi looked at a windbreaker twice yesterday while signed in: the next day, that product.
        ("email", "gabi.nunes@example.com", "browse_abandoned_1"),
        # The days after. Carla: nobody home, then the Jadlog pickup point.
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
        # He complains on Reclame Aqui: a case, matched to his order; he gets its protocol and date.
        ("email", "davi.rocha@example.com", "case_news"),
        ("email", "davi.rocha@example.com", "parcel_resolved"),  # the store sends a new T-shirt, tracked
        ("email", "carla.dias@example.com", "order_delivered"),  # she collected it
        ("email", "ana.souza@example.com", "survey"),  # three days after delivery: 0 to 10 (she answers 10)
        ("email", "davi.rocha@example.com", "parcel_out_for_delivery"),
        ("email", "davi.rocha@example.com", "order_delivered"),
        ("email", "carla.dias@example.com", "survey"),  # she answers 4: a case for the team
        ("email", "carla.dias@example.com", "case_news"),  # its protocol, and the date she will hear back
        ("whatsapp", "+5521912345678", "case_news"),
        ("email", "ana.souza@example.com", "cross_sell"),  # a week after delivery, what goes with her shoes
        ("email", "davi.rocha@example.com", "survey"),
        ("email", "carla.dias@example.com", "case_news"),  # the store's 3 days unanswered: the ouvidoria, a new date
        ("whatsapp", "+5521912345678", "case_news"),
        ("email", "carla.dias@example.com", "case_news"),  # the ouvidoria resolved it
        ("whatsapp", "+5521912345678", "case_news"),
    ]
    times = [e.at[:16] for e in outbox.entries]
    assert times[0] == "2026-11-24T13:12"  # 09:12 in São Paulo + 1 h, in UTC
    assert times[2] == "2026-11-24T13:30"


def test_the_outbox_is_files_a_person_can_open(demo: tuple[Path, Timeline, Outbox]) -> None:
    out, _, outbox = demo
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count("<tr><td>") == 45
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
    # While visitors are still on the site: one invited, one held out to measure what invitations change.
    assert "POST /signals/demo -> 200 invite chat (shipping_payment_back_and_forth)" in text
    assert "signals: shipping_payment_back_and_forth -> chat invitation held out" in text
    assert "BrowseAbandoned for c-gabi -> enrolled in browse_abandonment" in text


def test_the_team_reads_its_cases_in_the_digest_and_the_ouvidoria_gets_the_escalated_ones(
    demo: tuple[Path, Timeline, Outbox],
) -> None:
    out, _, outbox = demo
    digests = [m for m in outbox.team if m.to == "sac@lojademo.example"]
    complaint = next(m for m in digests if "reclameaqui" in m.text)
    assert complaint.at[:10] == "2026-12-02" and "1 novos" in complaint.subject  # the morning after, days early
    (escalated,) = [m for m in outbox.team if m.to == "ouvidoria@lojademo.example" and "survey score 4" in m.text]
    assert "Ouvidoria da Loja Demo" in escalated.subject and "aberto" in escalated.text
    assert len(list((out / "team").iterdir())) == len(outbox.team)


def test_davis_complaint_is_read_from_reclame_aqui_and_answered_there_once_a_manager_approved(
    demo: tuple[Path, Timeline, Outbox],
) -> None:
    out, timeline, _ = demo
    text = timeline.render()
    assert "team: reclameaqui: 1 new complaints, 1 opened, 0 unreadable" in text  # read at the connection's next turn
    (posted,) = json.loads((out / "reclameaqui-answers.json").read_text(encoding="utf-8"))
    assert posted["ticket"] == "RA-77012345" and posted["public"] is True and "Davi" in posted["message"]
    assert posted["at"] >= "2026-12-02T12:40:00Z"  # after Ana approved it (09:40 there), not when Bia drafted it
    assert text.count("team: answer published on reclameaqui") == 1


def test_the_demo_ends_with_the_stores_report(demo: tuple[Path, Timeline, Outbox]) -> None:
    out, _, outbox = demo
    report = (out / "report.txt").read_text(encoding="utf-8")
    assert re.search(r"revenue recovered\s+409\.70", report)
    assert re.search(r"payments recovered, value\s+129\.90", report)
    assert re.search(rf"messages sent\s+{len(outbox.entries)}\n", report)
    assert re.search(r"claims won\s+1\n", report)
    assert re.search(r"shipping_payment_back_and_forth: 1 \(1, 100\.0%\), 1 \(0, 0\.0%\)", report)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count('class="sent"') == 16  # a bar per day, 24 Nov to 9 Dec
    assert re.search(r"low_score: 1, 1 \(0, 0\.0%\), 1, 0, \d+", report)  # Carla's: resolved, late, escalated
    assert re.search(r"public_complaint: 1, 0 \(0, -\), 0, 0, -", report)  # its site's date is after the demo


def _emitted(out: Path) -> dict[tuple[str, frozenset[str]], list[dict[str, Any]]]:
    """Every EMF metric record the demo's functions wrote, by metric name and dimension names."""
    found: dict[tuple[str, frozenset[str]], list[dict[str, Any]]] = {}
    for line in (out / "logs.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", []):
            for metric in directive["Metrics"]:
                for dims in directive["Dimensions"]:
                    found.setdefault((metric["Name"], frozenset(dims)), []).append(record)
    return found


def _dashboard_and_alarm_metrics() -> list[tuple[str, dict[str, str]]]:
    """(metric name, dimensions) of every Proativo metric the template's dashboard and alarms read; a SEARCH's
    schema gives the dimension names (values "*" unless the search fixes them)."""
    resources = load_template()["Resources"]
    body = json.loads(re.sub(r"\$\{[^}]+\}", "x", resources["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]))
    read: list[tuple[str, dict[str, str]]] = []
    for widget in body["widgets"]:
        for line in widget["properties"]["metrics"]:
            if isinstance(line[0], dict):
                search = re.search(r"SEARCH\('\{Proativo,([^}]*)\} MetricName=\"(\w+)\"(.*?)'", line[0]["expression"])
                assert search, line[0]["expression"]
                dims = dict.fromkeys(search[1].split(","), "*")
                dims.update(re.findall(r'(\w+)="([^"]*)"', search[3]))
                read.append((search[2], dims))
            elif line[0] == "Proativo":
                read.append((line[1], dict(zip(line[2::2], line[3::2], strict=True))))
    for resource in resources.values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::CloudWatch::Alarm" and props.get("Namespace") == "Proativo":
            read.append((props["MetricName"], {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}))
    return read


# Read by the dashboard or an alarm but not produced by the demo's story (no SES events, no carrier over its
# threshold, no message postponed): emitted by these functions' handlers with only the service dimension.
NOT_IN_THE_DEMO = {"CarrierAlerts": "tracker", "MessagesPostponed": "sender"}


def test_every_metric_the_dashboard_and_alarms_read_is_one_the_functions_write(
    demo: tuple[Path, Timeline, Outbox],
) -> None:
    out, _, _ = demo
    emitted = _emitted(out)
    read = _dashboard_and_alarm_metrics()
    assert len(read) >= 10
    for name, dims in read:
        if name in NOT_IN_THE_DEMO:
            assert dims == {"service": NOT_IN_THE_DEMO[name]}, name
            continue
        records = emitted.get((name, frozenset(dims)))
        assert records, f"{name} {sorted(dims)}: no such metric written (a graph or alarm that stays empty)"
        assert any(all(v == "*" or r[k] == v for k, v in dims.items()) for r in records), (name, dims)
    # Business metrics say which store, as a property (a dimension only with MetricsPerStore), never who.
    for (name, names), written in emitted.items():
        if {"channel", "flow", "carrier", "type"} & names:
            assert all(r["store_id"] == "demo" and "store" not in names for r in written), name
        assert not any("@" in json.dumps(r) for r in written), name


def test_carla_and_davi_read_their_order_pages_instead_of_asking(demo: tuple[Path, Timeline, Outbox]) -> None:
    """The two pages the story opens, kept in demo-output/pages and drawn by a real Chromium (nothing fetched)."""
    from tests.integration.test_report_page import CHROMIUM, chromium

    out, timeline, _ = demo
    text = timeline.render()
    assert "Carla opens her order's page" in text and "Davi opens his order's page" in text
    carla = (out / "pages" / "carla-awaiting-pickup.html").read_text(encoding="utf-8")
    assert "Onde retiro a encomenda?" in carla and "Até 3 de dezembro de 2026" in carla
    assert "percebemos que a encomenda espera ser retirada" in carla
    davi = (out / "pages" / "davi-claim-opened.html").read_text(encoding="utf-8")
    assert "abrimos uma reclamação com a transportadora Correios (protocolo" in davi
    assert "a resposta é esperada até 8 de dezembro de 2026" in davi and "No prazo" not in davi
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed here (make browser installs it)")
    requested: list[str] = []
    with chromium() as browser:
        for name, first_question in (("carla-awaiting-pickup", "Onde retiro"), ("davi-claim-opened", "se perdeu")):
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.on("request", lambda request: requested.append(request.url))
            page.goto((out / "pages" / f"{name}.html").as_uri())
            assert page.locator("ol.timeline li").first.is_visible(), name
            assert page.locator("details[open] summary").first.inner_text().find(first_question) >= 0, name
    assert [url for url in requested if not url.startswith("file:")] == []  # nothing fetched from anyone
