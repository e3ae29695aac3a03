"""The table's stream → the stores' daily counters: sums what a batch of newly written facts adds (each carries its
`counts`) and adds it to the counter items in one transaction, once per batch (a retried batch adds nothing)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecordEventName
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import aws, clock
from proativo.reporting import stats
from proativo.settings import StatsSettings

settings = StatsSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()
_WRITES = (DynamoDBRecordEventName.INSERT, DynamoDBRecordEventName.MODIFY)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=DynamoDBStreamEvent)
def handler(event: DynamoDBStreamEvent, context: LambdaContext) -> dict[str, Any]:
    records = list(event.records)
    written = [r.dynamodb for r in records if r.event_name in _WRITES and r.dynamodb is not None]
    totals = stats.tally((d.old_image, d.new_image) for d in written)
    table = aws.table(settings.table_name)  # the resource's client: plain Python values in and out
    changed = stats.commit(
        table.meta.client,
        table.name,
        settings.idempotency_table_name,
        totals,
        [str(r.event_id) for r in records],
        clock.now(),
    )
    metrics.add_metric(name="CountersAdded", unit=MetricUnit.Count, value=changed)
    logger.info("counters added", extra={"records": len(records), "counters": changed})
    return {"counters": changed}
