"""SES delivery events (via SNS) → bounces and complaints as canonical events on the events queue."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import aws, clock
from proativo.aws import metrics as business
from proativo.aws import queues
from proativo.events import dump_event
from proativo.intake import feedback
from proativo.settings import FeedbackSettings

settings = FeedbackSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=SNSEvent)
def handler(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    now = clock.now()
    found = [feedback.event_from_ses(record.sns.message, now) for record in event.records]
    events = [e for e in found if e is not None]
    for e in events:
        queues.enqueue_events(aws.sqs(), settings.events_queue_url, (dump_event(e),), e.store_id)
        metrics.add_metric(name=e.type, unit=MetricUnit.Count, value=1)
        kind = getattr(e, "engagement", None) or e.type.removeprefix("Message").lower()
        business.record("EmailFeedback", e.store_id, kind=kind)  # delivered, opened, clicked, bounced, complained
    logger.info("ses feedback", extra={"notifications": len(found), "events": len(events)})
    return {"events": len(events)}
