"""Moving messages from a dead-letter queue back to the queue they came from, once the cause is fixed.

Every consumer is idempotent (events by event id, sends by message id, parcel checks by version), so a message that
was in fact handled before it reached the DLQ changes nothing when it runs again. A message is deleted from the DLQ
only after the target queue accepted it: an interrupted redrive loses nothing, it may only repeat.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# The queue each DLQ of the template feeds back into (RelayDLQ and ScheduleDLQ hold failure notices, not work: see
# README, Runbook).
SOURCES = {"EventsDLQ": "EventsQueue", "SendDLQ": "SendQueue", "TrackingDLQ": "TrackingQueue"}


@dataclass(frozen=True)
class Redriven:
    """What a redrive moved."""

    moved: int
    left: int


def redrive(sqs: "SQSClient", dlq_url: str, target_url: str, limit: int = 10_000) -> Redriven:
    """Move up to `limit` messages from `dlq_url` to `target_url`, ten at a time."""
    moved = 0
    while moved < limit:
        batch = sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=min(10, limit - moved), WaitTimeSeconds=1, VisibilityTimeout=60
        ).get("Messages", [])
        if not batch:
            break
        sent = sqs.send_message_batch(
            QueueUrl=target_url,
            Entries=[{"Id": str(i), "MessageBody": m["Body"]} for i, m in enumerate(batch)],
        )
        accepted = {int(entry["Id"]) for entry in sent.get("Successful", [])}
        done = [batch[i] for i in sorted(accepted)]
        if done:
            sqs.delete_message_batch(
                QueueUrl=dlq_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        moved += len(done)
        if len(done) < len(batch):
            break  # the target refused some: stop, they stay in the DLQ (visible again after the timeout)
    attributes = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
    return Redriven(moved=moved, left=int(attributes["Attributes"]["ApproximateNumberOfMessages"]))
