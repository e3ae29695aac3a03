"""The cold-start baseline: a bare handler with boto3 and Powertools' Logger, Tracer and Metrics, nothing else."""

from typing import Any

import boto3  # noqa: F401 - the import is what is measured
from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Bench")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {}
