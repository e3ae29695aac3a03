"""The floor of a function that validates its input as the stack prescribes: the bare baseline (boto3, Powertools'
Logger, Tracer and Metrics) plus Powertools' HTTP resolver with OpenAPI validation and one pydantic model, validated
once. Nothing of Proativo: what any function built this way pays before its own code (`make bench` prints it beside
`cold_start_ratio_max`)."""

from typing import Any

import boto3  # noqa: F401 - the import is what is measured
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import BaseModel, Field

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Bench")
app = APIGatewayHttpResolver(enable_validation=True)


class Item(BaseModel):
    id: str = Field(min_length=1)
    quantity: int = Field(ge=1)


@app.post("/items")
def add(item: Item) -> dict[str, Any]:
    return {"id": item.id}


Item.model_validate({"id": "a", "quantity": 1})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
