"""The Jadlog adapter against answers recorded from its integration document's shapes (respx: never the network)."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import respx
from proativo.tracking.carriers import resolve
from proativo.tracking.jadlog import Jadlog, JadlogCredentials, JadlogUnavailable, status_of
from proativo.tracking.status import Status

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "jadlog" / "consulta.json"
API = "https://www.jadlog.com.br/embarcador/api"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


async def _no_wait(seconds: float) -> None:
    return None


def fetch(codes: list[str]) -> dict:
    adapter = Jadlog(JadlogCredentials(token="jadlog-token-loja"), sleep=_no_wait)

    async def run() -> dict:
        async with httpx.AsyncClient() as http:
            return await adapter.fetch(http, codes, NOW)

    return asyncio.run(run())


def test_shipments_are_asked_together_and_their_events_mapped_to_the_status_model() -> None:
    with respx.mock(assert_all_called=True) as api:
        asked = api.post(f"{API}/tracking/consultar").respond(json=json.loads(FIXTURE.read_text(encoding="utf-8")))
        found = fetch(["10080155188760", "10080155199911", "10080155100000"])
        fetch(["1800000004127"])  # a CT-e number
    request = asked.calls[0].request
    assert json.loads(asked.calls.last.request.content) == {"consulta": [{"cte": "1800000004127"}]}
    assert request.headers["authorization"] == "Bearer jadlog-token-loja"
    assert json.loads(request.content) == {
        "consulta": [
            {"shipmentId": "10080155188760"},
            {"shipmentId": "10080155199911"},
            {"shipmentId": "10080155100000"},
        ]
    }
    delivered = found["10080155188760"]
    assert [s.status for s in delivered.scans] == [
        Status.IN_TRANSIT,
        Status.IN_TRANSIT,
        Status.IN_TRANSIT,
        Status.OUT_FOR_DELIVERY,
        Status.DELIVERED,
    ]
    assert delivered.scans[-1].at == datetime(2026, 11, 27, 17, 5, tzinfo=UTC)  # Brasília wall clock
    assert delivered.scans[-1].location == "FRANQUIA CURITIBA/PR"  # the unit's state, for the scorecard
    returning = found["10080155199911"].scans
    assert [(s.status, s.substatus) for s in returning[1:]] == [
        (Status.FAILED_ATTEMPT, "recipient_absent"),
        (Status.EXCEPTION, "returning"),
    ]
    assert found["10080155100000"].found is False


@pytest.mark.parametrize(
    ("words", "status", "substatus"),
    [
        ("Extraviado", Status.EXCEPTION, "lost"),
        ("MERCADORIA AVARIADA", Status.EXCEPTION, "damaged"),
        ("Devolvido ao remetente", Status.RETURNED_TO_SENDER, None),
        ("DISPONIVEL PARA RETIRADA", Status.AVAILABLE_FOR_PICKUP, None),
        ("Endereço não localizado", Status.EXCEPTION, "address_problem"),
        ("algo novo", Status.IN_TRANSIT, None),
    ],
)
def test_trouble_words_are_read_whatever_their_accents_and_case(words: str, status: Status, substatus: str) -> None:
    assert status_of(words) == (status, substatus)


def test_throttling_is_retried_and_a_refused_token_reported() -> None:
    with respx.mock() as api:
        route = api.post(f"{API}/tracking/consultar").mock(
            side_effect=[httpx.Response(429), httpx.Response(200, json={"consulta": []})]
        )
        assert fetch(["10080155188760"]) == {}
        assert route.call_count == 2
    with respx.mock() as api:
        api.post(f"{API}/tracking/consultar").respond(401)
        with pytest.raises(JadlogUnavailable, match="401"):
            fetch(["10080155188760"])


@pytest.mark.parametrize(
    ("name", "code", "carrier", "how"),
    [
        ("Jadlog .Package", "10080155188760", "jadlog", "name"),
        ("", "10080155188760", "jadlog", "code"),
        ("Frete expresso", "AA123456785BR", "correios", "code"),
        ("Frete expresso", "AA123456785CN", "frete-expresso", "unmatched"),  # S10 but not Brazil's post
        (None, "TX-123", "unknown", "unmatched"),
        ("SEDEX 10", "whatever", "correios", "name"),
        ("Melhor Envio - Jadlog .Package", "10080155188760", "jadlog", "name"),
        ("Melhor Envio - Loggi Express", "LGI123", "loggi", "name"),  # a carrier followed through Melhor Envio
        ("Melhor Envio", "ME-123", "melhor-envio", "name"),
    ],
)
def test_a_carrier_is_known_by_its_name_else_by_its_code(name: str | None, code: str, carrier: str, how: str) -> None:
    assert resolve(name, code) == (carrier, how)
