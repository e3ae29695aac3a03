"""Parcels under watch: registered once when shipped (with the key a carrier's push finds them by), read back for
each check, put back on the due index, and saved over the version they were loaded at."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from proativo.aws import batch_get, keys, query_items, written
from proativo.aws.writes import Writes
from proativo.clock import as_utc, parse_utc
from proativo.events import OrderShipped
from proativo.tracking.carriers import carrier_id, code_is_valid, known
from proativo.tracking.detection import ParcelState
from proativo.tracking.model import ParcelRef, parcel_sk
from proativo.tracking.status import Scan, Status

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

FIRST_CHECK_AFTER = timedelta(hours=2)


def lookup_pk(store_id: str, carrier: str, tracking_code: str) -> str:
    """Partition of the item that finds a parcel from its carrier and code alone (one per parcel: no hot key)."""

    return f"{keys.store_pk(store_id)}#TRACK#{carrier_id(carrier)}#{tracking_code.strip().upper()}"


def unmatched_pk(store_id: str) -> str:
    """The store's register of parcels whose carrier neither their name nor their code told (`proativo carriers
    unmatched`): listed with a Query, never a scan."""
    return f"{keys.store_pk(store_id)}#UNMATCHED"


def _key(ref: ParcelRef) -> dict[str, str]:
    return {"pk": keys.customer_pk(ref.store_id, ref.customer_id), "sk": parcel_sk(ref.carrier, ref.tracking_code)}


def item_key(ref: ParcelRef) -> tuple[str, str]:
    key = _key(ref)
    return key["pk"], key["sk"]


def _time(item: dict[str, Any], name: str) -> datetime | None:
    value = item.get(name)
    return parse_utc(str(value)) if value else None


@dataclass(frozen=True)
class ParcelRegistry:
    """Parcels under watch."""

    table: "Table"
    due_shards: int

    def register(self, event: OrderShipped, now: datetime, known_items: Mapping[str, Any], writes: Writes) -> None:
        """Start watching a shipped parcel, in the transaction of the event that shipped it (`writes`): its item,
        unless the customer's partition as read (`known_items`, by sort key) has it already (a repeated shipment
        changes nothing), and the key a carrier's push finds it by. Conditional on the parcel still being new: a
        concurrent registration fails the transaction, which is read and decided again."""
        pk = keys.customer_pk(event.store_id, event.customer.id)
        sk = parcel_sk(event.carrier, event.tracking_code)
        if sk in known_items:
            return
        first = max(now, event.occurred_at) + FIRST_CHECK_AFTER
        ref = ParcelRef(
            store_id=event.store_id,
            customer_id=event.customer.id,
            order_id=event.order_id,
            carrier=event.carrier,
            tracking_code=event.tracking_code,
        )
        writes.put(self.lookup_item(ref, event.carrier))
        if not known(event.carrier):
            # No carrier we know, by name or by code: kept and listed for the store (still followed through its
            # aggregator, if it has one), never dropped.
            writes.put(
                {
                    "pk": unmatched_pk(event.store_id),
                    "sk": f"{event.carrier}#{event.tracking_code}",
                    "kind": "unmatched_parcel",
                    "carrier": event.carrier,
                    "tracking_code": event.tracking_code,
                    "order_id": event.order_id,
                    "customer_id": event.customer.id,
                    "shipped_at": as_utc(event.occurred_at),
                }
            )
        # A code its carrier's format rejects (a Correios code failing its S10 check digit) was mistyped: the carrier
        # would never know it, and the customer would be told of a "lost" parcel. Keep it off the index, for the
        # store's team to correct.
        mistyped = not code_is_valid(event.carrier, event.tracking_code)
        due = {} if mistyped else keys.due_keys("track", f"{pk}|{sk}", first, self.due_shards)
        writes.put(
            {
                "pk": pk,
                "sk": sk,
                "kind": "parcel",
                "store_id": event.store_id,
                "customer_id": event.customer.id,
                "order_id": event.order_id,
                "carrier": event.carrier,
                "tracking_code": event.tracking_code,
                "shipped_at": as_utc(event.occurred_at),
                **({"promised_at": as_utc(event.promised_at)} if event.promised_at else {}),
                **({"tracking_url": event.tracking_url} if event.tracking_url else {}),
                "status": "exception" if mistyped else "info_received",
                **({"substatus": "invalid_code"} if mistyped else {"next_check_at": as_utc(first)}),
                "version": 0,
                **due,
            },
            condition="attribute_not_exists(pk)",
        )

    def unmatched(self, store_id: str) -> list[dict[str, Any]]:
        """The store's parcels whose carrier could not be told, oldest first."""
        found = query_items(
            self.table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": unmatched_pk(store_id)}
        )
        return sorted(
            ({k: v for k, v in i.items() if k not in ("pk", "sk")} for i in found), key=lambda i: str(i["shipped_at"])
        )

    def find(self, store_id: str, carrier: str, tracking_code: str) -> ParcelRef | None:
        """The parcel a store shipped with `carrier` under `tracking_code` (None: not shipped, or not yet known)."""
        item = self.table.get_item(Key={"pk": lookup_pk(store_id, carrier, tracking_code), "sk": "REF"}).get("Item")
        return ParcelRef(**{f: str(item[f]) for f in ParcelRef.model_fields}) if item else None

    def load(self, ref: ParcelRef) -> dict[str, Any] | None:
        """The parcel's item (None if it is gone, e.g. erased)."""
        item: dict[str, Any] | None = self.table.get_item(Key=_key(ref), ConsistentRead=True).get("Item")
        return item

    def load_many(self, refs: Sequence[ParcelRef]) -> dict[tuple[str, str], dict[str, Any]]:
        """The items of many parcels by (pk, sk), 100 keys a request; keys DynamoDB leaves unprocessed (throttling)
        are read one by one, so the answer is always whole."""
        read = batch_get(self.table, [_key(r) for r in refs])
        for key in read.unprocessed:
            alone = self.table.get_item(Key=key, ConsistentRead=True).get("Item")
            if alone:
                read.found[(str(key["pk"]), str(key["sk"]))] = dict(alone)
        return read.found

    def reschedule(self, ref: ParcelRef, at: datetime, aggregator: str | None = None) -> bool:
        """Put the parcel back on the due index for a check at `at` (noting the aggregator that follows it, if
        any); False if the parcel is gone (e.g. erased)."""
        due = keys.due_keys("track", "|".join(_key(ref).values()), at, self.due_shards)
        values = {":s": due["due_shard"], ":d": due["due_at"], **({":a": aggregator} if aggregator else {})}
        return written(
            lambda: self.table.update_item(
                Key=_key(ref),
                UpdateExpression="SET due_shard = :s, due_at = :d, next_check_at = :d"
                + (", aggregator = :a" if aggregator else ""),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=values,
            )
        )

    def add_lookup(self, ref: ParcelRef, via: str) -> None:
        """Let pushes from `via` (the parcel's carrier, or an aggregator following it) find the parcel by its code
        alone (idempotent)."""
        self.table.put_item(Item=self.lookup_item(ref, via))

    @staticmethod
    def lookup_item(ref: ParcelRef, via: str) -> dict[str, Any]:
        """The item that finds a parcel from `via`'s pushes by its code alone."""
        return {
            "pk": lookup_pk(ref.store_id, via, ref.tracking_code),
            "sk": "REF",
            "kind": "parcel_ref",
            **ref.model_dump(),
        }

    def save(
        self,
        item: dict[str, Any],
        state: ParcelState,
        next_check_at: datetime | None,
        counters: Sequence[dict[str, Any]] = (),
        new_scans: Sequence[Scan] = (),
    ) -> bool:
        """Store the assessed state and the next check (none: off the index for good) over the item as loaded, if
        nobody saved since (optimistic: the version it was loaded at). One put, no update expression to evaluate;
        with `counters` (the scorecard's, when the journey ends), one transaction, and the parcel is marked scored."""
        version = int(item.get("version", 0))
        fields: dict[str, Any] = {
            "status": state.status.value,
            "substatus": state.substatus,
            "open_episodes": sorted(state.open_episodes),
            "episodes_seen": sorted(state.episodes_seen),
            "scans_seen": state.scans_seen,
            "last_scan_at": as_utc(state.last_scan_at) if state.last_scan_at else None,
            "last_description": state.last_description,
            "last_location": state.last_location,
            "estimated_delivery": as_utc(state.estimated_delivery) if state.estimated_delivery else None,
            "delivered_at": as_utc(state.delivered_at) if state.delivered_at else None,
        }
        if new_scans:
            fields["timeline"] = timeline(item.get("timeline"), new_scans)
        kept = {k: v for k, v in item.items() if k not in fields and k not in ("due_shard", "due_at", "next_check_at")}
        updated: dict[str, Any] = {**kept, **{k: v for k, v in fields.items() if v is not None}, "version": version + 1}
        if next_check_at is not None:
            due = keys.due_keys("track", f"{item['pk']}|{item['sk']}", next_check_at, self.due_shards)
            updated.update({**due, "next_check_at": due["due_at"]})
        put = {
            "TableName": self.table.name,
            "Item": {**updated, **({"scored": True} if counters else {})},
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": {":v": version},
        }
        # Through the resource's client: clients are thread-safe (the tracker saves from worker threads), and this
        # one takes plain Python values like the resource does.
        client: Any = self.table.meta.client
        if counters:
            return written(lambda: client.transact_write_items(TransactItems=[{"Put": put}, *counters]))
        return written(lambda: client.put_item(**put))


# The scans a parcel keeps for its customer's page: the newest, in the carrier's own words (bounded: the item is
# rewritten on every check, and its size is what the write costs).
TIMELINE_SCANS = 20


def timeline(kept: Any, new_scans: Sequence[Scan]) -> list[dict[str, Any]]:
    """The parcel's timeline after `new_scans`, oldest first, at most `TIMELINE_SCANS`."""
    entries = [dict(e) for e in kept or () if isinstance(e, dict)]
    entries += [
        {
            "at": as_utc(s.at),
            "status": s.status.value,
            "description": s.description[:200],
            **({"location": s.location[:120]} if s.location else {}),
        }
        for s in new_scans
    ]
    entries.sort(key=lambda e: str(e.get("at")))
    return entries[-TIMELINE_SCANS:]


def state_of(item: dict[str, Any]) -> ParcelState:
    """The detector's view of a stored parcel."""

    shipped = _time(item, "shipped_at")
    assert shipped is not None  # every parcel is registered with its shipping time
    return ParcelState(
        shipped_at=shipped,
        promised_at=_time(item, "promised_at"),
        estimated_delivery=_time(item, "estimated_delivery"),
        status=Status(str(item.get("status", "info_received"))),
        substatus=item.get("substatus"),
        last_scan_at=_time(item, "last_scan_at"),
        last_description=item.get("last_description"),
        last_location=item.get("last_location"),
        scans_seen=int(item.get("scans_seen", 0)),
        open_episodes=frozenset(item.get("open_episodes") or ()),
        episodes_seen=frozenset(item.get("episodes_seen") or ()),
        delivered_at=_time(item, "delivered_at"),
    )
