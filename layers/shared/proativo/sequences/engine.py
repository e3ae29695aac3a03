"""The sequence engine: pure decisions from (enrolments, customer facts, event, now). No I/O here.

Persistence (`sequences.store`) applies the decisions with conditional writes, so concurrent duplicates never
enrol a customer twice and an exit always wins over a late restart.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from proativo.events import Event
from proativo.sequences.flows import Flow, Step

Status = Literal["active", "exited", "completed"]
_ENVELOPE = {"type", "event_id", "store_id", "source", "customer", "occurred_at"}


@dataclass(frozen=True)
class Enrolment:
    """One customer's passage through one flow, keyed by cart, order or the customer itself.

    The flow's steps and exits are snapshotted at entry: editing a flow never changes a journey already under way.
    """

    flow_id: str
    key: str
    version: int
    purpose: str
    priority: int
    status: Status
    anchor_at: datetime
    next_index: int
    steps: tuple[Step, ...]
    exit_on: tuple[str, ...]
    context: dict[str, Any] = field(default_factory=dict)
    exit_reason: str | None = None
    deadline_at: datetime | None = None
    group: str | None = None


@dataclass(frozen=True)
class CustomerFacts:
    """What the engine needs to know about the customer beyond their enrolments: when they last bought (an order
    placed or paid, whichever the platform told first), the event's order as we hold it, and what that order has
    already been through (`OrderPaid`, `OrderCanceled`: events that may have arrived before the one at hand)."""

    last_purchase_at: datetime | None = None
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    settled: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Enrol:
    """Start `enrolment`; its first step falls due at `due_at`."""

    enrolment: Enrolment
    due_at: datetime


@dataclass(frozen=True)
class Restart:
    """The trigger happened again before the first step: wait again from the new anchor."""

    enrolment: Enrolment
    due_at: datetime


@dataclass(frozen=True)
class Exit:
    """Leave the flow; nothing more of it is sent."""

    enrolment: Enrolment
    reason: str


type Decision = Enrol | Restart | Exit


def context_of(event: Event) -> dict[str, Any]:
    """What templates may use from the trigger event (JSON-safe), without the envelope."""
    return event.model_dump(mode="json", exclude=_ENVELOPE)


def enrolment_key(flow: Flow, event: Event) -> str | None:
    """The value keying this flow's enrolment for the event (None when the event lacks it)."""
    if flow.key == "customer":
        return "customer"
    value = getattr(event, flow.key, None)
    return str(value) if value else None


def schedule(steps: tuple[Step, ...], anchor: datetime, deadline: datetime | None) -> list[datetime]:
    """When each step falls due: `delay` after the one before (the first: after the anchor), or at its offset from
    the deadline."""
    dues: list[datetime] = []
    previous = anchor
    for step in steps:
        if step.at_deadline is not None and deadline is not None:
            due = deadline + step.at_deadline
        else:
            due = previous + (step.delay or timedelta(0))
        dues.append(due)
        previous = due
    return dues


def _deadline(flow: Flow, event: Event) -> datetime | None:
    value = getattr(event, flow.deadline, None) if flow.deadline else None
    return value if isinstance(value, datetime) else None


def _matches(flow: Flow, event: Event) -> bool:
    if flow.min_total is not None:
        total = getattr(event, "total", None)
        if total is None or total < flow.min_total:
            return False
    return all(str(getattr(event, name, None)) in allowed for name, allowed in flow.when.items())


def enriched_context(event: Event, facts: CustomerFacts) -> dict[str, Any]:
    """The trigger's fields, plus what the platform told us of its order before (e.g. related products)."""
    context = context_of(event)
    order = facts.orders.get(str(getattr(event, "order_id", "")))
    if order:
        for name in ("recommendations", "total", "currency"):
            if order.get(name) is not None:
                context.setdefault(name, order[name])
    return context


def exits(spec: str, event: Event, key: str = "") -> bool:
    """Whether `event` is what an exit spec names: an event type, a type with one field's value
    (`SurveyAnswered:rating=detractor`), or a type whose field differs from the journey's key
    (`OrderPaid:order_id!=$key`: another order bought, not the journey's own)."""
    kind, _, condition = spec.partition(":")
    if event.type != kind:
        return False
    if not condition:
        return True
    if "!=" in condition:
        name, _, value = condition.partition("!=")
        return str(getattr(event, name, None)) != (key if value == "$key" else value)
    name, _, value = condition.partition("=")
    return str(getattr(event, name, None)) == (key if value == "$key" else value)


def settled_before(flow: Flow, facts: CustomerFacts) -> bool:
    """Whether the event's order already went where this flow's journey would end (paid, cancelled): a payment
    reminder for an order paid a minute ago, told to us out of order, is never sent."""
    return any(spec in facts.settled for spec in flow.exit_on)


def abandoner(flow: Flow, key: str, enrolments: dict[tuple[str, str], Enrolment], event: Event) -> str:
    """'repeat' when the customer started another journey of the flow's group within its repeat window."""
    since = event.occurred_at - flow.repeat_window
    for e in enrolments.values():
        if e.group == flow.group and e.key != key and since <= e.anchor_at < event.occurred_at:
            return "repeat"
    return "first"


def seen_templates(enrolments: dict[tuple[str, str], Enrolment], since: datetime) -> set[str]:
    """Templates of the steps already dispatched by journeys that began since `since`."""
    return {step.template for e in enrolments.values() if e.anchor_at >= since for step in e.steps[: e.next_index]}


def without(steps: tuple[Step, ...], templates: set[str]) -> tuple[Step, ...]:
    """The steps minus those using `templates`; a skipped step's wait is added to the next one's, so what remains
    keeps its time."""
    kept: list[Step] = []
    carried = timedelta(0)
    for step in steps:
        if step.template in templates:
            if step.delay is not None:
                carried += step.delay
            continue
        if step.delay is not None and carried:
            step = step.model_copy(update={"delay": step.delay + carried})
        carried = timedelta(0)
        kept.append(step)
    return tuple(kept)


def decide(
    flows: tuple[Flow, ...],
    enrolments: dict[tuple[str, str], Enrolment],
    facts: CustomerFacts,
    event: Event,
    now: datetime,
) -> list[Decision]:
    """Decide exits, entries and restarts caused by `event` for one customer.

    `enrolments` maps (flow id, key) to the customer's current enrolments of any status.
    """
    decisions: list[Decision] = []
    triggered = {(f.id, enrolment_key(f, event)) for f in flows if event.type in f.trigger}
    # A group's journey per key: the flows of a group share it (a cart is in one abandonment series, not three).
    grouped = {(e.group, e.key) for e in enrolments.values() if e.group}
    for enrolment in enrolments.values():
        if (
            enrolment.status == "active"
            and any(exits(spec, event, enrolment.key) for spec in enrolment.exit_on)
            # An event never ends the journey it started, nor one that began after it happened (late delivery).
            and (enrolment.flow_id, enrolment.key) not in triggered
            and enrolment.anchor_at < event.occurred_at
        ):
            decisions.append(Exit(enrolment, reason=event.type))
    exiting = {(d.enrolment.flow_id, d.enrolment.key) for d in decisions}

    for flow in sorted(flows, key=lambda f: -f.priority):
        if event.type not in flow.trigger or not _matches(flow, event):
            continue
        key = enrolment_key(flow, event)
        if key is None or (flow.id, key) in exiting:
            continue
        if (
            flow.skip_if_ordered_since_trigger
            and facts.last_purchase_at
            and facts.last_purchase_at >= event.occurred_at
        ):
            continue  # a cart older than the customer's last purchase was not abandoned, it was bought
        if flow.key == "order_id" and settled_before(flow, facts):
            continue
        if flow.stale_after is not None and now - event.occurred_at > flow.stale_after:
            continue
        current = enrolments.get((flow.id, key))
        if current is None:
            if flow.group and (flow.group, key) in grouped:
                continue
            if flow.abandoner and abandoner(flow, key, enrolments, event) != flow.abandoner:
                continue
            context = enriched_context(event, facts)
            if any(not context.get(name) for name in flow.requires):
                continue
            steps = flow.steps
            if flow.no_repeat_within is not None:
                steps = without(steps, seen_templates(enrolments, event.occurred_at - flow.no_repeat_within))
                if not steps:
                    continue
            deadline = _deadline(flow, event)
            dues = schedule(steps, event.occurred_at, deadline)
            # Deadline steps already past when the customer enters (a reminder "a day before" for a PIX that
            # expires in an hour) are skipped, not sent late.
            first = next((i for i, due in enumerate(dues) if due >= event.occurred_at), None)
            if first is None:
                continue
            enrolment = Enrolment(
                flow_id=flow.id,
                key=key,
                version=flow.version,
                purpose=flow.purpose,
                priority=flow.priority,
                status="active",
                anchor_at=event.occurred_at,
                next_index=first,
                steps=steps,
                exit_on=flow.exit_on,
                context=context,
                deadline_at=deadline,
                group=flow.group,
            )
            decisions.append(Enrol(enrolment, due_at=dues[first]))
            if flow.group:
                grouped.add((flow.group, key))
        elif (
            flow.restart_on_trigger
            and current.status == "active"
            and current.next_index == 0
            and current.steps[0].delay is not None
            and event.occurred_at > current.anchor_at
        ):
            moved = replace(current, anchor_at=event.occurred_at, context=enriched_context(event, facts))
            decisions.append(Restart(moved, due_at=event.occurred_at + current.steps[0].delay))
    return decisions


def following_due(enrolment: Enrolment, index: int, due_at: datetime) -> tuple[int, datetime] | None:
    """The step after `index` and when it falls due, or None when the flow is complete."""
    nxt = index + 1
    if nxt >= len(enrolment.steps):
        return None
    step = enrolment.steps[nxt]
    if step.at_deadline is not None and enrolment.deadline_at is not None:
        return nxt, enrolment.deadline_at + step.at_deadline
    return nxt, due_at + (step.delay or timedelta(0))


def describe(decision: Decision) -> str:
    """A short human account of a decision, for logs and timelines (no personal data)."""
    e = decision.enrolment
    match decision:
        case Enrol():
            return f"enrolled in {e.flow_id} (first step due {decision.due_at.astimezone(UTC):%Y-%m-%d %H:%M}Z)"
        case Restart():
            return f"{e.flow_id} restarted (first step now due {decision.due_at.astimezone(UTC):%Y-%m-%d %H:%M}Z)"
        case Exit():
            return f"left {e.flow_id} ({decision.reason})"
