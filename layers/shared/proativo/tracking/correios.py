"""Correios API Rastro: a token per store's contract (cached until it expires), objects queried in batches,
429/5xx retried with backoff, every event mapped to the one status model (`correios_events.yaml`)."""

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field

from proativo.tracking import s10
from proativo.tracking.limits import Limits
from proativo.tracking.model import CarrierPlugin
from proativo.tracking.sigep import PRODUCTION_URL, SigepFault, SigepWeb, outcome
from proativo.tracking.status import Scan, Status, TrackingResult

if TYPE_CHECKING:
    import httpx

BRASILIA = ZoneInfo("America/Sao_Paulo")
TOKEN_PATH = "/token/v1/autentica/cartaopostagem"  # noqa: S105 - a URL path, not a secret
OBJECTS_PATH = "/srorastro/v1/objetos"
_RETRYABLE = frozenset({429, 500, 502, 503, 504})
LIMITS = Limits(concurrency=5, per_second=20)
type Params = list[tuple[str, str | int | float | bool | None]]


class CarrierUnavailable(RuntimeError):
    """The carrier could not answer now (throttled, down, or refusing our credentials): try again later."""


class CorreiosCredentials(BaseModel):
    """A store's Correios contract: the portal user, its API access code and the postage card number."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    user: str = Field(min_length=1)
    access_code: str = Field(min_length=1, repr=False)
    postage_card: str = Field(pattern=r"^\d{6,16}$")
    api_url: str = "https://api.correios.com.br"
    # SIGEP Web (claims): the contract's SIGEP user and password, the store's CNPJ and, optionally, the service code.
    sigep_user: str | None = Field(default=None, min_length=1)
    sigep_password: str | None = Field(default=None, min_length=1, repr=False)
    cnpj: str | None = Field(default=None, pattern=r"^\d{14}$")
    sigep_service: int | None = Field(default=None, ge=1)
    sigep_url: str = PRODUCTION_URL


@dataclass(frozen=True)
class _Mapping:
    distribution_codes: frozenset[str]
    distribution: dict[str, dict[str, str]]
    by_code: dict[str, dict[str, str]]
    exact: dict[str, dict[str, str]]

    def status_of(self, code: str, tipo: str) -> tuple[Status, str | None]:
        found = (
            self.exact.get(f"{code}/{tipo}")
            or (self.distribution.get(tipo) if code in self.distribution_codes else None)
            or self.by_code.get(code)
            or {"status": "in_transit"}
        )
        return Status(found["status"]), found.get("substatus")


@cache
def mapping() -> _Mapping:
    """The Correios event table, loaded once."""
    text = resources.files("proativo.tracking").joinpath("correios_events.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return _Mapping(
        distribution_codes=frozenset(data["distribution_codes"]),
        distribution={str(k): v for k, v in data["distribution"].items()},
        by_code=data["by_code"],
        exact=data["exact"],
    )


def _local_time(value: Any) -> datetime | None:
    """Correios dates are Brasília wall-clock times, as a string or as {"date": …, "timezone": …}."""
    if isinstance(value, dict):
        zone = ZoneInfo(str(value.get("timezone") or "America/Sao_Paulo"))
        text = str(value.get("date") or "")
    else:
        zone, text = BRASILIA, str(value or "")
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace(" ", "T"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _location(event: dict[str, Any]) -> str | None:
    address = (event.get("unidade") or {}).get("endereco") or {}
    city, state = address.get("cidade"), address.get("uf")
    return "/".join(str(p).strip() for p in (city, state) if p) or None


def parse_objects(payload: dict[str, Any]) -> dict[str, TrackingResult]:
    """API Rastro's answer (`objetos`, newest event first) as results by code, scans oldest first."""
    results: dict[str, TrackingResult] = {}
    table = mapping()
    for obj in payload.get("objetos") or []:
        code = str(obj.get("codObjeto", "")).upper()
        events = obj.get("eventos") or []
        if not code:
            continue
        if not events:
            # "SRO-020: Objeto não encontrado": posted labels are often unknown for a few hours.
            results[code] = TrackingResult(tracking_code=code, found=False)
            continue
        scans = []
        for event in reversed(events):
            at = _local_time(event.get("dtHrCriado"))
            if at is None:
                continue
            raw, tipo = str(event.get("codigo", "")), str(event.get("tipo", ""))
            status, substatus = table.status_of(raw, tipo)
            scans.append(
                Scan(
                    tracking_code=code,
                    status=status,
                    substatus=substatus,
                    raw_code=f"{raw}/{tipo}",
                    description=str(event.get("descricao") or ""),
                    location=_location(event),
                    at=at,
                )
            )
        results[code] = TrackingResult(
            tracking_code=code,
            scans=tuple(sorted(scans, key=lambda s: s.at)),
            estimated_delivery=_local_time(obj.get("dtPrevista")),
        )
    return results


@dataclass
class Correios:
    """The Correios adapter for one store's contract (tokens are per contract: never shared across stores).

    Stateless but for the token; the HTTP client comes with each call (it belongs to the caller's event loop)."""

    credentials: CorreiosCredentials
    name: str = "correios"
    batch_size: int = 50
    limits: Limits = field(default_factory=lambda: LIMITS)
    max_attempts: int = 4
    backoff_seconds: float = 0.5
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _token: tuple[str, datetime] | None = field(default=None, repr=False)

    async def track(self, http: "httpx.AsyncClient", codes: Iterable[str], now: datetime) -> dict[str, TrackingResult]:
        """Scans for each code, asking one batch after another (the tracker runs batches concurrently itself)."""
        wanted = sorted({c.upper() for c in codes})
        found: dict[str, TrackingResult] = {}
        for start in range(0, len(wanted), self.batch_size):
            found.update(await self.fetch(http, wanted[start : start + self.batch_size], now))
        return found

    async def fetch(self, http: "httpx.AsyncClient", codes: list[str], now: datetime) -> dict[str, TrackingResult]:
        """One API Rastro request for up to `batch_size` codes; codes it says nothing of are absent."""
        params: Params = [("codigosObjetos", c.upper()) for c in codes]
        params.append(("resultado", "T"))
        return parse_objects(await self._get(http, OBJECTS_PATH, params, now))

    async def _get(self, http: "httpx.AsyncClient", path: str, params: Params, now: datetime) -> dict[str, Any]:
        return await self.request(http, "GET", path, now, params=params)

    async def request(
        self,
        http: "httpx.AsyncClient",
        method: str,
        path: str,
        now: datetime,
        params: Params | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One authenticated call to the Correios API: a new token once on 401, 429/5xx retried with backoff
        (honouring Retry-After), then CarrierUnavailable for the queue to retry later."""
        refreshed = False
        for attempt in range(self.max_attempts):
            answer = await http.request(
                method,
                f"{self.credentials.api_url}{path}",
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {await self._bearer(http, now)}", "Accept": "application/json"},
            )
            if answer.status_code == 401 and not refreshed:
                self._token, refreshed = None, True  # revoked or expired early: one new token, then retry
                continue
            if answer.status_code in _RETRYABLE:
                if attempt + 1 == self.max_attempts:
                    break
                await self.sleep(_retry_after(answer) or self.backoff_seconds * 2**attempt)
                continue
            if answer.status_code == 404 and method == "GET":
                return {}
            if answer.status_code >= 400:
                raise CarrierUnavailable(f"Correios answered {answer.status_code} for {path}")
            body: dict[str, Any] = answer.json()
            return body
        # The queue retries the record later.
        raise CarrierUnavailable(f"Correios kept refusing {path} after {self.max_attempts} attempts")

    async def _bearer(self, http: "httpx.AsyncClient", now: datetime) -> str:
        if self._token and self._token[1] - timedelta(minutes=5) > now:
            return self._token[0]
        answer = await http.post(
            f"{self.credentials.api_url}{TOKEN_PATH}",
            auth=(self.credentials.user, self.credentials.access_code),
            json={"numero": self.credentials.postage_card},
        )
        if answer.status_code >= 400:
            raise CarrierUnavailable(f"Correios refused a token ({answer.status_code})")
        body = answer.json()
        offset = body.get("zoneOffset")
        expires = datetime.fromisoformat(f"{body['expiraEm']}{offset or ''}")
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=BRASILIA)
        self._token = (str(body["token"]), expires)
        return self._token[0]


def _retry_after(answer: "httpx.Response") -> float | None:
    value = answer.headers.get("retry-after", "")
    return float(value) if value.replace(".", "", 1).isdigit() else None


@dataclass
class CorreiosClaims:
    """Correios "Pedido de Informação" through SIGEP Web (`proativo.tracking.sigep`), with the store's contract: filed
    with the reason the claims rules give its kind, followed with `consultarPedidosInformacao`."""

    sigep: SigepWeb
    cnpj: str | None = None
    service: int | None = None

    async def open(self, http: "httpx.AsyncClient", claim: dict[str, Any], now: datetime) -> dict[str, Any]:
        """File the PI: {"protocol": its number}, or {"refused": Correios' words} when it was not filed."""
        request = {
            "codigoRegistro": str(claim["tracking_code"]).upper(),
            "conteudoObjeto": f"Mercadoria do pedido {claim['order_id']}",
            "cpfCnpj": self.cnpj,
            "embalagem": "C",
            "motivo": claim.get("reason_code"),
            "observacao": f"Pedido {claim['order_id']}: {_PI_WORDS.get(str(claim['claim_kind']), 'problema')}",
            "servico": self.service,
        }
        try:
            answer = await self.sigep.register(http, request)
        except SigepFault as fault:
            return {"refused": f"SIGEP Web: {fault}"}
        if answer.get("codigoPI"):
            return {"protocol": answer["codigoPI"]}
        return {"refused": answer.get("mensagemRetorno") or "SIGEP Web filed no PI"}

    async def answer(self, http: "httpx.AsyncClient", claim: dict[str, Any], now: datetime) -> dict[str, Any] | None:
        """Correios' answer (None while it has not answered, or SIGEP Web could not say now)."""
        try:
            return outcome(await self.sigep.consult(http, str(claim["protocol"])))
        except SigepFault:
            return None


_PI_WORDS = {"late": "objeto em atraso", "lost": "objeto extraviado", "damaged": "objeto avariado"}


def claims_channel(adapter: Correios) -> CorreiosClaims | None:
    """The store's PI channel, when its Correios credentials carry a SIGEP Web user and password."""
    given = adapter.credentials
    if not (given.sigep_user and given.sigep_password):
        return None
    sigep = SigepWeb(given.sigep_user, given.sigep_password, given.sigep_url)
    return CorreiosClaims(sigep, given.cnpj, given.sigep_service)


PLUGIN = CarrierPlugin(
    name="correios",
    title="Correios",
    aliases=("correios", "sedex"),
    prefixes=("pac",),
    detect=lambda code: code.endswith("BR") and s10.is_valid(code),
    code_format="UPU S10 ending in BR (AA123456785BR)",
    valid_code=s10.is_valid,
    limits=LIMITS,
    events="correios_events.yaml",
    credentials=CorreiosCredentials,
    credentials_example='{"user", "access_code", "postage_card", "sigep_user"?, "sigep_password"?, "cnpj"?}',
    build=Correios,
    claims_channel="correios_pi",
    claims=claims_channel,
)
