"""A fake AfterShip for the local stack: "Create a tracking" (`POST /tracking/2024-07/trackings` with `as-api-key`)
records what a store registers, and `webhook` writes the signed `tracking_update` AfterShip would push for one of
them (tests and samples post it to the store's carrier route)."""

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

API_KEY = "fake-aftership-api-key"
WEBHOOK_SECRET = "fake-aftership-webhook-secret"  # noqa: S105 - the local fake's own secret


@dataclass
class FakeAfterShip:
    """Registrations by tracking number; `requests` counts every call."""

    latency_seconds: float = 0.0
    registered: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any = None
    ) -> tuple[int, Any]:
        """(status, JSON) for one request, as AfterShip's Tracking API would answer it."""
        with self._lock:
            self.requests += 1
        time.sleep(self.latency_seconds)
        if method != "POST" or not path.endswith("/trackings"):
            return 404, {"meta": {"code": 404, "message": "Not found"}, "data": {}}
        if headers.get("as-api-key") != API_KEY:
            return 401, {"meta": {"code": 401, "message": "Invalid API key."}, "data": {}}
        number = str((body or {}).get("tracking_number") or "") if isinstance(body, dict) else ""
        if not number:
            return 400, {"meta": {"code": 4007, "message": "tracking_number is required"}, "data": {}}
        with self._lock:
            if number in self.registered:
                return 409, {"meta": {"code": 4003, "message": "Tracking already exists."}, "data": {}}
            self.registered[number] = {
                "slug": body.get("slug"),
                "order_id": body.get("order_id"),
                "id": uuid.uuid4().hex,
            }
        tracking = {"id": self.registered[number]["id"], "tracking_number": number, "tag": "Pending"}
        return 201, {"meta": {"code": 201}, "data": tracking}

    def webhook(self, number: str, checkpoints: list[dict[str, Any]], event_id: str | None = None) -> dict[str, Any]:
        """The `tracking_update` body AfterShip pushes for `number` with these checkpoints (each: checkpoint_time,
        tag, subtag, message, city, state)."""
        last = checkpoints[-1] if checkpoints else {"tag": "Pending"}
        return {
            "event": "tracking_update",
            "event_id": event_id or uuid.uuid4().hex,
            "is_tracking_first_tag": True,
            "msg": {
                "id": self.registered.get(number, {}).get("id", uuid.uuid4().hex),
                "tracking_number": number,
                "slug": self.registered.get(number, {}).get("slug") or "total-express",
                "tag": last.get("tag"),
                "subtag": last.get("subtag"),
                "checkpoints": checkpoints,
            },
            "ts": int(datetime.now(UTC).timestamp()),
        }


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    """AfterShip's signature of a webhook body: base64 HMAC-SHA256 with the account's webhook secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def encoded(body: dict[str, Any]) -> bytes:
    """A webhook body as AfterShip sends it."""
    return json.dumps(body, ensure_ascii=False).encode()


def credentials(api_url: str) -> dict[str, str]:
    """A store's AfterShip account, pointing at the fake served under `api_url`."""
    return {"api_key": API_KEY, "api_url": f"{api_url}/tracking/2024-07"}
