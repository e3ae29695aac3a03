"""Delivering one scheduled message: re-check that it may still go, render it, send it at most once, record it.

A message is claimed (a conditional put on its deterministic id) before the provider is called. If the provider
refuses for now, the claim is released and the queue retries; if the function dies after the provider accepted,
the claim stays and the redelivered message is dropped: never twice.
"""

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from proativo.aws import batch_get, error_code, failed_conditions, keys, query_items, written
from proativo.aws import metrics as business
from proativo.clock import as_utc, expires, parse_utc
from proativo.customers.consent import dnc_pk, dnc_sk, on_dnc_list
from proativo.errors import ChannelRefused, NotFound, RetryableSendError, Unavailable
from proativo.events import plain_text, web_url
from proativo.messaging.channels import Channel, Outgoing
from proativo.messaging.coupons import Coupons, PoolEmpty
from proativo.messaging.decision import (
    Facts,
    Marketing,
    Postpone,
    Send,
    SendRequest,
    Skip,
    decide,
    needs_marketing_facts,
)
from proativo.messaging.links import LinkSigner
from proativo.messaging.templates import render, resolve_locale
from proativo.reporting import stats
from proativo.sequences.items import MESSAGE_RETENTION, enrolment_sk, step_sk
from proativo.stores import StoreProfile, get_profile

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from mypy_boto3_dynamodb.service_resource import Table


@dataclass(frozen=True)
class Outcome:
    """What became of one request."""

    status: Literal["sent", "skipped", "failed", "postponed"]
    reason: str = ""
    provider_id: str | None = None


STORE_CACHE_SECONDS = 60.0
# The customer's marketing slot under the frequency cap: the last marketing message and when it went.
CAP_SK = "CAP#marketing"
# A dispatched step whose message was not claimed yet is in flight for this long at most (the send queue's pace).
IN_FLIGHT = timedelta(minutes=15)


def _claim_item(pk: str, request: SendRequest, now: datetime) -> dict[str, Any]:
    """The message record, as claimed before the provider is called."""
    return {
        "pk": pk,
        "sk": message_sk(request.message_id),
        "kind": "message",
        "status": "sending",
        "message_id": request.message_id,
        "store_id": request.store_id,
        "customer_id": request.customer_id,
        "flow_id": request.flow_id,
        "key": request.key,
        "step_id": request.step_id,
        "channel": request.channel,
        "template": request.template,
        "purpose": request.purpose,
        "claimed_at": as_utc(now),
        "ttl": expires(now, MESSAGE_RETENTION),
    }


def _unsubscribe_headers(url: str | None) -> tuple[tuple[str, str], ...]:
    """RFC 8058 one-click unsubscribe: the mailbox provider POSTs `List-Unsubscribe=One-Click` to the link."""
    if not url:
        return ()
    return (("List-Unsubscribe", f"<{url}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))


def safe_links(value: Any, fallback: str) -> Any:
    """`value` with every link given (a `url` or `*_url` key, at any depth) an http(s) URL, or else `fallback`."""
    if isinstance(value, dict):
        return {
            k: (web_url(v) or fallback)
            if (k == "url" or k.endswith("_url")) and v is not None
            else safe_links(v, fallback)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [safe_links(v, fallback) for v in value]
    return value


# A checkout step counts for a journey when it was reached at most this long before the journey's anchor (the cart's
# last change), or after it.
CHECKOUT_STEP_WINDOW = timedelta(days=1)


def _step_for(profile: dict[str, Any], enrolment: dict[str, Any]) -> str | None:
    """The checkout step the customer last reached, if it belongs to this journey (None: unknown, or older)."""
    at, anchor = profile.get("checkout_step_at"), enrolment.get("anchor_at")
    if not at or not anchor or parse_utc(str(at)) < parse_utc(str(anchor)) - CHECKOUT_STEP_WINDOW:
        return None
    return str(profile.get("checkout_step") or "") or None


def message_sk(message_id: str) -> str:
    """Sort key of a message record in the customer's partition."""
    return f"MSG#{message_id}"


@dataclass(frozen=True)
class Sender:
    """Delivers send requests over the configured channels."""

    table: "Table"
    channels: Mapping[str, Channel]
    default_sender: str
    links: LinkSigner | None = None
    due_shards: int = 4
    # The store's own templates over ours (a sandboxed environment per store, cached): None for the built-in only.
    templates_for: Callable[[str], "ImmutableSandboxedEnvironment"] | None = None
    _stores: dict[str, tuple[float, StoreProfile]] = field(default_factory=dict)
    # What `prefetch` read for a batch, by message id: each request's first read, and whether the store's
    # do-not-contact list names a marketing message's recipient.
    _prefetched: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    _listed: dict[str, bool] = field(default_factory=dict)

    def prefetch(self, requests: Sequence[SendRequest], now: datetime) -> None:
        """Read what a batch of requests decides on in one consistent BatchGetItem (100 keys a call) before they are
        delivered one by one, then, in one more, the do-not-contact entries of the marketing messages the first
        pass would send. A customer's second request in the batch reads again when its turn comes (the first may
        have taken the marketing slot); a customer whose keys DynamoDB left unprocessed is read by the request
        itself."""
        self._prefetched.clear()
        self._listed.clear()
        firsts: dict[str, SendRequest] = {}
        for request in requests:
            firsts.setdefault(keys.customer_pk(request.store_id, request.customer_id), request)
        wanted = [(pk, sk) for pk, request in firsts.items() for sk in self._keys_of(request)]
        found: dict[str, dict[str, dict[str, Any]]] = {pk: {} for pk in firsts}
        try:
            read = batch_get(self.table, [{"pk": pk, "sk": sk} for pk, sk in wanted])
        except ClientError:  # each of these requests reads for itself
            return
        for key in read.unprocessed:  # that customer's request reads for itself
            found.pop(str(key["pk"]), None)
        for (pk, sk), item in read.found.items():
            if pk in found:
                found[pk][sk] = item
        for pk, items in found.items():
            self._prefetched[firsts[pk].message_id] = items
        self._prefetch_listed([firsts[pk] for pk in found], now)

    def _prefetch_listed(self, requests: Sequence[SendRequest], now: datetime) -> None:
        """The do-not-contact entries the second pass of these (prefetched) requests would read one by one: those of
        the marketing messages the first pass sends, in one consistent read. Whatever cannot be read here is read
        by its request."""
        try:
            recipients: dict[str, tuple[str, str]] = {}
            for request in requests:
                first = decide(request, self._facts(request, self._prefetched[request.message_id]), now)
                if needs_marketing_facts(first, request):
                    recipients[request.message_id] = (dnc_pk(request.store_id), dnc_sk(first.recipient))
            if not recipients:
                return
            read = batch_get(self.table, [{"pk": pk, "sk": sk} for pk, sk in dict.fromkeys(recipients.values())])
        except (ClientError, BotoCoreError, Unavailable):
            return
        unread = {(str(k["pk"]), str(k["sk"])) for k in read.unprocessed}
        for message_id, key in recipients.items():
            if key not in unread:
                self._listed[message_id] = key in read.found

    def deliver_observed(self, request: SendRequest, now: datetime, metrics: Metrics, logger: Logger) -> Outcome:
        """`deliver`, counted (by outcome, channel and flow: the dashboard's "messages by channel", the store as a
        property) and logged without personal data. A request to retry is counted as deferred and raised."""
        try:
            outcome = self.deliver(request, now)
        except RetryableSendError:
            metrics.add_metric(name="MessagesDeferred", unit=MetricUnit.Count, value=1)
            raise
        metrics.add_metric(name=f"Messages{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
        business.record("MessagesByChannel", request.store_id, channel=request.channel, status=outcome.status)
        business.record("MessagesByFlow", request.store_id, flow=request.flow_id, status=outcome.status)
        facts = {"message_id": request.message_id, "channel": request.channel, "template": request.template}
        logger.info(
            f"message {outcome.status}", extra={"store_id": request.store_id, **facts, "reason": outcome.reason}
        )
        return outcome

    def deliver(self, request: SendRequest, now: datetime) -> Outcome:
        """Deliver one request, or say why it was skipped or postponed: gather the facts, decide (`decision`), act."""
        pk = keys.customer_pk(request.store_id, request.customer_id)
        items = self._prefetched.pop(request.message_id, None)
        if items is None:
            items = self._read(pk, request)
        facts = self._facts(request, items)
        verdict = decide(request, facts, now)
        if needs_marketing_facts(verdict, request):
            facts = replace(facts, marketing=self._marketing(pk, request, facts, verdict, now))
            verdict = decide(request, facts, now)
        match verdict:
            case Skip(reason):
                return Outcome("skipped", reason)
            case Postpone(until, reason):
                return self._postpone(pk, request, dict(facts.step or {}), until, reason)
        assert isinstance(verdict, Send) and facts.store is not None and facts.enrolment and facts.step
        return self._send(pk, request, facts, verdict, now)

    def _read(self, pk: str, request: SendRequest) -> dict[str, dict[str, Any]]:
        """Everything the first pass decides on, in one consistent read (a partial read could skip for good)."""
        read = batch_get(self.table, [{"pk": pk, "sk": sk} for sk in self._keys_of(request)])
        if read.unprocessed:  # throttled: let the queue retry it
            raise RetryableSendError("DynamoDB left keys unprocessed")
        return {sk: item for (_, sk), item in read.found.items()}

    def _facts(self, request: SendRequest, items: dict[str, dict[str, Any]]) -> Facts:
        try:
            store: StoreProfile | None = self._store(request.store_id)
        except NotFound:
            store = None
        return Facts(
            enrolment=items.get(enrolment_sk(request.flow_id, request.key)),
            step=request.step() or items.get(step_sk(request.flow_id, request.key, request.index)),
            message_handled=message_sk(request.message_id) in items,
            profile=items.get("PROFILE", {}),
            consents={k.removeprefix("CONSENT#"): v for k, v in items.items() if k.startswith("CONSENT#")},
            suppressed=frozenset(k.removeprefix("SUPPRESS#") for k in items if k.startswith("SUPPRESS#")),
            channel_connected=request.channel in self.channels,
            store=store,
            slot=items.get(CAP_SK, {}),
        )

    def _marketing(self, pk: str, request: SendRequest, facts: Facts, first: Send, now: datetime) -> Marketing:
        """The second pass's facts: the store's do-not-contact list and the next higher-priority marketing step."""
        listed = self._listed.pop(request.message_id, None)
        if listed is None:
            listed = on_dnc_list(self.table, request.store_id, first.recipient)
        rival = (
            None if listed or not first.cap_period else self._rival(pk, dict(facts.step or {}), now, first.cap_period)
        )
        return Marketing(do_not_contact=listed, rival_due_at=rival)

    def _send(self, pk: str, request: SendRequest, facts: Facts, verdict: Send, now: datetime) -> Outcome:
        """Claim the message, render it, hand it to the channel, record how it went."""
        assert facts.store is not None and facts.enrolment is not None and facts.step is not None
        store, step, profile = facts.store, dict(facts.step), dict(facts.profile)
        locale = self._locale(profile, store)
        context = self._context(profile, store, dict(facts.enrolment))
        try:
            context.update(self._attachments(request, step, dict(facts.enrolment), locale, now))
        except PoolEmpty:
            return Outcome("skipped", "coupon_pool_empty")
        context["context"] = self._page_linked(request, context["context"], locale, now)
        env = self.templates_for(request.store_id) if self.templates_for else None
        content = render(request.template, request.channel, locale, context, env)
        claimed = self._claim(pk, request, now, verdict.cap_period)
        if claimed != "claimed":
            if claimed == "capped":  # another message took the slot a moment ago
                return self._postpone(pk, request, step, now + verdict.cap_period, "frequency_cap")
            return Outcome("skipped", "duplicate")
        outgoing = Outgoing(
            message_id=request.message_id,
            store_id=request.store_id,
            customer_id=request.customer_id,
            recipient=verdict.recipient,
            sender=store.sender_email or self.default_sender,
            sender_name=store.name,
            content=content,
            transactional=request.purpose == "transactional",
            headers=_unsubscribe_headers(context.get("unsubscribe_url")) if request.channel == "email" else (),
            template=request.template,
            locale=locale,
        )
        try:
            provider_id = self.channels[request.channel].send(outgoing)
        except (RetryableSendError, Unavailable):  # nothing was sent: the queue tries again
            self._release(pk, request)
            raise
        except ClientError as exc:
            self._finish(pk, request, now, {"status": "failed", "error": error_code(exc) or "error"})
            return Outcome("failed", error_code(exc))
        except ChannelRefused as exc:
            self._finish(pk, request, now, {"status": "failed", "error": str(exc)})
            return Outcome("failed", f"refused:{request.channel}")
        except NotFound:
            # The store has not connected this channel (no WhatsApp Business number): nothing was sent.
            self._release(pk, request)
            return Outcome("skipped", f"channel_unavailable:{request.channel}")
        sent = {
            "status": "sent",
            "provider_id": provider_id,
            "subject": content.subject or "",
            "recipient": verdict.recipient,
        }
        self._finish(pk, request, now, sent)
        return Outcome("sent", provider_id=provider_id)

    @staticmethod
    def _keys_of(request: SendRequest) -> list[str]:
        """The sort keys of everything a request's decision needs: the profile, the journey and its step, the
        message (sent already?), the marketing slot, and this channel's consents and suppression."""
        wanted = [
            "PROFILE",
            enrolment_sk(request.flow_id, request.key),
            *([step_sk(request.flow_id, request.key, request.index)] if request.scheduled_for is None else []),
            message_sk(request.message_id),
            CAP_SK,
            f"CONSENT#{request.channel}#{request.purpose}",
            f"CONSENT#{request.channel}#marketing",
            f"SUPPRESS#{request.channel}",
        ]
        return list(dict.fromkeys(wanted))

    def _rival(self, pk: str, step: dict[str, Any], now: datetime, period: timedelta) -> datetime | None:
        """When the customer's next marketing message of a higher priority than `step` goes: a journey's step
        pending within `period`, or one queued in the last minutes whose message is still on its way (two flows due
        the same minute leave the dispatcher together; the higher priority takes the slot). One Query of the
        customer's journeys (a journey begun before enrolments carried their step is not seen here: the cap's slot
        still holds for it)."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "FilterExpression": "purpose = :m AND priority > :mine AND ((#s = :active AND pending.scheduled_for <"
            " :horizon) OR (#s <> :exited AND dispatched.scheduled_for >= :recent))",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {
                ":pk": pk,
                ":p": "ENROL#",
                ":active": "active",
                ":exited": "exited",
                ":recent": as_utc(now - IN_FLIGHT),
                ":m": "marketing",
                ":mine": int(step.get("priority", 0)),
                ":horizon": as_utc(now + period),
            },
        }
        due: list[datetime] = []
        in_flight: dict[str, datetime] = {}
        horizon, recent = now + period, now - IN_FLIGHT
        for journey in query_items(self.table, **kwargs):
            pending, dispatched = journey.get("pending") or {}, journey.get("dispatched") or {}
            active = journey.get("status") == "active" and pending
            if active and (waits_for := parse_utc(str(pending["scheduled_for"]))) < horizon:
                due.append(waits_for)
            if dispatched and (queued_for := parse_utc(str(dispatched["scheduled_for"]))) >= recent:
                in_flight[str(dispatched["message_id"])] = queued_for
        if in_flight:
            keys_ = [{"pk": pk, "sk": message_sk(m)} for m in in_flight]
            handled = {str(m["message_id"]) for m in batch_get(self.table, keys_).found.values()}
            due += [at for message_id, at in in_flight.items() if message_id not in handled]
        return min(due) if due else None

    def _postpone(self, pk: str, request: SendRequest, step: dict[str, Any], until: datetime, reason: str) -> Outcome:
        """Put the request back on the due index for `until` (the dispatcher re-queues it then): deferred, not
        dropped. Keyed by message id, so postponing twice keeps one."""
        sk = f"DEFER#{request.message_id}"
        self.table.put_item(
            Item={
                "pk": pk,
                "sk": sk,
                "kind": "deferred",
                "store_id": request.store_id,
                "request": request.model_dump_json(),
                "reason": reason,
                "scheduled_for": step.get("scheduled_for", as_utc(until)),
                **keys.due_keys("deferred", f"{pk}|{sk}", until, self.due_shards),
            }
        )
        return Outcome("postponed", f"{reason}:{as_utc(until)}")

    def _attachments(
        self, request: SendRequest, step: dict[str, Any], enrolment: dict[str, Any], locale: str, now: datetime
    ) -> dict[str, Any]:
        """What the message carries besides words: the recipient's coupon, the survey's links, the way out."""
        extra: dict[str, Any] = {}
        if step.get("coupon"):
            extra["coupon"] = Coupons(self.table).assign(
                request.store_id, request.customer_id, request.message_id, dict(step["coupon"]), now
            )
        if step.get("survey"):
            if self.links is None:
                raise RuntimeError("a survey step needs the sender's links (PUBLIC_URL and the signing secret)")
            order_id = str(enrolment.get("context", {}).get("order_id", request.key))
            extra["survey"] = {"links": self.links.survey(request.store_id, request.customer_id, order_id, locale, now)}
        if request.purpose == "marketing" and self.links is not None:
            # Every marketing message says how to stop them: in its footer, and (e-mail) in the one-click headers.
            extra["unsubscribe_url"] = self.links.unsubscribe(
                request.store_id, request.customer_id, request.channel, locale, now
            )
        return extra

    def _page_linked(self, request: SendRequest, context: dict[str, Any], locale: str, now: datetime) -> dict[str, Any]:
        """A message about an order links to the order's own page, not the carrier's (whose link the page keeps)."""
        order_id = context.get("order_id")
        if self.links is None or not order_id:
            return context
        page = self.links.order_page(request.store_id, request.customer_id, str(order_id), locale, now)
        return {**context, "tracking_url": page, "carrier_tracking_url": context.get("tracking_url")}

    def _store(self, store_id: str) -> StoreProfile:
        """The store's profile, read at most once a minute per container (an edit applies within that time)."""
        cached = self._stores.get(store_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        profile = get_profile(self.table, store_id)
        self._stores[store_id] = (time.monotonic() + STORE_CACHE_SECONDS, profile)
        return profile

    @staticmethod
    def _locale(profile: dict[str, Any], store: StoreProfile) -> str:
        return resolve_locale(str(profile.get("locale") or store.locale))

    @staticmethod
    def _context(profile: dict[str, Any], store: StoreProfile, enrolment: dict[str, Any]) -> dict[str, Any]:
        name = plain_text(str(profile.get("name") or ""))
        site = web_url(store.site_url)
        return {
            "store": {"name": store.name, "url": site, "currency": store.currency},
            "customer": {
                "first_name": name.split()[0] if name.split() else None,
                "timezone": profile.get("timezone") or store.timezone,
                # Where they stopped in the checkout (browsing signals), for this journey: cart messages speak of it.
                "checkout_step": _step_for(profile, enrolment),
            },
            # Journeys stored before links were checked at the door, too: every link is http(s) or the store's.
            "context": safe_links(enrolment.get("context", {}), site or ""),
        }

    def _claim(
        self, pk: str, request: SendRequest, now: datetime, cap: timedelta
    ) -> Literal["claimed", "duplicate", "capped"]:
        """Claim the message id before the provider is called; a marketing message takes the customer's slot under
        the cap in the same transaction (two flows racing for one slot: one waits)."""
        claim: dict[str, Any] = {
            "TableName": self.table.name,
            "Item": _claim_item(pk, request, now),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if not cap:
            put = partial(self.table.put_item, Item=claim["Item"], ConditionExpression="attribute_not_exists(pk)")
            return "claimed" if written(put) else "duplicate"
        items: list[Any] = [{"Put": claim}]
        items.append(
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": {
                        "pk": pk,
                        "sk": CAP_SK,
                        "last_sent_at": as_utc(now),
                        "message_id": request.message_id,
                        "journey": request.journey,
                    },
                    "ConditionExpression": "attribute_not_exists(pk) OR last_sent_at <= :limit OR journey = :mine",
                    "ExpressionAttributeValues": {":limit": as_utc(now - cap), ":mine": request.journey},
                }
            }
        )
        try:
            self.table.meta.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            failed = failed_conditions(exc)
            if failed is None:
                raise
            return "duplicate" if failed[0] else "capped"
        return "claimed"

    def _release(self, pk: str, request: SendRequest) -> None:
        self.table.delete_item(
            Key={"pk": pk, "sk": message_sk(request.message_id)},
            ConditionExpression="#s = :sending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":sending": "sending"},
        )

    def _finish(self, pk: str, request: SendRequest, now: datetime, fields: dict[str, Any]) -> None:
        """Record how it went: the claim rewritten whole (it is ours: nobody else writes a claimed message), carrying
        what it adds to the day's counters (per channel, per flow; added from the stream)."""
        outcome = str(fields["status"])
        counts = {
            stats.slot(request.store_id, now, f"MESSAGES#{request.channel}"): {outcome: 1},
            stats.slot(request.store_id, now, f"FLOW#{request.flow_id}"): {f"messages_{outcome}": 1},
        }
        record = {**_claim_item(pk, request, now), **fields, "sent_at": as_utc(now)}
        self.table.put_item(Item=stats.carrying(record, counts))
