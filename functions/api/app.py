"""The store's own API, each request signed with the store's secret (`proativo.edge.storeapi`): a customer's data
(LGPD access and erasure), the report, the cases (the inbox, one case, opening one, acting on one), and public
complaints (signed like the generic platform)."""

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
@app.get("/stores/<store_id>/reports")
@app.route("/stores/<store_id>/cases", method=["GET", "POST"])
@app.get("/stores/<store_id>/cases/<protocol>")
@app.post("/stores/<store_id>/cases/<protocol>/actions")
def store_api(store_id: str, **named: str) -> Response[dict[str, Any]]:
    return json_answer(*wiring.store_api(settings).answer(store_id, named, app.current_event, clock.now()))


@app.post("/complaints/<source>/<store_id>")
def complaint(source: str, store_id: str) -> Response[dict[str, Any]]:
    return json_answer(*wiring.store_api(settings).complaint(source, store_id, app.current_event, clock.now()))


answer_refusals(app, metrics, "Api")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
