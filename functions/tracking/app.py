"""On schedule: find the parcels due for a carrier check (sparse index) and fan them out to the tracking queue."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.settings import TrackingSettings

settings = TrackingSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = wiring.tracking_fan_out(settings).run(clock.now(), settings.max_items_per_run)
    # An idle run says nothing: a metric emitted as 0 every run stays alive (and billed) all month, for no news.
    if report.enqueued:
        metrics.add_metric(name="ParcelsDueForCheck", unit=MetricUnit.Count, value=report.enqueued)
    (logger.info if report.due else logger.debug)("tracking run", extra=vars(report))
    return vars(report)
