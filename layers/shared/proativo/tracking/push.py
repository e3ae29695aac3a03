"""Carriers that push: any carrier can post its scans to `POST /webhooks/carrier/{carrier}/{store_id}`, signed like
the generic platform (`X-Proativo-Timestamp`, `X-Proativo-Signature`), in this format:

    {"id": "push-1", "tracking_code": "JD014600006BR", "estimated_delivery": "2026-11-27T23:59:59-03:00",
     "scans": [{"status": "in_transit", "code": "TRF", "description": "Em trânsito", "location": "Curitiba/PR",
                "at": "2026-11-25T10:02:00-03:00"}]}

`status` is one of the status model's nine; `substatus` (optional) may say `lost`, `damaged`, `address_problem`,
`refused` or `returning`. Pushed scans go through the same assessment as polled ones.
"""

import json

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proativo.errors import InvalidPayload
from proativo.events import Instant, Text
from proativo.platforms.base import invalid_from
from proativo.tracking.status import Scan, Status, TrackingResult


class PushedScan(BaseModel):
    """One scan as a carrier pushes it."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    status: Status
    substatus: Text | None = Field(default=None, max_length=40)
    code: Text = Field(default="", max_length=40, description="the carrier's own event code")
    description: Text = Field(default="", max_length=300)
    location: Text | None = Field(default=None, max_length=120)
    at: Instant


class CarrierPush(BaseModel):
    """A carrier's push: the scans it has for one tracking code."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    id: Text = Field(min_length=1, max_length=128)
    tracking_code: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    scans: tuple[PushedScan, ...] = Field(min_length=1, max_length=200)
    estimated_delivery: Instant | None = None

    @classmethod
    def of(cls, result: TrackingResult, push_id: str) -> "CarrierPush":
        """A carrier's own format, already read as a tracking result, in this one (the tracking queue's)."""
        scans = tuple(
            PushedScan(
                status=s.status,
                substatus=s.substatus,
                code=s.raw_code[:40],
                description=s.description[:300],
                location=(s.location or "")[:120] or None,
                at=s.at,
            )
            for s in result.scans[-200:]
        )
        return cls(
            id=push_id[:128],
            tracking_code=result.tracking_code,
            scans=scans,
            estimated_delivery=result.estimated_delivery,
        )

    def result(self) -> TrackingResult:
        """The push as a tracking result, scans oldest first."""
        code = self.tracking_code.upper()
        scans = sorted(
            (
                Scan(
                    tracking_code=code,
                    status=s.status,
                    substatus=s.substatus,
                    raw_code=s.code or s.status.value,
                    description=s.description,
                    location=s.location,
                    at=s.at,
                )
                for s in self.scans
            ),
            key=lambda s: s.at,
        )
        return TrackingResult(tracking_code=code, scans=tuple(scans), estimated_delivery=self.estimated_delivery)


def parse_push(body: bytes) -> CarrierPush:
    """Validate a push body; InvalidPayload names the field and the reason."""
    try:
        data = json.loads(body)
    except ValueError:
        raise InvalidPayload("not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise InvalidPayload("a push is a JSON object", field="body")
    try:
        return CarrierPush.model_validate(data)
    except ValidationError as exc:
        raise invalid_from(exc) from None


class CarrierPushMessage(BaseModel):
    """The tracking queue's message for a push: which store and carrier it came for."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    store_id: str
    carrier: str
    push: CarrierPush

    @classmethod
    def from_message(cls, body: str) -> "CarrierPushMessage | None":
        """The push a tracking queue message carries (None: it is a batch of parcels to poll)."""
        data = json.loads(body)
        return cls.model_validate(data) if isinstance(data, dict) and "push" in data else None
