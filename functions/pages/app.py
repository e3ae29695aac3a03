"""The customer's own order page, its help form and the order look-up (`proativo.selfservice.web`)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.edge.pages import Asked
from proativo.settings import PagesSettings

settings = PagesSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()
app = APIGatewayHttpResolver()


@app.get("/t/<token>")
def order_page(token: str) -> Response[str]:
    return wiring.pages(settings).view(token, Asked.of(app.current_event), clock.now())


@app.post("/t/<token>/help")
def order_help(token: str) -> Response[str]:
    return wiring.pages(settings).help(token, Asked.of(app.current_event).body, clock.now())


@app.get("/track/<store_id>")
def lookup_form(store_id: str) -> Response[str]:
    return wiring.pages(settings).lookup_form(store_id, Asked.of(app.current_event).locale)


@app.post("/track/<store_id>")
def lookup(store_id: str) -> Response[str]:
    return wiring.pages(settings).lookup(store_id, Asked.of(app.current_event), clock.now())


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    return app.resolve(event, context)
