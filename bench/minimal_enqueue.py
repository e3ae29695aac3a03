"""The webhook baseline: a minimal Powertools HTTP handler that only puts the request body on the queue."""

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Bench")
app = APIGatewayHttpResolver()
sqs = boto3.client("sqs")
QUEUE_URL = os.environ["EVENTS_QUEUE_URL"]


@app.post("/webhooks/<platform>/<store_id>")
def receive(platform: str, store_id: str) -> dict[str, Any]:
    sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=app.current_event.body or "")
    return {"status": "accepted"}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
