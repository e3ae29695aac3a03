"""The customer's own order page, its help form and the order look-up (`proativo.selfservice.web`)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.selfservice.web import accepted_locale
from proativo.settings import PagesSettings

settings = PagesSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()
app = APIGatewayHttpResolver()


def _header(name: str) -> str | None:
    return app.current_event.headers.get(name)


def _locale() -> str | None:
    return (app.current_event.query_string_parameters or {}).get("lang") or accepted_locale(_header("accept-language"))


@app.get("/t/<token>")
def order_page(token: str) -> Response[str]:
    wants_json = "application/json" in (_header("accept") or "")
    request_id = app.current_event.request_context.request_id
    return wiring.pages(settings).view(token, wants_json, request_id, clock.now())


@app.post("/t/<token>/help")
def order_help(token: str) -> Response[str]:
    return wiring.pages(settings).help(token, app.current_event.decoded_body or "", clock.now())


@app.get("/track/<store_id>")
def lookup_form(store_id: str) -> Response[str]:
    return wiring.pages(settings).lookup_form(store_id, _locale())


@app.post("/track/<store_id>")
def lookup(store_id: str) -> Response[str]:
    pages, event = wiring.pages(settings), app.current_event
    client = event.request_context.http.source_ip
    body, kind = event.decoded_body or "", _header("content-type") or ""
    return pages.lookup(store_id, body, kind, client, _locale(), clock.now())


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
