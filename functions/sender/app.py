"""Send queue → check consent and exits, render, send once, record. Throttling goes back to the queue."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.aws import metrics as business
from proativo.errors import RetryableSendError
from proativo.messaging.decision import SendRequest
from proativo.settings import SenderSettings
from pydantic import ValidationError

settings = SenderSettings.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Proativo")
processor = BatchProcessor(event_type=EventType.SQS)


def _request(record: dict[str, Any]) -> SendRequest | None:
    try:
        return SendRequest.model_validate_json(record.get("body", ""))
    except ValidationError:
        return None  # the record handler reports it as failed


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    request = SendRequest.model_validate_json(record.body)
    tracer.put_annotation("store_id", request.store_id)
    try:
        outcome = wiring.sender(settings).deliver(request, clock.now())
    except RetryableSendError:
        metrics.add_metric(name="MessagesDeferred", unit=MetricUnit.Count, value=1)
        raise
    metrics.add_metric(name=f"Messages{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
    # By channel and by flow, each with its outcome (the dashboard's "messages by channel"), the store as a property.
    business.record("MessagesByChannel", request.store_id, channel=request.channel, status=outcome.status)
    business.record("MessagesByFlow", request.store_id, flow=request.flow_id, status=outcome.status)
    logger.info(
        "message " + outcome.status,
        extra={
            "store_id": request.store_id,
            "message_id": request.message_id,
            "channel": request.channel,
            "template": request.template,
            "reason": outcome.reason,
        },
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # The batch's reads in one call; then each message on its own (its claim, its send, its record).
    wiring.sender(settings).prefetch([r for r in map(_request, event.get("Records", [])) if r is not None])
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
