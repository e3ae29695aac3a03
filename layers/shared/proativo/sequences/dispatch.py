"""The dispatcher: read only what is due (sparse index, one Query per shard, never a Scan) and hand it to the
queue of the worker that does it.

A step is enqueued first and advanced second: if we die in between, the step is still pending and goes again next
minute with the same message id, which the sender drops as a duplicate. Nothing is lost, nothing is sent twice.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from proativo.aws import json_ready, query_pages, written
from proativo.aws.queues import send_each
from proativo.cases.notices import message_of
from proativo.cases.sweep import messages_of
from proativo.clock import as_utc, expires, parse_utc
from proativo.sequences.items import (
    DUE,
    JOURNEY_HISTORY,
    STEP_HISTORY,
    cancel_step,
    enrolment_sk,
    next_pending,
    next_step_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_sqs import SQSClient


@dataclass
class DueRead:
    """Items found due, and how many items DynamoDB read to find them."""

    items: list[dict[str, Any]] = field(default_factory=list)
    read: int = 0


def query_due(table: "Table", kind: str, shards: int, now: datetime, limit: int) -> DueRead:
    """Every item of `kind` due at or before `now`, oldest first, at most `limit` in all."""
    found = DueRead()
    for shard in range(shards):
        kwargs: dict[str, Any] = {
            "IndexName": "due",
            "KeyConditionExpression": "due_shard = :s AND due_at <= :now",
            "ExpressionAttributeValues": {":s": f"DUE#{kind}#{shard}", ":now": as_utc(now)},
        }
        for page in query_pages(table, limit=limit - len(found.items), **kwargs):
            found.read += int(page.get("ScannedCount", 0))
            found.items.extend(dict(i) for i in page.get("Items", []))
    found.items.sort(key=lambda i: str(i["due_at"]))  # the shards merged: what fell due first goes first
    return found


def enqueue_each(
    sqs: "SQSClient",
    queue_url: str,
    items: list[dict[str, Any]],
    message_of: Callable[[dict[str, Any]], dict[str, Any]],
) -> Iterator[tuple[dict[str, Any], bool]]:
    """Send one message per item; yields each item with whether the queue took it."""
    messages = [(json.dumps(message_of(item)), str(item["store_id"])) for item in items]
    yield from zip(items, send_each(sqs, queue_url, messages), strict=True)


def send_request_of(item: dict[str, Any]) -> dict[str, Any]:
    """The send queue's message for a due journey (an enrolment and the step it waits for), or for a step item of
    a journey begun before enrolments carried their step. A journey's message carries what the sender needs of its
    step (the enrolment moves on to the next one as the message leaves); a step item's, only which step it is (the
    sender reads the item)."""
    step = item["pending"] if _is_journey(item) else item
    request = {
        "message_id": step["message_id"],
        "store_id": item["store_id"],
        "customer_id": item["customer_id"],
        "flow_id": item["flow_id"],
        "key": item["key"],
        "index": int(step["index"]),
        "step_id": step["step_id"],
        "channel": step["channel"],
        "template": step["template"],
        "purpose": item["purpose"],
    }
    if _is_journey(item):
        request.update(
            scheduled_for=str(step["scheduled_for"]),
            priority=int(item.get("priority", 0)),
            **({"coupon": json_ready(step["coupon"])} if step.get("coupon") else {}),
            **({"survey": True} if step.get("survey") else {}),
        )
    return request


def _is_journey(item: dict[str, Any]) -> bool:
    return str(item["sk"]).startswith("ENROL#")


@dataclass
class DispatchReport:
    """What one dispatcher run did."""

    due: int = 0
    read: int = 0
    enqueued: int = 0
    canceled: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Dispatcher:
    """Moves due steps to the send queue and schedules the step after each; hands the cases' due work (a parcel's
    trouble to open as a case, a case past its deadline) to the events queue."""

    table: "Table"
    sqs: "SQSClient"
    send_queue_url: str
    shards: int
    events_queue_url: str | None = None
    team_queue_url: str | None = None

    def run(self, now: datetime, limit: int) -> DispatchReport:
        """One pass over everything due now."""
        due = query_due(self.table, "send", self.shards, now, limit)
        report = DispatchReport(due=len(due.items), read=due.read)
        for item, accepted in enqueue_each(self.sqs, self.send_queue_url, due.items, send_request_of):
            if not accepted:
                report.failed += 1
            elif (self._move_on if _is_journey(item) else self._advance)(item, now):
                report.enqueued += 1
            else:
                report.canceled += 1
        # Messages the sender postponed (quiet hours, frequency cap) whose time has come: queued again as they were.
        postponed = query_due(self.table, "deferred", self.shards, now, limit)
        report.due += len(postponed.items)
        report.read += postponed.read
        for item, accepted in enqueue_each(
            self.sqs, self.send_queue_url, postponed.items, lambda i: json.loads(str(i["request"]))
        ):
            if not accepted:
                report.failed += 1
                continue
            self.table.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
            report.enqueued += 1
        if self.events_queue_url or self.team_queue_url:
            self._cases(now, limit, report)
        return report

    def _cases(self, now: datetime, limit: int, report: DispatchReport) -> None:
        """The cases' due work, read in one pass of the index: a parcel's trouble to open and a case past its
        deadline go to the events queue as events (the engine moves each item off, or along, the index when it
        applies it: an item whose event is still queued goes again next run with the same id, and changes nothing
        twice); what the stores' teams are to hear goes to the team queue (a notice leaves the index once queued: it
        is delivered at least once, never queued twice; a digest moves to its next day)."""
        due = query_due(self.table, "case", self.shards, now, limit)
        report.due += len(due.items)
        report.read += due.read
        team = [i for i in due.items if str(i.get("kind", "")).startswith("team_")]
        engine = [i for i in due.items if not str(i.get("kind", "")).startswith("team_")]
        if engine and self.events_queue_url:
            for accepted in send_each(self.sqs, self.events_queue_url, messages_of(engine)):
                report.enqueued += int(accepted)
                report.failed += int(not accepted)
        if team and self.team_queue_url:
            for item, accepted in enqueue_each(self.sqs, self.team_queue_url, team, message_of):
                if not accepted:
                    report.failed += 1
                    continue
                report.enqueued += 1
                if item.get("kind") == "team_digest":
                    self._next_digest(item, now)
                else:
                    self.table.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})

    def _next_digest(self, item: dict[str, Any], now: datetime) -> None:
        """The digest's next day (the dispatcher stopped for days: one digest, then the next one due)."""
        nxt = parse_utc(str(item["due_at"])) + timedelta(days=1)
        while nxt <= now:
            nxt += timedelta(days=1)
        written(
            lambda: self.table.update_item(
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="SET due_at = :n",
                ConditionExpression="due_at = :d",
                ExpressionAttributeValues={":n": as_utc(nxt), ":d": item["due_at"]},
            )
        )

    def _move_on(self, journey: dict[str, Any], now: datetime) -> bool:
        """Move a journey whose step was just queued to its next step (or end it): one conditional update of its
        enrolment, which holds only if the journey still waits for that step at that time (an exit, a restart or
        another run since: False, and the journey keeps what they made of it)."""
        pending = journey["pending"]
        index = int(pending["index"])
        nxt = next_pending(journey, self.shards)
        sets: dict[str, Any] = {"next_index": index + 1}
        if journey.get("purpose") == "marketing":
            # What was queued last, with its time: another journey's marketing message under the frequency cap sees
            # one still on its way (`Sender._rival`); nothing reads it of a transactional journey.
            sets["dispatched"] = {"message_id": pending["message_id"], "scheduled_for": pending["scheduled_for"]}
        removes: tuple[str, ...] = ()
        if nxt:
            sets.update(nxt)
        else:  # the journey is complete: kept as long as a flow may look back at it, then it expires
            sets.update(status="completed", ttl=expires(now, JOURNEY_HISTORY))
            removes = DUE
        names = {f"#a{n}": name for n, name in enumerate(sets)}
        values: dict[str, Any] = {f":a{n}": value for n, value in enumerate(sets.values())}
        return written(
            lambda: self.table.update_item(
                Key={"pk": journey["pk"], "sk": journey["sk"]},
                UpdateExpression="SET "
                + ", ".join(f"#a{n} = :a{n}" for n in range(len(sets)))
                + (" REMOVE " + ", ".join(removes) if removes else "")
                + " ADD rev :one",  # `rev`: the events function's read of the enrolment is stale (Writes.revise)
                ConditionExpression="#s = :active AND next_index = :i AND due_at = :d",
                ExpressionAttributeNames={**names, "#s": "status"},
                ExpressionAttributeValues={
                    **values,
                    ":one": 1,
                    ":active": "active",
                    ":i": index,
                    ":d": journey["due_at"],
                },
            )
        )

    def _advance(self, step: dict[str, Any], now: datetime) -> bool:
        """A step item's journey (begun before enrolments carried their step): mark the step queued and schedule the
        next; False when the enrolment had ended (step canceled)."""
        nxt = next_step_item(step, self.shards)
        index = int(step["index"])
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": {"pk": step["pk"], "sk": step["sk"]},
                    # A dispatched step is read while its message may wait; its message record is the history.
                    "UpdateExpression": "SET #s = :queued, #ttl = :ttl REMOVE due_shard, due_at",
                    "ConditionExpression": "#s = :pending",
                    "ExpressionAttributeNames": {"#s": "status", "#ttl": "ttl"},
                    "ExpressionAttributeValues": {
                        ":queued": "queued",
                        ":pending": "pending",
                        ":ttl": expires(now, STEP_HISTORY),
                    },
                }
            },
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": {"pk": step["pk"], "sk": enrolment_sk(str(step["flow_id"]), str(step["key"]))},
                    # `rev` tells the events function its read of the enrolment is stale (see Writes.revise). A
                    # journey that ends here is kept as long as a flow may look back at it, then expires.
                    "UpdateExpression": "SET next_index = :n"
                    + ("" if nxt else ", #s = :completed, #ttl = :ttl")
                    + " ADD rev :one",
                    "ConditionExpression": "#s = :active AND next_index = :i",
                    "ExpressionAttributeNames": {"#s": "status", **({} if nxt else {"#ttl": "ttl"})},
                    "ExpressionAttributeValues": {
                        ":n": index + 1,
                        ":i": index,
                        ":one": 1,
                        ":active": "active",
                        **({} if nxt else {":completed": "completed", ":ttl": expires(now, JOURNEY_HISTORY)}),
                    },
                }
            },
        ]
        if nxt:
            items.append(
                {"Put": {"TableName": self.table.name, "Item": nxt, "ConditionExpression": "attribute_not_exists(pk)"}}
            )
        client: Any = self.table.meta.client
        if written(lambda: client.transact_write_items(TransactItems=items)):
            return True
        # The enrolment ended (or another run advanced it): take the step off the index for good. A transaction
        # cancelled for anything else (throttling) raises instead: the step stays pending for the next run.
        cancel_step(self.table, str(step["pk"]), str(step["sk"]), now)
        return False


# The tracking queue's message (proativo.tracking.model.ParcelRef validates it on the other side).
PARCEL_REF_FIELDS = ("store_id", "customer_id", "order_id", "carrier", "tracking_code")


@dataclass
class FanOutReport:
    """What one tracking schedule run did."""

    due: int = 0
    read: int = 0
    enqueued: int = 0


@dataclass(frozen=True)
class TrackingFanOut:
    """Sends every parcel due for a check to the tracking queue, a message per store and carrier with up to
    `per_message` parcels (one carrier request can answer for all of them), and every claim with a step due (taken
    off the due index once queued)."""

    table: "Table"
    sqs: "SQSClient"
    queue_url: str
    shards: int
    per_message: int = 25

    def run(self, now: datetime, limit: int) -> FanOutReport:
        """One pass over the parcels due now, and the claims with something to do (file one, ask for its answer,
        warn of its deadline): a message per store and carrier for parcels, per store for claims."""
        due = query_due(self.table, "track", self.shards, now, limit)
        claims = query_due(self.table, "claim", self.shards, now, limit)
        report = FanOutReport(due=len(due.items) + len(claims.items), read=due.read + claims.read)
        parcels = _grouped(due.items, lambda p: (str(p["store_id"]), str(p["carrier"])), self.per_message)
        claimed = _grouped(claims.items, lambda c: str(c["store_id"]), self.per_message)
        messages = [
            (json.dumps({"parcels": [_ref_of(p) for p in chunk]}), str(chunk[0]["store_id"])) for chunk in parcels
        ]
        for chunk in claimed:
            store_id = str(chunk[0]["store_id"])
            body = {"claims": {"store_id": store_id, "keys": [str(c["sk"]) for c in chunk]}}
            messages.append((json.dumps(body), store_id))
        kinds = ["parcels"] * len(parcels) + ["claims"] * len(claimed)
        sent = send_each(self.sqs, self.queue_url, messages)
        for chunk, kind, accepted in zip([*parcels, *claimed], kinds, sent, strict=True):
            if not accepted:
                continue  # still on the index: the next run tries again
            report.enqueued += len(chunk)
            if kind == "claims":
                # A claim's step files or asks something of a carrier: it leaves the index before it runs, so a
                # second run can never send it twice. A parcel stays on it: the tracker's versioned save moves it
                # to its next check seconds from now (a write here would be undone by that one), and a second
                # message for it (the tracker slower than this schedule) finds it checked already and is dropped.
                for item in chunk:
                    _off_the_index(self.table, item)
        return report


def _off_the_index(table: "Table", item: dict[str, Any]) -> None:
    # A condition that fails means the item was rescheduled meanwhile (a check that just finished): its new time
    # stands.
    written(
        lambda: table.update_item(
            Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression="REMOVE due_shard, due_at",
            ConditionExpression="due_at = :d",
            ExpressionAttributeValues={":d": item["due_at"]},
        )
    )


def _grouped(
    items: list[dict[str, Any]], key: Callable[[dict[str, Any]], object], size: int
) -> list[list[dict[str, Any]]]:
    """Items grouped by `key`, each group cut into chunks of at most `size`."""
    groups: dict[object, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return [group[start : start + size] for group in groups.values() for start in range(0, len(group), size)]


def _ref_of(parcel: dict[str, Any]) -> dict[str, str]:
    return {f: str(parcel[f]) for f in PARCEL_REF_FIELDS}
