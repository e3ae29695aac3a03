"""GET /links/survey?t=<token>&score=<0-10>: the customer answers the satisfaction survey with one click.

The token (signed by us, see `proativo.links`) says which store, customer and order; the answer is recorded like a
webhook delivery (one conditional write; the deliveries stream carries it to the events function), so a double
click changes nothing and a forged link records nothing. The answer is a small page in the customer's language.
"""

from html import escape
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import aws, clock, deliveries, links
from proativo.errors import Unauthorized
from proativo.events import Customer, SurveyAnswered, dump_event
from proativo.settings import LinksSettings

settings = LinksSettings.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Proativo")
app = APIGatewayHttpResolver()

_PAGES = {
    "pt-BR": ("Obrigado!", "Recebemos sua nota {score}.", "Este link não vale mais: {reason}."),
    "en": ("Thank you!", "We got your score of {score}.", "This link no longer works: {reason}."),
}


def _page(status: int, locale: str, title: str, text: str) -> Response[str]:
    html = (
        f'<!DOCTYPE html><html lang="{escape(locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family:Helvetica,Arial,sans-serif;max-width:480px;margin:64px auto;padding:0 16px;">'
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p></body></html>"
    )
    return Response(status_code=status, content_type=content_types.TEXT_HTML, body=html)


@app.get("/links/survey")
def survey() -> Response[str]:
    query = app.current_event.query_string_parameters or {}
    now = clock.now()
    try:
        payload = links.verify(links.signing_key(settings.link_signing_secret), query.get("t", ""), "survey", now)
    except Unauthorized as exc:
        metrics.add_metric(name="LinksRefused", unit=MetricUnit.Count, value=1)
        title, _, refused = _PAGES["pt-BR"]
        return _page(401, "pt-BR", title, refused.format(reason=str(exc)))
    locale = payload.get("l") if payload.get("l") in _PAGES else "pt-BR"
    title, thanks, refused = _PAGES[str(locale)]
    score = query.get("score", "")
    if not score.isdigit() or not 0 <= int(score) <= 10:
        return _page(400, str(locale), title, refused.format(reason="score 0-10"))
    store_id, order_id = str(payload["s"]), str(payload["o"])
    event_id = f"survey:{store_id}:{order_id}:{score}"
    event = SurveyAnswered(
        event_id=event_id,
        store_id=store_id,
        source="proativo",
        customer=Customer(id=str(payload["c"])),
        occurred_at=now,
        order_id=order_id,
        score=int(score),
    )
    recorded = deliveries.record(
        aws.dynamodb(), settings.deliveries_table_name, event_id, store_id, [dump_event(event)], now
    )
    metrics.add_metric(name="SurveyAnswers" if recorded else "SurveyRepeats", unit=MetricUnit.Count, value=1)
    logger.info("survey answered", extra={"store_id": store_id, "score": int(score), "new": recorded})
    return _page(200, str(locale), title, thanks.format(score=score))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
