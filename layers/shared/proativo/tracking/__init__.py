"""Parcel tracking: every shipped parcel gets a next-check time on the due index; the tracking schedule fans due
parcels out to the tracking queue and the worker asks the parcel's carrier, assesses what changed (`detection`)
and announces it as canonical events (status changes, exceptions once per episode, delivery) on the events queue.

Carrier adapters plug in behind `Carrier`; a carrier without an adapter (or a store without credentials for it) is
checked again later (its parcels are kept, not dropped), so adding an adapter starts tracking the parcels waiting.
"""

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict

from proativo.aws import keys, written
from proativo.clock import as_utc, parse_utc
from proativo.events import Customer, Event, OrderDelivered, OrderShipped, ParcelException, ParcelScanned

if TYPE_CHECKING:
    import httpx
    from mypy_boto3_dynamodb.service_resource import Table

    from proativo.tracking.claims import ClaimBook, ClaimChannel, ClaimOutcome
    from proativo.tracking.detection import Assessment, ParcelState, TrackingPolicy
    from proativo.tracking.limits import Limits, Throttle
    from proativo.tracking.status import TrackingResult

FIRST_CHECK_AFTER = timedelta(hours=2)
RECHECK_WITHOUT_ADAPTER = timedelta(hours=12)


class Carrier(Protocol):
    """A carrier adapter: asks about up to `batch_size` codes per request, within its `limits` (shared by every store's
    adapter of the same carrier `name` in a worker); codes it has nothing on may be absent from the answer."""

    name: str
    batch_size: int
    limits: "Limits"

    async def fetch(
        self, http: "httpx.AsyncClient", codes: list[str], now: datetime
    ) -> dict[str, "TrackingResult"]: ...


def parcel_sk(carrier: str, tracking_code: str) -> str:
    """Sort key of a parcel inside the customer's partition."""
    return f"PARCEL#{carrier}#{tracking_code}"


def lookup_pk(store_id: str, carrier: str, tracking_code: str) -> str:
    """Partition of the item that finds a parcel from its carrier and code alone (one per parcel: no hot key)."""
    from proativo.tracking.carriers import carrier_id

    return f"{keys.store_pk(store_id)}#TRACK#{carrier_id(carrier)}#{tracking_code.strip().upper()}"


class ParcelRef(BaseModel):
    """The tracking queue's message: which parcel to check."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    store_id: str
    customer_id: str
    order_id: str
    carrier: str
    tracking_code: str


class ParcelBatch(BaseModel):
    """The tracking queue's message: parcels of one store and carrier to check together (a lone ParcelRef, the
    earlier shape, reads as a batch of one)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    parcels: tuple[ParcelRef, ...]

    @classmethod
    def from_message(cls, body: str) -> "ParcelBatch":
        """Parse a tracking queue message."""
        data = json.loads(body)
        return cls.model_validate(data if isinstance(data, dict) and "parcels" in data else {"parcels": [data]})


class ParcelNotYetKnown(RuntimeError):
    """A carrier pushed scans for a code no shipment has named yet (the shipment event may still be on its way):
    the queue retries, and after its retries the message waits in the DLQ."""


def _key(ref: ParcelRef) -> dict[str, str]:
    return {"pk": keys.customer_pk(ref.store_id, ref.customer_id), "sk": parcel_sk(ref.carrier, ref.tracking_code)}


def _item_key(ref: ParcelRef) -> tuple[str, str]:
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

    def register(self, event: OrderShipped, now: datetime) -> bool:
        """Start watching a shipped parcel (once; a repeated shipment event changes nothing). False when it was
        known already."""
        from proativo.tracking import s10
        from proativo.tracking.carriers import carrier_id

        pk = keys.customer_pk(event.store_id, event.customer.id)
        sk = parcel_sk(event.carrier, event.tracking_code)
        first = max(now, event.occurred_at) + FIRST_CHECK_AFTER
        # How a carrier's push (which knows only the tracking code) finds the parcel. Written first and idempotent:
        # a crash before the parcel's own put leaves nothing a retry would not write again.
        self.table.put_item(
            Item={
                "pk": lookup_pk(event.store_id, event.carrier, event.tracking_code),
                "sk": "REF",
                "kind": "parcel_ref",
                "store_id": event.store_id,
                "customer_id": event.customer.id,
                "order_id": event.order_id,
                "carrier": event.carrier,
                "tracking_code": event.tracking_code,
            }
        )
        # A Correios code that fails its S10 check digit was mistyped: the carrier would never know it, and the
        # customer would be told of a "lost" parcel. Keep it off the index, for the store's team to correct.
        mistyped = carrier_id(event.carrier) == "correios" and not s10.is_valid(event.tracking_code)
        due = {} if mistyped else keys.due_keys("track", f"{pk}|{sk}", first, self.due_shards)
        return written(
            lambda: self.table.put_item(
                Item={
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
                ConditionExpression="attribute_not_exists(pk)",
            )
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
        # The resource's client takes and gives plain Python values (boto3 injects the type conversion).
        client = self.table.meta.client
        found: dict[tuple[str, str], dict[str, Any]] = {}
        keys = [_key(r) for r in refs]
        for start in range(0, len(keys), 100):
            answer: Any = client.batch_get_item(
                RequestItems={self.table.name: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
            )
            for item in answer.get("Responses", {}).get(self.table.name, []):
                found[(item["pk"], item["sk"])] = dict(item)
            for key in answer.get("UnprocessedKeys", {}).get(self.table.name, {}).get("Keys", []):
                alone = self.table.get_item(Key=key, ConsistentRead=True).get("Item")
                if alone:
                    found[(key["pk"], key["sk"])] = dict(alone)
        return found

    def reschedule(self, ref: ParcelRef, at: datetime) -> bool:
        """Put the parcel back on the due index for a check at `at`; False if the parcel is gone (e.g. erased)."""
        due = keys.due_keys("track", "|".join(_key(ref).values()), at, self.due_shards)
        return written(
            lambda: self.table.update_item(
                Key=_key(ref),
                UpdateExpression="SET due_shard = :s, due_at = :d, next_check_at = :d",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":s": due["due_shard"], ":d": due["due_at"]},
            )
        )

    def save(
        self,
        item: dict[str, Any],
        state: "ParcelState",
        next_check_at: datetime | None,
        counters: Sequence[dict[str, Any]] = (),
    ) -> bool:
        """Store the assessed state and the next check (none: off the index for good) over the item as loaded, if
        nobody saved since (optimistic: the version it was loaded at). One put, no update expression to evaluate;
        with `counters` (the scorecard's, when the journey ends), one transaction, and the parcel is marked scored."""
        version = int(item.get("version", 0))
        fields = {
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


def state_of(item: dict[str, Any]) -> "ParcelState":
    """The detector's view of a stored parcel."""
    from proativo.tracking.detection import ParcelState
    from proativo.tracking.status import Status

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


def announcements(ref: ParcelRef, item: dict[str, Any], assessment: "Assessment", now: datetime) -> list[Event]:
    """The canonical events one assessment announces, each with an id that re-detection reproduces exactly."""
    from proativo.tracking.status import Status

    base = {
        "store_id": ref.store_id,
        "source": ref.carrier,
        "customer": Customer(id=ref.customer_id),
        "order_id": ref.order_id,
    }
    parcel = {**base, "carrier": ref.carrier, "tracking_code": ref.tracking_code}
    url = item.get("tracking_url")
    # Each kind of announcement has its own id space: a failed-attempt scan and the failed-attempt episode it opens
    # share a kind and an instant, and must not be taken for one another by the events function's idempotency.
    prefix = f"parcel:{ref.carrier}:{ref.tracking_code}"
    state = assessment.state
    found: list[Event] = []
    if assessment.status_changed and state.last_scan_at is not None:
        found.append(
            ParcelScanned(
                **parcel,
                event_id=f"{prefix}:scan:{state.status.value}:{as_utc(state.last_scan_at)}",
                occurred_at=state.last_scan_at,
                status=state.status.value,
                substatus=state.substatus,
                description=state.last_description,
                location=state.last_location,
                at=state.last_scan_at,
                tracking_url=url,
            )
        )
    for episode in assessment.opened:
        found.append(
            ParcelException(
                **parcel,
                event_id=f"{prefix}:exception:{episode.kind}:{as_utc(episode.since)}",
                occurred_at=min(episode.since, now),
                kind=episode.kind,
                detail=episode.detail,
                location=state.last_location,
                promised_at=state.promised_at or state.estimated_delivery,
                pickup_deadline=episode.pickup_deadline,
                tracking_url=url,
            )
        )
    if assessment.status_changed and state.status == Status.DELIVERED and state.delivered_at:
        found.append(OrderDelivered(**base, event_id=f"{prefix}:delivered", occurred_at=state.delivered_at))
    return found


@dataclass(frozen=True)
class CheckOutcome:
    """What one carrier check found for one parcel, and when it is checked next (None: never again)."""

    ref: ParcelRef
    new_scans: int
    announced: tuple[str, ...]
    next_check_at: datetime | None
    note: str


@dataclass
class Tracker:
    """Checks parcels with their carriers and announces what changed."""

    registry: ParcelRegistry
    carriers: Callable[[str, str], Carrier | None]
    policies: Callable[[str], "TrackingPolicy"]
    publish: Callable[[Sequence[Event]], None]
    claims: "ClaimBook | None" = None
    claim_channels: Callable[[str, str], "ClaimChannel | None"] = lambda store, carrier: None
    http_timeout: float = 10.0
    _throttles: dict[tuple[int, str], "Throttle"] = field(default_factory=dict)

    async def check(self, refs: Sequence[ParcelRef], now: datetime) -> list[CheckOutcome]:
        """Ask the carriers about `refs` (batches of each carrier's size, concurrently within its limits; one
        store's credentials per request), assess each parcel, announce, then save. Announcing first: a crash before
        the save re-detects the same events, with the same ids."""
        import httpx

        outcomes: list[CheckOutcome] = []
        groups: dict[tuple[str, str], list[ParcelRef]] = {}
        for ref in refs:
            groups.setdefault((ref.store_id, ref.carrier), []).append(ref)
        items = self.registry.load_many(refs)
        work = []
        async with httpx.AsyncClient(timeout=self.http_timeout) as http:
            for (store_id, carrier), group in groups.items():
                adapter = self.carriers(store_id, carrier)
                policy = self.policies(store_id)
                if adapter is None:
                    outcomes += [self._without_adapter(ref, items.get(_item_key(ref)), policy, now) for ref in group]
                    continue
                for start in range(0, len(group), adapter.batch_size):
                    chunk = group[start : start + adapter.batch_size]
                    work.append(self._batch(http, adapter, chunk, items, policy, now))
            for done in await asyncio.gather(*work):
                outcomes += done
        return outcomes

    def check_now(self, refs: Sequence[ParcelRef], now: datetime) -> list[CheckOutcome]:
        """`check` from synchronous code (scripts, benchmarks)."""
        return asyncio.run(self.check(refs, now))

    def _throttle(self, adapter: Carrier) -> "Throttle":
        from proativo.tracking.limits import Throttle

        key = (id(asyncio.get_running_loop()), adapter.name)  # per carrier, across the stores' contracts
        if key not in self._throttles:
            self._throttles = {k: v for k, v in self._throttles.items() if k[0] == key[0]}  # older loops are gone
            self._throttles[key] = Throttle(adapter.limits)
        return self._throttles[key]

    async def _batch(
        self,
        http: "httpx.AsyncClient",
        adapter: Carrier,
        refs: list[ParcelRef],
        items: dict[tuple[str, str], dict[str, Any]],
        policy: "TrackingPolicy",
        now: datetime,
    ) -> list[CheckOutcome]:
        async with self._throttle(adapter).slot():
            results = await adapter.fetch(http, [r.tracking_code for r in refs], now)
        # Announcing and saving wait on AWS: off the event loop, so the next carrier requests go out meanwhile.
        return await asyncio.to_thread(
            lambda: [self._apply(ref, items.get(_item_key(ref)), results, policy, now) for ref in refs]
        )

    async def apply_push(self, store_id: str, carrier: str, result: "TrackingResult", now: datetime) -> CheckOutcome:
        """Fold a carrier's pushed scans into its parcel, like a polled answer."""
        ref = self.registry.find(store_id, carrier, result.tracking_code)
        if ref is None:
            raise ParcelNotYetKnown(f"no parcel of store '{store_id}' with {carrier} {result.tracking_code} yet")
        item = self.registry.load(ref)
        policy = self.policies(store_id)
        return await asyncio.to_thread(self._apply, ref, item, {result.tracking_code: result}, policy, now)

    async def advance_claims(self, store_id: str, claim_keys: Sequence[str], now: datetime) -> list["ClaimOutcome"]:
        """Take each due claim of a store one step (open, ask for the answer, or warn of its deadline)."""
        import httpx

        from proativo.tracking.claims import advance_claim

        assert self.claims is not None, "the tracker was built without a claims register"
        outcomes = []
        async with httpx.AsyncClient(timeout=self.http_timeout) as http:
            for sk in claim_keys:
                claim = self.claims.load(store_id, sk)
                if claim is None:
                    continue
                channel = self.claim_channels(store_id, str(claim["carrier"]))
                outcomes.append(await advance_claim(self.claims, claim, channel, http, self.publish, now))
        return outcomes

    def _without_adapter(
        self, ref: ParcelRef, item: dict[str, Any] | None, policy: "TrackingPolicy", now: datetime
    ) -> CheckOutcome:
        if item is not None and int(item.get("scans_seen", 0)) > 0:
            # A carrier that pushes: its silence is news too (late, stalled, lost are judged by the clock).
            return self._apply(ref, item, {}, policy, now)
        at = now + RECHECK_WITHOUT_ADAPTER
        kept = self.registry.reschedule(ref, at)
        note = f"no adapter or credentials for carrier '{ref.carrier}'; kept for later"
        return CheckOutcome(ref, 0, (), at if kept else None, note)

    def _apply(
        self,
        ref: ParcelRef,
        item: dict[str, Any] | None,
        results: dict[str, "TrackingResult"],
        policy: "TrackingPolicy",
        now: datetime,
    ) -> CheckOutcome:
        from proativo.tracking.detection import assess

        if item is None:
            return CheckOutcome(ref, 0, (), None, "parcel no longer exists")
        assessment = assess(state_of(item), results.get(ref.tracking_code.upper()), now, policy)
        events = announcements(ref, item, assessment, now)
        if events:
            self.publish(events)
        state = assessment.state
        ended = assessment.next_check_at is None or "lost" in state.open_episodes
        scoring = ended and not item.get("scored")
        where = ""
        counts: list[dict[str, Any]] = []
        if scoring:
            from proativo.tracking import scorecard
            from proativo.tracking.status import Status

            where = scorecard.scope(ref.carrier, scorecard.destination_state(state.last_location))
            amounts = scorecard.journey_counts(state, delivered=state.status == Status.DELIVERED)
            counts = scorecard.counters(self.registry.table.name, ref.store_id, where, now, amounts)
        saved = self.registry.save(item, state, assessment.next_check_at, counts)
        announced = [e.type if not isinstance(e, ParcelException) else f"{e.type}:{e.kind}" for e in events]
        if saved and scoring:
            alert = scorecard.check_alert(self.registry.table, ref.store_id, where, policy, now)
            if alert:
                announced.append(f"CarrierAlert:{alert.carrier_scope}:{alert.incidents}/{alert.parcels}")
        if saved and self.claims is not None:
            from proativo.tracking.claims import claimable, rules_for

            rules = rules_for(ref.carrier)
            kind = claimable(state, rules, now)
            if kind and self.claims.start(ref, state, kind, rules, now):
                announced.append(f"ClaimStarted:{kind}")
        return CheckOutcome(
            ref,
            len(assessment.new_scans),
            tuple(announced),
            assessment.next_check_at,
            state.status.value + ("" if saved else " (another check saved first)"),
        )
