"""Deliveries table stream → the queues: each new webhook delivery's canonical events to the events queue (a
carrier's pushed scans to the tracking queue). Partial batch failures: the stream resumes from the first record not
relayed, so nothing is lost."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from proativo import aws
from proativo.aws import queues
from proativo.intake import deliveries
from proativo.settings import RelaySettings

settings = RelaySettings.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Proativo")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@tracer.capture_method
def record_handler(record: DynamoDBRecord) -> None:
    delivery = deliveries.from_stream(record.raw_event)
    if delivery is None:
        return
    tracer.put_annotation("store_id", delivery.store_id)
    url = settings.tracking_queue_url if delivery.queue == "tracking" else settings.events_queue_url
    queued = queues.enqueue_events(aws.sqs(), url, delivery.events, delivery.store_id)
    try:  # queued: the delivery's events (contact details) need not wait out the week in the table
        deliveries.forget_events(aws.dynamodb(), settings.deliveries_table_name, delivery.key)
    except (ClientError, BotoCoreError) as exc:  # they expire with the delivery (TTL, 7 days)
        logger.warning("delivery's events kept until it expires", extra={"error": aws.error_code(exc) or str(exc)})
    metrics.add_metric(name="EventsRelayed", unit=MetricUnit.Count, value=queued)
    logger.info("delivery relayed", extra={"store_id": delivery.store_id, "events": queued})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
