"""The floor of a queue function that parses its records as the stack prescribes: the bare baseline (boto3, Powertools'
Logger, Tracer and Metrics) plus Powertools' batch processor and one pydantic model, validated once. Nothing of
Proativo: what any queue function built this way pays before its own code (`make bench` prints it beside
`cold_start_ratio_max`)."""

from typing import Any

import boto3  # noqa: F401 - the import is what is measured
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from pydantic import BaseModel, Field

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Bench")
processor = BatchProcessor(event_type=EventType.SQS)


class Item(BaseModel):
    id: str = Field(min_length=1)
    quantity: int = Field(ge=1)


Item.model_validate({"id": "a", "quantity": 1})


def record_handler(record: Any) -> None:
    Item.model_validate_json(record.body)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> Any:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
