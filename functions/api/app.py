"""The store's API, signed with the store's secret (see `proativo.edge.storeapi`):

- GET /stores/{store_id}/customers/{customer_id}: everything held about the customer (LGPD access request);
- DELETE /stores/{store_id}/customers/{customer_id}: erase it (LGPD deletion request);
- GET /stores/{store_id}/reports?from=YYYY-MM-DD&to=YYYY-MM-DD: what proactivity earned, per day and in total.
"""

from datetime import date
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import aws, clock, stores
from proativo.customers import privacy
from proativo.edge.refusals import answer_refusals, json_answer
from proativo.edge.storeapi import verify_request
from proativo.errors import InvalidPayload, NotFound
from proativo.reporting import reports
from proativo.settings import ApiSettings
from proativo.stores import STORE_ID

settings = ApiSettings.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Proativo")
app = APIGatewayHttpResolver()


def _authorize(store_id: str) -> None:
    """Raise unless the request is the store's own (the edge answers 401, 404 or 503)."""
    if not STORE_ID.match(store_id):
        raise NotFound(f"unknown store '{store_id}'")
    event = app.current_event
    query = event.raw_query_string
    verify_request(
        event.headers,
        event.request_context.http.method,
        f"{event.path}?{query}" if query else event.path,
        (event.decoded_body or "").encode(),
        lambda: stores.webhook_secret(settings.secrets_prefix, store_id, "generic", settings.secret_cache_seconds),
        clock.now(),
        settings.signature_tolerance_seconds,
    )


@app.get("/stores/<store_id>/customers/<customer_id>")
def export_customer(store_id: str, customer_id: str) -> Response[dict[str, Any]]:
    _authorize(store_id)
    logger.info("customer exported", extra={"store_id": store_id})
    return json_answer(200, privacy.export(aws.table(settings.table_name), store_id, customer_id))


@app.delete("/stores/<store_id>/customers/<customer_id>")
def erase_customer(store_id: str, customer_id: str) -> Response[dict[str, Any]]:
    _authorize(store_id)
    erased = privacy.erase(aws.table(settings.table_name), store_id, customer_id, clock.now())
    metrics.add_metric(name="CustomersErased", unit=MetricUnit.Count, value=1)
    logger.info("customer erased", extra={"store_id": store_id, "items": erased.items})
    return json_answer(200, {"store_id": store_id, "erased_items": erased.items, "erased_lookups": erased.lookups})


@app.get("/stores/<store_id>/reports")
def store_report(store_id: str) -> Response[dict[str, Any]]:
    _authorize(store_id)
    query = app.current_event.query_string_parameters or {}
    try:
        since, until = date.fromisoformat(query.get("from", "")), date.fromisoformat(query.get("to", ""))
        figures = reports.report(aws.table(settings.table_name), store_id, since, until)
    except ValueError as exc:
        raise InvalidPayload(f"from and to are days (YYYY-MM-DD): {exc}", field="from") from None
    return json_answer(200, figures)


answer_refusals(app, metrics, "Api")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
