"""The store's own API (customer export and erasure; the reports): requests signed with the store's secret.

A request carries `X-Proativo-Timestamp` (Unix seconds) and `X-Proativo-Signature: v1=<hex HMAC-SHA256 of
"<timestamp>.<METHOD> <path[?query]>.<raw body>">` under the store's `generic` secret (the one its own systems sign
webhooks with). Method, path and query are signed, so a captured request cannot be replayed against another
customer or period, and the timestamp must be recent. One store's secret never opens another store's data: the path
names the store, and the secret is looked up under that store only.
"""

from collections.abc import Callable, Mapping
from datetime import datetime

from proativo.errors import Unauthorized
from proativo.platforms.base import hmac_sha256, same, unix_seconds


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
    stamp = headers.get("x-proativo-timestamp", "")
    given = headers.get("x-proativo-signature", "")
    if not stamp or not given:
        raise Unauthorized("missing X-Proativo-Timestamp or X-Proativo-Signature")
    seconds = unix_seconds(stamp, "X-Proativo-Timestamp")
    if abs(now.timestamp() - seconds) > tolerance:
        raise Unauthorized("timestamp outside the tolerance window")
    if not same(given, api_signature(secret_of(), seconds, method, path, body)):
        raise Unauthorized("signature does not match")
