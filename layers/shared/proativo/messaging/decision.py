"""Whether one scheduled message goes now, waits, or never goes: the send rules in one pure function.

`decide(request, facts, now)` reads only what it is given. The sender gathers the facts in two steps so that a
message that cannot go costs no more reads than before: first what one consistent read brings (the journey, the
message, the profile, consents, suppression, the marketing slot) and the store; then, only for a marketing message
the first pass would not skip, the store's do-not-contact list and the next higher-priority marketing step
(`Marketing`). The first pass stops where those are needed; no rule before them depends on them, so the second
pass decides exactly as one pass with every fact would.

The rules, in order (the first that applies decides):
  the step is unknown, its journey exited, or the message was handled already → skip;
  the journey waits for this very step at another time (its wait began again as the message left: a cart touched
  once more) → skip: it goes at its new time;
  consent (suppression, opt-out, opt-in channels) → skip;
  the channel is not connected, the store unknown, no address for the channel → skip;
  a marketing recipient on the store's do-not-contact list → skip;
  a phone channel inside the customer's quiet hours → postpone to their end;
  a marketing message under the frequency cap (the slot taken by another journey, or a higher-priority step due
  within the period) → postpone to its turn, or skip when that is more than `MAX_POSTPONEMENT` after its schedule.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, TypeIs

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proativo.clock import parse_utc
from proativo.customers.consent import e164, may_contact
from proativo.messaging.kinds import CHANNELS, ChannelName
from proativo.messaging.timing import MAX_POSTPONEMENT, cap_until, quiet_until
from proativo.stores import StoreProfile


class SendRequest(BaseModel):
    """The send queue's message: which step of which enrolment to deliver."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message_id: str
    store_id: str
    customer_id: str
    flow_id: str
    key: str
    index: int
    step_id: str
    channel: ChannelName
    template: str
    purpose: Literal["marketing", "transactional"]
    # The step as its journey's enrolment held it when it was queued (the enrolment has moved on since). None: the
    # request of a step item (a journey begun before enrolments carried their step), which the sender reads.
    scheduled_for: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
    priority: int = 0
    coupon: dict[str, Any] | None = None
    survey: bool = False

    def step(self) -> dict[str, Any] | None:
        """The step's facts the request carries (None: read the step item)."""
        if self.scheduled_for is None:
            return None
        extra = {"coupon": self.coupon} if self.coupon else {}
        return {"scheduled_for": self.scheduled_for, "priority": self.priority, "survey": self.survey, **extra}

    @property
    def journey(self) -> str:
        """The journey (flow and key) the message belongs to: its own steps keep their flow's cadence."""
        return f"{self.flow_id}#{self.key}"


@dataclass(frozen=True)
class Marketing:
    """What only a marketing message needs, read in the second pass."""

    do_not_contact: bool
    # When the customer's next marketing step of a higher priority falls due within the cap's period (None: none).
    rival_due_at: datetime | None


@dataclass(frozen=True)
class Facts:
    """Everything the decision reads."""

    enrolment: Mapping[str, Any] | None
    step: Mapping[str, Any] | None
    message_handled: bool
    profile: Mapping[str, Any]
    consents: Mapping[str, Mapping[str, Any]]
    suppressed: frozenset[str]
    channel_connected: bool
    # None: the store is unknown (not registered, or removed).
    store: StoreProfile | None
    # The customer's marketing slot: the last marketing message and the journey that sent it.
    slot: Mapping[str, Any] = field(default_factory=dict)
    # None: not read yet (the first pass).
    marketing: Marketing | None = None


@dataclass(frozen=True)
class Send:
    """It goes now, to this address, under a cap of `cap_period` (zero: not a marketing message)."""

    recipient: str
    cap_period: timedelta


@dataclass(frozen=True)
class Postpone:
    """It waits for `until` (put back on the due index, not dropped)."""

    until: datetime
    reason: Literal["quiet_hours", "frequency_cap"]


@dataclass(frozen=True)
class Skip:
    """It never goes, for `reason`."""

    reason: str


type Decision = Send | Postpone | Skip


def cap_period(request: SendRequest, store: StoreProfile) -> timedelta:
    """The store's marketing frequency cap (zero for a transactional message: never capped)."""
    return timedelta(hours=store.marketing_cap_hours) if request.purpose == "marketing" else timedelta(0)


def recipient_of(request: SendRequest, profile: Mapping[str, Any], store: StoreProfile) -> str | None:
    """The customer's address on the request's channel (a phone as E.164, read in the store's country)."""
    if CHANNELS[request.channel].address == "email":
        return str(profile.get("email") or "") or None
    return e164(str(profile.get("phone") or ""), store.country)


def needs_marketing_facts(first: Decision, request: SendRequest) -> TypeIs[Send]:
    """Whether the second pass must read the marketing facts: a marketing message the first pass would send (it
    stops before the rules that need them)."""
    return request.purpose == "marketing" and isinstance(first, Send)


def decide(request: SendRequest, facts: Facts, now: datetime) -> Decision:
    """The send rules (module docstring), applied in order."""
    enrolment, step = facts.enrolment, facts.step
    if enrolment is None or step is None:
        return Skip("unknown_step")
    if enrolment.get("status") == "exited" or step.get("status") == "canceled":
        return Skip(f"exited:{enrolment.get('exit_reason', 'canceled')}")
    if facts.message_handled:
        return Skip("duplicate")
    pending = enrolment.get("pending") or {}
    if pending.get("index") == request.index and pending.get("scheduled_for") != step.get("scheduled_for"):
        return Skip("rescheduled")
    verdict = may_contact(
        dict(facts.profile),
        {k: dict(v) for k, v in facts.consents.items()},
        set(facts.suppressed),
        request.channel,
        request.purpose,
    )
    if not verdict.allowed:
        return Skip(verdict.reason)
    if not facts.channel_connected:
        return Skip(f"channel_unavailable:{request.channel}")
    store = facts.store
    if store is None:
        return Skip("unknown_store")
    recipient = recipient_of(request, facts.profile, store)
    if not recipient:
        return Skip(f"no_{request.channel}_address")
    marketing = facts.marketing
    if request.purpose == "marketing":
        if marketing is None:
            return Send(recipient, cap_period(request, store))  # the first pass: the rest needs `Marketing`
        if marketing.do_not_contact:
            return Skip("do_not_contact")
    if CHANNELS[request.channel].rings:
        zone = str(facts.profile.get("timezone") or store.timezone)
        until = quiet_until(now, zone, store.quiet_start_hour, store.quiet_end_hour)
        if until is not None:
            return Postpone(until, "quiet_hours")
    period = cap_period(request, store)
    if period:
        last = facts.slot.get("last_sent_at")
        rival = marketing.rival_due_at if marketing is not None else None
        journey = facts.slot.get("journey")
        until = cap_until(now, period, parse_utc(str(last)) if last else None, journey, request.journey, rival)
        if until is not None:
            if until - parse_utc(str(step["scheduled_for"])) > MAX_POSTPONEMENT:
                return Skip("frequency_cap")
            return Postpone(until, "frequency_cap")
    return Send(recipient, period)


def requests_in(event: Mapping[str, Any]) -> list[SendRequest]:
    """The well-formed send requests of an SQS batch (a malformed one fails in its own turn)."""
    found = []
    for record in event.get("Records", []):
        try:
            found.append(SendRequest.model_validate_json(record.get("body", "")))
        except ValidationError:
            continue
    return found
