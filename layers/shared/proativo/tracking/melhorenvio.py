"""Melhor Envio: where many Brazilian stores buy their labels (Correios, Jadlog, Loggi, Azul Cargo, LATAM Cargo…).
A store that gives us its Melhor Envio token has its parcels of those carriers followed through Melhor Envio's
tracking route — `POST {api}/api/v2/me/shipment/tracking` with `{"orders": [ids]}`, answered per label with its
status and the time of each stage — unless it also gave us that carrier's own contract (then the carrier is asked
directly: its answers are richer). Melhor Envio documents a one-hour cache on the route, so a parcel is asked about
no more than hourly (`min_check_interval`).

The route takes Melhor Envio's label ids; a parcel known by its tracking code is first looked up with
`GET {api}/api/v2/me/orders/search?q=<code>` (the search by id, protocol or tracking), once per adapter. Not settled
by public material (the one place that says so; README "Carriers"): the exact shape of the search answer (we read a
list of labels, or one under `data`), and the request rate Melhor Envio tolerates (`LIMITS`).
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
TRACKING_PATH = "/api/v2/me/shipment/tracking"
SEARCH_PATH = "/api/v2/me/orders/search"
LIMITS = Limits(concurrency=2, per_second=2)
CACHED_FOR = timedelta(hours=1)
# The carriers whose labels Melhor Envio sells (its plugin follows their parcels for a store with a token).
COVERS = ("correios", "jadlog", "loggi", "azul-cargo", "latam-cargo", "buslog", "j-t-express", "melhor-envio")
_LABEL_ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")


class MelhorEnvioUnavailable(RuntimeError):
    """Melhor Envio could not answer now: the queue retries later."""


class MelhorEnvioCredentials(BaseModel):
    """A store's Melhor Envio access: its API token and the contact it identifies the integration with."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    token: str = Field(min_length=8, repr=False)
    contact_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    api_url: str = "https://www.melhorenvio.com.br"


@cache
def _table() -> dict[str, dict[str, dict[str, str]]]:
    text = resources.files("proativo.tracking").joinpath("melhorenvio_events.yaml").read_text(encoding="utf-8")
    loaded: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(text)
    return loaded


def parse_tracking(payload: dict[str, Any], codes_by_id: dict[str, str]) -> dict[str, TrackingResult]:
    """Melhor Envio's answer (labels by id) as results by the code each was asked with."""
    table = _table()
    results: dict[str, TrackingResult] = {}
    for label_id, label in payload.items():
        if not isinstance(label, dict):
            continue
        code = codes_by_id.get(str(label_id)) or str(label.get("tracking") or label_id).upper()
        scans = []
        for stage, meaning in table["stages"].items():
            at = wall_clock(label.get(stage), BRASILIA)
            if at is not None:
                scans.append(
                    Scan(
                        tracking_code=code,
                        status=Status(meaning["status"]),
                        substatus=meaning.get("substatus"),
                        raw_code=stage.removesuffix("_at"),
                        description=meaning["words"],
                        at=at,
                    )
                )
        status = str(label.get("status") or "")
        if not scans and status in table["statuses"]:
            results[code] = TrackingResult(tracking_code=code, found=status not in ("pending", "released"))
            continue
        results[code] = TrackingResult(tracking_code=code, scans=tuple(sorted(scans, key=lambda s: s.at)))
    return results


@dataclass
class MelhorEnvio:
    """The Melhor Envio adapter for one store's token."""

    credentials: MelhorEnvioCredentials
    name: str = "melhorenvio"
    batch_size: int = 50
    limits: Limits = field(default_factory=lambda: LIMITS)
    min_check_interval: timedelta = CACHED_FOR
    _ids: dict[str, str] = field(default_factory=dict, repr=False)

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.credentials.token}",
            "Accept": "application/json",
            "User-Agent": f"Proativo ({self.credentials.contact_email})",
        }

    async def fetch(self, http: "httpx.AsyncClient", codes: list[str], now: datetime) -> dict[str, TrackingResult]:
        """The labels of `codes` (tracking codes, or Melhor Envio label ids), one tracking request."""
        codes_by_id: dict[str, str] = {}
        for code in codes:
            label = code if _LABEL_ID.match(code) else self._ids.get(code.upper()) or await self._find(http, code)
            if label:
                codes_by_id[label] = code.upper()
        if not codes_by_id:
            return {}
        answer = await http.post(
            f"{self.credentials.api_url}{TRACKING_PATH}", json={"orders": list(codes_by_id)}, headers=self._headers()
        )
        if answer.status_code >= 400:
            raise MelhorEnvioUnavailable(f"Melhor Envio answered {answer.status_code} to a tracking request")
        found = answer.json()
        return parse_tracking(found if isinstance(found, dict) else {}, codes_by_id)

    async def _find(self, http: "httpx.AsyncClient", code: str) -> str | None:
        answer = await http.get(
            f"{self.credentials.api_url}{SEARCH_PATH}", params={"q": code.upper()}, headers=self._headers()
        )
        if answer.status_code == 404:
            return None
        if answer.status_code >= 400:
            raise MelhorEnvioUnavailable(f"Melhor Envio answered {answer.status_code} to a search")
        found = answer.json()
        labels = found.get("data") if isinstance(found, dict) else found
        for label in labels if isinstance(labels, list) else []:
            if isinstance(label, dict) and str(label.get("tracking") or "").upper() == code.upper() and label.get("id"):
                self._ids[code.upper()] = str(label["id"])
                return self._ids[code.upper()]
        return None


PLUGIN = CarrierPlugin(
    name="melhor-envio",
    title="Melhor Envio (labels of Correios, Jadlog, Loggi, Azul Cargo, LATAM Cargo…)",
    aliases=("melhor envio", "melhorenvio"),
    code_format="the carrier's own code, or a Melhor Envio label id",
    credentials=MelhorEnvioCredentials,
    credentials_example='{"token", "contact_email"}',
    build=MelhorEnvio,
    covers=COVERS,
    limits=LIMITS,
    min_check_interval=CACHED_FOR,
    events="melhorenvio_events.yaml",
)
