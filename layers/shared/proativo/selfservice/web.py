"""The customer's own page over HTTP (`functions/pages`).

- `GET /t/{token}`: the order's page (HTML; JSON with `Accept: application/json`). The token is ours, signed
  (`messaging.links`, purpose `order`), names one store, customer and order; a tampered or expired token, an unknown
  order or a page closed after delivery all get the same 404 page. One Query of the customer's partition and the
  store's profile and answers (one read, cached a minute) make the page; a visit is announced on the events queue
  (no write on the page's path), where the engine marks the order and counts it.
- `POST /t/{token}/help`: "still need help?" — a case for the store's team, recorded once per order an hour through
  the deliveries outbox (a second within the hour: 429), and the date the customer will hear back.
- `GET /track/{store_id}` and `POST /track/{store_id}` (order number + e-mail, form or JSON): 303 to the order's
  page. An unknown order and a wrong e-mail get the same answer; past `MAX_TRIES` failures an hour per order or
  per client, 429.

Every page: no request to anyone but us (Content-Security-Policy), never cached, never indexed, no referrer (the
token is in the URL)."""

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from html import escape
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import jinja2
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from babel.dates import format_datetime
from botocore.exceptions import BotoCoreError, ClientError

from proativo.aws import keys, query_items, transient
from proativo.clock import parse_utc
from proativo.customers.journal import VISIT_GAP
from proativo.edge.pages import HEADERS, Asked, small_page
from proativo.errors import InvalidPayload, NotFound, Unauthorized, Unavailable
from proativo.events import HELP_TOPICS, Customer, HelpRequested, PageViewed, dump_event
from proativo.ids import STORE_ID, protocol_for
from proativo.intake import deliveries
from proativo.messaging import links
from proativo.messaging.copy import locale_of
from proativo.selfservice import answers as answer_book
from proativo.selfservice.page import OrderPage, build, say
from proativo.stores import StoreProfile, StoreReads

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_sqs import SQSClient

logger, metrics = Logger(child=True), Metrics()
MAX_TRIES = 5
MAX_MESSAGE = 1000


@cache
def _template() -> jinja2.Template:
    source = resources.files("proativo.selfservice").joinpath("order_page.html.j2").read_text(encoding="utf-8")
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(source)


def _luminance(color: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def on_brand(color: str) -> str:
    """White or near-black, whichever reads better on the store's colour (WCAG contrast)."""
    light = _luminance(color)
    return "#ffffff" if (1.05 / (light + 0.05)) >= ((light + 0.05) / (_luminance("#111111") + 0.05)) else "#111111"


def html_page(page: OrderPage, token: str) -> str:
    """The order's page as HTML."""
    locale = page.locale

    def when(at: datetime) -> str:
        return format_datetime(at, format="short", locale=locale.replace("-", "_"))

    return _template().render(
        page=page,
        title=say("title", locale, order_id=page.order_id),
        on_brand=on_brand(str(page.store["color"])),
        say=lambda key, **fields: say(key, locale, **fields),
        when=when,
        help_action=f"/t/{token}/help",
    )


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body, default=str, ensure_ascii=False),
        headers={**HEADERS, **(headers or {})},
    )


def _answers_of(document: Any) -> answer_book.AnswerBook:
    """The built-in answers, with the store's own (a document saved by `proativo answers set`) on top."""
    book = answer_book.built_in()
    return book if document is None else book.with_store(answer_book.parse(document))


def _hour(now: datetime) -> str:
    return now.strftime("%Y%m%d%H")


@dataclass
class OrderPages:
    """The customer's own page, its help form and the order look-up, for every store."""

    table: "Table"
    dynamodb: "DynamoDBClient"
    sqs: "SQSClient"
    events_queue_url: str
    deliveries_table_name: str
    signer: links.LinkSigner
    _stores: StoreReads[answer_book.AnswerBook] = field(init=False)

    def __post_init__(self) -> None:
        self._stores = StoreReads(self.table, answer_book.ANSWERS_SK, _answers_of)

    # --- reading -------------------------------------------------------------------------------------------------

    def _store(self, store_id: str) -> tuple[StoreProfile, answer_book.AnswerBook]:
        """The store's profile and answers (`stores.StoreReads`: one read, at most once a minute per container)."""
        return self._stores.get(store_id)

    def _order(self, payload: Mapping[str, Any], now: datetime) -> tuple[OrderPage, dict[str, Any]]:
        store_id, customer_id, order_id = str(payload["s"]), str(payload["c"]), str(payload["o"])
        store, book = self._store(store_id)
        items = list(
            query_items(
                self.table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": keys.customer_pk(store_id, customer_id)},
            )
        )
        page = build(items, order_id, store, book, payload.get("l"), now)
        order = next(i for i in items if i["sk"] == f"ORDER#{order_id}")
        return page, order

    def _verified(self, token: str, now: datetime) -> dict[str, Any]:
        return links.verify(self.signer.key(), token, "order", now)

    # --- the page ------------------------------------------------------------------------------------------------

    def view(self, token: str, asked: "Asked", now: datetime) -> Response[str]:
        """The order's page; a visit announced (once per `VISIT_GAP`) for the report."""
        wants_json, request_id = asked.wants_json, asked.request_id
        try:
            payload = self._verified(token, now)
            page, order = self._order(payload, now)
        except (Unauthorized, NotFound) as exc:
            metrics.add_metric(name="PagesNotFound", unit=MetricUnit.Count, value=1)
            logger.info("order page not found", extra={"reason": str(exc)})
            return self._not_found(wants_json)
        except (Unavailable, ClientError, BotoCoreError) as exc:
            if isinstance(exc, ClientError | BotoCoreError) and not transient(exc):
                raise
            return self._unavailable(wants_json)
        last = order.get("last_viewed_at")
        if not last or parse_utc(str(last)) + VISIT_GAP <= now:
            self._announce_visit(payload, page, request_id, now)
        metrics.add_metric(name="PageViews", unit=MetricUnit.Count, value=1)
        if wants_json:
            return _json(200, page.model_dump(mode="json"))
        body = html_page(page, token)
        return Response(status_code=200, content_type=content_types.TEXT_HTML, body=body, headers=dict(HEADERS))

    def _announce_visit(self, payload: Mapping[str, Any], page: OrderPage, request_id: str, now: datetime) -> None:
        store_id, order_id = str(payload["s"]), str(payload["o"])
        event = PageViewed(
            event_id=f"pageview:{store_id}:{order_id}:{request_id}",
            store_id=store_id,
            source="order_page",
            customer=Customer(id=str(payload["c"])),
            occurred_at=now,
            order_id=order_id,
            answers=tuple(a.id for a in page.answers),
        )
        try:
            self.sqs.send_message(
                QueueUrl=self.events_queue_url,
                MessageBody=dump_event(event),
                MessageAttributes={"store_id": {"DataType": "String", "StringValue": store_id}},
            )
        except (ClientError, BotoCoreError) as exc:
            # The page matters more than its count: shown anyway, the miss visible in the metrics.
            metrics.add_metric(name="PageVisitsUncounted", unit=MetricUnit.Count, value=1)
            logger.warning("page visit not announced", extra={"store_id": store_id, "error": type(exc).__name__})

    def _not_found(self, wants_json: bool, locale: str = "pt-BR") -> Response[str]:
        if wants_json:
            return _json(404, {"error": "not_found"})
        return small_page(404, locale, say("not_found_title", locale), say("not_found", locale))

    def _unavailable(self, wants_json: bool, locale: str = "pt-BR") -> Response[str]:
        if wants_json:
            return _json(503, {"error": "unavailable"}, {"Retry-After": "5"})
        return small_page(503, locale, say("not_found_title", locale), say("unavailable", locale))

    # --- still need help? ----------------------------------------------------------------------------------------

    def help(self, token: str, body: str, now: datetime) -> Response[str]:
        """Open a case for the store's team from the page's form (one an hour per order); 503, nothing recorded,
        when DynamoDB cannot answer now."""
        try:
            return self._help(token, body, now)
        except (Unavailable, ClientError, BotoCoreError) as exc:
            if isinstance(exc, ClientError | BotoCoreError) and not transient(exc):
                raise
            return self._unavailable(False)

    def _help(self, token: str, body: str, now: datetime) -> Response[str]:
        try:
            payload = self._verified(token, now)
            page, _ = self._order(payload, now)
        except (Unauthorized, NotFound):
            return self._not_found(False)
        locale = page.locale
        form = {k: v[0] for k, v in parse_qs(body or "", keep_blank_values=True).items()}
        topic, message = form.get("topic", ""), " ".join(form.get("message", "").split())
        if topic not in HELP_TOPICS or len(message) > MAX_MESSAGE:
            text = f"topic: one of {', '.join(HELP_TOPICS)}; message: at most {MAX_MESSAGE} characters"
            return small_page(400, locale, say("help", locale), text)
        store, _ = self._store(str(payload["s"]))
        store_id, order_id = str(payload["s"]), str(payload["o"])
        event_id = f"help:{store_id}:{order_id}:{_hour(now)}"
        protocol = protocol_for(event_id, now)
        event = HelpRequested(
            event_id=event_id,
            store_id=store_id,
            source="order_page",
            customer=Customer(id=str(payload["c"])),
            occurred_at=now,
            order_id=order_id,
            topic=topic,
            message=message or None,
            state=page.state,
            protocol=protocol,
            answer_by=now + timedelta(days=store.help_answer_days),
        )
        recorded = deliveries.record(
            self.dynamodb, self.deliveries_table_name, event_id, store_id, [dump_event(event)], now
        )
        back = f'<p><a href="/t/{escape(token)}">{escape(say("title", locale, order_id=order_id))}</a></p>'
        if not recorded:
            metrics.add_metric(name="HelpRepeats", unit=MetricUnit.Count, value=1)
            return small_page(429, locale, say("help", locale), say("help_too_many", locale, store=store.name), back)
        metrics.add_metric(name="HelpRequests", unit=MetricUnit.Count, value=1)
        logger.info("help requested", extra={"store_id": store_id, "topic": topic, "state": page.state})
        sent = say("help_sent", locale, protocol=protocol, store=store.name, due=page.help.due)
        return small_page(200, locale, say("help", locale), sent, back)

    # --- the look-up ---------------------------------------------------------------------------------------------

    def lookup_form(self, store_id: str, wanted_locale: str | None, status: int = 200, text: str = "") -> Response[str]:
        """The small form that finds an order by its number and e-mail."""
        if not STORE_ID.fullmatch(store_id):
            return self._not_found(False)
        try:
            store, _ = self._store(store_id)
        except NotFound:
            return self._not_found(False)
        locale = locale_of(wanted_locale or store.locale)
        form = (
            f'<form method="post" action="/track/{escape(store_id)}">'
            f'<label for="order">{escape(say("lookup_order", locale))}</label>'
            '<input id="order" name="order" required maxlength="100" autocomplete="off">'
            f'<label for="email">{escape(say("lookup_email", locale))}</label>'
            '<input id="email" name="email" type="email" required maxlength="254" autocomplete="email">'
            f'<button type="submit">{escape(say("lookup_send", locale))}</button></form>'
        )
        return small_page(status, locale, f"{say('lookup_title', locale)} · {store.name}", text, form)

    def lookup(self, store_id: str, asked: "Asked", now: datetime) -> Response[str]:
        """Find the order and send the customer to its page (303); the same answer for any miss; 429 past the
        tries allowed; 503 when DynamoDB cannot answer now."""
        try:
            return self._lookup(store_id, asked, now)
        except (Unavailable, ClientError, BotoCoreError) as exc:
            if isinstance(exc, ClientError | BotoCoreError) and not transient(exc):
                raise
            return self._unavailable("application/json" in asked.content_type, locale_of(asked.locale))

    def _lookup(self, store_id: str, asked: "Asked", now: datetime) -> Response[str]:
        body, client, wanted_locale = asked.body, asked.client, asked.locale
        wants_json = asked.content_type.split(";")[0].strip().lower() == "application/json"
        if not STORE_ID.fullmatch(store_id):
            return self._not_found(wants_json)
        try:
            fields = _lookup_fields(body, wants_json)
        except InvalidPayload as exc:
            if wants_json:
                return _json(400, {"error": "invalid", "reason": exc.reason})
            return self.lookup_form(store_id, wanted_locale, 400, say("lookup_bad", locale_of(wanted_locale)))
        try:
            store, _ = self._store(store_id)
        except NotFound:
            return self._not_found(wants_json)
        locale = locale_of(wanted_locale or store.locale)
        ref_key = keys.order_ref_key(store_id, fields["order"])
        order_tries = {"pk": f"{keys.store_pk(store_id)}#TRIES", "sk": f"ORDER#{ref_key['pk']}#{_hour(now)}"}
        # The client's address is kept only as a hash, two hours.
        client_tries = {"pk": order_tries["pk"], "sk": f"CLIENT#{_digest(client)[:32]}#{_hour(now)}"}
        found = self._read(ref_key, order_tries, client_tries)
        if max(int(found.get(_id(k), {}).get("tries", 0)) for k in (order_tries, client_tries)) >= MAX_TRIES:
            metrics.add_metric(name="LookupsRefused", unit=MetricUnit.Count, value=1)
            if wants_json:
                return _json(429, {"error": "too_many_tries"}, {"Retry-After": "3600"})
            page = self.lookup_form(store_id, locale, 429, say("too_many", locale))
            page.headers["Retry-After"] = "3600"
            return page
        ref = found.get(_id(ref_key))
        given = _digest(fields["email"].strip().lower())
        if ref and hmac.compare_digest(str(ref.get("email_sha256", "")), given):
            url = self.signer.order_page(store_id, str(ref["customer_id"]), str(ref["order_id"]), locale, now)
            metrics.add_metric(name="LookupsFound", unit=MetricUnit.Count, value=1)
            if wants_json:
                return _json(200, {"url": url})
            return Response(status_code=303, body="", headers={**HEADERS, "Location": url})
        self._failed(now, order_tries, client_tries)
        metrics.add_metric(name="LookupsMissed", unit=MetricUnit.Count, value=1)
        if wants_json:
            return _json(404, {"error": "not_found"})
        return self.lookup_form(store_id, locale, 404, say("lookup_failed", locale))

    def _read(self, *wanted: dict[str, str], consistent: bool = True) -> dict[str, dict[str, Any]]:
        """The items at `wanted` that exist, by `pk|sk`, in one BatchGetItem (plain Python values)."""
        got = self.table.meta.client.batch_get_item(
            RequestItems={self.table.name: {"Keys": list(wanted), "ConsistentRead": consistent}}
        )
        if got.get("UnprocessedKeys"):
            raise Unavailable("DynamoDB left keys unread")
        return {_id(i): dict(i) for i in got.get("Responses", {}).get(self.table.name, [])}

    def _failed(self, now: datetime, *counters: dict[str, str]) -> None:
        """Count a failed try against the order and the client (kept two hours: the tries are per hour)."""
        expires = int(now.timestamp()) + 7200
        for key in counters:
            self.table.update_item(
                Key=key,
                UpdateExpression="ADD tries :one SET #ttl = :ttl",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={":one": 1, ":ttl": expires},
            )


def _id(item: Mapping[str, Any]) -> str:
    return f"{item['pk']}|{item['sk']}"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _lookup_fields(body: str, as_json: bool) -> dict[str, str]:
    if as_json:
        try:
            data = json.loads(body or "")
        except ValueError:
            raise InvalidPayload("body: JSON {order, email}") from None
        if not isinstance(data, dict):
            raise InvalidPayload("body: JSON {order, email}")
    else:
        data = {k: v[0] for k, v in parse_qs(body or "").items()}
    order, email = data.get("order"), data.get("email")
    if not isinstance(order, str) or not order.strip() or len(order) > 100:
        raise InvalidPayload("order: the order number", field="order")
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        raise InvalidPayload("email: the e-mail used for the order", field="email")
    return {"order": order, "email": email}
