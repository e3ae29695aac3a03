"""Customer state (profile, carts, orders, event log) folded from canonical events, order-tolerant.

Events may arrive twice and out of order: every write compares timestamps or ranks in its condition, so an older
event never overwrites a newer fact and a repeated one changes nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from proativo import keys
from proativo.aws import error_code
from proativo.clock import as_utc, parse_utc
from proativo.events import (
    CartUpdated,
    ConsentChanged,
    Event,
    MessageBounced,
    MessageComplained,
    OrderCanceled,
    OrderDelivered,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    PaymentFailed,
    PaymentPending,
)
from proativo.sequences.engine import CustomerFacts
from proativo.stats import increment

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

    from proativo.sequences.attribution import Attribution

# How far an order has come; a status only moves forward (cancelled is terminal).
ORDER_RANK = {"placed": 1, "payment_failed": 2, "payment_pending": 3, "paid": 4, "shipped": 5, "delivered": 6}
ORDER_CANCELED_RANK = 99
EVENT_LOG_RETENTION = timedelta(days=400)
_CONTACT_FIELDS = ("email", "phone", "name", "locale", "timezone", "accepts_marketing", "accepts_sms")


def _ignore_conflict(exc: ClientError) -> None:
    if error_code(exc) != "ConditionalCheckFailedException":
        raise exc


@dataclass(frozen=True)
class CustomerRepository:
    """Reads and order-tolerant writes of one customer's own items."""

    table: "Table"

    def profile(self, store_id: str, customer_id: str) -> dict[str, Any] | None:
        """The customer's profile item, or None."""
        item = self.table.get_item(
            Key={"pk": keys.customer_pk(store_id, customer_id), "sk": "PROFILE"}, ConsistentRead=True
        ).get("Item")
        return dict(item) if item else None

    def sent_messages(self, store_id: str, customer_id: str) -> list[dict[str, Any]]:
        """The customer's message records (one Query on their partition)."""
        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {":pk": keys.customer_pk(store_id, customer_id), ":p": "MSG#"},
        }
        while True:
            page = self.table.query(**kwargs)
            found.extend(dict(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def record_attribution(self, event: OrderPlaced, attribution: "Attribution") -> bool:
        """Credit the order to the message that brought it back, once, and count it for the flow's day."""
        fields: dict[str, Any] = {
            "attributed_message_id": attribution.message_id,
            "attributed_flow": attribution.flow_id,
            "attributed_step": attribution.step_id,
            "attributed_channel": attribution.channel,
            "recovered_value": attribution.value,
        }
        order = {
            "TableName": self.table.name,
            "Key": {"pk": keys.customer_pk(event.store_id, event.customer.id), "sk": f"ORDER#{event.order_id}"},
            "UpdateExpression": "SET " + ", ".join(f"#{k} = :{k}" for k in fields),
            "ConditionExpression": "attribute_not_exists(attributed_message_id)",
            "ExpressionAttributeNames": {f"#{k}": k for k in fields},
            "ExpressionAttributeValues": {f":{k}": v for k, v in fields.items()},
        }
        counter = increment(
            self.table.name,
            event.store_id,
            event.occurred_at,
            f"FLOW#{attribution.flow_id}",
            recovered_orders=1,
            recovered_revenue=attribution.value,
        )
        items: list[Any] = [{"Update": order}, counter]
        try:
            self.table.meta.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                return False
            raise
        return True

    def record(self, event: Event, now: datetime) -> CustomerFacts:
        """Fold `event` into the customer's state; return the facts sequences need."""
        pk = keys.customer_pk(event.store_id, event.customer.id)
        at = as_utc(event.occurred_at)
        self._log(pk, event, now)
        self._contact(pk, event, at)
        match event:
            case CartUpdated():
                self._cart(pk, event, at)
            case OrderPlaced():
                self._order(pk, event.order_id, "placed", at, {"total": event.total, "currency": event.currency})
                self._last_order(pk, at)
            case PaymentFailed():
                self._order(pk, event.order_id, "payment_failed", at, {"payment_failure": event.reason})
            case PaymentPending():
                self._order(pk, event.order_id, "payment_pending", at, {"payment_method": event.method})
            case OrderPaid():
                self._order(pk, event.order_id, "paid", at, {})
            case OrderShipped():
                self._order(
                    pk, event.order_id, "shipped", at, {"carrier": event.carrier, "tracking_code": event.tracking_code}
                )
            case OrderDelivered():
                self._order(pk, event.order_id, "delivered", at, {})
            case OrderCanceled():
                self._order(pk, event.order_id, "canceled", at, {})
            case ConsentChanged():
                self._consent(pk, event, at)
            case MessageBounced(permanent=True) | MessageComplained():
                self._suppress(pk, "email", event.type, event.message_id, at)
        profile = self.profile(event.store_id, event.customer.id) or {}
        last = profile.get("last_order_at")
        return CustomerFacts(last_order_at=parse_utc(str(last)) if last else None)

    def _log(self, pk: str, event: Event, now: datetime) -> None:
        # The log names what happened, never the personal data carried by the event.
        try:
            self.table.put_item(
                Item={
                    "pk": pk,
                    "sk": f"EVENT#{as_utc(event.occurred_at)}#{event.event_id}",
                    "kind": "event",
                    "type": event.type,
                    "source": event.source,
                    "event_id": event.event_id,
                    "received_at": as_utc(now),
                    "ttl": int((now + EVENT_LOG_RETENTION).timestamp()),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            _ignore_conflict(exc)

    def _contact(self, pk: str, event: Event, at: str) -> None:
        values = {f: getattr(event.customer, f) for f in _CONTACT_FIELDS if getattr(event.customer, f) is not None}
        kwargs: dict[str, Any] = {
            "Key": {"pk": pk, "sk": "PROFILE"},
            "UpdateExpression": "SET "
            + ", ".join([*(f"#{f} = :{f}" for f in values), "contact_at = :at", "store_id = :s", "customer_id = :c"]),
            "ConditionExpression": "attribute_not_exists(contact_at) OR contact_at <= :at",
            "ExpressionAttributeValues": {
                **{f":{f}": v for f, v in values.items()},
                ":at": at,
                ":s": event.store_id,
                ":c": event.customer.id,
            },
        }
        if values:
            kwargs["ExpressionAttributeNames"] = {f"#{f}": f for f in values}
        try:
            self.table.update_item(**kwargs)
        except ClientError as exc:
            _ignore_conflict(exc)

    def _consent(self, pk: str, event: ConsentChanged, at: str) -> None:
        try:
            self.table.put_item(
                Item={
                    "pk": pk,
                    "sk": f"CONSENT#{event.channel}#{event.purpose}",
                    "kind": "consent",
                    "granted": event.granted,
                    "source": event.source,
                    "at": at,
                },
                ConditionExpression="attribute_not_exists(#at) OR #at < :at",
                ExpressionAttributeNames={"#at": "at"},
                ExpressionAttributeValues={":at": at},
            )
        except ClientError as exc:
            _ignore_conflict(exc)

    def _suppress(self, pk: str, channel: str, reason: str, message_id: str, at: str) -> None:
        try:
            self.table.put_item(
                Item={
                    "pk": pk,
                    "sk": f"SUPPRESS#{channel}",
                    "kind": "suppression",
                    "reason": reason,
                    "message_id": message_id,
                    "at": at,
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            _ignore_conflict(exc)

    def _last_order(self, pk: str, at: str) -> None:
        try:
            self.table.update_item(
                Key={"pk": pk, "sk": "PROFILE"},
                UpdateExpression="SET last_order_at = :at ADD order_count :one",
                ConditionExpression="attribute_not_exists(last_order_at) OR last_order_at < :at",
                ExpressionAttributeValues={":at": at, ":one": 1},
            )
        except ClientError as exc:
            _ignore_conflict(exc)

    def _cart(self, pk: str, event: CartUpdated, at: str) -> None:
        try:
            self.table.put_item(
                Item={
                    "pk": pk,
                    "sk": f"CART#{event.cart_id}",
                    "kind": "cart",
                    "cart_id": event.cart_id,
                    "total": event.total,
                    "currency": event.currency,
                    "item_count": sum(i.quantity for i in event.items),
                    "updated_at": at,
                },
                ConditionExpression="attribute_not_exists(updated_at) OR updated_at < :at",
                ExpressionAttributeValues={":at": at},
            )
        except ClientError as exc:
            _ignore_conflict(exc)

    def _order(self, pk: str, order_id: str, status: str, at: str, extra: dict[str, Any]) -> None:
        rank = ORDER_CANCELED_RANK if status == "canceled" else ORDER_RANK[status]
        fields: dict[str, Any] = {"kind": "order", "order_id": order_id, "status": status, "status_rank": rank}
        fields[f"{status}_at"] = at
        fields.update(extra)
        try:
            self.table.update_item(
                Key={"pk": pk, "sk": f"ORDER#{order_id}"},
                UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in fields),
                ConditionExpression="attribute_not_exists(status_rank) OR status_rank < :status_rank",
                ExpressionAttributeNames={f"#{k}": k for k in fields},
                ExpressionAttributeValues={f":{k}": v for k, v in fields.items()},
            )
        except ClientError as exc:
            _ignore_conflict(exc)
