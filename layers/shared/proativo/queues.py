"""Handing canonical events to the events queue: the one way webhooks, feedback and tracking report what happened."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SQS_BATCH = 10


def enqueue_events(sqs: "SQSClient", queue_url: str, events: tuple[str, ...], store_id: str) -> int:
    """Send canonical events to the events queue (batches of 10); raises unless every one was accepted."""
    for start in range(0, len(events), SQS_BATCH):
        chunk = events[start : start + SQS_BATCH]
        answer = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {
                    "Id": str(n),
                    "MessageBody": body,
                    "MessageAttributes": {"store_id": {"DataType": "String", "StringValue": store_id}},
                }
                for n, body in enumerate(chunk)
            ],
        )
        if answer.get("Failed"):
            raise RuntimeError(f"events queue refused {len(answer['Failed'])} of {len(chunk)} messages")
    return len(events)
