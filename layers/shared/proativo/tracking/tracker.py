"""Checking parcels with their carriers: each carrier asked in batches of its size within its limits, each parcel
assessed (`detection`), what changed announced as canonical events (status changes, exceptions once per episode,
delivery), the journey scored when it ends, a claim started when the trouble is claimable, and the state saved.

A carrier without an adapter (or a store without credentials for it) is checked again later: its parcels are kept,
not dropped, so adding an adapter starts tracking the parcels waiting."""

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import httpx
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from proativo.aws import metrics as business
from proativo.clock import as_utc
from proativo.events import ClaimUpdated, Customer, Event, OrderDelivered, ParcelException, ParcelScanned
from proativo.tracking import scorecard
from proativo.tracking.claims import ClaimBook, ClaimOutcome, advance_claim, claimable, rules_for
from proativo.tracking.detection import Assessment, TrackingPolicy, assess
from proativo.tracking.limits import Throttle
from proativo.tracking.model import Carrier, ClaimChannel, ClaimsDue, ParcelNotYetKnown, ParcelRef, Registrar
from proativo.tracking.push import CarrierPushMessage
from proativo.tracking.queue import TrackingMessage
from proativo.tracking.registry import ParcelRegistry, item_key, state_of
from proativo.tracking.status import Scan, Status, TrackingResult

RECHECK_WITHOUT_ADAPTER = timedelta(hours=12)

# A parcel, its item as read, what its check found, and the events that announce it.
Assessed = tuple[ParcelRef, dict[str, Any], Assessment, list[Event]]


class GroupAnnouncer:
    """Announcements of concurrent carrier answers, sent together (a group commit): while one send to the events
    queue is on its way, the answers that arrive meanwhile wait and go out in the next, as batches of the queue's
    messages for many parcels instead of a request per answer. `announce` returns once its own events were taken,
    so each parcel is still saved only after what it found was announced; a refused send fails every answer it
    carried (their parcels stay due, and their events, re-detected with the same ids, are sent again)."""

    def __init__(self, publish: Callable[[Sequence[Event]], None]) -> None:
        self._publish = publish
        self._waiting: list[tuple[list[Event], asyncio.Future[None]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def announce(self, events: list[Event]) -> None:
        if not events:
            return
        taken = asyncio.get_running_loop().create_future()
        self._waiting.append((events, taken))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send())
        await taken

    async def _send(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                await asyncio.to_thread(self._publish, [e for events, _ in group for e in events])
            except Exception as error:  # handed to every answer it carried, each raises it
                for _, taken in group:
                    taken.set_exception(error)
            else:
                for _, taken in group:
                    taken.set_result(None)


@cache
def _models_built() -> bool:
    """Build the models the tracker's threads make before any thread makes one. They are deferred (built on first
    use, for cold starts), and two threads building one at once can race: pydantic then validated a ParcelScanned
    against its base class (seen under a profiler, 480 parcels checked at once)."""
    for model in (Customer, ParcelScanned, ParcelException, OrderDelivered, ClaimUpdated, Scan, TrackingResult):
        model.model_rebuild()
    return True


def announcements(ref: ParcelRef, item: dict[str, Any], assessment: Assessment, now: datetime) -> list[Event]:
    """The canonical events one assessment announces, each with an id that re-detection reproduces exactly."""

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
    events: tuple[Event, ...]
    next_check_at: datetime | None
    note: str
    alert: scorecard.Alert | None = None
    claim_started: str | None = None

    @property
    def exceptions(self) -> tuple[str, ...]:
        """The kinds of trouble this check opened (late, stalled, lost, …)."""
        return tuple(e.kind for e in self.events if isinstance(e, ParcelException))

    @property
    def announced(self) -> tuple[str, ...]:
        """Everything it announced, in words for the log."""
        said = [f"{e.type}:{e.kind}" if isinstance(e, ParcelException) else e.type for e in self.events]
        if self.alert:
            said.append(f"CarrierAlert:{self.alert.carrier_scope}:{self.alert.incidents}/{self.alert.parcels}")
        if self.claim_started:
            said.append(f"ClaimStarted:{self.claim_started}")
        return tuple(said)


def _checked_since(item: dict[str, Any] | None, now: datetime) -> bool:
    """True when the parcel's next check is later than now: a check ran since the message was sent."""
    due = item.get("next_check_at") if item else None
    return bool(due) and str(due) > as_utc(now)


@dataclass
class Tracker:
    """Checks parcels with their carriers and announces what changed."""

    registry: ParcelRegistry
    carriers: Callable[[str, str], Carrier | None]
    policies: Callable[[str], TrackingPolicy]
    publish: Callable[[Sequence[Event]], None]
    claims: ClaimBook | None = None
    claim_channels: Callable[[str, str], ClaimChannel | None] = lambda store, carrier: None
    # The store's aggregator (None: it has none): follows, and pushes, parcels of carriers we do not poll.
    registrars: Callable[[str], Registrar | None] = lambda store: None
    http_timeout: float = 10.0
    # How many trackers run at once at most (the queue trigger's maximum concurrency): each takes its share of a
    # carrier's limits.
    workers: int = 1
    _throttles: dict[tuple[int, str], Throttle] = field(default_factory=dict)

    async def check(self, refs: Sequence[ParcelRef], now: datetime) -> list[CheckOutcome]:
        """Ask the carriers about `refs` (batches of each carrier's size, concurrently within its limits; one
        store's credentials per request), assess each parcel, announce, then save. Announcing first: a crash before
        the save re-detects the same events, with the same ids."""
        _models_built()
        outcomes: list[CheckOutcome] = []
        groups: dict[tuple[str, str], list[ParcelRef]] = {}
        for ref in refs:
            groups.setdefault((ref.store_id, ref.carrier), []).append(ref)
        items = self.registry.load_many(refs)
        # A parcel stays on the due index until its check is saved: a second message for it (the schedule ran
        # again before this queue was worked) finds it rescheduled already, and asks the carrier nothing.
        checked = [r for r in refs if _checked_since(items.get(item_key(r)), now)]
        outcomes += [CheckOutcome(r, 0, (), None, "checked already (a repeated message)") for r in checked]
        refs = [r for r in refs if r not in checked]
        groups = {k: [r for r in g if r not in checked] for k, g in groups.items()}
        announcer = GroupAnnouncer(self.publish)
        work = []
        async with contextlib.AsyncExitStack() as clients:
            # A connection pool per carrier: httpx looks over every pooled connection on each request, so one
            # carrier's connections are not looked over for another's requests.
            pools: dict[str, httpx.AsyncClient] = {}

            async def pool(name: str) -> httpx.AsyncClient:
                if name not in pools:
                    pools[name] = await clients.enter_async_context(httpx.AsyncClient(timeout=self.http_timeout))
                return pools[name]

            for (store_id, carrier), group in groups.items():
                adapter = self.carriers(store_id, carrier)
                policy = self.policies(store_id)
                registrar = self.registrars(store_id) if adapter is None else None
                if registrar is not None:
                    http = await pool(registrar.name)
                    work.append(self._via_aggregator(http, registrar, group, items, policy, now))
                    continue
                if adapter is None:
                    outcomes += [self._without_adapter(ref, items.get(item_key(ref)), policy, now) for ref in group]
                    continue
                http = await pool(adapter.name)
                for start in range(0, len(group), adapter.batch_size):
                    chunk = group[start : start + adapter.batch_size]
                    work.append(self._batch(http, adapter, chunk, items, policy, now, announcer))
            for done in await asyncio.gather(*work):
                outcomes += done
        return outcomes

    async def handle(self, message: TrackingMessage, now: datetime) -> list[CheckOutcome] | list[ClaimOutcome]:
        """Do what a tracking queue message asks."""
        match message:
            case ClaimsDue(store_id=store_id, keys=claim_keys):
                return await self.advance_claims(store_id, claim_keys, now)
            case CarrierPushMessage(store_id=store_id, carrier=carrier, push=push):
                return [await self.apply_push(store_id, carrier, push.result(), now)]
        return await self.check(message.parcels, now)

    @staticmethod
    def observe(outcome: "CheckOutcome | ClaimOutcome", metrics: Metrics, logger: Logger) -> None:
        """What a check or a claim step did, as metrics (problems and claims by carrier: the recurring-problems view)
        and one log line (no personal data: ids, carriers, statuses)."""
        if isinstance(outcome, ClaimOutcome):
            metrics.add_metric(name="ClaimSteps", unit=MetricUnit.Count, value=1)
            for status in outcome.statuses:  # opened, answered, won (refunded), lost
                business.record("Claims", outcome.store_id, carrier=outcome.carrier, status=status)
            facts = {"claim": outcome.sk, "status": outcome.status, "amount": outcome.amount}
            announced = list(outcome.announced)
            logger.info("claim step", extra={"store_id": outcome.store_id, **facts, "announced": announced})
            return
        ref = outcome.ref
        metrics.add_metric(name="ParcelsChecked", unit=MetricUnit.Count, value=1)
        for kind in outcome.exceptions:  # late, stalled, lost, damaged, returned…
            metrics.add_metric(name="ParcelExceptions", unit=MetricUnit.Count, value=1)
            business.record("ParcelProblems", ref.store_id, carrier=ref.carrier, kind=kind)
        if outcome.alert:  # a carrier's incidents reached the store's threshold this month
            metrics.add_metric(name="CarrierAlerts", unit=MetricUnit.Count, value=1)
            alert = f"{outcome.alert.carrier_scope}: {outcome.alert.incidents} of {outcome.alert.parcels} parcels"
            logger.warning("carrier alert", extra={"store_id": ref.store_id, "alert": alert})
        logger.info(
            "parcel checked",
            extra={
                "store_id": ref.store_id,
                "carrier": ref.carrier,
                "order_id": ref.order_id,
                "new_scans": outcome.new_scans,
                "announced": list(outcome.announced),
                "outcome": outcome.note,
                "next_check_at": outcome.next_check_at.isoformat() if outcome.next_check_at else None,
            },
        )

    def check_now(self, refs: Sequence[ParcelRef], now: datetime) -> list[CheckOutcome]:
        """`check` from synchronous code (scripts, benchmarks)."""
        return asyncio.run(self.check(refs, now))

    def _throttle(self, adapter: Carrier | Registrar) -> Throttle:
        key = (id(asyncio.get_running_loop()), adapter.name)  # per carrier, across the stores' contracts
        if key not in self._throttles:
            self._throttles = {k: v for k, v in self._throttles.items() if k[0] == key[0]}  # older loops are gone
            self._throttles[key] = Throttle(adapter.limits.shared_by(self.workers))
        return self._throttles[key]

    async def _batch(
        self,
        http: httpx.AsyncClient,
        adapter: Carrier,
        refs: list[ParcelRef],
        items: dict[tuple[str, str], dict[str, Any]],
        policy: TrackingPolicy,
        now: datetime,
        announcer: "GroupAnnouncer",
    ) -> list[CheckOutcome]:
        async with self._throttle(adapter).slot():
            results = await adapter.fetch(http, [r.tracking_code for r in refs], now)
        # A carrier that caches its answers (Melhor Envio: an hour) is not asked again before they can change.
        floor: timedelta | None = getattr(adapter, "min_check_interval", None)
        parcels = [(ref, items.get(item_key(ref))) for ref in refs]
        assessed = self._assess_many(parcels, results, policy, now, floor)
        # Announcing and saving wait on AWS: off the event loop, so the next carrier requests go out meanwhile; the
        # announcements of answers that arrive while others are being sent go out together.
        await announcer.announce([e for *_, events in assessed for e in events])
        return await asyncio.to_thread(self._save_many, parcels, assessed, policy, now)

    async def _via_aggregator(
        self,
        http: httpx.AsyncClient,
        registrar: Registrar,
        refs: list[ParcelRef],
        items: dict[tuple[str, str], dict[str, Any]],
        policy: TrackingPolicy,
        now: datetime,
    ) -> list[CheckOutcome]:
        """Parcels of a carrier we do not poll, for a store with an aggregator: each registered with it once (its
        pushes then find the parcel), concurrently within the aggregator's limits, then judged by the clock like any
        carrier that pushes."""

        async def one(ref: ParcelRef) -> CheckOutcome:
            item = items.get(item_key(ref))
            if item is not None and item.get("aggregator") != registrar.name:
                async with self._throttle(registrar).slot():
                    await registrar.register(http, item, now)
                await asyncio.to_thread(self.registry.add_lookup, ref, registrar.name)
                item = {**item, "aggregator": registrar.name}
            return await asyncio.to_thread(self._without_adapter, ref, item, policy, now)

        return list(await asyncio.gather(*(one(ref) for ref in refs)))

    async def apply_push(self, store_id: str, carrier: str, result: TrackingResult, now: datetime) -> CheckOutcome:
        """Fold a carrier's pushed scans into its parcel, like a polled answer."""
        _models_built()
        ref = self.registry.find(store_id, carrier, result.tracking_code)
        if ref is None:
            raise ParcelNotYetKnown(f"no parcel of store '{store_id}' with {carrier} {result.tracking_code} yet")
        item = self.registry.load(ref)
        policy = self.policies(store_id)
        return await asyncio.to_thread(self._apply, ref, item, {result.tracking_code: result}, policy, now)

    async def advance_claims(self, store_id: str, claim_keys: Sequence[str], now: datetime) -> list[ClaimOutcome]:
        """Take each due claim of a store one step (open, ask for the answer, or warn of its deadline)."""

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
        self, ref: ParcelRef, item: dict[str, Any] | None, policy: TrackingPolicy, now: datetime
    ) -> CheckOutcome:
        if item is not None and int(item.get("scans_seen", 0)) > 0:
            # A carrier that pushes: its silence is news too (late, stalled, lost are judged by the clock).
            return self._apply(ref, item, {}, policy, now)
        at = now + RECHECK_WITHOUT_ADAPTER
        via = str(item["aggregator"]) if item and item.get("aggregator") else None
        kept = self.registry.reschedule(ref, at, via)
        note = f"followed through {via}; no scan yet" if via else f"no adapter or credentials for '{ref.carrier}'"
        return CheckOutcome(ref, 0, (), at if kept else None, note)

    def _apply(
        self,
        ref: ParcelRef,
        item: dict[str, Any] | None,
        results: dict[str, TrackingResult],
        policy: TrackingPolicy,
        now: datetime,
    ) -> CheckOutcome:
        return self._apply_many([(ref, item)], results, policy, now)[0]

    def _apply_many(
        self,
        parcels: Sequence[tuple[ParcelRef, dict[str, Any] | None]],
        results: dict[str, TrackingResult],
        policy: TrackingPolicy,
        now: datetime,
        floor: timedelta | None = None,
    ) -> list[CheckOutcome]:
        """Assess every parcel of one carrier answer, announce all they found at once (a batch of the events queue's
        messages, not one request per parcel), then save each."""
        assessed = self._assess_many(parcels, results, policy, now, floor)
        found = [e for *_, events in assessed for e in events]
        if found:
            self.publish(found)
        return self._save_many(parcels, assessed, policy, now)

    @staticmethod
    def _assess_many(
        parcels: Sequence[tuple[ParcelRef, dict[str, Any] | None]],
        results: dict[str, TrackingResult],
        policy: TrackingPolicy,
        now: datetime,
        floor: timedelta | None,
    ) -> list[Assessed]:
        assessed: list[Assessed] = []
        for ref, item in parcels:
            if item is None:
                continue
            assessment = assess(state_of(item), results.get(ref.tracking_code.upper()), now, policy)
            if floor is not None and assessment.next_check_at is not None:
                assessment = replace(assessment, next_check_at=max(assessment.next_check_at, now + floor))
            assessed.append((ref, item, assessment, announcements(ref, item, assessment, now)))
        return assessed

    def _save_many(
        self,
        parcels: Sequence[tuple[ParcelRef, dict[str, Any] | None]],
        assessed: list[Assessed],
        policy: TrackingPolicy,
        now: datetime,
    ) -> list[CheckOutcome]:
        """Save each assessed parcel (its announcements already sent); a parcel gone meanwhile says so."""
        saved = {
            id(ref): self._save(ref, item, assessment, events, policy, now)
            for ref, item, assessment, events in assessed
        }
        return [
            saved[id(ref)] if id(ref) in saved else CheckOutcome(ref, 0, (), None, "parcel no longer exists")
            for ref, _ in parcels
        ]

    def _save(
        self,
        ref: ParcelRef,
        item: dict[str, Any],
        assessment: Assessment,
        events: list[Event],
        policy: TrackingPolicy,
        now: datetime,
    ) -> CheckOutcome:
        state = assessment.state
        ended = assessment.next_check_at is None or "lost" in state.open_episodes
        scoring = ended and not item.get("scored")
        where = ""
        counts: list[dict[str, Any]] = []
        if scoring:
            where = scorecard.scope(ref.carrier, scorecard.destination_state(state.last_location))
            amounts = scorecard.journey_counts(state, delivered=state.status == Status.DELIVERED)
            counts = scorecard.counters(self.registry.table.name, ref.store_id, where, now, amounts)
        # A claim is put in the register once per parcel, and the parcel remembers it (`claimed`, in the save that
        # follows): later checks neither try again nor pay for a conditional put bound to fail. Put first, marked
        # second: a crash between the two leaves an unmarked parcel whose next check finds the claim there.
        started = None
        if self.claims is not None and not item.get("claimed"):
            rules = rules_for(ref.carrier)
            kind = claimable(state, rules, now)
            if kind:
                started = kind if self.claims.start(ref, state, kind, rules, now) else None
                item = {**item, "claimed": kind}
        saved = self.registry.save(item, state, assessment.next_check_at, counts, assessment.new_scans)
        alert = (
            scorecard.check_alert(self.registry.table, ref.store_id, where, policy, now) if saved and scoring else None
        )
        return CheckOutcome(
            ref,
            len(assessment.new_scans),
            tuple(events),
            assessment.next_check_at,
            state.status.value + ("" if saved else " (another check saved first)"),
            alert,
            started,
        )
