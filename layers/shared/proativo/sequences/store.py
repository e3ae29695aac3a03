"""Enrolments and scheduled steps in DynamoDB. Every write is conditional: duplicates and races change nothing."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from proativo.aws import keys
from proativo.aws.writes import Writes
from proativo.clock import as_utc, expires, parse_utc
from proativo.sequences.engine import Decision, Enrol, Enrolment, Exit, Restart, schedule
from proativo.sequences.flows import Step
from proativo.sequences.items import DUE, JOURNEY_HISTORY, enrolment_sk, pending_step, step_item, step_sk


def enrolment_from_item(item: dict[str, Any]) -> Enrolment:
    """Rebuild an enrolment from its DynamoDB item."""
    return Enrolment(
        flow_id=str(item["flow_id"]),
        key=str(item["key"]),
        version=int(item["version"]),
        purpose=str(item["purpose"]),
        priority=int(item.get("priority", 0)),
        status=item["status"],
        anchor_at=parse_utc(str(item["anchor_at"])),
        next_index=int(item["next_index"]),
        steps=tuple(
            Step(
                id=s["id"],
                delay=timedelta(seconds=int(s["delay_seconds"])) if "delay_seconds" in s else None,
                at_deadline=timedelta(seconds=int(s["at_deadline_seconds"])) if "at_deadline_seconds" in s else None,
                channel=s["channel"],
                template=s["template"],
                coupon=s.get("coupon"),
                survey=bool(s.get("survey", False)),
            )
            for s in item["steps"]
        ),
        exit_on=tuple(item.get("exit_on", ())),
        context=dict(item.get("context", {})),
        exit_reason=item.get("exit_reason"),
        deadline_at=parse_utc(str(item["deadline_at"])) if item.get("deadline_at") else None,
        group=item.get("group"),
    )


def _step_dict(step: Step, due_at: datetime, deadline_at: datetime | None) -> dict[str, Any]:
    timing: dict[str, Any]
    if step.at_deadline is not None and deadline_at is not None:
        # A deadline step's time is absolute: the dispatcher schedules it as is.
        timing = {"at_deadline_seconds": int(step.at_deadline.total_seconds()), "due_at": as_utc(due_at)}
    else:
        timing = {"delay_seconds": int((step.delay or timedelta(0)).total_seconds())}
    extra: dict[str, Any] = {}
    if step.coupon is not None:
        coupon = step.coupon
        extra["coupon"] = coupon.model_dump(mode="json", exclude_none=True)
    if step.survey:
        extra["survey"] = True
    return {"id": step.id, **timing, "channel": step.channel, "template": step.template, **extra}


def enrolments_of(items: list[dict[str, Any]]) -> dict[tuple[str, str], Enrolment]:
    """The customer's enrolments by (flow id, key), from their ENROL# items."""
    found = {}
    for item in items:
        enrolment = enrolment_from_item(item)
        found[(enrolment.flow_id, enrolment.key)] = enrolment
    return found


@dataclass(frozen=True)
class SequenceStore:
    """How the engine's decisions are written: added to the event's transaction, each with the condition that makes
    a duplicate or a lost race change nothing (the transaction fails, the event is read and decided again)."""

    table_name: str
    due_shards: int

    def add(
        self,
        store_id: str,
        customer_id: str,
        decisions: list[Decision],
        now: datetime,
        read: dict[str, dict[str, Any]],
        writes: Writes,
    ) -> None:
        """Add the writes of `decisions` to the event's transaction; `read` holds the enrolment items as read (by
        sort key): a restart or an exit rewrites them only if nobody changed them since (their `rev`)."""
        for decision in decisions:
            match decision:
                case Enrol():
                    self._enrol(store_id, customer_id, decision, now, writes)
                case Restart():
                    self._restart(store_id, customer_id, decision, read, writes)
                case Exit():
                    self._exit(store_id, customer_id, decision, now, read, writes)

    def _enrol(self, store_id: str, customer_id: str, decision: Enrol, now: datetime, writes: Writes) -> None:
        e = decision.enrolment
        dues = schedule(e.steps, e.anchor_at, e.deadline_at)
        steps = [_step_dict(s, due, e.deadline_at) for s, due in zip(e.steps, dues, strict=True)]
        first = e.next_index
        item: dict[str, Any] = {
            "pk": keys.customer_pk(store_id, customer_id),
            "sk": enrolment_sk(e.flow_id, e.key),
            "kind": "enrolment",
            "store_id": store_id,
            "customer_id": customer_id,
            "flow_id": e.flow_id,
            "key": e.key,
            "version": e.version,
            "purpose": e.purpose,
            "priority": e.priority,
            "status": e.status,
            "anchor_at": as_utc(e.anchor_at),
            "entered_at": as_utc(now),
            "next_index": first,
            "steps": steps,
            "exit_on": list(e.exit_on),
            "context": e.context,
            **({"deadline_at": as_utc(e.deadline_at)} if e.deadline_at else {}),
            **({"group": e.group} if e.group else {}),
        }
        # The journey waits for its first step on the due index itself: one item, one write.
        item.update(pending_step(item, first, steps[first], decision.due_at, self.due_shards))
        writes.put(item, condition="attribute_not_exists(pk)")
        writes.count(store_id, e.anchor_at, f"FLOW#{e.flow_id}", enrolled=1)

    def _restart(
        self, store_id: str, customer_id: str, decision: Restart, read: dict[str, dict[str, Any]], writes: Writes
    ) -> None:
        e = decision.enrolment
        pk = keys.customer_pk(store_id, customer_id)
        key = {"pk": pk, "sk": enrolment_sk(e.flow_id, e.key)}
        current = read[key["sk"]]
        fields = {"anchor_at": as_utc(e.anchor_at), "context": e.context}
        # The first step is still pending (the enrolment is at step 0 and unchanged): it is due later.
        if "pending" in current:
            step = dict(current["steps"][0])
            writes.revise(key, current, {**fields, **pending_step(current, 0, step, decision.due_at, self.due_shards)})
            return
        writes.revise(key, current, fields)
        journey = str(current["entered_at"]) if current.get("entered_at") else None
        writes.put(self._step(store_id, customer_id, e, list(current["steps"]), 0, decision.due_at, journey))

    def _step(
        self,
        store_id: str,
        customer_id: str,
        e: Enrolment,
        steps: list[dict[str, Any]],
        index: int,
        due_at: datetime,
        journey: str | None,
    ) -> dict[str, Any]:
        """The pending item of step `index` of a journey begun before enrolments carried their step (at `journey`),
        due at `due_at`, carrying the steps after it."""
        return step_item(
            store_id=store_id,
            customer_id=customer_id,
            flow_id=e.flow_id,
            key=e.key,
            purpose=e.purpose,
            priority=e.priority,
            index=index,
            step=steps[index],
            following=steps[index + 1 :],
            due_at=due_at,
            due_shards=self.due_shards,
            journey=journey,
        )

    def _exit(
        self,
        store_id: str,
        customer_id: str,
        decision: Exit,
        now: datetime,
        read: dict[str, dict[str, Any]],
        writes: Writes,
    ) -> None:
        e = decision.enrolment
        pk = keys.customer_pk(store_id, customer_id)
        key = {"pk": pk, "sk": enrolment_sk(e.flow_id, e.key)}
        fields = {
            "status": "exited",
            "exit_reason": decision.reason,
            "exited_at": as_utc(now),
            "ttl": expires(now, JOURNEY_HISTORY),
        }
        current = read[key["sk"]]
        # The exit itself is the truth the sender checks; the pending step leaves the due index with it.
        writes.revise(key, current, fields, remove=DUE)
        if "pending" not in current:  # a journey with a step item of its own
            writes.delete({"pk": pk, "sk": step_sk(e.flow_id, e.key, e.next_index)})
