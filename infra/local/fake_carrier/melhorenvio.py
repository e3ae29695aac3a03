"""A fake Melhor Envio for the local stack: the label search (`GET /api/v2/me/orders/search?q=`) and the tracking
route (`POST /api/v2/me/shipment/tracking`), with the store's Bearer token, answering from scripted label journeys
on the stack's virtual clock (the stage times Melhor Envio reports)."""

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from infra.local.fake_carrier import BRASILIA, duration

TOKEN = "fake-melhorenvio-token-demo"  # noqa: S105 - the local fake's own token
# Each stage's offset from the first question about a label.
JOURNEYS: dict[str, dict[str, str]] = {
    "on_time": {"generated_at": "-PT3H", "posted_at": "-PT2H", "delivered_at": "P2DT6H"},
    "late": {"generated_at": "-PT3H", "posted_at": "-PT2H", "delivered_at": "P7D"},
    "stalled": {"generated_at": "-PT3H", "posted_at": "-PT2H"},
}


def label_id(code: str) -> str:
    """The fake's label id for a tracking code (stable)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"melhorenvio:{code.upper()}"))


@dataclass
class FakeMelhorEnvio:
    """Answers Melhor Envio's search and tracking; `now` is the local stack's clock."""

    now: Callable[[], datetime]
    codes: dict[str, str] = field(default_factory=dict)
    started: dict[str, datetime] = field(default_factory=dict)
    searches: int = 0
    trackings: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def assign(self, code: str, journey: str) -> None:
        """Make the label of `code` travel on `journey`."""
        if journey not in JOURNEYS:
            raise KeyError(f"no journey {journey!r}; known: {', '.join(JOURNEYS)}")
        self.codes[code.upper()] = journey

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any = None
    ) -> tuple[int, Any]:
        """(status, JSON) for one request, as Melhor Envio would answer it."""
        if headers.get("authorization", "") != f"Bearer {TOKEN}" or not headers.get("user-agent"):
            return 401, {"message": "Unauthenticated."}
        if method == "GET" and path.endswith("/api/v2/me/orders/search"):
            with self._lock:
                self.searches += 1
            code = (query.get("q") or [""])[0].upper()
            return 200, [self._label(code)] if code in self.codes else []
        if method == "POST" and path.endswith("/api/v2/me/shipment/tracking"):
            with self._lock:
                self.trackings += 1
            ids = (body or {}).get("orders") if isinstance(body, dict) else None
            by_id = {label_id(c): c for c in self.codes}
            return 200, {i: self._label(by_id[i]) for i in ids or [] if i in by_id}
        return 404, {"message": "Not found"}

    def _label(self, code: str) -> dict[str, Any]:
        now = self.now()
        with self._lock:
            start = self.started.setdefault(code, now)
        stages = {name: start + duration(offset) for name, offset in JOURNEYS[self.codes[code]].items()}
        happened = {name: at for name, at in stages.items() if at <= now}
        status = "delivered" if "delivered_at" in happened else "posted" if "posted_at" in happened else "released"
        return {
            "id": label_id(code),
            "protocol": f"ORD-{code[-8:]}",
            "status": status,
            "tracking": code,
            "melhorenvio_tracking": f"ME{code[-8:]}",
            **{name: at.astimezone(BRASILIA).strftime("%Y-%m-%d %H:%M:%S") for name, at in happened.items()},
            **{name: None for name in ("paid_at", "canceled_at", "expired_at") if name not in happened},
        }


def credentials(api_url: str) -> dict[str, str]:
    """A store's Melhor Envio token, pointing at the fake served under `api_url`."""
    return {"token": TOKEN, "contact_email": "tecnologia@lojademo.example", "api_url": api_url}
