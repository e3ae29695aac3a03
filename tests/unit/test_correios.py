"""The Correios adapter against API Rastro's recorded answers (respx: never the network)."""

import asyncio
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from defusedxml import ElementTree
from defusedxml.common import EntitiesForbidden
from proativo.tracking import s10
from proativo.tracking.correios import CarrierUnavailable, Correios, CorreiosClaims, CorreiosCredentials, claims_channel
from proativo.tracking.sigep import answers, outcome
from proativo.tracking.status import Status

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "correios"
API = "https://api.correios.com.br"
NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # the recorded token was issued at 12:00Z, valid for a day


def _fixture(name: str) -> dict:
    loaded: dict = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


async def _no_wait(seconds: float) -> None:
    return None


def _adapter(**kwargs: object) -> Correios:
    credentials = CorreiosCredentials(user="lojaexemplo", access_code="s3cr3t", postage_card="0076543210")
    return Correios(credentials, sleep=_no_wait, **kwargs)


def track(adapter: Correios, codes: Iterable[str], now: datetime) -> dict:
    async def run() -> dict:
        async with httpx.AsyncClient() as http:
            return await adapter.track(http, codes, now)

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("code", "valid"),
    [("RA473124829BR", True), ("AA123456785BR", True), ("AA123456784BR", False), ("AA12345678BR", False), ("", False)],
)
def test_s10_codes_are_checked_by_their_check_digit(code: str, valid: bool) -> None:
    assert s10.is_valid(code) is valid


def test_scans_are_mapped_to_the_status_model_oldest_first() -> None:
    with respx.mock(assert_all_called=True) as api:
        api.post(f"{API}/token/v1/autentica/cartaopostagem").respond(201, json=_fixture("token.json"))
        api.get(f"{API}/srorastro/v1/objetos").respond(json=_fixture("objetos.json"))
        found = track(_adapter(), ["AA123456785BR", "qb472915809br"], NOW)
    parcel = found["AA123456785BR"]
    assert [(s.status, s.substatus, s.raw_code) for s in parcel.scans] == [
        (Status.IN_TRANSIT, "posted", "PO/01"),
        (Status.IN_TRANSIT, None, "RO/01"),
        (Status.OUT_FOR_DELIVERY, None, "OEC/01"),
        (Status.FAILED_ATTEMPT, "recipient_absent", "BDE/20"),
        (Status.AVAILABLE_FOR_PICKUP, None, "LDI/01"),
    ]
    assert parcel.scans[0].at == datetime(2026, 11, 24, 14, 2, 10, tzinfo=UTC)  # Brasília time, read as such
    assert parcel.scans[-1].location == "CAMPINAS/SP"
    assert parcel.estimated_delivery == datetime(2026, 11, 28, 2, 59, 59, tzinfo=UTC)
    assert found["QB472915809BR"].found is False


def test_codes_are_asked_in_batches_with_one_token() -> None:
    with respx.mock() as api:
        token = api.post(f"{API}/token/v1/autentica/cartaopostagem").respond(201, json=_fixture("token.json"))
        objects = api.get(f"{API}/srorastro/v1/objetos").respond(json={"objetos": []})
        adapter = _adapter(batch_size=2)
        track(adapter, ["AA000000001BR", "AA000000002BR", "AA000000003BR"], NOW)
        track(adapter, ["AA000000004BR"], NOW + timedelta(hours=1))
    assert token.call_count == 1  # cached until it expires
    assert [r.request.url.params.get_list("codigosObjetos") for r in objects.calls] == [
        ["AA000000001BR", "AA000000002BR"],
        ["AA000000003BR"],
        ["AA000000004BR"],
    ]
    assert token.calls.last.request.headers["authorization"].startswith("Basic ")
    assert objects.calls.last.request.headers["authorization"] == "Bearer eyJhbGciOiJSUzI1NiJ9.recorded.token"


def test_an_expired_token_is_renewed() -> None:
    with respx.mock() as api:
        token = api.post(f"{API}/token/v1/autentica/cartaopostagem").respond(201, json=_fixture("token.json"))
        api.get(f"{API}/srorastro/v1/objetos").respond(json={"objetos": []})
        adapter = _adapter()
        track(adapter, ["AA000000001BR"], NOW)
        track(adapter, ["AA000000001BR"], datetime(2026, 11, 25, 12, 0, tzinfo=UTC))  # token expired at 12:00Z
    assert token.call_count == 2


def test_a_revoked_token_is_replaced_once() -> None:
    with respx.mock() as api:
        token = api.post(f"{API}/token/v1/autentica/cartaopostagem").respond(201, json=_fixture("token.json"))
        api.get(f"{API}/srorastro/v1/objetos").mock(
            side_effect=[httpx.Response(401), httpx.Response(200, json=_fixture("objetos.json"))]
        )
        found = track(_adapter(), ["AA123456785BR"], NOW)
    assert token.call_count == 2
    assert found["AA123456785BR"].scans


def test_throttling_and_5xx_are_retried_with_backoff_honouring_retry_after() -> None:
    waits: list[float] = []
    with respx.mock() as api:
        api.post(f"{API}/token/v1/autentica/cartaopostagem").respond(201, json=_fixture("token.json"))
        api.get(f"{API}/srorastro/v1/objetos").mock(
            side_effect=[
                httpx.Response(429, headers={"retry-after": "3"}),
                httpx.Response(503),
                httpx.Response(200, json=_fixture("objetos.json")),
            ]
        )

        async def wait(seconds: float) -> None:
            waits.append(seconds)

        adapter = _adapter()
        adapter.sleep = wait
        found = track(adapter, ["AA123456785BR"], NOW)
    assert waits == [3.0, 1.0]
    assert found["AA123456785BR"].scans


def test_a_carrier_that_keeps_failing_is_reported_unavailable() -> None:
    with respx.mock() as api:
        api.post(f"{API}/token/v1/autentica/cartaopostagem").respond(201, json=_fixture("token.json"))
        api.get(f"{API}/srorastro/v1/objetos").respond(502)
        with pytest.raises(CarrierUnavailable, match="after 4 attempts"):
            track(_adapter(), ["AA123456785BR"], NOW)


def test_refused_credentials_are_reported_unavailable() -> None:
    with respx.mock() as api:
        api.post(f"{API}/token/v1/autentica/cartaopostagem").respond(401, json={"msgs": ["Usuário inválido"]})
        with pytest.raises(CarrierUnavailable, match="token"):
            track(_adapter(), ["AA123456785BR"], NOW)


SIGEP = "https://apps.correios.com.br/SigepMasterJPA/AtendeClienteService/AtendeCliente"
LOST = {"tracking_code": "aa123456785br", "claim_kind": "lost", "order_id": "5001", "reason_code": 211}


def _sigep_channel() -> CorreiosClaims:
    credentials = CorreiosCredentials(
        user="lojaexemplo",
        access_code="s3cr3t",
        postage_card="0076543210",
        sigep_user="sigep-loja",
        sigep_password="p<a&ss",
        cnpj="12345678000195",
    )
    channel = claims_channel(Correios(credentials, sleep=_no_wait))
    assert channel is not None
    return channel


def _soap(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _run(coroutine_of: Any) -> Any:
    async def run() -> Any:
        async with httpx.AsyncClient() as http:
            return await coroutine_of(http)

    return asyncio.run(run())


def test_a_pedido_de_informacao_is_filed_through_sigep_web_with_the_documented_envelope() -> None:
    with respx.mock(assert_all_called=True) as api:
        filed = api.post(SIGEP).respond(200, content=_soap("sigep-registrar.xml"))
        opened = _run(lambda http: _sigep_channel().open(http, LOST, NOW))
    assert opened == {"protocol": "250118734"}
    request = filed.calls.last.request
    assert request.headers["content-type"].startswith("text/xml")
    sent = ElementTree.fromstring(request.content)
    (call,) = next(sent.iter("{http://schemas.xmlsoap.org/soap/envelope/}Body"))
    assert call.tag == "{http://cliente.bean.master.sigep.bsb.correios.com.br/}registrarPedidosInformacao"
    pi = call.find("pedidosInformacao")
    assert pi is not None
    # The schema's order, unqualified elements; the password escaped, never mangled.
    assert [c.tag for c in pi] == ["codigoRegistro", "conteudoObjeto", "cpfCnpj", "embalagem", "motivo", "observacao"]
    assert (pi.findtext("codigoRegistro"), pi.findtext("motivo"), pi.findtext("cpfCnpj")) == (
        "AA123456785BR",
        "211",
        "12345678000195",
    )
    assert (call.findtext("usuario"), call.findtext("senha")) == ("sigep-loja", "p<a&ss")


def test_a_refused_or_unauthorised_pi_is_reported_with_correios_words_not_as_filed() -> None:
    with respx.mock() as api:
        api.post(SIGEP).respond(200, content=_soap("sigep-registrar-recusado.xml"))
        refused = _run(lambda http: _sigep_channel().open(http, LOST, NOW))
    assert refused == {"refused": "Já existe PI registrado para o objeto"}
    with respx.mock() as api:
        api.post(SIGEP).respond(500, content=_soap("sigep-fault.xml"))
        fault = _run(lambda http: _sigep_channel().open(http, LOST, NOW))
    assert fault == {"refused": "SIGEP Web: Usuário ou senha inválidos."}


def test_a_pi_answer_is_read_from_consultar_pedidos_informacao() -> None:
    claim = {**LOST, "protocol": "250118734"}
    with respx.mock() as api:
        asked = api.post(SIGEP).mock(
            side_effect=[
                httpx.Response(200, content=_soap("sigep-consultar-aberto.xml")),
                httpx.Response(200, content=_soap("sigep-consultar-respondido.xml")),
            ]
        )
        channel = _sigep_channel()
        pending = _run(lambda http: channel.answer(http, claim, NOW))
        answered = _run(lambda http: channel.answer(http, claim, NOW))
    assert pending is None
    assert answered is not None and (answered["status"], answered["amount"]) == ("won", "1189.90")
    sent = ElementTree.fromstring(asked.calls.last.request.content)
    assert sent.findtext(".//pedidosInformacao/numero") == "250118734"


@pytest.mark.parametrize(
    ("words", "status"),
    [
        ("Pedido de informação improcedente: objeto entregue conforme registro.", "lost"),
        ("PI indeferido.", "lost"),
        ("Reclamação procedente, indenização de R$ 25,90.", "won"),
        ("Objeto localizado e reencaminhado ao destinatário.", "answered"),
    ],
)
def test_an_answer_is_upheld_rejected_or_left_to_the_team_by_its_words(words: str, status: str) -> None:
    assert outcome({"dataResposta": "07/12/2026", "resposta": words})["status"] == status
    assert outcome({"dataPrazoResposta": "08/12/2026"}) is None


def test_a_contract_without_sigep_web_access_has_no_claims_channel() -> None:
    credentials = CorreiosCredentials(user="lojaexemplo", access_code="s3cr3t", postage_card="0076543210")
    assert claims_channel(Correios(credentials)) is None


def test_a_soap_answer_with_an_entity_bomb_is_refused_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<r>&b;</r>"
    )
    with pytest.raises(EntitiesForbidden):
        answers(bomb)
