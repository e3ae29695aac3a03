"""Melhor Envio's tracking route (respx: never the network): labels found by their tracking code once, their stages
read as scans."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import respx
from proativo.tracking.melhorenvio import MelhorEnvio, MelhorEnvioCredentials
from proativo.tracking.status import Status

API = "https://www.melhorenvio.com.br"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LABEL = "9e37da93-6a82-45dd-a815-3d5590500a5e"
TRACKING = {
    LABEL: {
        "id": LABEL,
        "protocol": "ORD-202611245551",
        "status": "delivered",
        "tracking": "LGI0099887766",
        "melhorenvio_tracking": "ME2400AB12CD",
        "created_at": "2026-11-24 08:10:00",
        "paid_at": "2026-11-24 08:11:00",
        "generated_at": "2026-11-24 08:12:00",
        "posted_at": "2026-11-24 15:30:00",
        "delivered_at": "2026-11-26 14:05:00",
        "canceled_at": None,
        "expired_at": None,
    }
}


def test_a_label_is_found_once_by_its_code_and_its_stages_read_as_scans() -> None:
    adapter = MelhorEnvio(MelhorEnvioCredentials(token="me-token-123456", contact_email="ti@loja.example"))

    async def run() -> list[dict]:
        async with httpx.AsyncClient() as http:
            return [
                await adapter.fetch(http, ["lgi0099887766"], NOW),
                await adapter.fetch(http, ["LGI0099887766"], NOW),
            ]

    with respx.mock(assert_all_called=True) as api:
        search = api.get(f"{API}/api/v2/me/orders/search").respond(json=[{"id": LABEL, "tracking": "LGI0099887766"}])
        track = api.post(f"{API}/api/v2/me/shipment/tracking").respond(json=TRACKING)
        first, again = asyncio.run(run())
    assert search.call_count == 1 and track.call_count == 2
    assert json.loads(track.calls.last.request.content) == {"orders": [LABEL]}
    assert track.calls.last.request.headers["user-agent"] == "Proativo (ti@loja.example)"
    scans = first["LGI0099887766"].scans
    assert [(s.status, s.raw_code) for s in scans] == [
        (Status.INFO_RECEIVED, "generated"),
        (Status.IN_TRANSIT, "posted"),
        (Status.DELIVERED, "delivered"),
    ]
    assert scans[-1].at == datetime(2026, 11, 26, 17, 5, tzinfo=UTC)
    assert again == first
    assert adapter.min_check_interval == timedelta(hours=1)  # the route's documented cache
