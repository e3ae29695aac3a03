"""The one small interface every platform adapter implements, and the helpers they share."""

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from proativo.errors import InvalidPayload, Unauthorized
from proativo.events import Event, ResourceChanged

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Reader:
    """How Proativo reads an order back from a platform that only notifies: the API credentials a store gives
    (`proativo stores set-api-credentials`), the request, and the facts the order shows."""

    credentials: tuple[str, ...]
    fetch: Callable[["httpx.Client", dict[str, Any], str, str], dict[str, Any] | None]
    facts: Callable[[dict[str, Any], str], list[Event]]


class Platform(Protocol):
    """Verifies and parses one platform's webhooks. Headers arrive lower-cased; the body is the raw bytes.
    A platform that only notifies (its webhook names the resource, not its content) has a `reader`."""

    name: str

    @property
    def reader(self) -> Reader | None:
        """How to read a notified order back (None: the webhook carries the order itself)."""
        ...

    def is_handshake(self, headers: Mapping[str, str], body: bytes) -> bool:
        """True for the platform's documented unsigned handshake (answered 200; nothing is stored or queued)."""
        ...

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: datetime, tolerance: int) -> None:
        """Raise `Unauthorized` unless the request was signed with `secret` (and, where dated, is recent)."""
        ...

    def sign_headers(self, secret: str, body: bytes, now: datetime) -> dict[str, str]:
        """The signature headers the platform would send with `body` at `now` (for samples and tests)."""
        ...

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        """The platform's id for this delivery (stable across its retries)."""
        ...

    def parse(
        self, headers: Mapping[str, str], body: bytes, store_id: str, now: datetime
    ) -> Sequence[Event | ResourceChanged] | None:
        """Canonical events in the payload (or notifications to read back); None for topics we do not handle."""
        ...


class BodySignedPlatform:
    """Platforms that sign the raw body alone with HMAC-SHA256 (Shopify, WooCommerce): one header carries the
    digest (base64, or hex where `hex_digest`), another the delivery id. No timestamp is signed, so no replay window:
    redeliveries are caught by the delivery id instead."""

    name: str
    signature_header: str
    delivery_header: str
    hex_digest: bool = False

    @property
    def reader(self) -> Reader | None:
        """These platforms send the order itself."""
        return None

    def _digest(self, secret: str, body: bytes) -> str:
        raw = hmac_sha256(secret, body)
        return raw.hex() if self.hex_digest else base64.b64encode(raw).decode()

    def is_handshake(self, headers: Mapping[str, str], body: bytes) -> bool:
        """None unless the platform overrides it."""
        return False

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: datetime, tolerance: int) -> None:
        """The digest of the raw body under `secret`, compared in constant time."""
        given = headers.get(self.signature_header.lower(), "")
        if not given:
            raise Unauthorized(f"missing {self.signature_header}")
        if not same(given.strip(), self._digest(secret, body)):
            raise Unauthorized("signature does not match")

    def sign_headers(self, secret: str, body: bytes, now: datetime) -> dict[str, str]:
        """What the platform sends with `body`."""
        return {self.signature_header.lower(): self._digest(secret, body)}

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        """The platform's delivery id header."""
        return headers.get(self.delivery_header.lower(), "")


def hmac_sha256(secret: str, message: bytes) -> bytes:
    """HMAC-SHA256 digest of `message` under `secret`."""
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two signatures (whatever characters a header holds)."""
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


_UNIX_SECONDS = re.compile(r"[0-9]{1,12}", re.ASCII)


def unix_seconds(value: str, header: str) -> int:
    """A signed request's timestamp: ASCII digits only, a dozen at most (`²`, signs, spaces and 5 000 digits are
    refused as Unauthorized, never parsed)."""
    if not _UNIX_SECONDS.fullmatch(value):
        raise Unauthorized(f"{header} must be Unix seconds (ASCII digits)")
    return int(value)


def invalid_from(exc: ValidationError, prefix: str = "") -> InvalidPayload:
    """The first validation problem as an `InvalidPayload` naming its field."""
    err = exc.errors(include_url=False)[0]
    loc = [str(p) for p in err["loc"]]
    field = ".".join([prefix, *loc] if prefix else loc) or None
    return InvalidPayload(str(err["msg"]), field=field)


def signed_stamp(headers: Mapping[str, str], now: datetime, tolerance: int) -> tuple[int, str]:
    """The timestamp and the signature of a request signed our way (`X-Proativo-Timestamp`, `X-Proativo-Signature`),
    refused unless both are there and the timestamp is recent (replayed, or a clock too far off)."""
    stamp = headers.get("x-proativo-timestamp", "")
    given = headers.get("x-proativo-signature", "")
    if not stamp or not given:
        raise Unauthorized("missing X-Proativo-Timestamp or X-Proativo-Signature")
    seconds = unix_seconds(stamp, "X-Proativo-Timestamp")
    if abs(now.timestamp() - seconds) > tolerance:
        raise Unauthorized("timestamp outside the tolerance window (replayed or clock skew)")
    return seconds, given
