"""Sending to our queues in batches of ten, each message tagged with its store: the one batch loop the relay,
feedback, dispatcher and tracking fan-out share."""

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SQS_BATCH = 10


def _attributes(store_id: str) -> dict[str, Any]:
    return {"store_id": {"DataType": "String", "StringValue": store_id}}


def send_each(sqs: "SQSClient", queue_url: str, messages: Sequence[tuple[str, str]]) -> Iterator[bool]:
    """Send (body, store id) messages in batches; yields, in order, whether the queue took each one."""
    if len(messages) == 1:
        # One message costs less than a batch of one; a refusal reads as a batch entry's would.
        body, store_id = messages[0]
        try:
            sqs.send_message(QueueUrl=queue_url, MessageBody=body, MessageAttributes=_attributes(store_id))
        except ClientError:
            yield False
            return
        yield True
        return
    for start in range(0, len(messages), SQS_BATCH):
        chunk = messages[start : start + SQS_BATCH]
        answer = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {
                    "Id": str(n),
                    "MessageBody": body,
                    "MessageAttributes": _attributes(store_id),
                }
                for n, (body, store_id) in enumerate(chunk)
            ],
        )
        accepted = {int(ok["Id"]) for ok in answer.get("Successful", [])}
        yield from (n in accepted for n in range(len(chunk)))


def enqueue_events(sqs: "SQSClient", queue_url: str, events: tuple[str, ...], store_id: str) -> int:
    """Send canonical events to the events queue; raises unless every one was accepted."""
    refused = sum(not ok for ok in send_each(sqs, queue_url, [(body, store_id) for body in events]))
    if refused:
        raise RuntimeError(f"events queue refused {refused} of {len(events)} messages")
    return len(events)
