"""The store's own API, each request signed with the store's secret (`proativo.edge.storeapi`): a customer's data
(GET: LGPD access, DELETE: erasure) and the report (`?from=YYYY-MM-DD&to=YYYY-MM-DD`)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.edge.refusals import answer_refusals, json_answer
from proativo.settings import ApiSettings

settings = ApiSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()
app = APIGatewayHttpResolver()


@app.route("/stores/<store_id>/customers/<customer_id>", method=["GET", "DELETE"])
def customer(store_id: str, customer_id: str) -> Response[dict[str, Any]]:
    return json_answer(200, wiring.store_api(settings).customer(store_id, customer_id, app.current_event, clock.now()))


@app.get("/stores/<store_id>/reports")
def store_report(store_id: str) -> Response[dict[str, Any]]:
    return json_answer(200, wiring.store_api(settings).report(store_id, app.current_event, clock.now()))


answer_refusals(app, metrics, "Api")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
