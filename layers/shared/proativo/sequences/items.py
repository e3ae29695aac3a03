"""The DynamoDB items of enrolments and steps, and what the dispatcher does to them: plain dicts, no models, so
the functions that only move due work stay light at cold start."""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from proativo.aws import error_code, keys
from proativo.clock import as_utc, parse_utc
from proativo.ids import content_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# How long a message's record (and the step that sent it) is kept: attribution, reports and a customer's export
# look back this far; DynamoDB's TTL removes them after.
MESSAGE_RETENTION = timedelta(days=730)

CONFLICTS = {"ConditionalCheckFailedException", "TransactionCanceledException"}


def enrolment_sk(flow_id: str, key: str) -> str:
    """Sort key of an enrolment inside the customer's partition."""
    return f"ENROL#{flow_id}#{key}"


def step_sk(flow_id: str, key: str, index: int) -> str:
    """Sort key of one scheduled step inside the customer's partition."""
    return f"STEP#{flow_id}#{key}#{index:03d}"


def message_id_for(store_id: str, customer_id: str, flow_id: str, key: str, index: int) -> str:
    """The deterministic id of the message a step produces: the sender's idempotency key."""
    return content_id(store_id, customer_id, flow_id, key, index)


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
) -> dict[str, Any]:
    """A pending step item, on the due index. It carries the steps that follow, so the dispatcher can schedule the
    next one without reading the enrolment."""
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
        "message_id": message_id_for(store_id, customer_id, flow_id, key, index),
        **keys.due_keys("send", f"{pk}|{sk}", due_at, due_shards),
    }


def next_step_item(current: dict[str, Any], due_shards: int) -> dict[str, Any] | None:
    """The item of the step after `current` (a step item), due its delay after `current` was due; None at the end."""
    following = list(current.get("following", []))
    if not following:
        return None
    step = following[0]
    if "due_at" in step:  # a deadline step: its time was fixed at entry
        due_at = parse_utc(str(step["due_at"]))
    else:
        due_at = parse_utc(str(current["scheduled_for"])) + timedelta(seconds=int(step["delay_seconds"]))
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
        due_at=due_at,
        due_shards=due_shards,
    )


def cancel_step(table: "Table", pk: str, sk: str) -> None:
    """Take a pending step off the due index for good (no-op if it already left)."""
    try:
        table.update_item(
            Key={"pk": pk, "sk": sk},
            UpdateExpression="SET #s = :canceled REMOVE due_shard, due_at",
            ConditionExpression="#s = :pending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":canceled": "canceled", ":pending": "pending"},
        )
    except ClientError as exc:
        if error_code(exc) not in CONFLICTS:
            raise
