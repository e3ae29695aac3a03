"""Browsing signals over HTTP (`functions/signals`).

- `POST /signals/{store_id}`: a batch from the snippet on the store's pages. Only from the store's own origins
  (CORS, the store's `site_origins`); only with the visitor's consent (without it: nothing read, nothing stored);
  nothing personal (a value that looks like one: 400). A known customer is named by the store's backend
  (`customer.sig`, HMAC-SHA256 of the id with the store's generic secret: a wrong one is 401). One consistent read
  of the visitor's state and one conditional write of it (a transaction when an invitation or an acceptance is
  recorded with it, for the counters); the answer says what to offer now: `{"actions": [...]}`.
- `OPTIONS /signals/{store_id}`: the browser's preflight.
- `GET /s/{store_id}.js`: the snippet (static: it learns its endpoint and store from its own address), served by
  `proativo.signals.snippet`.
"""

import hashlib
import hmac
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from proativo.aws import keys, queues, written
from proativo.aws import metrics as business
from proativo.clock import as_utc, expires
from proativo.edge.refusals import json_answer
from proativo.errors import Forbidden, InvalidPayload, NotFound, Unauthorized, Unavailable
from proativo.events import BrowseAbandoned, CheckoutStepReached, Customer, dump_event
from proativo.ids import STORE_ID
from proativo.platforms.base import hmac_sha256, invalid_from
from proativo.reporting import stats
from proativo.signals import rules as rulebook
from proativo.signals.batch import SignalBatch
from proativo.signals.visit import (
    Folded,
    Invitation,
    Visit,
    browse_abandoned,
    fold,
    invitation,
    invited,
)
from proativo.stores import StoreProfile, StoreReads

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_sqs import SQSClient

logger, metrics = Logger(child=True), Metrics()
MAX_BODY = 32 * 1024
FACT_TTL = timedelta(days=400)
_ATTEMPTS = 3


def visitor_key(store_id: str, visitor: str) -> dict[str, str]:
    """Where a visitor's state lives (one item: one read, one write a batch)."""
    return {"pk": f"{keys.store_pk(store_id)}#VISITOR#{visitor}", "sk": "VISIT"}


def signals_pk(store_id: str) -> str:
    """The store's record of invitations made and accepted (each carries what it adds to the day's counters)."""
    return f"{keys.store_pk(store_id)}#SIGNALS"


def _rules_of(document: Any) -> rulebook.RuleBook:
    """The built-in rules, with the store's own (a document saved by `proativo signals rules set`) on top."""
    return rulebook.built_in() if document is None else rulebook.built_in().with_store(rulebook.parse(document))


@dataclass
class SignalsDesk:
    """The signals routes, for every store."""

    table: "Table"
    # The store's generic-platform secret (SSM, cached): what its backend signs a customer's id with.
    secret_of: Any
    sqs: "SQSClient"
    events_queue_url: str
    _stores: StoreReads[rulebook.RuleBook] = field(init=False)

    def __post_init__(self) -> None:
        self._stores = StoreReads(self.table, rulebook.RULES_SK, _rules_of)

    def _store(self, store_id: str) -> tuple[StoreProfile, rulebook.RuleBook]:
        """The store's profile and rules (`stores.StoreReads`: one read, at most once a minute per container)."""
        if not STORE_ID.match(store_id):
            raise NotFound(f"unknown store '{store_id}'")
        return self._stores.get(store_id)

    def _cors(self, store: StoreProfile, origin: str | None) -> dict[str, str]:
        if not origin or origin not in store.origins():
            raise Forbidden("signals are taken only from the store's own site (its origins)")
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "content-type",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
            "Cache-Control": "no-store",
        }

    def preflight(self, store_id: str, origin: str | None) -> Response[str]:
        """`OPTIONS /signals/{store_id}`."""
        store, _ = self._store(store_id)
        return Response(status_code=204, body="", headers=self._cors(store, origin))

    def receive(self, store_id: str, origin: str | None, body: str, now: datetime) -> Response[dict[str, Any]]:
        """`POST /signals/{store_id}`: fold the batch into the visitor's state; the invitation it earns, if any."""
        store, book = self._store(store_id)
        headers = self._cors(store, origin)
        if len(body.encode()) > MAX_BODY:
            raise InvalidPayload(f"a batch is at most {MAX_BODY} bytes", field="body")
        try:
            batch = SignalBatch.model_validate_json(body)
        except ValidationError as exc:
            raise invalid_from(exc) from None
        if not batch.consent:
            return json_answer(200, {"actions": []}, headers)
        customer_id = None
        if batch.customer is not None:
            expected = hmac_sha256(self.secret_of(store_id, "generic"), batch.customer.id.encode()).hex()
            if not hmac.compare_digest(expected, batch.customer.sig):
                raise Unauthorized("customer.sig does not match the customer id")
            customer_id = batch.customer.id
        for _ in range(_ATTEMPTS):
            read = self.table.get_item(Key=visitor_key(store_id, batch.visitor), ConsistentRead=True).get("Item")
            folded = fold(Visit.from_item(read), batch, customer_id, now)
            offer = invitation(
                folded,
                book,
                now,
                store_id=store_id,
                visitor=batch.visitor,
                holdout_share=float(store.signals_holdout_share),
                cap=store.invitations_cap,
                cap_days=store.invitations_cap_days,
            )
            product = browse_abandoned(folded, now)
            if (
                product is not None
                and customer_id is not None
                and self._announce(store_id, customer_id, product, folded, now)
            ):
                announced = {**folded.visit.announced, product: now}
                folded = replace(folded, visit=replace(folded.visit, announced=announced))
            if customer_id is not None and folded.stepped is not None:
                self._tell_step(store_id, customer_id, *folded.stepped)
            if self._write(store_id, batch.visitor, read, folded, offer, now):
                break
        else:
            raise Unavailable("the visit kept changing under this batch; send it again")
        actions = (
            [] if offer is None or offer.held_out else [action(offer, store, batch.locale or store.locale, folded)]
        )
        if offer is not None:
            business.record("Invitations", store_id, rule=offer.rule.id, shown=str(not offer.held_out).lower())
            metrics.add_metric(name="InvitationsMade", unit=MetricUnit.Count, value=1)
            facts = {"rule": offer.rule.id, "channel": offer.rule.action.channel, "shown": not offer.held_out}
            logger.info("invitation", extra={"store_id": store_id, **facts})
        return json_answer(200, {"actions": actions}, headers)

    def _announce(self, store_id: str, customer_id: str, product: str, folded: Folded, now: datetime) -> bool:
        """Tell the engine a known customer looked at `product` twice today (the browse-abandonment flow's trigger);
        sent before the visit is written, so a write that fails and is tried again sends the same event, which the
        engine applies once. False when the queue refused it (the next batch tries again)."""
        name, url = folded.seen[product]
        event = BrowseAbandoned(
            **_about(store_id, customer_id, f"browse:{product}", f"{now:%Y-%m-%d}", now),
            product_id=product,
            product_name=name,
            product_url=url,
        )
        sent = self._tell(event, store_id)
        if sent:
            logger.info(
                "browse abandoned", extra={"store_id": store_id, "customer_id": customer_id, "product_id": product}
            )
        return sent

    def _tell_step(self, store_id: str, customer_id: str, step: str, at: datetime) -> None:
        """Tell the engine where a known customer is in the checkout (their cart messages speak of it). Best effort: a
        step the queue refused is simply not known (the next one will be)."""
        self._tell(
            CheckoutStepReached(**_about(store_id, customer_id, f"step:{step}", as_utc(at), at), step=step), store_id
        )

    def _tell(self, event: BrowseAbandoned | CheckoutStepReached, store_id: str) -> bool:
        """One canonical event to the events queue; whether the queue took it."""
        (sent,) = queues.send_each(self.sqs, self.events_queue_url, [(dump_event(event), store_id)])
        return sent

    def _write(
        self,
        store_id: str,
        visitor: str,
        read: dict[str, Any] | None,
        folded: Folded,
        offer: Invitation | None,
        now: datetime,
    ) -> bool:
        """Write the visit over the version read (False: another batch of the same visitor wrote first)."""
        visit = invited(folded.visit, offer, now) if offer is not None else folded.visit
        visit = replace(visit, version=folded.visit.version + 1)
        item = {
            **visitor_key(store_id, visitor),
            **visit.to_item(),
            "ttl": expires(now, timedelta(days=30)),
        }
        put: dict[str, Any] = {"TableName": self.table.name, "Item": item}
        if read is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": folded.visit.version}
        facts = _facts(store_id, visitor, folded, offer, now)
        client: Any = self.table.meta.client
        if facts:
            others = [{"Put": {"TableName": self.table.name, "Item": fact}} for fact in facts]
            return written(lambda: client.transact_write_items(TransactItems=[{"Put": put}, *others]))
        return written(lambda: client.put_item(**put))


def _facts(
    store_id: str, visitor: str, folded: Folded, offer: Invitation | None, now: datetime
) -> list[dict[str, Any]]:
    """The invitation made, the ones accepted and a purchase that followed one, each an item carrying what it adds to
    the day's counters."""
    facts = []
    ttl = expires(now, FACT_TTL)
    session = folded.visit.session
    if offer is not None:
        what = f"{'held_out' if offer.held_out else 'invited'}_{offer.rule.id}"
        item = {
            "pk": signals_pk(store_id),
            "sk": f"INVITE#{as_utc(now)}#{visitor}#{session}",
            "kind": "invitation",
            "rule": offer.rule.id,
            "channel": offer.rule.action.channel,
            "held_out": offer.held_out,
            "visitor": visitor,
            "session": session,
            **({"customer_id": folded.visit.customer_id} if folded.visit.customer_id else {}),
            "ttl": ttl,
        }
        facts.append(stats.carrying(item, {stats.slot(store_id, now, "SIGNALS"): {what: 1}}))
    for rule in folded.accepted:
        item = {
            "pk": signals_pk(store_id),
            "sk": f"ACCEPT#{session}#{rule}",
            "kind": "invitation_accepted",
            "rule": rule,
            "visitor": visitor,
            "at": as_utc(now),
            "ttl": ttl,
        }
        facts.append(stats.carrying(item, {stats.slot(store_id, now, "SIGNALS"): {f"accepted_{rule}": 1}}))
    if folded.converted is not None:
        rule, held = folded.converted
        arm = "held_out" if held else "invited"
        item = {
            "pk": signals_pk(store_id),
            "sk": f"BOUGHT#{as_utc(now)}#{visitor}",
            "kind": "invitation_followed_by_purchase",
            "rule": rule,
            "held_out": held,
            "visitor": visitor,
            "at": as_utc(now),
            "ttl": ttl,
        }
        facts.append(stats.carrying(item, {stats.slot(store_id, now, "SIGNALS"): {f"bought_{arm}_{rule}": 1}}))
    return facts


def _about(store_id: str, customer_id: str, what: str, when: str, at: datetime) -> dict[str, Any]:
    """The envelope of an event the signals route tells the engine: its id stable for the same fact (a retried
    batch tells it again, and the engine applies it once), the customer by id only."""
    digest = hashlib.sha256(f"{customer_id}|{what}".encode()).hexdigest()[:24]
    return {
        "event_id": f"signals:{what.split(':', 1)[0]}:{digest}:{when}",
        "store_id": store_id,
        "source": "signals",
        "customer": Customer(id=customer_id),
        "occurred_at": at,
    }


def action(offer: Invitation, store: StoreProfile, locale: str, folded: Folded) -> dict[str, Any]:
    """What the snippet is told to offer."""
    rule = offer.rule
    text = rule.action.text(locale)
    channel = rule.action.channel
    found: dict[str, Any] = {"type": "invite", "channel": channel, "message": text, "rule": rule.id}
    if channel == "whatsapp":
        if not store.whatsapp_number:
            found["channel"] = "chat"  # no number to open a conversation with: the store's chat instead
            return found
        visit = folded.visit
        items = "itens" if locale.startswith("pt") else "items"
        cart = f" ({visit.cart_items} {items}, {_money(visit.cart_value, store)})" if visit.cart_items else ""
        found["url"] = f"https://wa.me/{store.whatsapp_number}?text={quote(text + cart)}"
    return found


def _money(value: Decimal, store: StoreProfile) -> str:
    return f"{store.currency} {value.quantize(Decimal('0.01'))}"
