"""AfterShip, the aggregator: registration (respx: never the network) and its signed webhooks read like a poll."""

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from proativo.errors import InvalidPayload, Unauthorized
from proativo.tracking.aftership import PUSH, AfterShip, AfterShipCredentials, RegistrationFailed
from proativo.tracking.status import Status

API = "https://api.aftership.com/tracking/2024-07"
SECRET = "as-webhook-secret"
NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
UPDATE: dict[str, Any] = {
    "event": "tracking_update",
    "event_id": "0a3f6c1e-5d1b-4a49-9a53-1b0c5b7f2e11",
    "is_tracking_first_tag": True,
    "msg": {
        "tracking_number": "tx556677",
        "slug": "total-express",
        "tag": "Exception",
        "subtag": "Exception_013",
        "courier_estimated_delivery_date": {"estimated_delivery_date": "2026-11-27T18:00:00-03:00"},
        "checkpoints": [
            {
                "checkpoint_time": "2026-11-26T10:00:00-03:00",
                "tag": "Exception",
                "subtag": "Exception_013",
                "message": "Objeto extraviado",
                "city": "Recife",
                "state": "PE",
            },
            {
                "checkpoint_time": "2026-11-24T18:00:00-03:00",
                "tag": "InTransit",
                "subtag": "InTransit_001",
                "message": "Em trânsito",
                "location": "Sao Paulo, SP, BR",
            },
        ],
    },
    "ts": 1795608300,
}


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {
        "aftership-hmac-sha256": base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    }


def test_a_signed_update_is_read_as_scans_of_the_status_model_oldest_first() -> None:
    body = json.dumps(UPDATE).encode()
    PUSH.verify(signed(body), body, SECRET)
    (result,) = PUSH.results(body)
    assert result.tracking_code == "TX556677"
    assert [(s.status, s.substatus, s.location) for s in result.scans] == [
        (Status.IN_TRANSIT, None, "Sao Paulo, SP, BR"),
        (Status.EXCEPTION, "lost", "Recife/PE"),
    ]
    assert result.estimated_delivery == datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
    assert PUSH.delivery_id(signed(body), body) == UPDATE["event_id"]


@pytest.mark.parametrize("headers", [{}, {"aftership-hmac-sha256": "bm90LXRoZS1zaWduYXR1cmU="}])
def test_an_unsigned_or_wrongly_signed_update_is_refused(headers: dict[str, str]) -> None:
    body = json.dumps(UPDATE).encode()
    with pytest.raises(Unauthorized):
        PUSH.verify(headers, body, SECRET)
    tampered = body.replace(b"Exception_013", b"Delivered_001")
    with pytest.raises(Unauthorized):
        PUSH.verify(signed(body), tampered, SECRET)


def test_a_malformed_update_names_its_field() -> None:
    bad = {**UPDATE, "msg": {**UPDATE["msg"], "tracking_number": "no spaces allowed"}}
    with pytest.raises(InvalidPayload) as refused:
        PUSH.results(json.dumps(bad).encode())
    assert refused.value.field == "msg.tracking_number"
    assert PUSH.results(json.dumps({**UPDATE, "event": "tracking_pending_time"}).encode()) == []


def register(status: int, payload: dict) -> httpx.Request:
    async def run() -> None:
        async with httpx.AsyncClient() as http:
            parcel = {"tracking_code": "aa123456785br", "order_id": "5001", "carrier": "correios"}
            await AfterShip(AfterShipCredentials(api_key="as-key-12345")).register(http, parcel, NOW)

    with respx.mock() as api:
        route = api.post(f"{API}/trackings").respond(status, json=payload)
        asyncio.run(run())
    return route.calls.last.request


def test_a_parcel_is_registered_with_its_courier_once_and_a_repeat_counts_as_registered() -> None:
    sent = register(201, {"meta": {"code": 201}, "data": {}})
    assert sent.headers["as-api-key"] == "as-key-12345"
    assert json.loads(sent.content) == {
        "tracking_number": "AA123456785BR",
        "order_id": "5001",
        "slug": "brazil-correios",
    }
    register(409, {"meta": {"code": 4003, "message": "Tracking already exists."}})
    with pytest.raises(RegistrationFailed):
        register(503, {"meta": {"code": 503}})
