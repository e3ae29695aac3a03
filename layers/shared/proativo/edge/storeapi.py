"""The store's own API (customer export and erasure; the reports; the cases): requests signed with the store's secret.

A request carries `X-Proativo-Timestamp` (Unix seconds) and `X-Proativo-Signature: v1=<hex HMAC-SHA256 of
"<timestamp>.<METHOD> <path[?query]>.<raw body>">` under the store's `generic` secret (the one its own systems sign
webhooks with). Method, path and query are signed, so a captured request cannot be replayed against another
customer or period, and the timestamp must be recent. One store's secret never opens another store's data: the path
names the store, and the secret is looked up under that store only.
"""

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from proativo.cases import complaints, desk
from proativo.customers import privacy
from proativo.edge.signing import api_signature, sign_request, verify_request
from proativo.errors import InvalidPayload, NotFound
from proativo.events import dump_event
from proativo.ids import STORE_ID
from proativo.platforms.generic import GenericPlatform
from proativo.reporting import reports

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

    from proativo.cases.kinds import CaseRules

__all__ = ["StoreApi", "api_signature", "sign_request", "verify_request"]

# Powertools' module-level instances share the function's configuration and metric set.
logger, metrics = Logger(child=True), Metrics()


@dataclass(frozen=True)
class StoreApi:
    """The store API's operations, each answered only to a request the store signed."""

    table: "Table"
    # The store's `generic` secret (SSM, cached), looked up under that store only.
    secret_of: Callable[[str], str]
    tolerance_seconds: int
    # Records a request's events as a delivery (key, store, events, now): False when the key was recorded before.
    record: Callable[[str, str, list[str], datetime], bool] | None = None
    # The store's case rules (its own over the built-ins).
    case_rules: Callable[[str], "CaseRules"] | None = None
    # A buyer's tax id → its keyed digest (a complaint giving one is matched by it).
    pseudonym: Callable[[str, str], str] | None = None

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

    def answer(
        self, store_id: str, named: Mapping[str, str], request: APIGatewayProxyEventV2, now: datetime
    ) -> tuple[int, dict[str, Any]]:
        """The status and body that answer one request: the handler's routes say which operation by the names in
        the path (`customer_id`, `protocol`) and its last segment."""
        method, path = request.request_context.http.method, request.path
        if "customer_id" in named:
            return 200, self.customer(store_id, named["customer_id"], request, now)
        if path.endswith("/reports"):
            return 200, self.report(store_id, request, now)
        if "protocol" in named and path.endswith("/actions"):
            return 202, self.act(store_id, named["protocol"], request, now)
        if "protocol" in named:
            return 200, self.case(store_id, named["protocol"], request, now)
        return (202 if method == "POST" else 200), self.cases(store_id, request, now)

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

    # --- cases -----------------------------------------------------------------------------------------------------

    def cases(self, store_id: str, request: APIGatewayProxyEventV2, now: datetime) -> dict[str, Any]:
        """GET: the store's inbox (`?status=open|waiting_customer|waiting_carrier|escalated|resolved|overdue|all`,
        `&limit=`); POST: open a case (`cases.desk.OpenRequest`), 202 with its protocol."""
        self.authorize(store_id, request, now)
        if request.request_context.http.method == "POST":
            assert self.case_rules is not None
            event = desk.opening(store_id, _json_body(request), self.case_rules(store_id), now)
            fresh = self._record(event)
            return {"protocol": event.protocol, "accepted": fresh, "repeat": not fresh}
        query = request.query_string_parameters or {}
        status = query.get("status", "open")
        if status not in ("open", "waiting_customer", "waiting_carrier", "escalated", "resolved", "overdue", "all"):
            raise InvalidPayload(
                "status: open, waiting_customer, waiting_carrier, escalated, resolved, overdue or all", field="status"
            )
        try:
            limit = min(max(int(query.get("limit", "100")), 1), 500)
        except ValueError:
            raise InvalidPayload("limit: a whole number", field="limit") from None
        return {"store_id": store_id, "cases": desk.inbox(self.table, store_id, now, status, limit)}  # type: ignore[arg-type]

    def case(self, store_id: str, protocol: str, request: APIGatewayProxyEventV2, now: datetime) -> dict[str, Any]:
        """One case whole (its history, what the customer said, the agent's WhatsApp link)."""
        self.authorize(store_id, request, now)
        return desk.show(self.table, store_id, protocol)

    def act(self, store_id: str, protocol: str, request: APIGatewayProxyEventV2, now: datetime) -> dict[str, Any]:
        """The team acts on a case (`cases.desk.ActionRequest`): checked against the case now, applied by the engine
        within seconds (202)."""
        self.authorize(store_id, request, now)
        event = desk.acting(self.table, store_id, protocol, _json_body(request), now)
        fresh = self._record(event)
        return {"protocol": protocol, "action": event.action, "accepted": fresh, "repeat": not fresh}

    def complaint(
        self, source: str, store_id: str, request: APIGatewayProxyEventV2, now: datetime
    ) -> tuple[int, dict[str, Any]]:
        """`POST /complaints/{source}/{store_id}`: a public complaint, signed like the generic platform's webhooks
        (`X-Proativo-Timestamp`, `X-Proativo-Signature` over the body), opens a case matched to the customer and order
        (202; a repeat of the complaint: 200, nothing new)."""
        if not STORE_ID.match(store_id) or not re.fullmatch(complaints.SOURCE, source):
            raise NotFound(f"unknown store '{store_id}' or source '{source}'")
        body = (request.decoded_body or "").encode()
        GenericPlatform().verify(request.headers, body, self.secret_of(store_id), now, self.tolerance_seconds)
        complaint = complaints.parsed(_json_body(request))
        event, matched = complaints.opening(self.table, source, store_id, complaint, now, self.pseudonym)
        fresh = self._record(event)
        answer = {"protocol": event.protocol, "matched": matched, "order_id": event.order_id}
        return (202 if fresh else 200), {**answer, "status": "accepted" if fresh else "duplicate"}

    def _record(self, event: Any) -> bool:
        assert self.record is not None, "the store API was built without a deliveries table"
        fresh = self.record(event.event_id, event.store_id, [dump_event(event)], event.occurred_at)
        metrics.add_metric(name="CaseRequests", unit=MetricUnit.Count, value=1)
        logger.info("case request", extra={"store_id": event.store_id, "type": event.type, "repeat": not fresh})
        return fresh


def _json_body(request: APIGatewayProxyEventV2) -> Any:
    try:
        return json.loads(request.decoded_body or "")
    except ValueError:
        raise InvalidPayload("the body is not JSON", field="body") from None
