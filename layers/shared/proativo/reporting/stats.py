"""Daily counters per store, written as the work happens (never computed by scanning); the reports read them back.

A counter item is the hottest item there is: every event and every message of a store adds to the same few items
of the day. Adding to them inside each event's or message's transaction makes concurrent workers of one store
collide (DynamoDB cancels a transaction that meets another on the same item: TransactionConflict), and makes every
transaction bigger. So the fact and its counts are written together in a different way: the item that records the
fact (an event's log entry, a message's record) carries the `counts` it adds, written with it in the same write,
once in its life. The table's stream brings those items to the stats function.

What the stats function does with a batch is the cheapest write that keeps the counts exact: one put per store of
the batch's sums (a *delta*, keyed by the batch's records and filed under the day they were written: a retried
batch puts the same key again, and its condition says so). Adding to the counter items there and then would cost a
transaction with a marker, each batch (twice the units of every counter item it names). Instead, once a day is over
and no retry of its batches can come any more, the hourly roll-up puts, per day they count on, one item with the
sums of that day's deltas, and the reader (`figures`) adds to the counter items the rolled-up days and the deltas not
rolled up yet. Counts are as exact as before, and visible a second or so after the fact; a store's counters cost
one put per batch and a few per day.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from proativo.aws import keys, query_items, written
from proativo.clock import expires

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# The attribute of a fact's item holding what it adds to the counters: {"<pk>|<sk>": {"field": amount}}.
COUNTS = "counts"
# A scalar beside it (stream filters match leaves only): the stats function is sent only items that carry counts.
COUNTS_MARK = "counts_mark"
# A delta holds at most this many counters (a batch of 500 facts names far fewer; an item holds at most 400 KB).
_PER_DELTA = 1000
# A delta is filed under the day its batch's newest record was written (Lambda passes each record's creation time:
# the same on every retry of the batch, so a retry finds the delta it put). The stream keeps a record 24 hours, so
# a day's deltas may still come a day after it ends: the roll-up takes a day once it has been over this long.
CLOSING = timedelta(hours=25)
# How long a delta is kept: read until the roll-up has added it (the next hour's run, normally), then left to
# DynamoDB's TTL. A roll-up stopped this long (its failures alarm) would lose counts.
DELTA_KEPT = timedelta(days=35)
# The item saying up to which day (when the deltas were written) every delta of a store is rolled up.
ROLLED_SK = "ROLLED"

type Amounts = dict[str, int | Decimal]
type Figures = dict[str, dict[str, dict[str, Decimal]]]  # day → scope → counter → amount


def stats_pk(store_id: str) -> str:
    """Partition of a store's counters, their deltas and roll-ups."""
    return f"{keys.store_pk(store_id)}#STATS"


def stats_key(store_id: str, day: datetime, scope: str) -> dict[str, str]:
    """The counter item of one store, one UTC day, one scope (e.g. 'FLOW#cart_abandonment')."""
    return {"pk": stats_pk(store_id), "sk": f"DAY#{day:%Y-%m-%d}#{scope}"}


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


def _add(into: dict[str, Any], amounts: Mapping[str, Any]) -> None:
    """Add each amount of `amounts` that is a number to `into`, by field (what is not a number is skipped)."""
    for field, amount in amounts.items():
        if isinstance(amount, int | Decimal) and not isinstance(amount, bool):
            into[str(field)] = into.get(str(field), 0) + amount


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
            _add(totals.setdefault(str(name), {}), amounts)
    return totals


def delta_sk(written_on: date, digest: str, part: int) -> str:
    """Sort key of a batch's delta: after the counters (`DAY#…`) and ordered by the day it was written."""
    return f"W#{written_on.isoformat()}#{digest}#{part}"


def commit(
    table: "Table", totals: Mapping[str, Amounts], batch: Iterable[str], written_on: datetime, now: datetime
) -> int:
    """Put a stream batch's `totals` as one delta per store (a put each, never a transaction), keyed by the batch's
    record ids and filed under `written_on` (its newest record's creation): a retried batch finds its deltas there
    and writes nothing. Returns the counters newly put."""
    digest = hashlib.sha256("\n".join(batch).encode()).hexdigest()[:32]
    by_store: dict[str, dict[str, Amounts]] = defaultdict(dict)
    for name in sorted(totals):
        if totals[name]:
            pk, _, sk = name.partition("|")
            by_store[pk][sk] = dict(totals[name])
    changed = 0
    for pk, counters in sorted(by_store.items()):
        names = sorted(counters)
        for part, start in enumerate(range(0, len(names), _PER_DELTA)):
            chunk = {n: counters[n] for n in names[start : start + _PER_DELTA]}
            item: dict[str, Any] = {
                "pk": pk,
                "sk": delta_sk(written_on.date(), digest, part),
                "kind": "stats_delta",
                "deltas": chunk,
                "ttl": expires(now, DELTA_KEPT),
            }
            if not written(partial(table.put_item, Item=item, ConditionExpression="attribute_not_exists(pk)")):
                continue  # put by this very batch before: a retry
            changed += len(chunk)
    return changed


def _rolled_through(table: "Table", pk: str) -> str | None:
    found = table.get_item(Key={"pk": pk, "sk": ROLLED_SK}, ConsistentRead=True).get("Item") or {}
    return str(found["through"]) if found.get("through") else None


def _deltas(table: "Table", pk: str, after: str | None, until: str = "~") -> Iterable[dict[str, Any]]:
    """The deltas written after the day `after` (all, when None) up to the day `until`, oldest first."""
    return query_items(
        table,
        KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":pk": pk, ":a": f"W#{after}~" if after else "W#", ":b": f"W#{until}#~"},
        ConsistentRead=True,
    )


def _counter_day(counter: str) -> tuple[str, str]:
    """(day, scope) of a counter's sort key `DAY#<day>#<scope>`."""
    _, day, scope = counter.split("#", 2)
    return day, scope


def rolled_sk(day: str, written_on: str) -> str:
    """Sort key of the counters of `day` that the deltas written on `written_on` add, rolled up in one item: among
    the day's counter items (`DAY#<day>#<scope>`, which the tracker adds to directly)."""
    return f"DAY#{day}@{written_on}"


def roll_up(table: "Table", store_id: str, now: datetime) -> int:
    """Roll up a store's deltas written on days that are over (`CLOSING`): for each such day and each day its
    deltas count on, one item with their sums (a put: the same item every time, so a roll-up interrupted and run
    again writes what it wrote), then the store's `ROLLED` item moves to that day. Returns the items put."""
    pk = stats_pk(store_id)
    last_closed = ((now - CLOSING).date() - timedelta(days=1)).isoformat()
    through = _rolled_through(table, pk)
    if through and through >= last_closed:
        return 0
    sums: dict[str, dict[str, dict[str, Amounts]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
    for delta in _deltas(table, pk, through, last_closed):
        written_on = str(delta["sk"]).split("#")[1]
        for counter, amounts in dict(delta.get("deltas") or {}).items():
            day, scope = _counter_day(str(counter))
            _add(sums[written_on][day][scope], dict(amounts))
    put = 0
    for written_on, days in sorted(sums.items()):
        for day, scopes in sorted(days.items()):
            counters = {scope: dict(amounts) for scope, amounts in scopes.items()}
            table.put_item(Item={"pk": pk, "sk": rolled_sk(day, written_on), "kind": "stats_day", "counters": counters})
            put += 1
        written(  # (a concurrent roll-up that went further keeps its day)
            partial(
                table.update_item,
                Key={"pk": pk, "sk": ROLLED_SK},
                UpdateExpression="SET through = :d",
                ConditionExpression="attribute_not_exists(through) OR through < :d",
                ExpressionAttributeValues={":d": written_on},
            )
        )
    return put


def roll_up_all(table: "Table", now: datetime) -> int:
    """`roll_up` for every store in the registry (one Query of its partition, never a scan)."""
    stores = query_items(table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": keys.REGISTRY_PK})
    return sum(roll_up(table, str(s["sk"]), now) for s in stores)


def figures(table: "Table", store_id: str, since: date, until: date, scope: str = "") -> Figures:
    """A store's counters by day (from `since` to `until`, inclusive) and scope (those starting with `scope`): its
    counter items, its rolled-up days, and the deltas not rolled up yet. Read in this order, consistently (the
    roll-up writes in the reverse order), so a roll-up running meanwhile is counted once: a delta counts on a day
    unless that day's items hold its roll-up."""
    pk = stats_pk(store_id)
    through = _rolled_through(table, pk)
    out: Figures = defaultdict(lambda: defaultdict(dict))
    rolled: dict[str, set[str]] = defaultdict(set)
    first, last = since.isoformat(), until.isoformat()

    def count(day: str, name: str, amounts: Mapping[str, Any]) -> None:
        if first <= day <= last and name.startswith(scope):
            _add(out[day][name], amounts)

    counters = query_items(
        table,
        KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":pk": pk, ":a": f"DAY#{first}", ":b": f"DAY#{last}~"},
        ConsistentRead=True,
    )
    for item in counters:
        sk = str(item["sk"])
        day, tail = sk[4:14], sk[14:]
        if tail.startswith("@"):  # a rolled-up day
            rolled[day].add(tail[1:])
            for name, amounts in dict(item.get("counters") or {}).items():
                count(day, str(name), dict(amounts))
        elif tail.startswith("#"):
            count(day, tail[1:], item)
    for delta in _deltas(table, pk, through):
        written_on = str(delta["sk"]).split("#")[1]
        for counter, amounts in dict(delta.get("deltas") or {}).items():
            day, name = _counter_day(str(counter))
            if written_on not in rolled[day]:
                count(day, name, dict(amounts))
    return {day: {name: dict(c) for name, c in scopes.items()} for day, scopes in out.items()}


def summed(figures: Figures) -> dict[str, dict[str, Decimal]]:
    """`figures` over all their days: scope → counter → amount."""
    total: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for scopes in figures.values():
        for scope, counters in scopes.items():
            _add(total[scope], counters)
    return dict(total)
