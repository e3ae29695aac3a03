"""Parcels tracked with the (fake) Correios API through the real functions, on virtual time: every kind of trouble
is caught by the tracker and the customer hears it from the store first, once."""

import contextlib
import io
import json
from datetime import timedelta
from typing import Any

import pytest

from infra.local.stack import DEMO_SECRET
from tests.conftest import WHERE, Harness, generic

CUSTOMER = {
    "id": "c-9",
    "email": "rita@example.com",
    "phone": "+5511988887777",
    "name": "Rita Alves",
    "locale": "pt-BR",
    "accepts_sms": True,
}


def ship(harness: Harness, code: str, journey: str, promised: str | None = "2026-11-27T23:59:59-03:00") -> None:
    harness.stack.fake_correios.assign(code, journey)
    data = {"order_id": "o-9", "carrier": "Correios", "tracking_code": code, "promised_at": promised}
    answer = harness.post(generic("order.shipped", f"ship-{code}", "2026-11-24T11:50:00Z", data, CUSTOMER))
    assert answer.status == 202


def days(harness: Harness, n: float) -> None:
    """Let `n` days pass an hour at a time: every hour the tracking schedule and the dispatcher run once (the idle
    minutes between are skipped), so each check sees what the carrier said by then. Hours in which nothing on the due
    index falls due (no check, step or claim) pass at once: the schedules would have found nothing in them."""
    hours = int(n * 24)
    while hours > 0:
        step = min(hours, harness.stack.quiet_hours())
        harness.stack.jump(3600 * step, settle=60)
        hours -= step


def notices(harness: Harness) -> list[tuple[str, str, str]]:
    """(channel, template, kind or status) of every parcel message sent, in order."""
    return [
        (e.channel, e.template, e.subject or "")
        for e in harness.outbox.entries
        if e.template.startswith("parcel_") or e.template == "order_delivered"
    ]


def parcel(harness: Harness) -> dict:
    (item,) = harness.items("c-9", "PARCEL#")
    return item


def test_an_on_time_parcel_tells_out_for_delivery_then_delivered(harness: Harness) -> None:
    ship(harness, "AA123456785BR", "on_time")
    days(harness, 4)
    assert [(c, t) for c, t, _ in notices(harness)] == [
        ("email", "parcel_out_for_delivery"),
        ("sms", "parcel_out_for_delivery"),
        ("email", "order_delivered"),
    ]
    item = parcel(harness)
    assert (item["status"], item["open_episodes"]) == ("delivered", [])
    assert "due_at" not in item  # final: never checked again


def test_a_late_parcel_is_caught_before_the_customer_asks_and_told_once(harness: Harness) -> None:
    ship(harness, "QB472915809BR", "late", promised="2026-11-26T23:59:59-03:00")
    days(harness, 3)
    late = [n for n in notices(harness) if n[1] == "parcel_exception"]
    assert [(c, t) for c, t, _ in late] == [("email", "parcel_exception"), ("sms", "parcel_exception")]
    assert "atrasou" in late[0][2]
    days(harness, 4)  # many more checks while late, then delivered
    assert [n for n in notices(harness) if n[1] == "parcel_exception"] == late
    assert notices(harness)[-1][1] == "order_delivered"


@pytest.mark.parametrize(
    ("journey", "kind", "words"),
    [
        ("stalled", "stalled", "parado"),
        ("lost", "lost", "não localiza"),
        ("damaged", "damaged", "avaria"),
        ("returned", "returned", "voltando"),
        ("awaiting_pickup", "awaiting_pickup", "agência"),
        ("awaiting_pickup", "failed_attempt", "não havia ninguém"),
        ("returned", "address_problem", "confirmar seu endereço"),
    ],
)
def test_every_kind_of_trouble_is_detected_and_told(harness: Harness, journey: str, kind: str, words: str) -> None:
    ship(harness, "QC158300275BR", journey, promised=None)
    days(harness, 12)
    subjects = [s for c, t, s in notices(harness) if t == "parcel_exception" and c == "email"]
    assert any(words in s for s in subjects), subjects
    events = [i for i in harness.items("c-9", "EVENT#") if i["type"] == "ParcelException"]
    assert kind in {i["event_id"].split(":")[4] for i in events}


@pytest.mark.parametrize(
    ("journey", "kind", "words", "within"),
    [
        ("lost", "lost", "não localiza", 7),
        ("returned", "returned", "voltando", 6),
        ("awaiting_pickup", "awaiting_pickup", "agência", 3),
    ],
)
def test_a_jadlog_parcel_is_polled_and_its_trouble_told_like_a_correios_one(
    harness: Harness, journey: str, kind: str, words: str, within: int
) -> None:
    harness.stack.fake_jadlog.assign("10080155177771", journey)
    ship_with(harness, "Jadlog .Package", "10080155177771")
    days(harness, within)  # the day its journey says so, and a little more
    (item,) = harness.items("c-9", "PARCEL#")
    assert item["carrier"] == "jadlog" and int(item["scans_seen"]) >= 2
    subjects = [s for c, t, s in notices(harness) if t == "parcel_exception" and c == "email"]
    assert any(words in s for s in subjects), subjects
    events = [i["event_id"] for i in harness.items("c-9", "EVENT#") if i["type"] == "ParcelException"]
    assert any(e.startswith(f"parcel:jadlog:10080155177771:exception:{kind}:") for e in events), events


def _with_aftership(harness: Harness) -> None:
    from infra.local.fake_carrier import aftership

    given = json.dumps(aftership.credentials(harness.stack.aftership_url))
    _cli_json(["stores", "set-carrier-credentials", "demo", "--carrier", "aftership", *WHERE], stdin=given)
    secret = aftership.WEBHOOK_SECRET
    _cli_json(
        ["stores", "set-carrier-push-secret", "demo", "--carrier", "aftership", "--secret-stdin", *WHERE], stdin=secret
    )


def aftership_push(harness: Harness, body: dict, secret: str | None = None) -> int:
    from infra.local.fake_carrier import aftership

    raw = aftership.encoded(body)
    headers = {
        "content-type": "application/json",
        "aftership-hmac-sha256": aftership.sign(raw, secret or aftership.WEBHOOK_SECRET),
    }
    status, _, _ = harness.stack.http("POST", "/webhooks/carrier/aftership/demo", headers, raw)
    harness.stack.drain()
    return status


def test_a_carrier_we_do_not_poll_is_followed_through_the_stores_aggregator(harness: Harness) -> None:
    _with_aftership(harness)
    data = {"order_id": "o-9", "carrier": "Total Express", "tracking_code": "TX-556677", "promised_at": None}
    assert harness.post(generic("order.shipped", "ship-tx", "2026-11-24T11:50:00Z", data, CUSTOMER)).status == 202
    days(harness, 0.5)
    fake = harness.stack.fake_aftership
    assert fake.registered["TX-556677"]["order_id"] == "o-9"  # registered once, on its first check
    point = {"city": "Recife", "state": "PE", "tag": "InTransit", "message": "Em trânsito"}
    lost = {"city": "Recife", "state": "PE", "tag": "Exception", "subtag": "Exception_013", "message": "Extraviado"}
    body = fake.webhook(
        "TX-556677",
        [
            {**point, "checkpoint_time": "2026-11-24T18:00:00-03:00"},
            {**lost, "checkpoint_time": "2026-11-26T10:00:00-03:00"},
        ],
        event_id="as-evt-1",
    )
    assert aftership_push(harness, body, secret="not-the-secret") == 401
    assert aftership_push(harness, body) == 202
    assert aftership_push(harness, body) == 200  # AfterShip retrying the same event
    harness.stack.advance(120)
    (item,) = harness.items("c-9", "PARCEL#")
    assert (item["carrier"], item["aggregator"], item["status"]) == ("total-express", "aftership", "exception")
    events = [i["event_id"] for i in harness.items("c-9", "EVENT#") if i["type"] == "ParcelException"]
    assert any(e.startswith("parcel:total-express:TX-556677:exception:lost:") for e in events), events
    subjects = [s for c, t, s in notices(harness) if t == "parcel_exception" and c == "email"]
    assert any("não localiza" in s for s in subjects), subjects
    days(harness, 1)
    assert fake.requests == 1  # never registered twice


def test_a_label_bought_through_melhor_envio_is_followed_there_no_more_than_hourly(harness: Harness) -> None:
    from infra.local.fake_carrier import melhorenvio

    given = json.dumps(melhorenvio.credentials(harness.stack.melhorenvio_url))
    _cli_json(["stores", "set-carrier-credentials", "demo", "--carrier", "melhor-envio", *WHERE], stdin=given)
    fake = harness.stack.fake_melhorenvio
    fake.assign("LGI0099887766", "on_time")
    ship_with(harness, "Melhor Envio - Loggi Express", "LGI0099887766")
    days(harness, 3)
    (item,) = harness.items("c-9", "PARCEL#")
    assert (item["carrier"], item["status"]) == ("loggi", "delivered")
    assert ("email", "order_delivered") in [(c, t) for c, t, _ in notices(harness)]
    assert fake.searches == 1  # the label id found once by its tracking code, then remembered
    assert _cli_json(["carriers", "unmatched", "demo", *WHERE]) == []  # Loggi is known: followed via Melhor Envio
    assert 1 <= fake.trackings <= 3 * 24  # never more often than its one-hour cache


def test_awaiting_pickup_is_reminded_before_the_parcel_goes_back(harness: Harness) -> None:
    ship(harness, "QC158300275BR", "awaiting_pickup", promised=None)
    days(harness, 9)
    sent = [(c, t) for c, t, _ in notices(harness)]
    # A failed attempt, then the agency: both told; two days before the parcel would go back, the reminder; then
    # the customer collects it.
    assert sent == [
        ("email", "parcel_out_for_delivery"),
        ("sms", "parcel_out_for_delivery"),
        ("email", "parcel_exception"),
        ("sms", "parcel_exception"),
        ("email", "parcel_exception"),
        ("sms", "parcel_exception"),
        ("email", "parcel_pickup_reminder"),
        ("email", "order_delivered"),
    ]


def test_a_store_sets_its_own_thresholds(harness: Harness) -> None:
    from proativo.cli.main import main as cli

    assert cli(["stores", "set-tracking-policy", "demo", "--stalled-business-days", "1", *WHERE]) == 0
    ship(harness, "QC158300275BR", "stalled", promised=None)
    days(harness, 3)  # posted Tuesday, last scan that night: stalled after one business day, not three
    events = harness.items("c-9", "EVENT#")
    (stalled,) = [i for i in events if i["event_id"].split(":")[3:5] == ["exception", "stalled"]]
    assert stalled["received_at"] < "2026-11-26T12:00:00Z"


def test_carrier_credentials_are_checked_before_they_are_saved(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from proativo.cli.main import main as cli

    monkeypatch.setattr("sys.stdin", io.StringIO('{"user": "loja", "access_code": "x", "postage_card": "abc"}'))
    with pytest.raises(SystemExit, match="postage_card"):
        cli(["stores", "set-carrier-credentials", "demo", "--carrier", "correios", *WHERE])


def test_a_carrier_without_credentials_keeps_the_parcel_for_later(harness: Harness) -> None:
    from proativo import aws

    aws.ssm().delete_parameter(Name="/proativo/local/stores/demo/carrier-credentials/correios")
    ship(harness, "AA123456785BR", "on_time")
    days(harness, 1)
    item = parcel(harness)
    assert (item["status"], "due_at" in item) == ("info_received", True)
    assert harness.stack.fake_correios.requests == 0


def push(harness: Harness, code: str, *scans: dict, delivery: str = "p-1", secret: str = DEMO_SECRET) -> int:
    """POST a carrier push to the local stack's route, signed like the generic platform."""
    from proativo.platforms.registry import PLATFORMS

    body = json.dumps({"id": delivery, "tracking_code": code, "scans": list(scans)}).encode()
    headers = {
        "content-type": "application/json",
        **PLATFORMS["generic"].sign_headers(secret, body, harness.stack.clock.now()),
    }
    status, _, _ = harness.stack.http("POST", "/webhooks/carrier/expressa/demo", headers, body)
    harness.stack.drain()
    return status


def ship_with(harness: Harness, carrier: str, code: str) -> None:
    data = {"order_id": "o-9", "carrier": carrier, "tracking_code": code, "promised_at": "2026-11-27T23:59:59-03:00"}
    assert harness.post(generic("order.shipped", f"ship-{code}", "2026-11-24T11:50:00Z", data, CUSTOMER)).status == 202


def test_a_carrier_is_pressed_within_its_limits_by_every_tracker_together(harness: Harness) -> None:
    """Jadlog's plugin allows two requests in flight; two trackers may run at once (`TrackerConcurrency`'s default),
    so each keeps one: 25 parcels (a tracking message's most) are asked in two requests, one after the other."""
    from proativo.aws import keys
    from proativo.tracking.model import parcel_sk

    fake = harness.stack.fake_jadlog
    fake.latency_seconds = 0.05  # long enough for two requests to overlap if they were let
    codes = [f"100801552{i:05d}" for i in range(25)]
    with harness.table().batch_writer() as batch:
        for code in codes:
            batch.put_item(
                Item={
                    "pk": keys.customer_pk("demo", "c-9"),
                    "sk": parcel_sk("jadlog", code),
                    "kind": "parcel",
                    "store_id": "demo",
                    "customer_id": "c-9",
                    "order_id": "o-9",
                    "carrier": "jadlog",
                    "tracking_code": code,
                    "shipped_at": "2026-11-24T10:00:00Z",
                    "status": "info_received",
                    "version": 0,
                }
            )
    refs = [
        {"store_id": "demo", "customer_id": "c-9", "order_id": "o-9", "carrier": "jadlog", "tracking_code": c}
        for c in codes
    ]
    queue = harness.stack.physical["TrackingQueue"]
    harness.stack.client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps({"parcels": refs}))
    asked = fake.requests
    harness.stack.drain()
    assert fake.requests - asked == 2  # 20 codes, then 5: Jadlog's batch
    assert fake.most_in_flight == 1
    assert all(int(p["version"]) == 1 for p in harness.items("c-9", "PARCEL#"))  # every parcel checked once


def test_a_carrier_that_pushes_is_heard_like_one_that_is_polled(harness: Harness) -> None:
    ship_with(harness, "Expressa", "EX-778899")
    scan = {"status": "out_for_delivery", "code": "SAI", "description": "Saiu para entrega", "location": "Curitiba/PR"}
    assert push(harness, "EX-778899", {**scan, "at": "2026-11-24T08:55:00-03:00"}) == 202
    assert push(harness, "EX-778899", {**scan, "at": "2026-11-24T08:55:00-03:00"}) == 200  # the same delivery again
    harness.stack.advance(120)
    assert [(c, t) for c, t, _ in notices(harness)] == [
        ("email", "parcel_out_for_delivery"),
        ("sms", "parcel_out_for_delivery"),
    ]
    delivered = {"status": "delivered", "code": "ENT", "description": "Entregue", "at": "2026-11-24T09:01:00-03:00"}
    assert push(harness, "EX-778899", delivered, delivery="p-2") == 202
    harness.stack.jump(3600)
    assert notices(harness)[-1][1] == "order_delivered"
    assert parcel(harness)["status"] == "delivered"


def test_a_pushing_carrier_gone_quiet_is_judged_by_the_clock(harness: Harness) -> None:
    ship_with(harness, "Expressa", "EX-101010")
    transit = {"status": "in_transit", "code": "TRF", "at": "2026-11-24T08:55:00-03:00"}
    assert push(harness, "EX-101010", transit) == 202
    days(harness, 6)  # nothing more pushed: stalled after three business days, then late after the promise
    kinds = {i["event_id"].split(":")[4] for i in harness.items("c-9", "EVENT#") if i["type"] == "ParcelException"}
    assert kinds == {"stalled", "late"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{oops", 400, "body"),
        (b'{"id": "x", "tracking_code": "EX-1", "scans": []}', 400, "scans"),
        (
            b'{"id": "x", "tracking_code": "EX-1234", "scans": [{"status": "teleported", "at": "2026-11-24T09:30Z"}]}',
            400,
            "scans.0.status",
        ),
    ],
)
def test_a_bad_push_is_refused_with_its_field_and_nothing_is_kept(
    harness: Harness, body: bytes, status: int, field: str
) -> None:
    from proativo.platforms.registry import PLATFORMS

    headers = {
        "content-type": "application/json",
        **PLATFORMS["generic"].sign_headers("demo-secret", body, harness.stack.clock.now()),
    }
    answer, _, out = harness.stack.http("POST", "/webhooks/carrier/expressa/demo", headers, body)
    assert (answer, json.loads(out)["field"]) == (status, field)
    assert harness.received() == 0


def test_a_push_signed_with_another_secret_or_for_an_unknown_carrier_is_refused(harness: Harness) -> None:
    scan = {"status": "in_transit", "at": "2026-11-24T09:30:00-03:00"}
    assert push(harness, "EX-555", scan, secret="not-the-secret") == 401
    body = b'{"id": "x", "tracking_code": "EX-555", "scans": [{"status": "in_transit", "at": "2026-11-24T09:30:00Z"}]}'
    from proativo.platforms.registry import PLATFORMS

    headers = PLATFORMS["generic"].sign_headers("demo-secret", body, harness.stack.clock.now())
    assert harness.stack.http("POST", "/webhooks/carrier/nobody/demo", headers, body)[0] == 404
    assert harness.received() == 0


def test_a_shipment_naming_no_known_carrier_is_matched_by_its_code_or_kept_visible_and_counted(
    harness: Harness,
) -> None:
    harness.stack.fake_correios.assign("QB876543216BR", "on_time")
    ship_with(harness, "Transportadora (frete grátis)", "qb876543216br")  # a Correios S10 code, by another name
    data = {"order_id": "o-10", "carrier": "Total Express", "tracking_code": "TX-12345678", "promised_at": None}
    assert harness.post(generic("order.shipped", "ship-tx", "2026-11-24T12:00:00Z", data, CUSTOMER)).status == 202
    parcels = {i["tracking_code"].upper(): i for i in harness.items("c-9", "PARCEL#")}
    assert parcels["QB876543216BR"]["carrier"] == "correios"
    assert parcels["TX-12345678"]["carrier"] == "total-express"
    (kept,) = _cli_json(["carriers", "unmatched", "demo", *WHERE])
    assert (kept["carrier"], kept["tracking_code"], kept["order_id"]) == ("total-express", "TX-12345678", "o-10")
    days(harness, 3)
    assert ("email", "order_delivered") in [(c, t) for c, t, _ in notices(harness)]  # the Correios parcel, polled
    figures = _cli_json(["report", "--store", "demo", "--from", "2026-11-24", "--to", "2026-11-24", "--json", *WHERE])[
        "total"
    ]
    assert (figures["shipments"], figures["shipments_matched_by_code"], figures["shipments_unmatched"]) == (2, 1, 1)


def test_carriers_list_says_what_each_carrier_can_do() -> None:
    listed = {c["carrier"]: c for c in _cli_json(["carriers", "list"])}
    assert listed["correios"]["can"] == ["poll", "claims"] and listed["correios"]["claims"] == "correios_pi"


def test_a_mistyped_correios_code_is_kept_aside_not_reported_lost(harness: Harness) -> None:
    ship_with(harness, "Correios", "AA123456784BR")  # the check digit says 5
    days(harness, 15)
    item = parcel(harness)
    assert (item["status"], item["substatus"], "due_at" in item) == ("exception", "invalid_code", False)
    assert notices(harness) == []
    assert harness.stack.fake_correios.requests == 0


@contextlib.contextmanager
def _stdin(sys: Any, text: str) -> Any:
    before = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = before


def claims(harness: Harness) -> list[dict]:
    found: list[dict] = _cli_json(["claims", "list", "demo", *WHERE])
    return found


def _cli_json(argv: list[str], stdin: str = "") -> Any:
    import sys

    from proativo.cli.main import main as cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out), _stdin(sys, stdin):
        assert cli(argv) == 0
    return json.loads(out.getvalue())


def test_a_lost_parcel_gets_a_correios_claim_the_customer_hears_of_and_its_answer_is_recorded(harness: Harness) -> None:
    ship(harness, "QC158300275BR", "lost", promised=None)
    days(harness, 14)
    (claim,) = claims(harness)
    assert (claim["claim_kind"], claim["channel"], claim["status"], claim["amount"]) == (
        "lost",
        "correios_pi",
        "won",
        "189.90",
    )
    # Registered through SIGEP Web; its deadline: 30 days counted from the day after the carrier's expected date (the
    # 26th, Brasília), to the end of that day.
    assert claim["protocol"] and claim["deadline_at"] == "2026-12-27T02:59:59Z"
    (filed,) = harness.stack.fake_correios.claims.values()
    assert (filed["code"], filed["reason"]) == ("QC158300275BR", 211)
    (told,) = [e for e in harness.outbox.entries if e.template == "parcel_claim_opened"]
    assert told.recipient == "rita@example.com"
    assert f"protocolo {claim['protocol']}" in told.text
    statuses = [i["event_id"] for i in harness.items("c-9", "EVENT#") if i["type"] == "ClaimUpdated"]
    assert statuses == ["claim:correios:QC158300275BR:open", "claim:correios:QC158300275BR:won"]


def test_the_pi_reasons_configured_are_checked_against_the_contract(harness: Harness) -> None:
    listed = _cli_json(["claims", "reasons", "demo", *WHERE])
    assert {r["codigo"]: r["kinds"] for r in listed} == {"135": ["late"], "211": ["lost"], "134": ["damaged"]}
    assert not any("problem" in r for r in listed)


def test_a_delay_is_claimed_only_once_it_is_days_late(harness: Harness) -> None:
    ship(harness, "QB472915809BR", "stalled", promised="2026-11-26T23:59:59-03:00")
    days(harness, 6)
    assert claims(harness) == []  # late since the 27th: not five days yet
    days(harness, 2)
    (claim,) = claims(harness)
    assert (claim["claim_kind"], claim["status"]) == ("late", "open")


def test_a_carrier_without_a_claim_api_gets_a_task_and_a_warning_before_its_deadline(harness: Harness) -> None:
    ship_with(harness, "Expressa", "EX-202020")
    assert (
        push(harness, "EX-202020", {"status": "exception", "substatus": "lost", "at": "2026-11-24T08:55:00-03:00"})
        == 202
    )
    days(harness, 1)
    (claim,) = claims(harness)
    assert (claim["channel"], claim["status"], claim["deadline_at"]) == ("task", "task", "2026-12-24T23:59:59Z")
    harness.stack.jump(timedelta(days=23).total_seconds())  # seven days before the deadline
    events = [i["event_id"] for i in harness.items("c-9", "EVENT#") if i["type"] == "ClaimUpdated"]
    assert events == ["claim:expressa:EX-202020:task", "claim:expressa:EX-202020:deadline_near"]
    recorded = _cli_json(
        [
            "claims",
            "record",
            "demo",
            "--carrier",
            "Expressa",
            "--tracking-code",
            "EX-202020",
            "--status",
            "open",
            "--protocol",
            "EXP-991",
            *WHERE,
        ],
    )
    assert recorded["status"] == "open"
    assert claims(harness)[0]["protocol"] == "EXP-991"


def test_the_scorecard_counts_each_journey_once_and_a_bad_carrier_raises_one_alert(harness: Harness) -> None:
    assert _cli_json(
        ["stores", "set-tracking-policy", "demo", "--incident-rate-alert", "0.5", "--incident-min-parcels", "2", *WHERE]
    )
    ship(harness, "AA123456785BR", "on_time")
    ship(harness, "QB472915809BR", "late", promised="2026-11-26T23:59:59-03:00")
    ship(harness, "QC158300275BR", "lost", promised=None)
    ship(harness, "QD314159268BR", "lost", promised=None)
    days(harness, 14)
    card = {
        (row["carrier"], row["state"]): row
        for row in _cli_json(["carriers", "scorecard", "demo", "--until", "2026-12-10", *WHERE])
    }
    assert set(card) == {("correios", "PR"), ("correios", "PE"), ("correios", "SP")}
    assert (card["correios", "PR"]["parcels"], card["correios", "PR"]["on_time"]) == (1, 1)
    assert (card["correios", "PE"]["parcels"], card["correios", "PE"]["late"], card["correios", "PE"]["late_rate"]) == (
        1,
        1,
        1.0,
    )
    lost = card["correios", "SP"]
    assert (lost["parcels"], lost["lost"], lost["incidents"], lost["lost_rate"]) == (2, 2, 2, 1.0)
    assert (lost["claims_opened"], lost["claims_won"], lost["claims_refunded"]) == (2, 2, "379.80")
    raised = harness.table().query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": "STORE#demo#ALERTS"}
    )["Items"]
    assert [(a["sk"], a["incidents"], a["parcels"]) for a in raised] == [("2026-11#CARRIER#correios#SP", 2, 2)]


def test_a_refund_tells_the_customer_how_much(harness: Harness) -> None:
    ship(harness, "QC158300275BR", "lost", promised=None)
    data = {
        "order_id": "o-9",
        "carrier": "Correios",
        "tracking_code": "QC158300275BR",
        "resolution": "refunded",
        "amount": "199.90",
        "currency": "BRL",
    }
    assert harness.post(generic("parcel.resolved", "res-1", "2026-11-24T11:58:00Z", data, CUSTOMER)).status == 202
    harness.stack.advance(120)
    email, sms = [e for e in harness.outbox.entries if e.template == "parcel_resolved"]
    assert email.subject == "Pedido o-9: seu reembolso foi feito"
    assert "R$\xa0199,90" in email.text and "R$\xa0199,90" in sms.text  # babel: a non-breaking space
