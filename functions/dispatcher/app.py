"""Every minute: read the steps due now (sparse index, never Scan) and move them to the send queue."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.settings import DispatcherSettings

settings = DispatcherSettings.from_env()
logger, tracer, metrics = Logger(), Tracer(), Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = wiring.dispatcher(settings).run(clock.now(), settings.max_items_per_run)
    # An idle run says nothing: a metric emitted as 0 every run stays alive (and billed) all month, for no news.
    if report.enqueued:
        metrics.add_metric(name="StepsDispatched", unit=MetricUnit.Count, value=report.enqueued)
    (logger.info if report.due else logger.debug)("dispatch run", extra=vars(report))
    return vars(report)
