"""Team queue → what a store's team is to hear of its cases (`proativo.cases.team`): notices to its webhook and
ouvidoria, the daily digest, a public answer a person approved, a complaint site's turn (retried on 5xx/429, partial
batch failures). Every 30 minutes (its schedule): a turn at every store's complaint sites."""

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.settings import TeamSettings

settings = TeamSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    message = json.loads(record.body)
    done = wiring.team(settings).deliver(message, clock.now())
    metrics.add_metric(name="TeamNotices", unit=MetricUnit.Count, value=1)
    extra = {"store_id": next(iter(message.values())).get("store_id"), **done}
    (logger.info if done.get("new", 1) else logger.debug)("team told", extra=extra)  # a turn with no news: quiet


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse | dict[str, Any]:
    if event.get("detail-type") == "Scheduled Event":
        done = wiring.team(settings).turn(clock.now())
        # A turn that found nothing new says nothing (no metric kept alive by idle runs).
        (logger.info if done["new"] else logger.debug)("team told", extra=done)
        return done
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
