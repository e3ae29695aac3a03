"""One transaction for everything an event changes.

Writers add puts, revisions, updates and counter increments. A revision rewrites an item that was read (optimistic
concurrency: the put holds only if the item's `rev` is still the one read), so several writers of one item merge
into one put; updates of the same item merge into one (a transaction may touch an item once). Counter increments
of the same day and scope add up and ride on the first put, the event's log entry: the stats function adds them to
the counters from the table's stream (`proativo.reporting.stats`). Each writer's condition keeps its own
placeholders, so merged conditions never collide.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from proativo.reporting import stats

_PLACEHOLDER = re.compile(r"([#:])([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class _Update:
    key: dict[str, str]
    sets: dict[str, Any] = field(default_factory=dict)
    adds: dict[str, Any] = field(default_factory=dict)
    removes: set[str] = field(default_factory=set)
    conditions: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Writes:
    """The writes of one decision, to commit together (TransactWriteItems) or not at all."""

    table_name: str
    _puts: list[dict[str, Any]] = field(default_factory=list)
    _updates: dict[tuple[str, str], _Update] = field(default_factory=dict)
    _revised: dict[tuple[str, str], tuple[dict[str, Any], int | None]] = field(default_factory=dict)
    _deletes: list[dict[str, Any]] = field(default_factory=list)
    _counts: dict[str, dict[str, int | Decimal]] = field(default_factory=dict)
    _serial: int = 0

    def revise(
        self,
        key: dict[str, str],
        read: dict[str, Any] | None,
        set_: dict[str, Any],
        add: dict[str, Any] | None = None,
        remove: Iterable[str] = (),
    ) -> None:
        """Rewrite the item `read` (None: it did not exist) with `set_` applied, `add` added and `remove` removed,
        provided nobody changed it since it was read."""
        slot = (key["pk"], key["sk"])
        if slot not in self._revised:
            base = dict(read) if read is not None else dict(key)
            self._revised[slot] = (base, int(read.get("rev", 0)) if read is not None else None)
        item, _ = self._revised[slot]
        item.update(set_)
        for name, value in (add or {}).items():
            item[name] = item.get(name, 0) + value
        for name in remove:
            item.pop(name, None)

    def revised(self, key: dict[str, str]) -> dict[str, Any] | None:
        """The item as this transaction will leave it, if it revises it."""
        slot = self._revised.get((key["pk"], key["sk"]))
        return slot[0] if slot else None

    def delete(self, key: dict[str, str]) -> None:
        """Delete one item (a no-op if it is gone)."""
        self._deletes.append({"Delete": {"TableName": self.table_name, "Key": key}})

    def _scoped(
        self, condition: str, names: dict[str, str] | None, values: dict[str, Any] | None
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        self._serial += 1
        n = self._serial
        text = _PLACEHOLDER.sub(lambda m: f"{m.group(1)}{m.group(2)}_{n}", condition)
        return (
            text,
            {f"{k}_{n}": v for k, v in (names or {}).items()},
            {f"{k}_{n}": v for k, v in (values or {}).items()},
        )

    def put(
        self,
        item: dict[str, Any],
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        """Write a whole item (replacing it), when `condition` holds."""
        put: dict[str, Any] = {"TableName": self.table_name, "Item": item}
        if condition:
            put["ConditionExpression"] = condition
            if names:
                put["ExpressionAttributeNames"] = names
            if values:
                put["ExpressionAttributeValues"] = values
        self._puts.append({"Put": put})

    def update(
        self,
        key: dict[str, str],
        *,
        set_: dict[str, Any] | None = None,
        add: dict[str, Any] | None = None,
        remove: tuple[str, ...] = (),
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        """Set, add to and remove attributes of one item, when `condition` holds (merged with other updates of it)."""
        update = self._updates.setdefault((key["pk"], key["sk"]), _Update(key=key))
        for name, value in (set_ or {}).items():
            update.sets[name] = value
        for name, value in (add or {}).items():
            update.adds[name] = update.adds.get(name, 0) + value
        update.removes.update(remove)
        if condition:
            text, scoped_names, scoped_values = self._scoped(condition, names, values)
            update.conditions.append(f"({text})")
            update.names.update(scoped_names)
            update.values.update(scoped_values)

    def count(self, store_id: str, day: datetime, scope: str, **amounts: int | Decimal) -> None:
        """Add to a store's daily counter: carried by the first put (the fact it counts, written once), added to the
        counter from the stream (never a hot counter item in this transaction)."""
        bucket = self._counts.setdefault(stats.slot(store_id, day, scope), {})
        for name, amount in amounts.items():
            bucket[name] = bucket.get(name, 0) + amount

    def __len__(self) -> int:
        return len(self._puts) + len(self._updates) + len(self._revised) + len(self._deletes)

    def transact_items(self) -> list[dict[str, Any]]:
        """The TransactWriteItems of everything added (the puts first, in the order they were added)."""
        items = list(self._puts) + list(self._deletes)
        if self._counts:
            if not self._puts:
                raise ValueError("counts need a put to carry them (the fact they count)")
            first = items[0]["Put"]
            items[0] = {"Put": {**first, "Item": stats.carrying(first["Item"], self._counts)}}
        for item, rev in self._revised.values():
            put: dict[str, Any] = {"TableName": self.table_name, "Item": {**item, "rev": (rev or 0) + 1}}
            if rev is None:
                put["ConditionExpression"] = "attribute_not_exists(pk)"
            elif rev == 0:
                put["ConditionExpression"] = "attribute_not_exists(#rev)"
                put["ExpressionAttributeNames"] = {"#rev": "rev"}
            else:
                put["ConditionExpression"] = "#rev = :rev"
                put["ExpressionAttributeNames"] = {"#rev": "rev"}
                put["ExpressionAttributeValues"] = {":rev": rev}
            items.append({"Put": put})
        for update in self._updates.values():
            names = dict(update.names)
            values = dict(update.values)
            clauses = [
                clause
                for clause in (
                    _clause("SET", "s", "{n} = {v}", update.sets.items(), names, values),
                    _clause("ADD", "a", "{n} {v}", update.adds.items(), names, values),
                    _clause("REMOVE", "r", "{n}", ((name, None) for name in sorted(update.removes)), names, values),
                )
                if clause
            ]
            body: dict[str, Any] = {
                "TableName": self.table_name,
                "Key": update.key,
                "UpdateExpression": " ".join(clauses),
                "ExpressionAttributeNames": names,
            }
            if values:
                body["ExpressionAttributeValues"] = values
            if update.conditions:
                body["ConditionExpression"] = " AND ".join(update.conditions)
            items.append({"Update": body})
        return items


def _clause(
    keyword: str,
    prefix: str,
    form: str,
    pairs: Iterable[tuple[str, Any]],
    names: dict[str, str],
    values: dict[str, Any],
) -> str:
    """One clause of an UpdateExpression ('' when empty), its placeholders added to `names` and `values`."""
    fields = []
    for i, (name, value) in enumerate(pairs):
        names[f"#{prefix}{i}"] = name
        if keyword != "REMOVE":
            values[f":{prefix}{i}"] = value
        fields.append(form.format(n=f"#{prefix}{i}", v=f":{prefix}{i}"))
    return f"{keyword} " + ", ".join(fields) if fields else ""
