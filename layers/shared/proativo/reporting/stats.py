"""Daily counters per store, written as the work happens (never computed by scanning); the reports read them back.

A counter item is the hottest item there is: every event and every message of a store adds to the same few items
of the day. Adding to them inside each event's or message's transaction makes concurrent workers of one store
collide (DynamoDB cancels a transaction that meets another on the same item: TransactionConflict), and makes every
transaction bigger. So the fact and its counts are written together in a different way: the item that records the
fact (an event's log entry, a message's record) carries the `counts` it adds, written with it in the same write,
once in its life. The table's stream brings those items to the stats function, which sums a whole batch and adds
it to the counter items in one transaction, once per batch (a marker keyed by the batch's records, put into the
idempotency table by the same transaction, makes a retried batch a no-op). Counts are as exact as before and
visible a second or so later.
"""

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from proativo.aws import failed_conditions, keys
from proativo.clock import expires

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# The attribute of a fact's item holding what it adds to the counters: {"<pk>|<sk>": {"field": amount}}.
COUNTS = "counts"
# A scalar beside it (stream filters match leaves only): the stats function is sent only items that carry counts.
COUNTS_MARK = "counts_mark"
# A transaction holds at most 100 items: the batch's marker and 99 counters.
_PER_TRANSACTION = 99
# How long a batch's marker is kept: longer than any retry of a stream batch (24 h of stream retention).
_MARKER_TTL = timedelta(days=2)

type Amounts = dict[str, int | Decimal]


def stats_key(store_id: str, day: datetime, scope: str) -> dict[str, str]:
    """The counter item of one store, one UTC day, one scope (e.g. 'FLOW#cart_abandonment')."""
    return {"pk": f"{keys.store_pk(store_id)}#STATS", "sk": f"DAY#{day:%Y-%m-%d}#{scope}"}


def slot(store_id: str, day: datetime, scope: str) -> str:
    """The name of a counter item in a `counts` attribute."""
    key = stats_key(store_id, day, scope)
    return f"{key['pk']}|{key['sk']}"


def add(table_name: str, key: Mapping[str, str], amounts: Mapping[str, int | Decimal]) -> dict[str, Any]:
    """A TransactWriteItems `Update` adding `amounts` to the counter item `key`."""
    return {
        "Update": {
            "TableName": table_name,
            "Key": dict(key),
            "UpdateExpression": "ADD " + ", ".join(f"#{k} :{k}" for k in amounts),
            "ExpressionAttributeNames": {f"#{k}": k for k in amounts},
            "ExpressionAttributeValues": {f":{k}": v for k, v in amounts.items()},
        }
    }


def carrying(item: dict[str, Any], counts: Mapping[str, Mapping[str, int | Decimal]]) -> dict[str, Any]:
    """`item` carrying `counts` (nothing added when there are none)."""
    if not counts:
        return item
    return {**item, COUNTS: {s: dict(a) for s, a in counts.items()}, COUNTS_MARK: 1}


def tally(images: Iterable[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]]) -> dict[str, Amounts]:
    """Sum the counts of stream records (old image, new image): an item adds its counts when it is written with
    them for the first time (an insert, or a claim rewritten as its outcome); rewrites that keep them add nothing."""
    totals: dict[str, Amounts] = {}
    for old, new in images:
        if not new or not isinstance(new.get(COUNTS), Mapping) or (old and COUNTS in old):
            continue
        for name, amounts in new[COUNTS].items():
            if "|" not in str(name) or not isinstance(amounts, Mapping):
                continue
            bucket = totals.setdefault(str(name), {})
            for field, amount in amounts.items():
                if isinstance(amount, int | Decimal) and not isinstance(amount, bool):
                    bucket[str(field)] = bucket.get(str(field), 0) + amount
    return totals


def commit(
    client: "DynamoDBClient",
    table_name: str,
    markers_table: str,
    totals: Mapping[str, Amounts],
    batch: Iterable[str],
    now: datetime,
) -> int:
    """Add a stream batch's `totals` to the counter items, once: each transaction also puts a marker keyed by the
    batch's record ids into `markers_table` (the idempotency table: a transaction may span tables), so a retried
    batch finds its marker and adds nothing again. Returns the counters changed."""
    digest = hashlib.sha256("\n".join(batch).encode()).hexdigest()
    names = sorted(n for n in totals if totals[n])
    changed = 0
    for part, start in enumerate(range(0, len(names), _PER_TRANSACTION)):
        chunk = names[start : start + _PER_TRANSACTION]
        marker = {"id": f"stats#{digest}#{part}", "expiration": expires(now, _MARKER_TTL)}
        items: list[Any] = [
            {"Put": {"TableName": markers_table, "Item": marker, "ConditionExpression": "attribute_not_exists(id)"}}
        ]
        for name in chunk:
            pk, _, sk = name.partition("|")
            items.append(add(table_name, {"pk": pk, "sk": sk}, totals[name]))
        try:
            client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            failed = failed_conditions(exc)
            if failed is None or not failed[0]:
                raise
            continue  # this part of the batch was added before (a retry)
        changed += len(chunk)
    return changed
