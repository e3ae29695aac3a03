"""The signals baseline: a minimal Powertools HTTP handler doing only what the signals route must: one consistent
read of the visitor's item and one conditional write of it."""

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Bench")
app = APIGatewayHttpResolver()
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


@app.post("/signals/<store_id>")
def receive(store_id: str) -> dict[str, Any]:
    visitor = json.loads(app.current_event.body or "{}")["visitor"]
    key = {"pk": f"STORE#{store_id}#VISITOR#{visitor}", "sk": "VISIT"}
    version = int(str(table.get_item(Key=key, ConsistentRead=True).get("Item", {}).get("version", 0)))
    table.put_item(
        Item={**key, "version": version + 1},
        ConditionExpression="attribute_not_exists(pk) OR version = :v",
        ExpressionAttributeValues={":v": version},
    )
    return {"actions": []}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
