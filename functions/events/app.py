"""Events queue → apply each canonical event to state and sequences (`proativo.intake.processing`), once per store
and event id: the event's log entry, written in the same transaction as everything it changes, is the mark (a repeat
fails its condition and changes nothing). Partial batch failures: one bad record never makes the good ones run
twice."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.events import parse_message
from proativo.settings import EventsSettings

settings = EventsSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    message = parse_message(record.body)
    tracer.put_annotation("store_id", message.store_id)
    engine = wiring.event_processor(settings)
    engine.observe(engine.apply_message(record.body, clock.now()), message.store_id, metrics, logger)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
