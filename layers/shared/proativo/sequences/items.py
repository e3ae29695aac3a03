"""The DynamoDB items of enrolments and steps, and what the dispatcher does to them: plain dicts, no models, so
the functions that only move due work stay light at cold start.

A journey is one item: its enrolment, which carries the step it waits for (`pending`) and, while it waits, sits on
the due index itself. The dispatcher moves it to its next step with one update. Journeys begun before that have a
`STEP#` item per step instead (`step_item`, `next_step_item`, `cancel_step`): they are carried to their end as
they began.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from proativo.aws import error_code, keys
from proativo.clock import as_utc, expires, parse_utc
from proativo.ids import content_id
from proativo.messaging.timing import MAX_POSTPONEMENT

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# How long a message's record is kept: attribution, reports and a customer's export look back this far; DynamoDB's
# TTL removes them after.
MESSAGE_RETENTION = timedelta(days=730)
# How long a step is kept once it was dispatched or canceled: the sender reads it while its message may still wait
# for its turn (`MAX_POSTPONEMENT`), then the message's record is its history. Every event's read of the customer
# and every marketing send's look for rivals read a customer's steps: kept for two years, a loyal customer's would
# make each of those reads grow with their history instead of with what is going on.
STEP_HISTORY = MAX_POSTPONEMENT + timedelta(days=4)
# How long a journey is kept once it ended (completed or exited): the longest look back a flow may ask of it (a
# repeat abandoner's window, a template not repeated within a period) and as long as the event log catches a
# repeated event, so an old journey is never started again by a repeat.
JOURNEY_HISTORY = timedelta(days=400)

# What a journey waiting for a step carries; removing them takes it off the due index (it ended).
DUE = ("pending", "due_shard", "due_at")

CONFLICTS = {"ConditionalCheckFailedException", "TransactionCanceledException"}


def enrolment_sk(flow_id: str, key: str) -> str:
    """Sort key of an enrolment inside the customer's partition."""
    return f"ENROL#{flow_id}#{key}"


def step_sk(flow_id: str, key: str, index: int) -> str:
    """Sort key of one scheduled step inside the customer's partition."""
    return f"STEP#{flow_id}#{key}#{index:03d}"


def message_id_for(store_id: str, customer_id: str, flow_id: str, key: str, index: int, journey: str | None) -> str:
    """The deterministic id of the message a step produces: the sender's idempotency key. `journey` (when the
    journey began) tells apart two journeys of one flow and key: once an ended journey expires, the same cart may
    start another, whose messages are not the first's (kept two years, they would read as sent already). Journeys
    begun before it was recorded keep the ids they had."""
    if journey is None:
        return content_id(store_id, customer_id, flow_id, key, index)
    return content_id(store_id, customer_id, flow_id, key, index, journey)


def pending_step(
    enrolment: dict[str, Any], index: int, step: dict[str, Any], due_at: datetime, due_shards: int
) -> dict[str, Any]:
    """The attributes that make `enrolment` (an item: its keys and `store_id`, `customer_id`, `flow_id`, `key`,
    `entered_at`) wait for step `index`, due at `due_at`: what the dispatcher queues then (`pending`), and the due
    index's keys."""
    store_id, customer_id = str(enrolment["store_id"]), str(enrolment["customer_id"])
    flow_id, key = str(enrolment["flow_id"]), str(enrolment["key"])
    journey = str(enrolment["entered_at"]) if enrolment.get("entered_at") else None
    pending: dict[str, Any] = {
        "index": index,
        "step_id": step["id"],
        "channel": step["channel"],
        "template": step["template"],
        **{name: step[name] for name in ("coupon", "survey") if name in step},
        "scheduled_for": as_utc(due_at),
        "message_id": message_id_for(store_id, customer_id, flow_id, key, index, journey),
    }
    item_id = f"{enrolment['pk']}|{enrolment['sk']}"
    return {"pending": pending, **keys.due_keys("send", item_id, due_at, due_shards)}


def next_pending(enrolment: dict[str, Any], due_shards: int) -> dict[str, Any] | None:
    """`pending_step` for the step after the one `enrolment` waits for: its delay after that one was due, or its
    time fixed at entry (a deadline step); None when the journey has no more steps."""
    pending = enrolment["pending"]
    index = int(pending["index"]) + 1
    steps = list(enrolment.get("steps", []))
    if index >= len(steps):
        return None
    step = dict(steps[index])
    return pending_step(enrolment, index, step, _due_after(step, pending["scheduled_for"]), due_shards)


def _due_after(step: dict[str, Any], previous_due: Any) -> datetime:
    """When `step` is due: its time fixed at entry (a deadline step), or its delay after the step before it was."""
    if "due_at" in step:
        return parse_utc(str(step["due_at"]))
    return parse_utc(str(previous_due)) + timedelta(seconds=int(step["delay_seconds"]))


def step_item(
    *,
    store_id: str,
    customer_id: str,
    flow_id: str,
    key: str,
    purpose: str,
    priority: int,
    index: int,
    step: dict[str, Any],
    following: list[dict[str, Any]],
    due_at: datetime,
    due_shards: int,
    journey: str | None,
) -> dict[str, Any]:
    """A pending step item of a journey begun before enrolments carried their step (see the module's docstring), on
    the due index. It carries the steps that follow, so the dispatcher can schedule the next one without reading the
    enrolment, and when its journey began (`journey`: the enrolment's `entered_at`)."""
    pk = keys.customer_pk(store_id, customer_id)
    sk = step_sk(flow_id, key, index)
    return {
        "pk": pk,
        "sk": sk,
        "kind": "step",
        "store_id": store_id,
        "customer_id": customer_id,
        "flow_id": flow_id,
        "key": key,
        "index": index,
        "step_id": step["id"],
        "channel": step["channel"],
        "template": step["template"],
        **{name: step[name] for name in ("coupon", "survey") if name in step},
        "purpose": purpose,
        "priority": priority,
        "following": following,
        "status": "pending",
        "scheduled_for": as_utc(due_at),
        "message_id": message_id_for(store_id, customer_id, flow_id, key, index, journey),
        **({"journey": journey} if journey else {}),
        **keys.due_keys("send", f"{pk}|{sk}", due_at, due_shards),
    }


def next_step_item(current: dict[str, Any], due_shards: int) -> dict[str, Any] | None:
    """The item of the step after `current` (a step item), due its delay after `current` was due; None at the end."""
    following = list(current.get("following", []))
    if not following:
        return None
    step = following[0]
    return step_item(
        store_id=str(current["store_id"]),
        customer_id=str(current["customer_id"]),
        flow_id=str(current["flow_id"]),
        key=str(current["key"]),
        purpose=str(current["purpose"]),
        priority=int(current.get("priority", 0)),
        index=int(current["index"]) + 1,
        step=step,
        following=following[1:],
        due_at=_due_after(step, current["scheduled_for"]),
        due_shards=due_shards,
        journey=str(current["journey"]) if current.get("journey") else None,
    )


def cancel_step(table: "Table", pk: str, sk: str, now: datetime) -> None:
    """Take a pending step off the due index for good (no-op if it already left); it expires with the others."""
    try:
        table.update_item(
            Key={"pk": pk, "sk": sk},
            UpdateExpression="SET #s = :canceled, #ttl = :ttl REMOVE due_shard, due_at",
            ConditionExpression="#s = :pending",
            ExpressionAttributeNames={"#s": "status", "#ttl": "ttl"},
            ExpressionAttributeValues={
                ":canceled": "canceled",
                ":pending": "pending",
                ":ttl": expires(now, STEP_HISTORY),
            },
        )
    except ClientError as exc:
        if error_code(exc) not in CONFLICTS:
            raise
