"""The links customers click in our messages: the survey and unsubscribe pages (`proativo.intake.clicks`)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.settings import LinksSettings

settings = LinksSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()
app = APIGatewayHttpResolver()


def _query() -> dict[str, str]:
    return app.current_event.query_string_parameters or {}


@app.get("/links/unsubscribe")
def unsubscribe_page() -> Response[str]:
    return wiring.clicks(settings).unsubscribe_page(_query(), clock.now())


@app.post("/links/unsubscribe")
def unsubscribe() -> Response[str]:
    return wiring.clicks(settings).unsubscribe(_query(), clock.now())


@app.get("/links/survey")
def survey() -> Response[str]:
    return wiring.clicks(settings).survey(_query(), clock.now())


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
