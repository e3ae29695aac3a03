"""AfterShip, the global tracking aggregator: any carrier in the world followed for a store that has an AfterShip
account. A parcel whose carrier we do not poll is registered with AfterShip on its first check ("Create a tracking",
`POST {api}/trackings` with the store's `as-api-key`), and AfterShip pushes every update to
`POST /webhooks/carrier/aftership/{store_id}`, signed: `aftership-hmac-sha256` is the base64 HMAC-SHA256 of the raw
body with the account's webhook secret (AfterShip docs, "Webhook signature"). Each pushed tracking is read like a poll
(`aftership_tags.yaml`) and assessed by the same tracker.

Why AfterShip (over 17TRACK and TrackingMore): its webhook signs the whole body (TrackingMore's V2 signature covers
only a timestamp; 17TRACK's is a plain hash of body and key), its nine statuses are the ones our model maps one to
one, and its registration and webhook formats are documented together. The webhook carries no signed timestamp: a
replayed delivery is caught by its `event_id` (the delivery key), not by age.

Not settled by public material (the one place that says so; README "Carriers"): the courier slugs for Brazilian
carriers other than Correios (`SLUGS`; without one AfterShip detects the courier itself), and how a "tracking already
exists" answer is worded across API versions (any 4xx naming it, or 409, counts as registered).
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proativo.errors import InvalidPayload, Unauthorized
from proativo.events import Instant
from proativo.platforms.base import invalid_from
from proativo.tracking.limits import Limits
from proativo.tracking.model import CarrierPlugin
from proativo.tracking.status import Scan, Status, TrackingResult

if TYPE_CHECKING:
    import httpx

API_URL = "https://api.aftership.com/tracking/2024-07"
SIGNATURE_HEADER = "aftership-hmac-sha256"
# AfterShip's Tracking API (from version 2024-07) allows 20 "create a tracking" requests a second per organization.
LIMITS = Limits(concurrency=5, per_second=20)
# Our carrier → AfterShip's courier slug, where we know it; other parcels are left to AfterShip's detection.
SLUGS = {"correios": "brazil-correios", "jadlog": "jadlog"}


class RegistrationFailed(RuntimeError):
    """AfterShip would not register a parcel now (throttled, down, or refusing the key): the check is retried."""


class AfterShipCredentials(BaseModel):
    """A store's AfterShip account: its API key (the webhook secret is kept with the store's webhook secrets)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    api_key: str = Field(min_length=8, repr=False)
    api_url: str = API_URL


@cache
def _tags() -> dict[str, dict[str, dict[str, str]]]:
    text = resources.files("proativo.tracking").joinpath("aftership_tags.yaml").read_text(encoding="utf-8")
    loaded: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(text)
    return loaded


def status_of(tag: str, subtag: str | None) -> tuple[Status, str | None]:
    """Our status for AfterShip's tag and subtag (in transit for a tag it adds later)."""
    table = _tags()
    found = table["subtags"].get(subtag or "") or table["tags"].get(tag) or {"status": "in_transit"}
    return Status(found["status"]), found.get("substatus")


class _Checkpoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    checkpoint_time: Instant
    tag: str = Field(default="InTransit", max_length=40)
    subtag: str | None = Field(default=None, max_length=40)
    message: str = Field(default="", max_length=500)
    location: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=120)
    state: str | None = Field(default=None, max_length=120)


class _Tracking(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    tracking_number: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    slug: str | None = Field(default=None, max_length=60)
    checkpoints: tuple[_Checkpoint, ...] = Field(default=(), max_length=500)
    expected_delivery: str | None = None
    courier_estimated_delivery_date: dict[str, Any] | None = None


def _estimate(tracking: _Tracking) -> datetime | None:
    given = (tracking.courier_estimated_delivery_date or {}).get(
        "estimated_delivery_date"
    ) or tracking.expected_delivery
    if not given:
        return None
    try:
        parsed = datetime.fromisoformat(str(given))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None  # a bare date has no zone: not a promise we can judge by


def _place(checkpoint: _Checkpoint) -> str | None:
    if checkpoint.city and checkpoint.state and len(checkpoint.state) == 2:
        return f"{checkpoint.city}/{checkpoint.state.upper()}"
    return checkpoint.location or checkpoint.city


class AfterShipPush:
    """AfterShip's `tracking_update` webhook (the `PushFormat` of this aggregator)."""

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> None:
        """The body's HMAC-SHA256 with the store's AfterShip webhook secret, base64, in `aftership-hmac-sha256`."""
        given = headers.get(SIGNATURE_HEADER, "")
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        if not given or not hmac.compare_digest(given.strip(), expected):
            raise Unauthorized("signature does not match")

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """The webhook's own `event_id` (AfterShip retries with the same one)."""
        found = _object(body).get("event_id")
        return str(found) if found else None

    def results(self, body: bytes) -> list[TrackingResult]:
        """The pushed tracking as a result (nothing for events that are not tracking updates)."""
        data = _object(body)
        if data.get("event") not in (None, "tracking_update", "edd_revise"):
            return []
        message = data.get("msg")
        if not isinstance(message, dict):
            raise InvalidPayload("an AfterShip update carries its tracking in msg", field="msg")
        try:
            tracking = _Tracking.model_validate(message)
        except ValidationError as exc:
            raise invalid_from(exc, "msg") from None
        code = tracking.tracking_number.upper()
        scans = []
        for point in tracking.checkpoints:
            status, substatus = status_of(point.tag, point.subtag)
            scans.append(
                Scan(
                    tracking_code=code,
                    status=status,
                    substatus=substatus,
                    raw_code=(point.subtag or point.tag)[:40],
                    description=point.message,
                    location=_place(point),
                    at=point.checkpoint_time,
                )
            )
        return [
            TrackingResult(
                tracking_code=code,
                scans=tuple(sorted(scans, key=lambda s: s.at)),
                estimated_delivery=_estimate(tracking),
            )
        ]


def _object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise InvalidPayload("not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise InvalidPayload("an AfterShip webhook is a JSON object", field="body")
    return data


@dataclass
class AfterShip:
    """One store's AfterShip account: registers its parcels (the `Registrar` of this aggregator)."""

    credentials: AfterShipCredentials
    name: str = "aftership"
    limits: Limits = field(default_factory=lambda: LIMITS)

    async def register(self, http: "httpx.AsyncClient", parcel: dict[str, Any], now: datetime) -> None:
        """Create a tracking for the parcel (a tracking that exists already counts as registered)."""
        body: dict[str, Any] = {
            "tracking_number": str(parcel["tracking_code"]).upper(),
            "order_id": str(parcel["order_id"]),
        }
        slug = SLUGS.get(str(parcel["carrier"]))
        if slug:
            body["slug"] = slug
        answer = await http.post(
            f"{self.credentials.api_url}/trackings",
            json=body,
            headers={"as-api-key": self.credentials.api_key, "Content-Type": "application/json"},
        )
        if answer.status_code < 300 or answer.status_code == 409 or b"already exists" in answer.content:
            return
        raise RegistrationFailed(f"AfterShip answered {answer.status_code} to a registration")


PUSH = AfterShipPush()

PLUGIN = CarrierPlugin(
    name="aftership",
    title="AfterShip (any carrier)",
    aliases=("aftership",),
    code_format="any carrier's code (AfterShip detects the courier)",
    credentials=AfterShipCredentials,
    credentials_example='{"api_key"} (its webhook secret: proativo stores set-carrier-push-secret --carrier aftership)',
    push=PUSH,
    register=AfterShip,
    limits=LIMITS,
    events="aftership_tags.yaml",
)
