"""Customer state (profile, carts, orders, consents, event log) folded from canonical events, order-tolerant.

The state is read in one Query and the event's changes are written with the sequences' decisions in one
transaction. Events may arrive twice and out of order: every write compares timestamps or ranks in its condition,
so an older event never overwrites a newer fact, and the event log entry (`attribute_not_exists`) makes a repeat
change nothing at all.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from proativo.aws import keys, query_items
from proativo.aws.writes import Writes
from proativo.clock import as_utc, expires, parse_utc
from proativo.customers.consent import PLATFORM_CONSENT_FLAGS, e164
from proativo.customers.journal import fold_journal
from proativo.events import (
    CartUpdated,
    CheckoutStepReached,
    ConsentChanged,
    Event,
    MessageBounced,
    MessageComplained,
    MessageEngaged,
    OrderCanceled,
    OrderDelivered,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    PaymentFailed,
    PaymentPending,
    SurveyAnswered,
)
from proativo.messaging.copy import FALLBACK, words
from proativo.messaging.links import click_to_send
from proativo.sequences.engine import CustomerFacts

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

    from proativo.sequences.attribution import Attribution

# How far an order has come; a status only moves forward (cancelled is terminal).
ORDER_RANK = {"placed": 1, "payment_failed": 2, "payment_pending": 3, "paid": 4, "shipped": 5, "delivered": 6}
ORDER_CANCELED_RANK = 99
EVENT_LOG_RETENTION = timedelta(days=400)
_CONTACT_FIELDS = ("email", "phone", "name", "locale", "timezone", "accepts_marketing", "accepts_sms")


@dataclass(frozen=True)
class CustomerState:
    """What the engine knows of one customer, by sort key: profile, carts, orders, consents, suppressions,
    enrolments and messages (the event log and the scheduled steps are left out of the read)."""

    items: dict[str, dict[str, Any]]

    def get(self, sk: str) -> dict[str, Any] | None:
        """One item of the partition, or None."""
        return self.items.get(sk)

    def with_prefix(self, prefix: str) -> list[dict[str, Any]]:
        """Every item whose sort key starts with `prefix`."""
        return [item for sk, item in self.items.items() if sk.startswith(prefix)]

    @property
    def profile(self) -> dict[str, Any]:
        """The profile item (empty for a customer never seen)."""
        return self.items.get("PROFILE", {})

    def facts(self, event: Event) -> CustomerFacts:
        """What the flows' entry rules need, as of before `event`."""
        bought = [str(v) for v in (self.profile.get("last_purchase_at"), self.profile.get("last_order_at")) if v]
        order_id = getattr(event, "order_id", None)
        order = self.items.get(f"ORDER#{order_id}") if order_id else None
        return CustomerFacts(
            last_purchase_at=parse_utc(max(bought)) if bought else None,
            orders={str(order_id): order} if order else {},
            settled=settled(order),
        )


@dataclass(frozen=True)
class CustomerRepository:
    """One read of a customer's state; the writes an event makes to it are built by `fold`."""

    table: "Table"

    def state(self, store_id: str, customer_id: str) -> CustomerState:
        """The customer's state in one Query of their partition (consistent: it decides conditional writes). The event
        log is in a partition of its own, so this read does not grow with the customer's history."""
        items = query_items(
            self.table,
            KeyConditionExpression="pk = :pk",
            FilterExpression="NOT begins_with(sk, :step)",
            ExpressionAttributeValues={":pk": keys.customer_pk(store_id, customer_id), ":step": "STEP#"},
            ConsistentRead=True,
        )
        return CustomerState({str(item["sk"]): item for item in items})


def event_log_sk(event: Event) -> str:
    """Sort key of an event's log entry: also the mark that the event was applied."""
    return f"EVENT#{as_utc(event.occurred_at)}#{event.event_id}"


def fold(event: Event, state: CustomerState, now: datetime, writes: Writes) -> None:
    """Add to `writes` what `event` changes in the customer's state, judged against `state` (read just before).

    Only writes that change something are added; each keeps the condition that makes it order-tolerant, so a
    concurrent writer fails the transaction (and the caller reads again) instead of being overwritten.
    """
    pk = keys.customer_pk(event.store_id, event.customer.id)
    at = as_utc(event.occurred_at)
    # The log names what happened, never the personal data carried by the event; its condition makes a repeat of
    # the event fail the whole transaction: a duplicate changes nothing.
    writes.put(
        {
            "pk": keys.event_log_pk(event.store_id, event.customer.id),
            "sk": event_log_sk(event),
            "kind": "event",
            "type": event.type,
            "source": event.source,
            "event_id": event.event_id,
            "received_at": as_utc(now),
            "ttl": expires(now, EVENT_LOG_RETENTION),
        },
        condition="attribute_not_exists(pk)",
    )
    _contact(pk, event, at, state, writes)
    fold_journal(pk, event, at, state, writes)
    match event:
        case CartUpdated():
            _cart(pk, event, at, state, writes)
        case OrderPlaced():
            placed: dict[str, Any] = {"total": event.total, "currency": event.currency}
            if event.customer.tax_id:
                placed["tax_id_digest"] = event.customer.tax_id  # so erasing the customer finds its look-up
            if event.items:  # what the customer's page lists (names and quantities only)
                placed["items"] = [{"name": i.name, "quantity": i.quantity} for i in event.items[:50]]
            if event.recommendations:
                placed["recommendations"] = [
                    p.model_dump(mode="json", exclude_none=True) for p in event.recommendations
                ]
            _order(pk, event.order_id, "placed", at, placed, state, writes)
            email = event.customer.email or state.profile.get("email")
            tax_id = event.customer.tax_id  # the engine's keyed digest by now (`customers.identity`)
            if (email or tax_id) and state.get(f"ORDER#{event.order_id}") is None:
                # The order look-up finds it by its id and the buyer's e-mail (kept hashed: nothing to read back);
                # a public complaint, by its id confirmed by the e-mail or the tax id's digest, or by that alone.
                ref: dict[str, Any] = {"customer_id": event.customer.id, "order_id": event.order_id}
                if email:
                    ref["email_sha256"] = hashlib.sha256(str(email).strip().lower().encode()).hexdigest()
                if tax_id:
                    ref["tax_id_digest"] = tax_id
                    writes.put({**keys.tax_id_key(event.store_id, tax_id), "kind": "tax_id_ref", **ref})
                writes.put({**keys.order_ref_key(event.store_id, event.order_id), "kind": "order_ref", **ref})
            last = state.profile.get("last_order_at")
            if last is None or str(last) < at:
                profile = {"pk": pk, "sk": "PROFILE"}
                writes.revise(profile, state.get("PROFILE"), {"last_order_at": at}, add={"order_count": 1})
            _purchase(pk, at, state, writes)
        case PaymentFailed():
            _order(pk, event.order_id, "payment_failed", at, {"payment_failure": event.reason}, state, writes)
        case PaymentPending():
            _order(pk, event.order_id, "payment_pending", at, {"payment_method": event.method}, state, writes)
        case OrderPaid():
            _order(pk, event.order_id, "paid", at, {}, state, writes)
            _purchase(pk, at, state, writes)
        case OrderShipped():
            extra = {"carrier": event.carrier, "tracking_code": event.tracking_code}
            _order(pk, event.order_id, "shipped", at, extra, state, writes)
        case OrderDelivered():
            _order(pk, event.order_id, "delivered", at, {}, state, writes)
        case OrderCanceled():
            _order(pk, event.order_id, "canceled", at, {}, state, writes)
        case ConsentChanged():
            _consent(pk, event, at, now, state, writes)
        case SurveyAnswered():
            _survey(pk, event, at, state, writes)
        case MessageEngaged():
            _engaged(pk, event, at, state, writes)
        case CheckoutStepReached():
            # Where the customer stopped in the checkout, for the cart messages that follow (newest word wins).
            if str(state.profile.get("checkout_step_at") or "") < at:
                step = {"checkout_step": event.step, "checkout_step_at": at}
                writes.revise({"pk": pk, "sk": "PROFILE"}, state.get("PROFILE"), step)
        case MessageBounced() | MessageComplained():
            outcome = "complained" if isinstance(event, MessageComplained) else "bounced"
            writes.count(event.store_id, event.occurred_at, "MESSAGES#email", **{outcome: 1})
            if isinstance(event, MessageBounced) and not event.permanent:
                return  # a soft bounce: counted, the address stays
            if state.get("SUPPRESS#email") is None:
                item = {"pk": pk, "sk": "SUPPRESS#email", "kind": "suppression", "reason": event.type, "at": at}
                writes.put({**item, "message_id": event.message_id}, condition="attribute_not_exists(pk)")


def record_attribution(event: OrderPlaced, attribution: "Attribution", state: CustomerState, writes: Writes) -> None:
    """Credit the order to the message that brought it back, once, and count it for the flow's day."""
    fields: dict[str, Any] = {
        "attributed_message_id": attribution.message_id,
        "attributed_flow": attribution.flow_id,
        "attributed_step": attribution.step_id,
        "attributed_channel": attribution.channel,
        "recovered_value": attribution.value,
    }
    key = {"pk": keys.customer_pk(event.store_id, event.customer.id), "sk": f"ORDER#{event.order_id}"}
    writes.revise(key, state.get(key["sk"]), fields)
    writes.count(
        event.store_id,
        event.occurred_at,
        f"FLOW#{attribution.flow_id}",
        recovered_orders=1,
        recovered_revenue=attribution.value,
    )


def record_payment_recovery(event: OrderPaid, attribution: "Attribution", state: CustomerState, writes: Writes) -> None:
    """Credit a paid order to the message that got it paid (a boleto reminder), once, and count it."""
    key = {"pk": keys.customer_pk(event.store_id, event.customer.id), "sk": f"ORDER#{event.order_id}"}
    writes.revise(
        key,
        state.get(key["sk"]),
        {"payment_recovered_by": attribution.message_id, "payment_recovered_flow": attribution.flow_id},
    )
    writes.count(
        event.store_id,
        event.occurred_at,
        f"FLOW#{attribution.flow_id}",
        recovered_payments=1,
        recovered_payment_value=attribution.value,
    )


def _engaged(pk: str, event: MessageEngaged, at: str, state: CustomerState, writes: Writes) -> None:
    """Count a delivery, open or click once per message (an e-mail opened five times counts as opened)."""
    key = {"pk": pk, "sk": f"MSG#{event.message_id}"}
    message = state.get(key["sk"])
    if message is None or message.get(f"{event.engagement}_at"):
        return
    writes.revise(key, message, {f"{event.engagement}_at": at})
    writes.count(
        event.store_id, event.occurred_at, f"MESSAGES#{message.get('channel', 'email')}", **{event.engagement: 1}
    )
    writes.count(
        event.store_id, event.occurred_at, f"FLOW#{message.get('flow_id')}", **{f"messages_{event.engagement}": 1}
    )


def answered_before(event: SurveyAnswered, state: CustomerState) -> bool:
    """Whether this order's survey already has its answer (the first one counts)."""
    return state.get(f"SURVEY#{event.order_id}") is not None


def _survey(pk: str, event: SurveyAnswered, at: str, state: CustomerState, writes: Writes) -> None:
    if answered_before(event, state):
        return
    writes.put(
        {
            "pk": pk,
            "sk": f"SURVEY#{event.order_id}",
            "kind": "survey",
            "order_id": event.order_id,
            "score": event.score,
            "rating": event.rating,
            "answered_at": at,
        },
        condition="attribute_not_exists(pk)",
    )
    writes.count(
        event.store_id, event.occurred_at, "SURVEY", responses=1, score_sum=event.score, **{event.rating + "s": 1}
    )


def agent_whatsapp_link(profile: dict[str, Any], kind: str, protocol: str, order_id: str | None) -> str | None:
    """A click-to-send link for the agent who follows a case up, its first words written (None without a usable
    phone)."""
    locale = str(profile.get("locale") or FALLBACK)
    region = locale.split("-")[1].upper() if "-" in locale else "BR"
    phone = e164(str(profile.get("phone") or ""), region)
    if phone is None:
        return None
    name = str(profile.get("name") or "").split(" ")[0]
    greeting = f" {name}" if name else ""
    if kind == "low_score" and order_id:
        text = words("agent_follow_up", locale, name=greeting, order_id=order_id)
    else:
        text = words("agent_case_follow_up", locale, name=greeting, protocol=protocol)
    return click_to_send(phone, text)


def _contact(pk: str, event: Event, at: str, state: CustomerState, writes: Writes) -> None:
    values = {f: getattr(event.customer, f) for f in _CONTACT_FIELDS if getattr(event.customer, f) is not None}
    # What the platform says of consent is dated by the event that said it, flag by flag: the sender weighs it
    # against the customer's own recorded word, and the newer statement wins.
    consent = {
        field: value
        for flag in PLATFORM_CONSENT_FLAGS.values()
        if flag in values and str(state.profile.get(f"{flag}_at") or "") <= at
        for field, value in ((flag, values[flag]), (f"{flag}_at", at))
    }
    if not values and state.get("PROFILE") is not None:
        return  # the event names the customer only (a click, a parcel's news): nothing of the profile changes
    seen = state.profile.get("contact_at")
    if seen is not None and str(seen) > at:
        if consent:  # older contact details than what we know, but the newest word on consent
            writes.revise({"pk": pk, "sk": "PROFILE"}, state.get("PROFILE"), consent)
        return
    fields = {**values, **consent, "contact_at": at, "store_id": event.store_id, "customer_id": event.customer.id}
    for flag in PLATFORM_CONSENT_FLAGS.values():
        if flag in values and flag not in consent:
            fields.pop(flag)  # an older event's flag never overwrites a newer one
    writes.revise({"pk": pk, "sk": "PROFILE"}, state.get("PROFILE"), fields)


def _consent(pk: str, event: ConsentChanged, at: str, now: datetime, state: CustomerState, writes: Writes) -> None:
    sk = f"CONSENT#{event.channel}#{event.purpose}"
    current = state.get(sk)
    # A stored statement dated after now came from a clock that lied (the door now moves such deliveries back to
    # their receipt; older data may still hold one): it never outlives a withdrawal made now.
    if current is not None and min(str(current.get("at")), as_utc(now)) >= at:
        return
    writes.put(
        {"pk": pk, "sk": sk, "kind": "consent", "granted": event.granted, "source": event.source, "at": at},
        condition="attribute_not_exists(#at) OR #at < :at OR #at > :now",
        names={"#at": "at"},
        values={":at": at, ":now": as_utc(now)},
    )


def _cart(pk: str, event: CartUpdated, at: str, state: CustomerState, writes: Writes) -> None:
    sk = f"CART#{event.cart_id}"
    current = state.get(sk)
    if current is not None and str(current.get("updated_at")) >= at:
        return
    writes.put(
        {
            "pk": pk,
            "sk": sk,
            "kind": "cart",
            "cart_id": event.cart_id,
            "total": event.total,
            "currency": event.currency,
            "item_count": sum(i.quantity for i in event.items),
            "updated_at": at,
        },
        condition="attribute_not_exists(updated_at) OR updated_at < :at",
        values={":at": at},
    )


def settled(order: dict[str, Any] | None) -> frozenset[str]:
    """The order-ending events an order has been through (`OrderPaid`, `OrderCanceled`), whatever order they came in:
    its status only moves forward, so shipped or delivered means it was paid."""
    rank = int((order or {}).get("status_rank", 0))
    if rank == ORDER_CANCELED_RANK:
        return frozenset({"OrderCanceled"})
    return frozenset({"OrderPaid"}) if rank >= ORDER_RANK["paid"] else frozenset()


def _purchase(pk: str, at: str, state: CustomerState, writes: Writes) -> None:
    """Note when the customer last bought (an order placed or paid: a platform may tell either first, or only one)."""
    last = state.profile.get("last_purchase_at")
    if last is None or str(last) < at:
        writes.revise({"pk": pk, "sk": "PROFILE"}, state.get("PROFILE"), {"last_purchase_at": at})


def _order(
    pk: str, order_id: str, status: str, at: str, extra: dict[str, Any], state: CustomerState, writes: Writes
) -> None:
    rank = ORDER_CANCELED_RANK if status == "canceled" else ORDER_RANK[status]
    current = state.get(f"ORDER#{order_id}")
    if current is not None and int(current.get("status_rank", 0)) >= rank:
        return  # the order has come further already
    fields: dict[str, Any] = {"kind": "order", "order_id": order_id, "status": status, "status_rank": rank}
    fields[f"{status}_at"] = at
    fields.update(extra)
    writes.revise({"pk": pk, "sk": f"ORDER#{order_id}"}, current, fields)
