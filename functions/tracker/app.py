"""Tracking queue → poll each message's parcels (records concurrently, within each carrier's limits), fold a
carrier's pushed scans, or take due claims a step (`proativo.tracking.tracker`). Partial batch failures: a carrier
that cannot answer fails only its records."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import AsyncBatchProcessor, EventType, async_process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.settings import TrackingSettings
from proativo.tracking.queue import read_message

settings = TrackingSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()
processor = AsyncBatchProcessor(event_type=EventType.SQS)


async def record_handler(record: SQSRecord) -> None:
    tracker = wiring.tracker(settings)
    for outcome in await tracker.handle(read_message(record.body), clock.now()):
        tracker.observe(outcome, metrics, logger)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return async_process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
