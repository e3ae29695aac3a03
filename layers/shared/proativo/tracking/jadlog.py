"""Jadlog, direct: its integration API's tracking (`POST {api}/tracking/consultar`, a Bearer token per store
contract), many shipments per request (by shipment id, or by CT-e number), every event mapped to the one status
model (`jadlog_events.yaml`).

From Jadlog's public integration document (v2.x) and the client libraries built to it: the request is
`{"consulta": [{"shipmentId": "…"}, …]}` (or `{"cte": "…"}`: a CT-e number); the answer is `{"consulta": [{"shipmentId"
| "cte", "tracking": {"codigo", "shipmentId", "dtEmissao", "status", "eventos": [{"data": "YYYY-MM-DD HH:MM:SS",
"status", "unidade"}], …}} | {…, "error": {"id", "descricao"}}]}` — dates are Brasília wall-clock times. Not settled
by public material (the one place that says so; README "Carriers"): how many shipments one request may carry (we
send `batch_size`), the request rate Jadlog tolerates (`LIMITS`), the name of a delivery estimate in the answer
(we read `previsaoEntrega` when present) and the status words for trouble (see the events table).
"""

import asyncio
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field

from proativo.clock import wall_clock
from proativo.tracking.limits import Limits
from proativo.tracking.model import CarrierPlugin
from proativo.tracking.status import Scan, Status, TrackingResult

if TYPE_CHECKING:
    import httpx

BRASILIA = ZoneInfo("America/Sao_Paulo")
TRACKING_PATH = "/tracking/consultar"
LIMITS = Limits(concurrency=2, per_second=5)
_RETRYABLE = frozenset({429, 500, 502, 503, 504})


class JadlogUnavailable(RuntimeError):
    """Jadlog could not answer now (throttled, down, or refusing the token): the queue retries later."""


class JadlogCredentials(BaseModel):
    """A store's Jadlog contract: the integration token Jadlog issues for it."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    token: str = Field(min_length=8, repr=False)
    api_url: str = "https://www.jadlog.com.br/embarcador/api"


def _folded(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.upper().split())


@cache
def _words() -> tuple[tuple[str, Status, str | None], ...]:
    text = resources.files("proativo.tracking").joinpath("jadlog_events.yaml").read_text(encoding="utf-8")
    return tuple((_folded(w["match"]), Status(w["status"]), w.get("substatus")) for w in yaml.safe_load(text)["words"])


def status_of(words: str) -> tuple[Status, str | None]:
    """The status an event's words say (in transit when none of the table's words is in them)."""
    folded = _folded(words)
    for match, status, substatus in _words():
        if match in folded:
            return status, substatus
    return Status.IN_TRANSIT, None


def _local_time(value: Any) -> datetime | None:
    return wall_clock(value, BRASILIA, ("%d/%m/%Y %H:%M:%S",))


def _location(unit: str) -> str | None:
    """A Jadlog unit ("FRANQUIA CURITIBA - PR") as our "place/UF" location."""
    found = re.match(r"^(.*?)\s*-\s*([A-Za-z]{2})$", unit.strip())
    return f"{found.group(1)}/{found.group(2).upper()}" if found else (unit.strip() or None)


def parse_consulta(payload: dict[str, Any]) -> dict[str, TrackingResult]:
    """Jadlog's answer as results by code (the code we asked with), scans oldest first."""
    results: dict[str, TrackingResult] = {}
    for entry in payload.get("consulta") or []:
        if not isinstance(entry, dict):
            continue
        code = str(entry.get("shipmentId") or entry.get("cte") or "").strip().upper()
        tracking = entry.get("tracking") or {}
        if not code:
            code = str(tracking.get("shipmentId") or tracking.get("codigo") or "").strip().upper()
        if not code:
            continue
        if entry.get("error") or not tracking:
            results[code] = TrackingResult(tracking_code=code, found=False)  # "Nao localizado": not handed over yet
            continue
        scans = []
        for event in tracking.get("eventos") or []:
            at = _local_time(event.get("data"))
            if at is None:
                continue
            words = str(event.get("status") or "")
            status, substatus = status_of(words)
            unit = _location(str(event.get("unidade") or ""))
            scans.append(
                Scan(
                    tracking_code=code,
                    status=status,
                    substatus=substatus,
                    raw_code=_folded(words)[:40] or "?",
                    description=words.strip() or unit or "",
                    location=unit,
                    at=at,
                )
            )
        results[code] = TrackingResult(
            tracking_code=code,
            scans=tuple(sorted(scans, key=lambda s: s.at)),
            estimated_delivery=_local_time(tracking.get("previsaoEntrega")),
        )
    return results


def _asked(code: str) -> dict[str, str]:
    """How Jadlog is asked about a code: a 14-digit shipment id as `shipmentId`, any other number as a CT-e."""
    cleaned = code.strip().upper()
    return {"shipmentId": cleaned} if len(cleaned) == 14 else {"cte": cleaned}


@dataclass
class Jadlog:
    """The Jadlog adapter for one store's contract."""

    credentials: JadlogCredentials
    name: str = "jadlog"
    batch_size: int = 20
    limits: Limits = field(default_factory=lambda: LIMITS)
    max_attempts: int = 4
    backoff_seconds: float = 0.5
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def fetch(self, http: "httpx.AsyncClient", codes: list[str], now: datetime) -> dict[str, TrackingResult]:
        """One tracking request for up to `batch_size` shipments; codes Jadlog does not know come back not found."""
        body = {"consulta": [_asked(c) for c in codes]}
        for attempt in range(self.max_attempts):
            answer = await http.post(
                f"{self.credentials.api_url}{TRACKING_PATH}",
                json=body,
                headers={"Authorization": f"Bearer {self.credentials.token}", "Accept": "application/json"},
            )
            if answer.status_code in _RETRYABLE and attempt + 1 < self.max_attempts:
                await self.sleep(self.backoff_seconds * 2**attempt)
                continue
            if answer.status_code >= 400:
                raise JadlogUnavailable(f"Jadlog answered {answer.status_code}")
            found: dict[str, Any] = answer.json()
            return parse_consulta(found)
        raise JadlogUnavailable(f"Jadlog kept refusing after {self.max_attempts} attempts")


PLUGIN = CarrierPlugin(
    name="jadlog",
    title="Jadlog",
    aliases=("jadlog", "jad log"),
    detect=lambda code: len(code) == 14 and code.isdigit(),
    code_format="14-digit shipment id (10080155188760)",
    valid_code=lambda code: code.strip().isdigit() and 8 <= len(code.strip()) <= 20,
    credentials=JadlogCredentials,
    credentials_example='{"token"}',
    build=Jadlog,
    limits=LIMITS,
    events="jadlog_events.yaml",
)
