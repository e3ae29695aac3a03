"""The links customers click in our messages, signed by us (`proativo.messaging.links`): no login, nothing to forge.

- GET /links/survey?t=<token>&score=<0-10>: the customer answers the satisfaction survey with one click.
- GET /links/unsubscribe?t=<token>: a page that confirms (a GET changes nothing: mail scanners fetch links);
  POST /links/unsubscribe?t=<token>: withdraws marketing consent on the channel, what the page's button and a
  mailbox provider's RFC 8058 one-click (`List-Unsubscribe=One-Click`) send.

What a click says is recorded like a webhook delivery (one conditional write; the deliveries stream carries it to
the events function), so a double click changes nothing and a forged link records nothing. The answer is a small
page in the customer's language (`messaging/copy.yaml`); a link refused is a 401 page, and a dependency that cannot
answer now (DynamoDB, the signing key) a 503 page that records nothing, so a mail client's one-click retries.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from html import escape
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import BotoCoreError, ClientError

from proativo.aws import metrics as business
from proativo.aws import transient
from proativo.edge.pages import small_page as page
from proativo.errors import Unauthorized
from proativo.events import ConsentChanged, Customer, Event, SurveyAnswered, dump_event
from proativo.intake import deliveries
from proativo.messaging import links
from proativo.messaging.copy import FALLBACK, locale_of, words

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Powertools' module-level instances share the function's configuration and metric set.
logger, metrics = Logger(child=True), Metrics()
_SCORE = re.compile(r"[0-9]{1,2}", re.ASCII)


def _refused(reason: str, status: int = 401) -> Response[str]:
    return page(status, FALLBACK, words("survey_title", FALLBACK), words("link_refused", FALLBACK, reason=reason))


type _Click = Callable[["Clicks", Mapping[str, str], datetime], Response[str]]


def _answered(click: _Click) -> _Click:
    """A click's page whatever happens: a refused link → 401, a dependency's hiccup → 503 (nothing recorded)."""

    @wraps(click)
    def answering(self: "Clicks", query: Mapping[str, str], now: datetime) -> Response[str]:
        try:
            return click(self, query, now)
        except Unauthorized as exc:
            metrics.add_metric(name="LinksRefused", unit=MetricUnit.Count, value=1)
            return _refused(str(exc))
        except (ClientError, BotoCoreError, parameters.exceptions.GetParameterError) as exc:
            if isinstance(exc, ClientError | BotoCoreError) and not transient(exc):
                raise
            metrics.add_metric(name="LinksUnavailable", unit=MetricUnit.Count, value=1)
            return _refused(words("link_unavailable", FALLBACK), 503)

    return answering


@dataclass(frozen=True)
class Clicks:
    """What each link does when clicked."""

    dynamodb: "DynamoDBClient"
    deliveries_table_name: str
    signing_key: Callable[[], str]

    def _verified(self, query: Mapping[str, str], purpose: str, now: datetime) -> dict[str, Any]:
        return links.verify(self.signing_key(), query.get("t", ""), purpose, now)

    def _record(self, event: Event, now: datetime) -> bool:
        store_id = event.store_id
        table = self.deliveries_table_name
        return deliveries.record(self.dynamodb, table, event.event_id, store_id, [dump_event(event)], now)

    @_answered
    def unsubscribe_page(self, query: Mapping[str, str], now: datetime) -> Response[str]:
        """The page that asks (a GET changes nothing)."""
        payload = self._verified(query, "unsubscribe", now)
        locale = locale_of(payload.get("l"))
        form = (
            f'<form method="post" action="/links/unsubscribe?t={escape(query.get("t", ""))}">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            f'<button type="submit">{escape(words("unsubscribe_button", locale))}</button></form>'
        )
        question = words("unsubscribe_question", locale, channel=payload["ch"])
        return page(200, locale, words("unsubscribe_title", locale), question, form)

    @_answered
    def unsubscribe(self, query: Mapping[str, str], now: datetime) -> Response[str]:
        """Withdraw marketing consent on the link's channel; the page says so only once it is recorded."""
        payload = self._verified(query, "unsubscribe", now)
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
        self._record(event, now)
        metrics.add_metric(name="Unsubscribes", unit=MetricUnit.Count, value=1)
        logger.info("unsubscribed", extra={"store_id": store_id, "channel": channel})
        locale = locale_of(payload.get("l"))
        return page(200, locale, words("unsubscribe_title", locale), words("unsubscribe_done", locale, channel=channel))

    @_answered
    def survey(self, query: Mapping[str, str], now: datetime) -> Response[str]:
        """Record a survey answer (a repeat of the same score changes nothing)."""
        payload = self._verified(query, "survey", now)
        locale = locale_of(payload.get("l"))
        title, score = words("survey_title", locale), query.get("score", "")
        if not _SCORE.fullmatch(score) or not 0 <= int(score) <= 10:
            return page(400, locale, title, words("link_refused", locale, reason="score 0-10"))
        store_id, order_id = str(payload["s"]), str(payload["o"])
        event = SurveyAnswered(
            event_id=f"survey:{store_id}:{order_id}:{score}",
            store_id=store_id,
            source="proativo",
            customer=Customer(id=str(payload["c"])),
            occurred_at=now,
            order_id=order_id,
            score=int(score),
        )
        recorded = self._record(event, now)
        metrics.add_metric(name="SurveyAnswers" if recorded else "SurveyRepeats", unit=MetricUnit.Count, value=1)
        if recorded:  # the scores' average, minimum and count per period (NPS itself is in the report)
            business.record("SurveyScore", store_id, int(score), MetricUnit.NoUnit)
        logger.info("survey answered", extra={"store_id": store_id, "score": int(score), "new": recorded})
        return page(200, locale, title, words("survey_thanks", locale, score=score))
