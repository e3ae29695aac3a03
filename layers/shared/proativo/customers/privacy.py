"""LGPD: a customer's data, exported or erased on request.

Everything about a customer lives in their partition (`STORE#<store>#CUST#<customer>`: profile, consents, carts,
orders, journeys, messages, coupons, parcels, the event log), so both are one Query. Erasing also removes the
store-level lookups that point at the customer's parcels, and leaves a tombstone with no personal data: an event
about the customer that happened before the erasure (a platform's late retry) is then ignored instead of bringing
the data back. A new purchase afterwards is a new relationship and is recorded as usual.

What is kept, and why (documented for the store's DPO): the store's claims register and daily counters carry no
contact data; webhook deliveries expire by TTL within 7 days.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from proativo.aws import json_ready, keys, query_items
from proativo.clock import as_utc
from proativo.tracking.registry import lookup_pk

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

ERASED_SK = "ERASED"


def _partition(table: "Table", pk: str) -> Iterator[dict[str, Any]]:
    return query_items(
        table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": pk}, ConsistentRead=True
    )


def _customer_items(table: "Table", store_id: str, customer_id: str) -> Iterator[dict[str, Any]]:
    """Everything about the customer: their state's partition, then their event log's."""
    yield from _partition(table, keys.customer_pk(store_id, customer_id))
    yield from _partition(table, keys.event_log_pk(store_id, customer_id))


def export(table: "Table", store_id: str, customer_id: str) -> dict[str, Any]:
    """Every item we hold about the customer, grouped by kind (what a data-subject access request returns)."""
    records: dict[str, list[dict[str, Any]]] = {}
    for item in _customer_items(table, store_id, customer_id):
        kind = str(item.get("kind") or str(item["sk"]).split("#", 1)[0].lower())
        shown = {k: json_ready(v) for k, v in item.items() if k not in ("pk", "due_shard", "due_at")}
        records.setdefault(kind, []).append(shown)
    return {"store_id": store_id, "customer_id": customer_id, "records": records}


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed."""

    items: int
    lookups: int


def erase(table: "Table", store_id: str, customer_id: str, now: datetime) -> Erasure:
    """Delete every item of the customer, the lookups of their parcels and orders and their cases' summaries; leave
    the tombstone."""
    pk = keys.customer_pk(store_id, customer_id)
    items = [item for item in _customer_items(table, store_id, customer_id) if item["sk"] != ERASED_SK]
    lookups = [
        {"pk": lookup_pk(store_id, str(item["carrier"]), str(item["tracking_code"])), "sk": "REF"}
        for item in items
        if str(item["sk"]).startswith("PARCEL#") and item.get("carrier") and item.get("tracking_code")
    ]
    lookups += [keys.order_ref_key(store_id, str(i["order_id"])) for i in items if str(i["sk"]).startswith("ORDER#")]
    # Their tax id's look-up (one, however many orders carried it: a batch must not name a key twice).
    digests = {str(i["tax_id_digest"]) for i in items if str(i["sk"]).startswith("ORDER#") and i.get("tax_id_digest")}
    lookups += [keys.tax_id_key(store_id, d) for d in sorted(digests)]
    # The summaries of their cases in the store's inbox (a case's subject may carry what the customer said).
    lookups += [
        {"pk": f"{keys.store_pk(store_id)}#CASES", "sk": str(i["sk"])}
        for i in items
        if str(i["sk"]).startswith("CASE#")
    ]
    with table.batch_writer() as batch:
        for item in items:
            batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
        for key in lookups:
            batch.delete_item(Key=key)
    table.put_item(Item={"pk": pk, "sk": ERASED_SK, "kind": "erasure", "erased_at": as_utc(now)})
    return Erasure(items=len(items), lookups=len(lookups))
