"""Browsing signals from the stores' pages and the snippet that sends them (`proativo.signals.web`)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.edge.refusals import answer_refusals
from proativo.settings import SignalsSettings
from proativo.signals.snippet import snippet_answer

settings = SignalsSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()
app = APIGatewayHttpResolver()


@app.post("/signals/<store_id>")
def receive(store_id: str) -> Response[dict[str, Any]]:
    origin, body = app.current_event.headers.get("origin"), app.current_event.decoded_body or ""
    return wiring.signals(settings).receive(store_id, origin, body, clock.now())


@app.route("/signals/<store_id>", method="OPTIONS")
def preflight(store_id: str) -> Response[str]:
    return wiring.signals(settings).preflight(store_id, app.current_event.headers.get("origin"))


app.get("/s/<name>")(snippet_answer)


answer_refusals(app, metrics, "Signals")


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
