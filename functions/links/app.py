"""The links customers click in our messages, signed by us (`proativo.messaging.links`): no login, nothing to forge.

- GET /links/survey?t=<token>&score=<0-10>: the customer answers the satisfaction survey with one click.
- GET /links/unsubscribe?t=<token>: a page that confirms (a GET changes nothing: mail scanners fetch links);
  POST /links/unsubscribe?t=<token>: withdraws marketing consent on the channel, what the page's button and a
  mailbox provider's RFC 8058 one-click (`List-Unsubscribe=One-Click`) send.

What a click says is recorded like a webhook delivery (one conditional write; the deliveries stream carries it to
the events function), so a double click changes nothing and a forged link records nothing. The answer is a small
page in the customer's language.
"""

import re
from html import escape
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from proativo import aws, clock
from proativo.aws import metrics as business
from proativo.errors import Unauthorized
from proativo.events import ConsentChanged, Customer, SurveyAnswered, dump_event
from proativo.intake import deliveries
from proativo.messaging import links
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
_UNSUBSCRIBE = {
    "pt-BR": (
        "Cancelar mensagens",
        "Você não vai mais receber mensagens promocionais por {channel}. Avisos sobre os seus pedidos continuam.",
        "Quer parar de receber mensagens promocionais por {channel}?",
        "Sim, cancelar",
    ),
    "en": (
        "Unsubscribe",
        "You will no longer get promotional messages by {channel}. Notices about your orders continue.",
        "Stop promotional messages by {channel}?",
        "Yes, unsubscribe",
    ),
}


def _page(status: int, locale: str, title: str, text: str, form: str = "") -> Response[str]:
    html = (
        f'<!DOCTYPE html><html lang="{escape(locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family:Helvetica,Arial,sans-serif;max-width:480px;margin:64px auto;padding:0 16px;">'
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p>{form}</body></html>"
    )
    return Response(status_code=status, content_type=content_types.TEXT_HTML, body=html)


def _verified(purpose: str) -> tuple[dict[str, Any] | None, Response[str] | None]:
    """The token's payload, or the refusal page."""
    query = app.current_event.query_string_parameters or {}
    try:
        key = links.signing_key(settings.link_signing_secret)
        return links.verify(key, query.get("t", ""), purpose, clock.now()), None
    except Unauthorized as exc:
        metrics.add_metric(name="LinksRefused", unit=MetricUnit.Count, value=1)
        title, _, refused = _PAGES["pt-BR"]
        return None, _page(401, "pt-BR", title, refused.format(reason=str(exc)))


@app.get("/links/unsubscribe")
def unsubscribe_page() -> Response[str]:
    payload, refusal = _verified("unsubscribe")
    if payload is None:
        assert refusal is not None
        return refusal
    locale = str(payload.get("l")) if payload.get("l") in _UNSUBSCRIBE else "pt-BR"
    title, _, question, button = _UNSUBSCRIBE[locale]
    token = escape((app.current_event.query_string_parameters or {}).get("t", ""))
    form = (
        f'<form method="post" action="/links/unsubscribe?t={token}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit">{escape(button)}</button></form>'
    )
    return _page(200, locale, title, question.format(channel=payload["ch"]), form)


@app.post("/links/unsubscribe")
def unsubscribe() -> Response[str]:
    payload, refusal = _verified("unsubscribe")
    if payload is None:
        assert refusal is not None
        return refusal
    now = clock.now()
    store_id, channel = str(payload["s"]), str(payload["ch"])
    event = ConsentChanged(
        event_id=f"unsubscribe:{store_id}:{payload['c']}:{channel}:{int(now.timestamp())}",
        store_id=store_id,
        source="unsubscribe_link",
        customer=Customer(id=str(payload["c"])),
        occurred_at=now,
        channel=channel,
        purpose="marketing",
        granted=False,
    )
    deliveries.record(
        aws.dynamodb(), settings.deliveries_table_name, event.event_id, store_id, [dump_event(event)], now
    )
    metrics.add_metric(name="Unsubscribes", unit=MetricUnit.Count, value=1)
    logger.info("unsubscribed", extra={"store_id": store_id, "channel": channel})
    locale = str(payload.get("l")) if payload.get("l") in _UNSUBSCRIBE else "pt-BR"
    title, done, _, _ = _UNSUBSCRIBE[locale]
    return _page(200, locale, title, done.format(channel=channel))


@app.get("/links/survey")
def survey() -> Response[str]:
    query = app.current_event.query_string_parameters or {}
    now = clock.now()
    payload, refusal = _verified("survey")
    if payload is None:
        assert refusal is not None
        return refusal
    locale = payload.get("l") if payload.get("l") in _PAGES else "pt-BR"
    title, thanks, refused = _PAGES[str(locale)]
    score = query.get("score", "")
    if not re.fullmatch(r"[0-9]{1,2}", score, re.ASCII) or not 0 <= int(score) <= 10:
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
    if recorded:  # the scores' average, minimum and count per period (NPS itself is in the report)
        business.record("SurveyScore", store_id, int(score), MetricUnit.NoUnit)
    logger.info("survey answered", extra={"store_id": store_id, "score": int(score), "new": recorded})
    return _page(200, str(locale), title, thanks.format(score=score))


@app.exception_handler([ClientError, BotoCoreError, parameters.exceptions.GetParameterError])  # type: ignore[untyped-decorator]
def unavailable(exc: Exception) -> Response[str]:
    """Nothing was recorded (DynamoDB or the signing key could not be reached now): the page says so, and a mail
    client's one-click retries on the 503."""
    if isinstance(exc, ClientError | BotoCoreError) and not aws.transient(exc):
        raise exc
    metrics.add_metric(name="LinksUnavailable", unit=MetricUnit.Count, value=1)
    title, _, refused = _PAGES["pt-BR"]
    return _page(503, "pt-BR", title, refused.format(reason="tente de novo em instantes / try again shortly"))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
