"""Cases the store's team works: opened by a low score, a request for help, a parcel's trouble that outlived its wait,
a claim that needs a person and the store's own systems; each with a protocol the customer hears, a deadline per
kind, the team's actions through the signed store API, and the ouvidoria past the deadline."""

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import respx
from proativo.aws import queues
from proativo.cli.main import main as cli
from proativo.edge.storeapi import sign_request

from infra.local.stack import DEMO_SECRET
from tests.conftest import WHERE, Harness, generic

DAY = 24 * 3600


def _api(
    harness: Harness, method: str, path: str, body: Any = None, secret: str = DEMO_SECRET
) -> tuple[int, dict[str, Any]]:
    raw = json.dumps(body).encode() if body is not None else b""
    headers = {"content-type": "application/json", **sign_request(secret, method, path, harness.stack.clock.now(), raw)}
    status, _, out = harness.stack.http(method, path.split("?")[0], headers, raw, path.partition("?")[2])
    if method == "POST":
        harness.stack.advance(90)  # applied, and what it tells the customer sent (the dispatcher runs every minute)
    return status, json.loads(out or b"{}")


def _inbox(harness: Harness, status: str = "all") -> list[dict[str, Any]]:
    answer_status, answer = _api(harness, "GET", f"/stores/demo/cases?status={status}")
    assert answer_status == 200, answer
    return list(answer["cases"])


def _news(harness: Harness) -> list[str]:
    return [e.text for e in harness.outbox.entries if e.template == "case_news"]


def _low_score(harness: Harness, who: dict[str, Any] | None = None) -> None:
    """An order delivered, its survey answered 3 (a detractor)."""
    customer = who or {"id": "c-1", "email": "carla@example.com", "name": "Carla Dias"}
    placed = {"order_id": "o1", "currency": "BRL", "total": "199.90"}
    harness.post(generic("order.placed", "p1", "2026-11-24T12:00:00Z", placed, customer))
    harness.post(generic("order.delivered", "d1", "2026-11-25T12:00:00Z", {"order_id": "o1"}, customer))
    harness.stack.jump(4 * DAY + 300)
    (survey,) = [e for e in harness.outbox.entries if e.template == "survey"]
    link = next(line.split(": ", 1)[1] for line in survey.text.splitlines() if re.match(r"^3: http", line))
    parts = urlsplit(link)
    assert harness.stack.http("GET", parts.path, {}, b"", parts.query)[0] == 200
    harness.stack.advance(10 * 60)


def test_a_low_score_opens_a_case_the_customer_follows_and_past_its_deadline_the_ouvidoria_takes_it(
    harness: Harness,
) -> None:
    _low_score(harness)
    (case,) = _inbox(harness)
    assert (case["case_kind"], case["status"], case["level"], case["order_id"]) == ("low_score", "open", "first", "o1")
    protocol = case["protocol"]
    assert re.fullmatch(r"2026112\d-[0-9A-F]{8}", protocol)
    assert case["answer_by"][:10] == "2026-12-05"  # the kind's 7 calendar days
    (opened,) = _news(harness)
    assert protocol in opened and "5 de dezembro" in opened
    # The order's survey answered again: the first answer stands, no second case, nothing more said.
    assert len(_inbox(harness)) == 1
    # Assigned: the team knows who has it; the customer is not told of who works it.
    status, answer = _api(
        harness, "POST", f"/stores/demo/cases/{protocol}/actions", {"action": "assign", "owner": "Ana"}
    )
    assert (status, answer["accepted"]) == (202, True)
    assert _inbox(harness)[0]["owner"] == "Ana" and len(_news(harness)) == 1
    # Nobody answered in 7 days: the clock escalates it to the ouvidoria with a new deadline, and the customer hears.
    harness.stack.jump(7 * DAY)
    (case,) = _inbox(harness)
    assert (case["status"], case["level"], case["owner"]) == ("escalated", "ouvidoria", "Ouvidoria")
    assert case["answer_by"][:10] == "2026-12-15"
    escalated = _news(harness)[-1]
    assert "Ouvidoria" in escalated and protocol in escalated and "15 de dezembro" in escalated
    # The order's own page, linked from every case message, tells the case step by step.
    page = re.search(r"(/t/[A-Za-z0-9._~-]+)", escalated)
    assert page, escalated
    status, _, html = harness.stack.http("GET", page.group(1), {}, b"")
    text = html.decode()
    assert status == 200 and f"abrimos o atendimento {protocol}; a resposta vem até 5 de dezembro" in text
    assert f"o atendimento {protocol} foi levado à Ouvidoria da Loja Demo; a resposta vem até 15 de dezembro" in text
    # The ouvidoria resolves it, with words for the customer.
    note = "Enviamos um novo produto; o código de rastreio segue por e-mail."
    body = {"action": "resolve", "by": "Ouvidoria", "note": note, "request_id": "r-1"}
    assert _api(harness, "POST", f"/stores/demo/cases/{protocol}/actions", body)[0] == 202
    assert _inbox(harness, "resolved")[0]["protocol"] == protocol and not _inbox(harness, "open")
    assert note in _news(harness)[-1] and "concluído" in _news(harness)[-1]
    # The same request again (a retry) changes nothing; acting on a resolved case is refused until it is reopened.
    status, again = _api(harness, "POST", f"/stores/demo/cases/{protocol}/actions", body)
    assert (status, again["repeat"]) == (202, True)
    status, refused = _api(harness, "POST", f"/stores/demo/cases/{protocol}/actions", {"action": "note", "note": "x"})
    assert (status, refused["error"]) == (409, "conflict")
    # The report: one case opened, escalated, resolved — not within its first deadline — and how long it took.
    status, report = _api(harness, "GET", "/stores/demo/reports?from=2026-11-24&to=2026-12-10")
    total = report["total"]
    assert (total["cases_opened"], total["cases_escalated"], total["cases_resolved"]) == (1, 1, 1)
    assert total["cases_sla_rate"] == 0.0 and total["cases"]["low_score"]["resolved_in_sla"] == 0
    assert 7 * 24 <= total["cases"]["low_score"]["median_hours_to_resolve"] <= 8 * 24
    # The whole history, for the team.
    status, whole = _api(harness, "GET", f"/stores/demo/cases/{protocol}")
    assert status == 200
    assert [h["action"] for h in whole["history"]] == ["opened", "assign", "escalate", "resolve"]
    assert [h["told"] for h in whole["history"]] == [True, False, True, True]
    assert len(_news(harness)) == 3


def test_the_store_opens_a_case_from_its_own_systems_and_works_it(harness: Harness) -> None:
    request = {
        "request_id": "crm-991",
        "kind": "store",
        "customer": {"id": "c-9", "email": "davi@example.com", "name": "Davi Souza", "locale": "en-US"},
        "order_id": "o-9",
        "subject": "wrong size delivered",
        "detail": "Asked for M, got S.",
    }
    status, opened = _api(harness, "POST", "/stores/demo/cases", request)
    assert status == 202 and opened["accepted"]
    protocol = opened["protocol"]
    (case,) = _inbox(harness)
    assert (case["protocol"], case["case_kind"], case["subject"]) == (protocol, "store", "wrong size delivered")
    (told,) = _news(harness)
    assert protocol in told and "December 1" in told  # in English, the customer's language
    # A retry of the same request opens nothing new.
    status, again = _api(harness, "POST", "/stores/demo/cases", request)
    assert (status, again["protocol"], again["repeat"]) == (202, protocol, True)
    assert len(_inbox(harness)) == 1
    # Waiting on the customer tells them what is needed; a note for the team only tells nobody.
    wait = {"action": "wait_customer", "note": "Could you send a photo of the label?"}
    assert _api(harness, "POST", f"/stores/demo/cases/{protocol}/actions", wait)[0] == 202
    assert "photo of the label" in _news(harness)[-1]
    assert (
        _api(harness, "POST", f"/stores/demo/cases/{protocol}/actions", {"action": "note", "note": "called"})[0] == 202
    )
    assert len(_news(harness)) == 2
    assert _inbox(harness)[0]["status"] == "waiting_customer"
    # Resolved, then reopened by the customer's reply: a first-instance case reopened goes to the ouvidoria.
    assert _api(harness, "POST", f"/stores/demo/cases/{protocol}/actions", {"action": "resolve"})[0] == 202
    assert (
        _api(harness, "POST", f"/stores/demo/cases/{protocol}/actions", {"action": "reopen", "by": "customer"})[0]
        == 202
    )
    (case,) = _inbox(harness)
    assert (case["status"], case["level"], case["reopened"]) == ("escalated", "ouvidoria", 1)
    assert "Ouvidoria" in _news(harness)[-1]


def test_bad_case_requests_get_a_reason_and_change_nothing(harness: Harness) -> None:
    base = {"request_id": "r1", "customer": {"id": "c-1"}, "subject": "x"}
    for body, field in (
        ({**base, "kind": "nope"}, "kind"),
        ({k: v for k, v in base.items() if k != "subject"}, "subject"),
        ({**base, "request_id": "has space"}, "request_id"),
        ({**base, "surprise": 1}, "surprise"),
    ):
        status, refused = _api(harness, "POST", "/stores/demo/cases", body)
        assert (status, refused.get("field")) == (400, field), refused
    status, _ = _api(harness, "POST", "/stores/demo/cases/20261124-ABCDEF/actions", {"action": "resolve"})
    assert status == 404
    status, _ = _api(harness, "POST", "/stores/demo/cases", base, secret="another-store-secret")
    assert status == 401
    _api(harness, "POST", "/stores/demo/cases", base)
    protocol = _inbox(harness)[0]["protocol"]
    status, refused = _api(harness, "POST", f"/stores/demo/cases/{protocol}/actions", {"action": "assign"})
    assert (status, refused.get("field")) == (400, "owner")
    status, refused = _api(harness, "POST", f"/stores/demo/cases/{protocol}/actions", {"action": "reopen"})
    assert status == 409
    assert _api(harness, "GET", "/stores/demo/cases?status=maybe")[0] == 400
    assert len(_inbox(harness)) == 1 and not _news(harness)  # no contact given: nobody to tell


def _queue(harness: Harness, event: dict[str, Any]) -> None:
    """A canonical event on the events queue, as the tracker or the relay puts it there; applied."""
    queues.enqueue_events(
        harness.stack.client("sqs"), harness.stack.physical["EventsQueue"], (json.dumps(event),), "demo"
    )
    harness.stack.drain()


def _exception(harness: Harness, event_id: str, code: str, kind: str, at: str) -> None:
    event = {
        "type": "ParcelException",
        "event_id": event_id,
        "store_id": "demo",
        "source": "correios",
        "customer": {"id": "c-1", "email": "carla@example.com", "name": "Carla Dias"},
        "occurred_at": at,
        "order_id": "o1",
        "carrier": "correios",
        "tracking_code": code,
        "kind": kind,
    }
    _queue(harness, event)


def test_a_parcel_trouble_still_open_after_its_wait_becomes_a_case_and_a_solved_one_does_not(harness: Harness) -> None:
    customer = {"id": "c-1", "email": "carla@example.com", "name": "Carla Dias"}
    harness.post(
        generic(
            "order.placed",
            "p1",
            "2026-11-24T12:00:00Z",
            {"order_id": "o1", "total": "99.00", "currency": "BRL"},
            customer,
        )
    )
    for code in ("AA000000001BR", "AA000000015BR"):
        shipped = {"order_id": "o1", "carrier": "correios", "tracking_code": code}
        harness.post(generic("order.shipped", f"s-{code}", "2026-11-24T12:01:00Z", shipped, customer))
    # Two parcels stall; the parcel's state in the table says which trouble is still open when the wait is over.
    for code in ("AA000000001BR", "AA000000015BR"):
        _exception(harness, f"x-{code}", code, "stalled", "2026-11-24T12:05:00Z")
        harness.table().update_item(
            Key={"pk": "STORE#demo#CUST#c-1", "sk": f"PARCEL#correios#{code}"},
            UpdateExpression="SET open_episodes = :e, #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":e": ["stalled"] if code.endswith("1BR") else [], ":s": "in_transit"},
        )
    assert not _inbox(harness)
    harness.stack.jump(3 * DAY + 600)
    (case,) = _inbox(harness)
    assert (case["case_kind"], case["source"]) == ("parcel_trouble", "tracker")
    assert "AA000000001BR" in case["subject"]
    assert case["protocol"] in _news(harness)[0]
    # A repeat of the trouble's event opens nothing more.
    _exception(harness, "x-AA000000001BR", "AA000000001BR", "stalled", "2026-11-24T12:05:00Z")
    harness.stack.jump(DAY)
    assert len(_inbox(harness)) == 1


def test_a_claim_no_api_can_file_is_a_case_for_the_team_not_news_for_the_customer(harness: Harness) -> None:
    claim = {
        "type": "ClaimUpdated",
        "event_id": "claim-task-1",
        "store_id": "demo",
        "source": "jadlog",
        "customer": {"id": "c-1", "email": "carla@example.com"},
        "occurred_at": "2026-11-24T12:00:00Z",
        "order_id": "o1",
        "carrier": "jadlog",
        "tracking_code": "10080000000001",
        "kind": "lost",
        "status": "task",
        "channel": "manual",
        "deadline_at": "2026-12-20T12:00:00Z",
    }
    _queue(harness, claim)
    (case,) = _inbox(harness)
    assert case["case_kind"] == "claim_needs_person" and "jadlog" in case["subject"]
    assert case["answer_by"][:10] == "2026-11-29"  # the kind's 5 days
    assert not _news(harness)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert cli([*argv, *WHERE]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_team_works_cases_from_the_cli_and_a_store_sets_its_own_deadlines(
    harness: Harness, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("kinds:\n  low_score: {sla: P3D}\n  vip: {sla: PT12H}\nescalation: {ouvidoria_sla: P5D}\n")
    saved = _cli(capsys, "cases", "rules", "set", "demo", str(rules))
    assert saved["in_force"]["kinds"]["low_score"]["sla"] == "P3D" and "vip" in saved["in_force"]["kinds"]
    rules.write_text("kinds:\n  low_score: {sla: P200D}\n")
    with pytest.raises(SystemExit, match=r"kinds\.low_score\.sla"):
        cli(["cases", "rules", "set", "demo", str(rules), *WHERE])
    harness.stack.advance(120)  # the engine's minute-long cache of the store's rules
    _low_score(harness)
    (case,) = _cli(capsys, "cases", "list", "demo")
    protocol = case["protocol"]
    assert case["answer_by"][:10] == "2026-12-01"  # the store's 3 days, not the built-in 7
    assert _cli(capsys, "cases", "assign", "demo", protocol, "Bruno", "--by", "Ana")["queued"]
    _cli(capsys, "cases", "note", "demo", protocol, "Ligamos e deixamos recado.", "--tell")
    harness.stack.advance(90)
    whole = _cli(capsys, "cases", "show", "demo", protocol)
    assert whole["owner"] == "Bruno" and [h["action"] for h in whole["history"]][-2:] == ["assign", "note"]
    assert "Ligamos e deixamos recado." in _news(harness)[-1]
    _cli(capsys, "cases", "resolve", "demo", protocol, "--note", "Reembolso feito.")
    harness.stack.advance(90)
    assert not _cli(capsys, "cases", "list", "demo") and _cli(capsys, "cases", "list", "demo", "--status", "resolved")
    with pytest.raises(SystemExit, match="resolved"):
        cli(["cases", "escalate", "demo", protocol, *WHERE])
    with pytest.raises(SystemExit, match="no case"):
        cli(["cases", "show", "demo", "20260101-000000", *WHERE])
    assert _cli(capsys, "cases", "rules", "reset", "demo")["rules"] == "built-in"


def test_erasing_a_customer_erases_their_cases_from_the_team_inbox_too(harness: Harness) -> None:
    _low_score(harness)
    (case,) = _inbox(harness)
    status, _ = _api(harness, "DELETE", "/stores/demo/customers/c-1")
    assert status == 200
    assert not _inbox(harness)
    assert _api(harness, "GET", f"/stores/demo/cases/{case['protocol']}")[0] == 404


def _team_mail(to: str) -> list[tuple[str, str]]:
    """(subject, text) of every e-mail the embedded SES accepted for `to`."""
    from moto.ses.models import ses_backends

    from infra.local.stack import ACCOUNT, REGION

    found = []
    for message in ses_backends[ACCOUNT][REGION].sent_messages:
        simple = getattr(message, "simple", None)
        if simple and to in simple["To"].get("ToAddresses", []):
            found.append((simple["Subject"]["Data"], simple["Body"]["Text"]["Data"]))
    return found


HOOK = "https://hooks.slack.example/services/T000/B000/XXXX"


def test_the_team_hears_of_cases_by_webhook_the_ouvidoria_by_e_mail_and_everyone_by_the_daily_digest(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    from proativo.edge.storeapi import api_signature

    _cli(
        capsys, "cases", "settings", "demo", "--team-email", "sac@lojademo.example", "--webhook-url", HOOK,
        "--ouvidoria-name", "Ouvidoria Loja Demo", "--ouvidoria-email", "ouvidoria@lojademo.example",
    )  # fmt: skip
    harness.stack.advance(120)  # the engine's minute-long cache of the store's settings
    with respx.mock(assert_all_mocked=False, assert_all_called=False) as hooks:
        hooks.route(host="127.0.0.1").pass_through()
        hook = hooks.post(HOOK).mock(return_value=httpx.Response(200, text="ok"))
        _low_score(harness)
        protocol = _inbox(harness)[0]["protocol"]
        harness.stack.advance(120)
        (posted,) = hook.calls
        body = json.loads(posted.request.content)
        assert protocol in body["text"] and body["proativo"]["what"] == "opened"
        stamp = int(posted.request.headers["x-proativo-timestamp"])
        path = "/services/T000/B000/XXXX"
        assert posted.request.headers["x-proativo-signature"] == api_signature(
            DEMO_SECRET, stamp, "POST", path, posted.request.content
        )
        # The next morning at 8, São Paulo time: the digest names the new case.
        harness.stack.jump(DAY)
        ((subject, text),) = _team_mail("sac@lojademo.example")
        assert "1 novos" in subject and protocol in text
        # Overdue: the clock escalates it; the webhook hears, the ouvidoria gets the case with its history.
        # The team's tool fails once: the notice is retried, not lost.
        hook.mock(side_effect=[httpx.Response(503), *[httpx.Response(200)] * 20])
        harness.stack.jump(6 * DAY)
        told = [json.loads(c.request.content)["proativo"]["what"] for c in hook.calls]
        assert told.count("escalated") >= 2 and told[-1] == "escalated"
        ((subject, text),) = _team_mail("ouvidoria@lojademo.example")
        assert protocol in subject and "Ouvidoria Loja Demo" in subject
        assert "aberto" in text and "escalado" in text and "survey score 3" in text  # the store's language
        assert any("atrasados" in s or "vencem" in s for s, _ in _team_mail("sac@lojademo.example"))


def _complain(harness: Harness, body: dict[str, Any], source: str = "reclameaqui", secret: str = DEMO_SECRET) -> Any:
    from proativo.platforms.generic import GenericPlatform

    raw = json.dumps(body).encode()
    headers = {
        "content-type": "application/json",
        **GenericPlatform().sign_headers(secret, raw, harness.stack.clock.now()),
    }
    status, _, out = harness.stack.http("POST", f"/complaints/{source}/demo", headers, raw)
    harness.stack.advance(90)
    return status, json.loads(out or b"{}")


def test_a_public_complaint_is_matched_to_its_order_and_claim_and_the_team_has_the_sites_deadline(
    harness: Harness,
) -> None:
    davi = {"id": "c-davi", "email": "davi@example.com", "name": "Davi Souza"}
    placed = {"order_id": "5004", "total": "250.00", "currency": "BRL"}
    assert harness.post(generic("order.placed", "p1", "2026-11-24T12:00:00Z", placed, davi)).status == 202
    shipped = {"order_id": "5004", "carrier": "correios", "tracking_code": "AA000000001BR"}
    assert harness.post(generic("order.shipped", "s1", "2026-11-24T12:30:00Z", shipped, davi)).status == 202
    claim = {
        "type": "ClaimUpdated",
        "event_id": "claim-open-1",
        "store_id": "demo",
        "source": "correios",
        "customer": {"id": "c-davi"},
        "occurred_at": "2026-11-24T13:05:00Z",
        "order_id": "5004",
        "carrier": "correios",
        "tracking_code": "AA000000001BR",
        "kind": "lost",
        "status": "open",
        "channel": "sigep",
        "protocol": "PI-778899",
        "deadline_at": "2026-12-20T12:00:00Z",
    }
    _queue(harness, claim)
    complaint = {
        "id": "RA-123456",
        "title": "Pedido 5004 extraviado e ninguém responde",
        "text": "Comprei há dias e o rastreio parou.",
        "url": "https://www.reclameaqui.com.br/loja-demo/pedido-extraviado_RA123456/",
        "answer_by": "2026-11-27T12:00:00Z",
        "order_id": "#5004",
        "customer": {"name": "Davi Souza", "email": "DAVI@example.com"},
    }
    status, taken = _complain(harness, complaint)
    assert (status, taken["matched"], taken["order_id"]) == (202, "order+email", "5004")
    (case,) = [c for c in _inbox(harness) if c["case_kind"] == "public_complaint"]
    assert case["customer_id"] == "c-davi" and case["answer_by"][:10] == "2026-11-27"  # the site's, sooner
    whole = _api(harness, "GET", f"/stores/demo/cases/{case['protocol']}")[1]
    assert whole["claims"][0]["protocol"] == "PI-778899" and whole["parcels"][0]["tracking_code"] == "AA000000001BR"
    assert "reclameaqui.com.br" in whole["detail"]
    # The same complaint pushed again: nothing new.
    status, again = _complain(harness, complaint)
    assert (status, again["status"], again["protocol"]) == (200, "duplicate", taken["protocol"])
    # An order number whose e-mail does not match is not trusted; nothing matched still opens a case.
    status, other = _complain(harness, {**complaint, "id": "RA-2", "customer": {"email": "someone@example.com"}})
    assert (status, other["matched"], other["order_id"]) == (202, "none", None)
    # Unsigned, or signed by another store's secret: refused, nothing opened.
    assert _complain(harness, {**complaint, "id": "RA-3"}, secret="wrong")[0] == 401
    assert _complain(harness, {"id": "RA-4"})[0] == 400
    # A deadline without its offset is hours off: refused, naming the field.
    status, refused = _complain(harness, {**complaint, "id": "RA-6", "answer_by": "2026-11-27T12:00:00"})
    assert status == 400 and "answer_by" in json.dumps(refused)
    assert _complain(harness, complaint, source="Not A Source")[0] == 404
    assert len([c for c in _inbox(harness) if c["case_kind"] == "public_complaint"]) == 2


def _resolved(harness: Harness, event_id: str, code: str, at: str) -> None:
    event = {
        "type": "ParcelResolved",
        "event_id": event_id,
        "store_id": "demo",
        "source": "generic",
        "customer": {"id": "c-1", "email": "carla@example.com", "name": "Carla Dias"},
        "occurred_at": at,
        "order_id": "o1",
        "carrier": "correios",
        "tracking_code": code,
        "resolution": "reshipped",
        "new_carrier": "correios",
        "new_tracking_code": "AB000000003BR",
    }
    _queue(harness, event)


def test_the_store_making_a_parcel_right_settles_its_case_and_its_wait(harness: Harness) -> None:
    customer = {"id": "c-1", "email": "carla@example.com", "name": "Carla Dias"}
    placed = {"order_id": "o1", "total": "99.00", "currency": "BRL"}
    assert harness.post(generic("order.placed", "p1", "2026-11-24T12:00:00Z", placed, customer)).status == 202
    for code in ("AA000000001BR", "AA000000015BR"):
        shipped = {"order_id": "o1", "carrier": "correios", "tracking_code": code}
        harness.post(generic("order.shipped", f"s-{code}", "2026-11-24T12:01:00Z", shipped, customer))
        _exception(harness, f"x-{code}", code, "lost", "2026-11-24T12:05:00Z")
        harness.table().update_item(
            Key={"pk": "STORE#demo#CUST#c-1", "sk": f"PARCEL#correios#{code}"},
            UpdateExpression="SET open_episodes = :e",
            ExpressionAttributeValues={":e": ["lost"]},
        )
    # One parcel is made right before its wait is over: no case; the other after its case opened: the case is
    # resolved, and the customer hears of it once (the resolution's own message, not a second one from the case).
    _resolved(harness, "r-15", "AA000000015BR", "2026-11-25T12:00:00Z")
    harness.stack.jump(3 * DAY + 600)
    (case,) = _inbox(harness)
    assert "AA000000001BR" in case["subject"]
    told = len(_news(harness))
    _resolved(harness, "r-01", "AA000000001BR", "2026-11-27T14:00:00Z")
    harness.stack.advance(120)
    assert not _inbox(harness, "open") and _inbox(harness, "resolved")[0]["resolved_in_sla"] is True
    assert len(_news(harness)) == told
    harness.stack.jump(8 * DAY)  # resolved: off the index, never escalated
    assert _inbox(harness, "all")[0]["status"] == "resolved"


def test_a_report_of_a_period_in_the_first_centuries_answers_with_nothing_in_it(harness: Harness) -> None:
    # The cases resolved in a period are looked for from 400 days before it: never before the calendar's first day.
    for since, until in (("0001-01-01", "0001-03-01"), ("0002-01-01", "0003-01-01")):
        status, report = _api(harness, "GET", f"/stores/demo/reports?from={since}&to={until}")
        assert status == 200 and report["total"]["cases_median_hours_to_resolve"] is None
