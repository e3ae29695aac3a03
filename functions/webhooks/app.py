"""Platforms' and carriers' webhooks (`proativo.intake.webhooks`), and GET /openapi.json for every public route."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.edge import openapi
from proativo.edge.refusals import answer_refusals
from proativo.settings import WebhookSettings

settings = WebhookSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()
app = APIGatewayHttpResolver(enable_validation=True)


@app.post("/webhooks/<platform>/<store_id>", **openapi.WEBHOOK)
def receive(platform: str, store_id: str) -> Response[dict[str, Any]]:
    logger.append_keys(store_id=store_id, platform=platform)
    return wiring.webhooks(settings).platform(platform, store_id, app.current_event, clock.now())


@app.post("/webhooks/carrier/<carrier>/<store_id>", **openapi.CARRIER_PUSH)
def receive_carrier(carrier: str, store_id: str) -> Response[dict[str, Any]]:
    logger.append_keys(store_id=store_id, carrier=carrier)
    return wiring.webhooks(settings).carrier(carrier, store_id, app.current_event, clock.now())


openapi.serve(app)
answer_refusals(app, metrics, "Webhook")


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
