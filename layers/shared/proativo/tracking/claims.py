"""Claims against carriers: opened for delay, loss or damage once the parcel's episode is ripe, followed until the
carrier answers, and a store's team told when a claim they must open by hand nears its deadline.

A claim is one item per parcel in the store's claims register (`STORE#<id>#CLAIMS`, keyed by carrier and code: the
register is listed without a scan), on the due index (kind `claim`) whenever it has something to do next. Rules per
carrier are data (`claims.yaml`: kinds, deadlines as the carrier publishes them, its time to answer, its reason
codes). A carrier whose plugin has a claims channel files them itself (Correios: a "Pedido de Informação" through
SIGEP Web, with the store's contract); any other carrier's, or a claim the carrier refused or answered in words we
cannot read, becomes a task for the store's team, warned before the deadline.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from proativo.aws import keys, query_items, written
from proativo.clock import as_utc, parse_utc
from proativo.events import ClaimUpdated, Customer, Event
from proativo.tracking.calendar import add_business_days
from proativo.tracking.carriers import carrier_id, claims_channels
from proativo.tracking.detection import ParcelState
from proativo.tracking.model import ClaimChannel, ParcelRef
from proativo.tracking.scorecard import counters, destination_state, scope

if TYPE_CHECKING:
    import httpx
    from mypy_boto3_dynamodb.service_resource import Table


class ClaimRules(BaseModel):
    """How claims work with one carrier."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    channel: str
    kinds: tuple[str, ...]
    deadline_from: Literal["expected_or_delivered", "shipped"] = "shipped"
    deadline_days: int = Field(ge=1)
    outer_bound_days: int | None = Field(default=None, ge=1)
    answer_business_days: int | None = Field(default=None, ge=1)
    country: str = Field(default="BR", pattern=r"^[A-Z]{2}$")
    timezone: str = "UTC"
    late_for_days: int = Field(ge=0)
    follow_up_every_hours: int = Field(ge=1)
    alert_days_before_deadline: int = Field(ge=1)
    reasons: dict[str, int] = Field(default_factory=dict, description="the carrier's reason code of each kind")

    def deadline(self, state: ParcelState) -> datetime:
        """The last instant a claim on this parcel may be registered (the end of the deadline's local day)."""
        zone = ZoneInfo(self.timezone)
        start = state.shipped_at
        if self.deadline_from == "expected_or_delivered":
            known = [d for d in (state.promised_at or state.estimated_delivery, state.delivered_at) if d is not None]
            start = min(known) if known else state.shipped_at
        # Counted from the day after: day 1 is the next local day, day N ends at local midnight.
        last_day = start.astimezone(zone).date() + timedelta(days=self.deadline_days)
        deadline = datetime.combine(last_day, time(23, 59, 59), zone)
        if self.outer_bound_days is not None:
            bound = state.shipped_at.astimezone(zone).date() + timedelta(days=self.outer_bound_days)
            deadline = min(deadline, datetime.combine(bound, time(23, 59, 59), zone))
        return deadline

    def first_follow_up(self, opened: datetime) -> datetime:
        """When to first ask for the answer of a claim filed at `opened`: once the carrier's time to answer is over."""
        if self.answer_business_days is None:
            return opened + timedelta(hours=self.follow_up_every_hours)
        return add_business_days(opened, self.answer_business_days, self.country, self.timezone)

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str) -> str:
        if value not in claims_channels():
            raise ValueError(f"no carrier plugin files claims through '{value}' (known: {sorted(claims_channels())})")
        return value


@cache
def all_rules() -> dict[str, ClaimRules]:
    """Every carrier's rules, loaded once."""
    text = resources.files("proativo.tracking").joinpath("claims.yaml").read_text(encoding="utf-8")
    return {name: ClaimRules.model_validate(v) for name, v in yaml.safe_load(text)["carriers"].items()}


def rules_for(carrier: str) -> ClaimRules:
    """The rules for a carrier (its own, or the default)."""
    found = all_rules()
    return found.get(carrier_id(carrier), found["default"])


def claimable(state: ParcelState, rules: ClaimRules, now: datetime) -> str | None:
    """The kind of trouble worth a claim now, if any: loss and damage at once, a delay once it is `late_for_days`
    old (carriers answer delay claims only past their own deadline)."""
    for kind in ("lost", "damaged"):
        if kind in rules.kinds and kind in state.open_episodes:
            return kind
    promised = state.promised_at or state.estimated_delivery
    late = "late" in rules.kinds and "late" in state.open_episodes and promised is not None
    if late and promised is not None and now - promised >= timedelta(days=rules.late_for_days):
        return "late"
    return None


def register_pk(store_id: str) -> str:
    """The store's claims register."""
    return f"{keys.store_pk(store_id)}#CLAIMS"


def claim_sk(carrier: str, tracking_code: str) -> str:
    """A claim's key in the register."""
    return f"{carrier}#{tracking_code}"


@dataclass(frozen=True)
class ClaimBook:
    """The claims register: what is open, what is due, what the carrier answered."""

    table: "Table"
    due_shards: int

    def start(self, ref: ParcelRef, state: ParcelState, kind: str, rules: ClaimRules, now: datetime) -> bool:
        """Put a claim in the register to be opened now (once per parcel: a second kind of trouble on the same parcel
        belongs to the claim already made)."""
        pk, sk = register_pk(ref.store_id), claim_sk(ref.carrier, ref.tracking_code)
        deadline = rules.deadline(state)
        return written(
            lambda: self.table.put_item(
                Item={
                    "pk": pk,
                    "sk": sk,
                    "kind": "claim",
                    "store_id": ref.store_id,
                    "customer_id": ref.customer_id,
                    "order_id": ref.order_id,
                    "carrier": ref.carrier,
                    "tracking_code": ref.tracking_code,
                    "claim_kind": kind,
                    "uf": destination_state(state.last_location),
                    "channel": rules.channel,
                    "status": "opening",
                    "created_at": as_utc(now),
                    "deadline_at": as_utc(deadline),
                    **({"reason_code": rules.reasons[kind]} if kind in rules.reasons else {}),
                    "version": 0,
                    **keys.due_keys("claim", f"{pk}|{sk}", now, self.due_shards),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        )

    def load(self, store_id: str, sk: str) -> dict[str, Any] | None:
        """One claim."""
        found: dict[str, Any] | None = self.table.get_item(
            Key={"pk": register_pk(store_id), "sk": sk}, ConsistentRead=True
        ).get("Item")
        return found

    def listing(self, store_id: str) -> list[dict[str, Any]]:
        """Every claim of a store (a Query of its register)."""
        return list(
            query_items(
                self.table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": register_pk(store_id)},
            )
        )

    def save(
        self, claim: dict[str, Any], changes: dict[str, Any], next_at: datetime | None, now: datetime | None = None
    ) -> bool:
        """Store what changed and when the claim has something to do next (None: nothing), if nobody saved since;
        a new status is counted in the carrier's scorecard in the same transaction."""
        version = int(claim.get("version", 0))
        updated = {k: v for k, v in claim.items() if k not in ("due_shard", "due_at")}
        updated.update({k: v for k, v in changes.items() if v is not None})
        updated["version"] = version + 1
        if next_at is not None:
            updated.update(keys.due_keys("claim", f"{claim['pk']}|{claim['sk']}", next_at, self.due_shards))
        put = {
            "TableName": self.table.name,
            "Item": updated,
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": {":v": version},
        }
        amounts = _claim_counts(str(changes.get("status", "")), changes.get("amount"))
        client: Any = self.table.meta.client
        if amounts and now is not None:
            where = scope(str(claim["carrier"]), str(claim.get("uf", "??")))
            extra = counters(self.table.name, str(claim["store_id"]), where, now, amounts)
            return written(lambda: client.transact_write_items(TransactItems=[{"Put": put}, *extra]))
        return written(lambda: client.put_item(**put))


def _claim_counts(status: str, amount: Any) -> dict[str, int | Decimal]:
    """What a claim reaching `status` adds to its carrier's scorecard."""
    match status:
        case "open":
            return {"claims_opened": 1}
        case "task":
            return {"claims_for_team": 1}
        case "won":
            return {"claims_won": 1, "claims_refunded": Decimal(str(amount or 0))}
        case "lost":
            return {"claims_lost": 1}
    return {}


def claim_event(claim: dict[str, Any], status: str, now: datetime) -> ClaimUpdated:
    """The canonical event for a claim reaching `status` (its id is the claim and the status: announced once)."""
    amount = claim.get("amount")
    return ClaimUpdated(
        event_id=f"claim:{claim['carrier']}:{claim['tracking_code']}:{status}",
        store_id=str(claim["store_id"]),
        source=str(claim["carrier"]),
        customer=Customer(id=str(claim["customer_id"])),
        occurred_at=now,
        order_id=str(claim["order_id"]),
        carrier=str(claim["carrier"]),
        tracking_code=str(claim["tracking_code"]),
        kind=str(claim["claim_kind"]),
        status=status,
        channel=str(claim["channel"]),
        protocol=claim.get("protocol"),
        amount=Decimal(str(amount)) if amount is not None else None,
        deadline_at=parse_utc(str(claim["deadline_at"])),
    )


@dataclass(frozen=True)
class ClaimOutcome:
    """What one claim step did."""

    sk: str
    status: str
    # The statuses this step announced (open, task, won, lost, deadline_near).
    statuses: tuple[str, ...]
    amount: str | None = None
    carrier: str = ""
    store_id: str = ""

    @property
    def announced(self) -> tuple[str, ...]:
        """The events it announced, in words for the log."""
        return tuple(f"ClaimUpdated:{s}" for s in self.statuses)


async def advance_claim(
    book: ClaimBook,
    claim: dict[str, Any],
    channel: ClaimChannel | None,
    http: "httpx.AsyncClient",
    publish: Callable[[Sequence[Event]], None],
    now: datetime,
) -> ClaimOutcome:
    """Take a claim one step: open it, ask for the answer, or (a team's task) warn before its deadline passes."""
    rules = rules_for(str(claim["carrier"]))
    status, deadline = str(claim["status"]), parse_utc(str(claim["deadline_at"]))
    alert_at = deadline - timedelta(days=rules.alert_days_before_deadline)
    events: list[ClaimUpdated] = []
    if status == "opening" and channel is not None and now <= deadline:
        opened = await channel.open(http, claim, now)
        if opened.get("protocol"):
            changes: dict[str, Any] = {"status": "open", "protocol": opened["protocol"], "opened_at": as_utc(now)}
            events.append(claim_event({**claim, **changes}, "open", now))
            next_at: datetime | None = rules.first_follow_up(now)
        else:
            # The carrier refused to file it (its words kept): the store's team takes it over, warned before the end.
            changes = {"status": "task", "refused": str(opened.get("refused") or "refused")[:500]}
            events.append(claim_event(claim, "task", now))
            next_at = max(alert_at, now)
    elif status == "opening":
        # No API for this carrier: the store's team opens it; we remind them before the deadline.
        changes = {"status": "task"}
        events.append(claim_event(claim, "task", now))
        next_at = max(alert_at, now)
    elif status == "open" and channel is not None:
        answer = await channel.answer(http, claim, now)
        if answer is None:
            changes, next_at = {}, now + timedelta(hours=rules.follow_up_every_hours)
        elif answer["status"] not in ("won", "lost"):
            # Answered in words we cannot read as upheld or rejected: the team reads them and records the outcome.
            changes = {"status": "task", "answer": answer.get("answer"), "answered_at": as_utc(now)}
            events.append(claim_event({**claim, **changes}, "task", now))
            next_at = None
        else:
            changes = {
                "status": answer["status"],
                "amount": answer.get("amount"),
                "answer": answer.get("answer"),
                "answered_at": as_utc(now),
            }
            events.append(claim_event({**claim, **changes}, answer["status"], now))
            next_at = None
    elif status == "task" and now >= alert_at:
        changes, next_at = {"alerted_at": as_utc(now)}, None
        events.append(claim_event(claim, "deadline_near", now))
    else:
        # A team's task not due for its alert yet (or a claim with nothing left to do).
        changes, next_at = {}, max(alert_at, now) if status == "task" else None
    if events:
        publish(events)
    book.save(claim, changes, next_at, now)
    amount = changes.get("amount") or claim.get("amount")
    return ClaimOutcome(
        str(claim["sk"]),
        str(changes.get("status", status)),
        tuple(e.status for e in events),
        str(amount) if amount else None,
        str(claim.get("carrier", "")),
        str(claim.get("store_id", "")),
    )
