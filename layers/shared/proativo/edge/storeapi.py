"""The store's own API (customer export and erasure; the reports): requests signed with the store's secret.

A request carries `X-Proativo-Timestamp` (Unix seconds) and `X-Proativo-Signature: v1=<hex HMAC-SHA256 of
"<timestamp>.<METHOD> <path[?query]>.<raw body>">` under the store's `generic` secret (the one its own systems sign
webhooks with). Method, path and query are signed, so a captured request cannot be replayed against another
customer or period, and the timestamp must be recent. One store's secret never opens another store's data: the path
names the store, and the secret is looked up under that store only.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from proativo.customers import privacy
from proativo.errors import InvalidPayload, NotFound, Unauthorized
from proativo.platforms.base import hmac_sha256, same, signed_stamp
from proativo.reporting import reports
from proativo.stores import STORE_ID

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# Powertools' module-level instances share the function's configuration and metric set.
logger, metrics = Logger(child=True), Metrics()


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


@dataclass(frozen=True)
class StoreApi:
    """The store API's operations, each answered only to a request the store signed."""

    table: "Table"
    # The store's `generic` secret (SSM, cached), looked up under that store only.
    secret_of: Callable[[str], str]
    tolerance_seconds: int

    def authorize(self, store_id: str, request: APIGatewayProxyEventV2, now: datetime) -> None:
        """Raise unless the request is the store's own (the edge answers 401, 404 or 503)."""
        if not STORE_ID.match(store_id):
            raise NotFound(f"unknown store '{store_id}'")
        query = request.raw_query_string
        verify_request(
            request.headers,
            request.request_context.http.method,
            f"{request.path}?{query}" if query else request.path,
            (request.decoded_body or "").encode(),
            lambda: self.secret_of(store_id),
            now,
            self.tolerance_seconds,
        )

    def customer(self, store_id: str, customer_id: str, request: APIGatewayProxyEventV2, now: datetime) -> Any:
        """GET: everything held about the customer (LGPD access); DELETE: erase it (LGPD deletion)."""
        self.authorize(store_id, request, now)
        if request.request_context.http.method == "DELETE":
            erased = privacy.erase(self.table, store_id, customer_id, now)
            metrics.add_metric(name="CustomersErased", unit=MetricUnit.Count, value=1)
            logger.info("customer erased", extra={"store_id": store_id, "items": erased.items})
            return {"store_id": store_id, "erased_items": erased.items, "erased_lookups": erased.lookups}
        logger.info("customer exported", extra={"store_id": store_id})
        return privacy.export(self.table, store_id, customer_id)

    def report(self, store_id: str, request: APIGatewayProxyEventV2, now: datetime) -> dict[str, Any]:
        """What proactivity earned the store, per day and in total, `from` and `to` the days the query names."""
        self.authorize(store_id, request, now)
        query = request.query_string_parameters or {}
        try:
            since, until = date.fromisoformat(query.get("from", "")), date.fromisoformat(query.get("to", ""))
            return reports.report(self.table, store_id, since, until)
        except ValueError as exc:
            raise InvalidPayload(f"from and to are days (YYYY-MM-DD): {exc}", field="from") from None
