"""A fake Jadlog tracking API for the local stack: `POST …/embarcador/api/tracking/consultar` with the store's
Bearer token, answering from scripted journeys (`jadlog.yaml`) on the stack's virtual clock, in the shape Jadlog's
integration document gives (see `proativo.tracking.jadlog`)."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from infra.local.fake_carrier import BRASILIA, duration, when

JOURNEYS = Path(__file__).with_name("jadlog.yaml")
TOKEN = "fake-jadlog-token-demo"  # noqa: S105 - the local fake's own token


@dataclass
class FakeJadlog:
    """Answers Jadlog tracking requests; `now` is the local stack's clock."""

    now: Callable[[], datetime]
    latency_seconds: float = 0.0
    journeys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    estimate: timedelta = timedelta(days=3)
    started: dict[str, datetime] = field(default_factory=dict)
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_file(
        cls, now: Callable[[], datetime], path: Path = JOURNEYS, latency_seconds: float = 0.0
    ) -> "FakeJadlog":
        """The journeys of `path`."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            now=now,
            latency_seconds=latency_seconds,
            journeys=data["journeys"],
            codes={str(k): v for k, v in (data.get("codes") or {}).items()},
            estimate=duration(data.get("estimate", "P3D")),
        )

    def assign(self, code: str, journey: str) -> None:
        """Make `code` travel on `journey` (tests and benchmarks)."""
        if journey not in self.journeys:
            raise KeyError(f"no journey {journey!r}; known: {', '.join(self.journeys)}")
        self.codes[code] = journey

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any = None
    ) -> tuple[int, Any]:
        """(status, JSON) for one request, as Jadlog would answer it."""
        with self._lock:
            self.requests += 1
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        if method != "POST" or not path.endswith("/tracking/consultar"):
            return 404, {"erro": f"recurso {path} inexistente"}
        if headers.get("authorization", "") != f"Bearer {TOKEN}":
            return 401, {"erro": "Token inválido"}
        asked = body.get("consulta") if isinstance(body, dict) else None
        if not isinstance(asked, list):
            return 400, {"erro": "informe consulta: [{shipmentId}]"}
        return 200, {"consulta": [self._one(str(a.get("shipmentId") or a.get("cte") or "")) for a in asked]}

    def _one(self, code: str) -> dict[str, Any]:
        now = self.now()
        with self._lock:
            start = self.started.setdefault(code, now)
        steps = self.journeys[self.codes.get(code, "on_time")]
        happened = [s for s in steps if when(start, s) <= now]
        if not happened:
            return {"shipmentId": code, "error": {"id": -1, "descricao": "Nao localizado."}}
        return {
            "shipmentId": code,
            "tracking": {
                "codigo": f"18{code[-11:]}",
                "shipmentId": code,
                "dtEmissao": start.astimezone(BRASILIA).strftime("%d/%m/%Y"),
                "status": happened[-1]["status"],
                "previsaoEntrega": (start + self.estimate).astimezone(BRASILIA).strftime("%Y-%m-%d 23:59:59"),
                "eventos": [
                    {
                        "data": when(start, s).astimezone(BRASILIA).strftime("%Y-%m-%d %H:%M:%S"),
                        "status": s["status"],
                        "unidade": s["unit"],
                    }
                    for s in happened
                ],
            },
        }


def credentials(api_url: str) -> dict[str, str]:
    """The demo store's Jadlog contract, pointing at the fake served under `api_url`."""
    return {"token": TOKEN, "api_url": f"{api_url}/embarcador/api"}
