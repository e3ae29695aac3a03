"""Accepted webhook deliveries: one conditional write both deduplicates a delivery and hands its events on.

The deliveries table is an outbox. The request path puts the delivery (its key, store and canonical events) only if
the key is new; the table's stream carries every new delivery to the relay, which moves its events to the events
queue. A redelivery fails the condition and changes nothing; an accepted delivery cannot be lost between "recorded"
and "queued", because the record is the queueing. One write in the request path, where Powertools Idempotency
plus an SQS send took three calls.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from proativo.aws import error_code, queues, written

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

# Powertools' module-level instances share the function's configuration and metric set.
logger, metrics = Logger(child=True), Metrics()

RETENTION_SECONDS = 7 * 24 * 3600  # platforms retry for up to two days (Shopify: 48 h); keep a week


@dataclass(frozen=True)
class Delivery:
    """A delivery as the relay reads it from the stream: its store, its messages (JSON) and where they go: the
    events queue (canonical events from platforms) or the tracking queue (scans carriers push)."""

    key: str
    store_id: str
    events: tuple[str, ...]
    queue: str = "events"


def record(
    dynamodb: "DynamoDBClient",
    table_name: str,
    key: str,
    store_id: str,
    events: Sequence[str],
    now: datetime,
    queue: str = "events",
) -> bool:
    """Record a delivery unless its key was seen: True if recorded (its events will be queued), False if a repeat."""
    return written(
        lambda: dynamodb.put_item(
            TableName=table_name,
            Item={
                "id": {"S": key},
                "store_id": {"S": store_id},
                "events": {"L": [{"S": e} for e in events]},
                "received_at": {"S": now.isoformat()},
                # Only what the relay needs (every attribute is paid for in write units and stream bytes).
                **({"queue": {"S": queue}} if queue != "events" else {}),
                "expiration": {"N": str(int(now.timestamp()) + RETENTION_SECONDS)},
            },
            ConditionExpression="attribute_not_exists(id)",
        )
    )


def forget_events(dynamodb: "DynamoDBClient", table_name: str, key: str) -> None:
    """Drop a relayed delivery's events (they carry contact details) and keep its key, which is what deduplicates a
    redelivery for the rest of the week: personal data stays in this table only until it is queued."""
    dynamodb.update_item(
        TableName=table_name,
        Key={"id": {"S": key}},
        UpdateExpression="REMOVE events",
        ConditionExpression="attribute_exists(id)",
    )


def from_stream(record: Mapping[str, Any]) -> Delivery | None:
    """The delivery a stream record announces (None for anything but a new delivery: TTL removals, say)."""
    if record.get("eventName") != "INSERT":
        return None
    image = record["dynamodb"]["NewImage"]
    return Delivery(
        key=image["id"]["S"],
        store_id=image["store_id"]["S"],
        events=tuple(e["S"] for e in image["events"]["L"]),
        queue=image.get("queue", {}).get("S", "events"),
    )


@dataclass(frozen=True)
class Relay:
    """Moves each new delivery's messages to their queue (canonical events to the events queue, a carrier's pushed
    scans to the tracking queue), then drops them from the table: queued, the delivery's events (contact details)
    need not wait out the week there."""

    sqs: "SQSClient"
    dynamodb: "DynamoDBClient"
    events_queue_url: str
    tracking_queue_url: str
    deliveries_table_name: str

    def relay(self, record: Mapping[str, Any]) -> Delivery | None:
        """Relay the delivery a stream record announces (None: the record announces none). Raises when the queue
        refuses: the stream resumes from this record."""
        delivery = from_stream(record)
        if delivery is None:
            return None
        url = self.tracking_queue_url if delivery.queue == "tracking" else self.events_queue_url
        queued = queues.enqueue_events(self.sqs, url, delivery.events, delivery.store_id)
        try:
            forget_events(self.dynamodb, self.deliveries_table_name, delivery.key)
        except (ClientError, BotoCoreError) as exc:  # they expire with the delivery (TTL, 7 days)
            logger.warning("delivery's events kept until it expires", extra={"error": error_code(exc) or str(exc)})
        metrics.add_metric(name="EventsRelayed", unit=MetricUnit.Count, value=queued)
        logger.info("delivery relayed", extra={"store_id": delivery.store_id, "events": queued})
        return delivery
