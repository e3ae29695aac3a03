"""Sending to our queues in batches of ten, each message tagged with its store: the one batch loop the relay,
feedback, dispatcher and tracking fan-out share."""

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SQS_BATCH = 10
# SQS takes at most 256 KiB in one request, bodies and attributes together: a batch stops short of it.
SQS_BATCH_BYTES = 240 * 1024


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
    for chunk in _batches(messages):
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


def _batches(messages: Sequence[tuple[str, str]]) -> Iterator[Sequence[tuple[str, str]]]:
    """The messages in order, in batches of at most ten and `SQS_BATCH_BYTES`."""
    chunk: list[tuple[str, str]] = []
    size = 0
    for message in messages:
        weight = len(message[0].encode()) + len(message[1]) + 64
        if chunk and (len(chunk) == SQS_BATCH or size + weight > SQS_BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(message)
        size += weight
    if chunk:
        yield chunk


def enqueue_events(sqs: "SQSClient", queue_url: str, events: tuple[str, ...], store_id: str) -> int:
    """Send canonical events to the events queue; raises unless every one was accepted."""
    refused = sum(not ok for ok in send_each(sqs, queue_url, [(body, store_id) for body in events]))
    if refused:
        raise RuntimeError(f"events queue refused {refused} of {len(events)} messages")
    return len(events)
