"""A complaint site's API (Reclame Aqui's HugMe, as `proativo.cases.hugme` reads it): the store connects it from the
CLI, the store's new complaints are polled every turn and opened as cases matched to their orders (once each,
however often a turn sees them), and a public answer is posted on the site only after a person approved it — once,
even when the site failed the first time."""

import io
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from infra.local.meter import Meter
from tests.conftest import Harness, generic
from tests.integration.test_cases import HOOK, _api, _cli, _complain, _inbox

SITE = "https://api.hugme.example"
ACCESS = {"client_id": "loja-demo", "client_secret": "s3cr3t", "contract": {"base_url": SITE}}


def _ticket(number: int, title: str, text: str, created: str, **more: Any) -> dict[str, Any]:
    return {
        "id": number,
        "title": title,
        "description": text,
        "creation_date": created,
        "sla": {"expiration_date": "2026-12-04T12:00:00Z"},
        "url": f"https://www.reclameaqui.com.br/loja-demo/{number}/",
        **more,
    }


def _connect(harness: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(ACCESS)))
    return _cli(capsys, "cases", "sources", "connect", "demo", "reclameaqui")


def test_a_stores_complaints_on_the_site_are_polled_and_each_opens_one_matched_case(
    harness: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    davi = {"id": "c-davi", "email": "davi@example.com", "name": "Davi Souza"}
    placed = {"order_id": "5004", "total": "250.00", "currency": "BRL"}
    assert harness.post(generic("order.placed", "p1", "2026-11-24T12:00:00Z", placed, davi)).status == 202
    first = [
        _ticket(901, "Entrega atrasada", "Meu pedido nº 5004 não chegou.", "2026-11-24T09:10:00",  # São Paulo's time
                customer={"name": "Davi Souza", "email": "davi@example.com"}),
        _ticket(902, "Produto errado", "Veio outra cor.", "2026-11-24T12:20:00Z"),
        {"id": 903, "description": "a ticket with no title"},
    ]  # fmt: skip
    with respx.mock(assert_all_mocked=False, assert_all_called=False) as site:
        site.route(host="127.0.0.1").pass_through()
        token = site.post(f"{SITE}/oauth/token").mock(
            return_value=httpx.Response(200, json={"access_token": "t-1", "expires_in": 7200})
        )
        listed = site.get(
            f"{SITE}/ticket/v1/tickets"
        ).mock(
            side_effect=[
                httpx.Response(503),  # the site fails the first turn: the next one tries again
                httpx.Response(200, json={"data": first}),
                httpx.Response(200, json={"data": first[1:2]}),  # the next turn sees one of them again
            ]
        )
        connected = _connect(harness, capsys, monkeypatch)
        assert connected == {"store_id": "demo", "site": "reclameaqui", "connected": True,
                             "keys": ["client_id", "client_secret", "contract"]}  # fmt: skip
        harness.stack.advance(61 * 60)  # the team function's turns every 30 minutes
        cases = {c["subject"]: c for c in _inbox(harness) if c["case_kind"] == "public_complaint"}
        assert sorted(cases) == ["reclameaqui: Entrega atrasada", "reclameaqui: Produto errado"]
        late = cases["reclameaqui: Entrega atrasada"]
        assert (late["customer_id"], late["order_id"]) == ("c-davi", "5004")  # the order named in the words
        assert late["answer_by"][:10] == "2026-12-04"  # the site's deadline, sooner than the kind's 7 days
        assert cases["reclameaqui: Produto errado"].get("order_id") is None  # nothing to match: still a case
        asked = parse_qs(urlsplit(str(listed.calls[-1].request.url)).query)
        assert asked["creation_date[gte]"][0][:10] == "2026-10-25"  # a store new to it: the last 30 days
        assert listed.calls[-1].request.headers["authorization"] == "Bearer t-1"
        before = len(harness.stack.invocations)
        team_logger = harness.stack.modules["TeamFunction"].logger
        team_logger.setLevel("INFO")  # what a deployment logs (the tests' stack logs warnings only)
        with Meter(harness.stack) as meter:
            harness.stack.advance(30 * 60)
        team_logger.setLevel("WARNING")
        asked = parse_qs(urlsplit(str(listed.calls[-1].request.url)).query)
        assert asked["creation_date[gte]"] == ["2026-11-24T12:20:00Z"]  # from the newest seen
        assert len([c for c in _inbox(harness) if c["case_kind"] == "public_complaint"]) == 2
        turn = [c.operation for r in meter.runs if r.function == "TeamFunction" for c in r.calls]
        assert turn == ["Query"]  # what was seen before costs no write, not even a refused one
        turns = [i for i in list(harness.stack.invocations)[before:] if i.function == "TeamFunction"]
        assert turns and not [line for i in turns for line in i.logs if line.get("message") == "team told"]  # quiet
        assert token.call_count == 1  # one token for the turns while it lasts
    # Disconnected: no more turns, the cases stay.
    assert _cli(capsys, "cases", "sources", "disconnect", "demo", "reclameaqui")["connected"] is False
    with respx.mock(assert_all_mocked=False, assert_all_called=False) as site:
        site.route(host="127.0.0.1").pass_through()
        anything = site.route(host="api.hugme.example").mock(return_value=httpx.Response(500))
        harness.stack.jump(3600)
        assert not anything.calls
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"client_id": "x"})))
    with pytest.raises(SystemExit, match="client_secret"):
        _cli(capsys, "cases", "sources", "connect", "demo", "reclameaqui")


def test_a_public_answer_is_posted_once_and_only_after_a_person_approved_it(
    harness: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = _ticket(777, "Cobrança em dobro", "Fui cobrada duas vezes.", "2026-11-24T12:00:00Z")
    with respx.mock(assert_all_mocked=False, assert_all_called=False) as site:
        site.route(host="127.0.0.1").pass_through()
        site.post(f"{SITE}/oauth/token").mock(return_value=httpx.Response(200, json={"access_token": "t"}))
        site.get(f"{SITE}/ticket/v1/tickets").mock(return_value=httpx.Response(200, json={"data": [ticket]}))
        posted = site.post(f"{SITE}/ticket/v1/tickets/777/answers").mock(
            side_effect=[httpx.Response(502), httpx.Response(201, json={"id": "a-1"})]
        )
        _connect(harness, capsys, monkeypatch)
        harness.stack.advance(31 * 60)
        (case,) = [c for c in _inbox(harness) if c["case_kind"] == "public_complaint"]
        path = f"/stores/demo/cases/{case['protocol']}/actions"
        words = "Olá! Já estornamos a segunda cobrança; o valor aparece na próxima fatura."
        assert _api(harness, "POST", path, {"action": "approve_answer", "by": "Ana"})[0] == 409  # nothing drafted
        assert _api(harness, "POST", path, {"action": "draft_answer", "note": words, "by": "Bia"})[0] == 202
        harness.stack.jump(3600)
        assert not posted.calls  # drafted is not approved: nothing said in public
        status, refused = _api(harness, "POST", path, {"action": "approve_answer"})
        assert status == 400 and "by" in json.dumps(refused)
        assert _api(harness, "POST", path, {"action": "approve_answer", "by": "Ana"})[0] == 202
        harness.stack.advance(5 * 60)
        assert len(posted.calls) == 2  # the site failed once; the queue tried again
        assert json.loads(posted.calls[-1].request.content) == {"message": words, "public": True}
        whole = _api(harness, "GET", f"/stores/demo/cases/{case['protocol']}")[1]
        answer = whole["public_answer"]
        assert (answer["status"], answer["by"], answer["approved_by"]) == ("published", "Bia", "Ana")
        steps = [h["action"] for h in whole["history"]]
        assert steps[-3:] == ["draft_answer", "approve_answer", "answer_published"]
        assert _api(harness, "POST", path, {"action": "approve_answer", "by": "Ana"})[0] == 409  # published already
        harness.stack.jump(3600)
        assert len(posted.calls) == 2


def test_an_answer_approved_for_a_site_without_an_api_goes_to_the_team_to_post(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(capsys, "cases", "settings", "demo", "--webhook-url", HOOK)
    complaint = {"id": "TW-1", "title": "Cadê meu pedido A-77?", "text": "Nada chegou."}
    with respx.mock(assert_all_mocked=False, assert_all_called=False) as hooks:
        hooks.route(host="127.0.0.1").pass_through()
        hook = hooks.post(HOOK).mock(return_value=httpx.Response(200))
        assert _complain(harness, complaint, source="twitter")[0] == 202
        (case,) = [c for c in _inbox(harness) if c["case_kind"] == "public_complaint"]
        path = f"/stores/demo/cases/{case['protocol']}/actions"
        assert _api(harness, "POST", path, {"action": "draft_answer", "note": "Oi! Chamamos você por DM."})[0] == 202
        assert _api(harness, "POST", path, {"action": "approve_answer", "by": "Ana"})[0] == 202
        harness.stack.advance(120)
        told = [json.loads(c.request.content) for c in hook.calls]
        approved = [t for t in told if t["proativo"].get("what") == "answer_approved"]
        assert len(approved) == 1 and "twitter" in approved[0]["text"]
        assert approved[0]["proativo"]["answer"] == "Oi! Chamamos você por DM."
    # Only a public complaint has a public answer.
    opened = {"request_id": "r-1", "customer": {"id": "c-9"}, "subject": "troca"}
    assert _api(harness, "POST", "/stores/demo/cases", opened)[0] == 202
    (store_case,) = [c for c in _inbox(harness) if c["case_kind"] == "store"]
    draft = {"action": "draft_answer", "note": "x"}
    assert _api(harness, "POST", f"/stores/demo/cases/{store_case['protocol']}/actions", draft)[0] == 409


def test_a_complaint_giving_the_buyers_cpf_finds_them_though_the_cpf_itself_is_never_kept(
    harness: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    davi = {"id": "c-davi", "email": "davi@example.com", "name": "Davi Souza", "tax_id": "123.456.789-09"}
    placed = {"order_id": "5004", "total": "250.00", "currency": "BRL"}
    assert harness.post(generic("order.placed", "p1", "2026-11-24T12:00:00Z", placed, davi)).status == 202
    everything = json.dumps(harness.table().scan()["Items"], default=str)
    assert "12345678909" not in everything and "123.456.789-09" not in everything  # only its keyed digest
    # The CPF alone (Reclame Aqui shows it to the company; people rarely give the order number).
    status, taken = _complain(harness, {"id": "RA-1", "title": "Não chegou", "customer": {"tax_id": "12345678909"}})
    assert (status, taken["matched"], taken["order_id"]) == (202, "tax_id", "5004")
    # The order number with another e-mail than the store's, and the same CPF: the CPF confirms it.
    other = {"email": "davi.souza@outro.example", "tax_id": "123.456.789-09"}
    status, taken = _complain(harness, {"id": "RA-2", "title": "Pedido 5004 atrasado", "customer": other})
    assert (status, taken["matched"], taken["order_id"]) == (202, "order+tax_id", "5004")
    # Another buyer's CPF with Davi's order number: not trusted.
    status, taken = _complain(harness, {"id": "RA-3", "title": "Pedido 5004", "customer": {"tax_id": "98765432100"}})
    assert (status, taken["matched"]) == (202, "none")
    # Polled from the site, the CPF as HugMe shows it.
    ticket = _ticket(904, "Sem resposta", "Ninguém me responde.", "2026-11-24T12:30:00Z",
                     customer={"name": "Davi Souza", "cpf": "123.456.789-09"})  # fmt: skip
    with respx.mock(assert_all_mocked=False, assert_all_called=False) as site:
        site.route(host="127.0.0.1").pass_through()
        site.post(f"{SITE}/oauth/token").mock(return_value=httpx.Response(200, json={"access_token": "t"}))
        site.get(f"{SITE}/ticket/v1/tickets").mock(return_value=httpx.Response(200, json={"data": [ticket]}))
        _connect(harness, capsys, monkeypatch)
        harness.stack.advance(31 * 60)
    polled = [c for c in _inbox(harness) if c.get("subject") == "reclameaqui: Sem resposta"]
    assert [(c["customer_id"], c.get("order_id")) for c in polled] == [("c-davi", "5004")]
    # Erasing Davi erases the look-up by his CPF too: the same CPF then matches nothing.
    assert _api(harness, "DELETE", "/stores/demo/customers/c-davi")[0] == 200
    status, taken = _complain(harness, {"id": "RA-5", "title": "Oi", "customer": {"tax_id": "12345678909"}})
    assert (status, taken["matched"]) == (202, "none")
