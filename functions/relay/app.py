"""Deliveries table stream → the queues (`proativo.intake.deliveries.Relay`): each new webhook delivery's canonical
events to the events queue, a carrier's pushed scans to the tracking queue. Partial batch failures: the stream
resumes from the first record not relayed, so nothing is lost."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import wiring
from proativo.settings import RelaySettings

settings = RelaySettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@tracer.capture_method
def record_handler(record: DynamoDBRecord) -> None:
    delivery = wiring.relay(settings).relay(record.raw_event)
    if delivery is not None:
        tracer.put_annotation("store_id", delivery.store_id)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
