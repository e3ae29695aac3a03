"""Send queue → check consent and exits, render, send once, record (`proativo.messaging.sender`). Throttling goes
back to the queue."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.messaging.decision import SendRequest, requests_in
from proativo.settings import SenderSettings

settings = SenderSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    request = SendRequest.model_validate_json(record.body)
    tracer.put_annotation("store_id", request.store_id)
    wiring.sender(settings).deliver_observed(request, clock.now(), metrics, logger)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # The batch's reads in one call; then each message on its own (its claim, its send, its record).
    wiring.sender(settings).prefetch(requests_in(event), clock.now())
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
