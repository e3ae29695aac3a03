"""How a store signs its API requests, and a Proativo notice to the store's tools is signed: `X-Proativo-Timestamp`
(Unix seconds) and `X-Proativo-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<METHOD> <path[?query]>.<raw body>">`
under the store's `generic` secret. Light on purpose: the team function signs with it without loading the API."""

from collections.abc import Callable, Mapping
from datetime import datetime

from proativo.errors import Unauthorized
from proativo.platforms.base import hmac_sha256, same, signed_stamp


def api_signature(secret: str, timestamp: int, method: str, path: str, body: bytes = b"") -> str:
    """The `X-Proativo-Signature` value of one API request."""
    return "v1=" + hmac_sha256(secret, f"{timestamp}.{method.upper()} {path}.".encode() + body).hex()


def sign_request(secret: str, method: str, path: str, now: datetime, body: bytes = b"") -> dict[str, str]:
    """The headers that authenticate a request (what the CLI, tests and a store's own code send)."""
    stamp = int(now.timestamp())
    return {
        "x-proativo-timestamp": str(stamp),
        "x-proativo-signature": api_signature(secret, stamp, method, path, body),
    }


def verify_request(
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    secret_of: Callable[[], str],
    now: datetime,
    tolerance: int,
) -> None:
    """Raise Unauthorized unless the request is signed by the store's secret, recently."""
    seconds, given = signed_stamp(headers, now, tolerance)
    if not same(given, api_signature(secret_of(), seconds, method, path, body)):
        raise Unauthorized("signature does not match")
