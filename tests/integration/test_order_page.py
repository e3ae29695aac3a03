"""The customer's own page, through the real functions: every parcel message links to it, it shows where the parcel
is in the carrier's words, what we already did, and the answers for that state; it asks for help once an hour; an
order is found by its number and e-mail without enumeration; a forged link finds nothing."""

import json
import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from proativo.cases import desk
from proativo.cli.main import main as cli

from tests.conftest import WHERE, Harness, generic
from tests.integration.test_tracking import CUSTOMER, days, ship

PAGE = re.compile(r"https?://\S+?(/t/[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")


def place(harness: Harness) -> None:
    items = [{"sku": "TN-1", "name": "Tênis de corrida", "quantity": 1, "unit_price": "299.90"}]
    data = {"order_id": "o-9", "currency": "BRL", "total": "299.90", "items": items}
    assert harness.post(generic("order.placed", "place-o-9", "2026-11-24T10:00:00Z", data, CUSTOMER)).status == 202


def page_path(harness: Harness) -> str:
    """The page a parcel message links to (the e-mail's text part)."""
    texts = [e.text for e in harness.outbox.entries if e.template == "parcel_exception" and e.channel == "email"]
    assert texts, [e.template for e in harness.outbox.entries]
    found = PAGE.search(texts[-1])
    assert found, texts[-1]
    return found.group(1)


def get(harness: Harness, path: str, **headers: str) -> tuple[int, dict[str, str], str]:
    status, answer, body = harness.stack.http("GET", path, headers, b"")
    return status, {k.lower(): v for k, v in answer.items()}, body.decode()


def post(harness: Harness, path: str, form: dict[str, str], **headers: str) -> tuple[int, dict[str, str], str]:
    kind = {"content-type": "application/x-www-form-urlencoded", **headers}
    status, answer, body = harness.stack.http("POST", path, kind, urlencode(form).encode())
    return status, {k.lower(): v for k, v in answer.items()}, body.decode()


def waiting_at_the_agency(harness: Harness) -> str:
    place(harness)
    ship(harness, "QC158300275BR", "awaiting_pickup", promised=None)
    days(harness, 4)
    return page_path(harness)


def test_a_parcel_waiting_at_the_agency_has_a_page_that_says_where_until_when_and_what_was_done(
    harness: Harness,
) -> None:
    path = waiting_at_the_agency(harness)
    for entry in harness.outbox.entries:  # every parcel message links to the page, none to the carrier's site
        if entry.template.startswith("parcel_") or entry.template == "order_shipped":
            assert "/t/" in entry.text, (entry.template, entry.text)
    status, headers, html = get(harness, path)
    assert status == 200, html
    assert "default-src 'none'" in headers["content-security-policy"] and headers["cache-control"] == "no-store"
    assert "Pedido o-9" in html and "Olá, Rita!" in html and "Tênis de corrida" in html
    assert "Aguardando retirada" in html  # our status, and the carrier's own words in the timeline
    assert "percebemos que a encomenda espera ser retirada" in html
    assert "avisamos você por e-mail" in html
    assert "Onde retiro a encomenda?" in html and "Até quando posso retirar?" in html
    for personal in ("rita@example.com", "988887777", "Alves"):
        assert personal not in html
    assert 'src="http' not in html  # nothing fetched from anyone
    status, headers, body = get(harness, path, accept="application/json")
    page = json.loads(body)
    assert status == 200 and page["state"] == "awaiting_pickup"
    assert [a["id"] for a in page["answers"]] == ["pickup_where", "pickup_until", "pickup_someone"]
    assert page["parcels"][0]["carrier_name"] == "Correios" and page["parcels"][0]["timeline"]
    harness.stack.drain()
    (order,) = harness.items("c-9", "ORDER#o-9")
    assert order["viewed_at"] and int(order["page_visits"]) == 1  # two views a minute apart: one visit


def test_a_forged_edited_or_foreign_link_finds_the_same_404_page(harness: Harness) -> None:
    path = waiting_at_the_agency(harness)
    body, mac = path.removeprefix("/t/").split(".")
    edited = f"/t/{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{mac}"
    for wrong in (edited, "/t/not-a-token", f"/t/{body}.{mac[::-1]}"):
        status, _, html = get(harness, wrong)
        assert status == 404 and "Pedido não encontrado" in html, wrong
    status, _, body_json = get(harness, edited, accept="application/json")
    assert status == 404 and json.loads(body_json) == {"error": "not_found"}


def test_still_need_help_opens_one_case_an_hour_with_the_orders_context(harness: Harness) -> None:
    path = waiting_at_the_agency(harness)
    status, _, html = post(harness, f"{path}/help", {"topic": "where", "message": "Não consigo ir à agência"})
    assert status == 200 and "protocolo" in html, html
    protocol = re.search(r"protocolo ([0-9]{8}-[0-9A-F]{8})", html)
    assert protocol, html
    again, _, _ = post(harness, f"{path}/help", {"topic": "other", "message": ""})
    assert again == 429
    bad, _, _ = post(harness, f"{path}/help", {"topic": "<script>", "message": ""})
    assert bad == 400
    harness.stack.drain()
    listed = harness.table().query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": "STORE#demo#CASES"}
    )["Items"]
    (case,) = [i for i in listed if i.get("case_kind") == "help_request"]
    assert case["protocol"] == protocol.group(1) and case["answer_by"][:10] == "2026-11-30"  # the page's promise
    whole = desk.show(harness.table(), "demo", case["protocol"])
    assert (whole["state"], whole["topic"], whole["detail"]) == ("awaiting_pickup", "where", "Não consigo ir à agência")
    assert whole["parcels"][0]["tracking_code"] == "QC158300275BR" and whole["order_status"] == "shipped"
    _, _, html = get(harness, path)
    assert f"protocolo {protocol.group(1)}" in html  # the page says what was asked and by when it is answered


def test_an_order_is_found_by_its_number_and_email_and_a_miss_says_nothing_more(harness: Harness) -> None:
    place(harness)
    harness.stack.drain()
    status, _, html = get(harness, "/track/demo")
    assert status == 200 and 'name="order"' in html and 'name="email"' in html
    status, headers, _ = post(harness, "/track/demo", {"order": "#O-9", "email": "Rita@Example.com"})
    assert status == 303 and urlsplit(headers["location"]).path.startswith("/t/")
    assert get(harness, headers["location"])[0] == 200
    wrong_email = post(harness, "/track/demo", {"order": "o-9", "email": "other@example.com"})
    unknown = post(harness, "/track/demo", {"order": "o-404", "email": "rita@example.com"})
    assert wrong_email[0] == unknown[0] == 404 and wrong_email[2] == unknown[2]
    as_json = harness.stack.http(
        "POST", "/track/demo", {"content-type": "application/json"}, b'{"order": "o-9", "email": "rita@example.com"}'
    )
    assert as_json[0] == 200 and "/t/" in json.loads(as_json[2])["url"]
    for _ in range(4):
        post(harness, "/track/demo", {"order": "o-9", "email": "guess@example.com"})
    status, headers, _ = post(harness, "/track/demo", {"order": "o-9", "email": "rita@example.com"})
    assert status == 429 and headers["retry-after"]
    assert get(harness, "/track/nope")[0] == 404


def test_the_report_counts_visits_answers_help_and_the_wismo_deflection_by_day(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    place(harness)
    bia = {"id": "c-5", "email": "bia@example.com", "name": "Bia Souza", "locale": "pt-BR"}
    data = {"order_id": "o-5", "currency": "BRL", "total": "59.90", "items": []}
    assert harness.post(generic("order.placed", "place-o-5", "2026-11-24T10:05:00Z", data, bia)).status == 202
    harness.stack.drain()
    for order_id, email in (("o-9", "rita@example.com"), ("o-5", "bia@example.com")):
        _, headers, _ = post(harness, "/track/demo", {"order": order_id, "email": email})
        assert get(harness, headers["location"])[0] == 200
        if order_id == "o-9":
            assert post(harness, f"{headers['location']}/help", {"topic": "where", "message": ""})[0] == 200
    harness.stack.drain()
    harness.stack.jump(120)  # the stats stream adds the counters
    argv = ["report", "--store", "demo", "--from", "2026-11-24", "--to", "2026-11-24", "--json"]
    assert cli([*argv, *WHERE]) == 0
    figures = json.loads(capsys.readouterr().out)
    (day,) = figures["days"]
    assert (day["page_visits"], day["page_orders_viewed"], day["page_help_requests"]) == (2, 2, 1)
    assert day["page_answers_shown"] == 4 and figures["total"]["answers"] == {"placed_change": 2, "placed_payment": 2}
    assert day["wismo_deflection_rate"] == 0.5  # of two orders viewed, one asked for help


def test_when_dynamodb_cannot_answer_the_page_says_try_again_and_records_nothing(harness: Harness) -> None:
    from infra.local.faults import FaultSpec

    path = waiting_at_the_agency(harness)

    def throttled(target: str) -> None:
        harness.stack.faults.add(FaultSpec(target=target, kind="throttle", function="PagesFunction", times=1))

    assert get(harness, path)[0] == 200  # the store's profile read (and cached)
    throttled("dynamodb:Query")
    status, headers, _ = get(harness, path, accept="application/json")
    assert status == 503 and headers["retry-after"]  # the partition's read throttled
    throttled("dynamodb:BatchGetItem")
    assert post(harness, "/track/demo", {"order": "o-9", "email": "rita@example.com"})[0] == 503
    throttled("dynamodb:PutItem")
    status, _, _ = post(harness, f"{path}/help", {"topic": "where", "message": ""})
    assert status == 503  # the outbox's put throttled: no case, and the customer may simply send again
    assert post(harness, f"{path}/help", {"topic": "where", "message": ""})[0] == 200
    assert all(f["fired"] for f in harness.stack.faults.as_json())


def test_a_store_sets_its_own_answers_and_colour_and_the_page_uses_them(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = waiting_at_the_agency(harness)
    own = tmp_path / "answers.yaml"
    own.write_text(
        "pt-BR:\n  awaiting_pickup:\n    - id: our_lockers\n      q: Posso retirar num armário?\n"
        "      a: 'Sim: peça à {{ store }} o código do armário para o pedido {{ order_id }}.'\n",
        encoding="utf-8",
    )
    assert cli(["answers", "set", "demo", str(own), *WHERE]) == 0
    assert cli(["pages", "brand", "demo", "--color", "#0a7d3b", *WHERE]) == 0
    capsys.readouterr()
    page = json.loads(get(harness, path, accept="application/json")[2])
    assert page["answers"] == [
        {
            "id": "our_lockers",
            "question": "Posso retirar num armário?",
            "answer": ("Sim: peça à Loja Demo o código do armário para o pedido o-9."),
        }
    ]
    assert page["store"]["color"] == "#0a7d3b"
    broken = tmp_path / "broken.yaml"
    broken.write_text("pt-BR:\n  nowhere:\n    - {id: x, q: 'Q?', a: A}\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"answers refused at pt-BR\.nowhere: unknown state"):
        cli(["answers", "set", "demo", str(broken), *WHERE])
    broken.write_text("pt-BR: [unclosed\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="is not YAML"):
        cli(["answers", "set", "demo", str(broken), *WHERE])
