"""The table's stream → the stores' daily counters: sums what a batch of newly written facts adds (each carries its
`counts`) and puts it as one delta per store, once (a retried batch puts nothing); every hour, the deltas of each
day that is over are rolled up into the counter items (`proativo.reporting.stats`)."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
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
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    table, now = aws.table(settings.table_name), clock.now()
    if "Records" not in event:  # the hourly schedule
        rolled = stats.roll_up_all(table, now)
        if rolled:  # an idle run says nothing (a metric emitted as 0 stays alive, and billed, all month)
            metrics.add_metric(name="CountersRolledUp", unit=MetricUnit.Count, value=rolled)
        (logger.info if rolled else logger.debug)("counters rolled up", extra={"counters": rolled})
        return {"rolled": rolled}
    records = list(DynamoDBStreamEvent(event).records)
    written = [r.dynamodb for r in records if r.event_name in _WRITES and r.dynamodb is not None]
    totals = stats.tally((d.old_image, d.new_image) for d in written)
    newest = max((d.approximate_creation_date_time or 0 for d in written), default=0) or now.timestamp()
    changed = stats.commit(table, totals, [str(r.event_id) for r in records], datetime.fromtimestamp(newest, UTC), now)
    metrics.add_metric(name="CountersAdded", unit=MetricUnit.Count, value=changed)
    logger.info("counters added", extra={"records": len(records), "counters": changed})
    return {"counters": changed}
