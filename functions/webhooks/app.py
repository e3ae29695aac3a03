"""POST /webhooks/{platform}/{store_id}: verify the store's signature, parse, record the delivery (one conditional
write: a repeat changes nothing, the table's stream queues the rest), answer fast."""

import base64
import json
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import aws, clock, stores
from proativo.edge.openapi import with_other_routes
from proativo.edge.refusals import REFUSAL_SCHEMA, answer_refusals, json_answer
from proativo.intake import deliveries, webhooks
from proativo.settings import WebhookSettings

settings = WebhookSettings.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Proativo")
app = APIGatewayHttpResolver(enable_validation=True)


def _secret(store_id: str, platform: str) -> str:
    return stores.webhook_secret(settings.secrets_prefix, store_id, platform, settings.secret_cache_seconds)


_ANSWER = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["accepted", "duplicate", "ignored"]},
        "events": {"type": "integer"},
        "reason": {"type": "string"},
    },
}


def _doc(description: str, schema: dict[str, Any]) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


@app.post(
    "/webhooks/<platform>/<store_id>",
    summary="Receive a platform webhook",
    description="Verifies the store's signature for the platform, maps the payload to canonical events and queues "
    "them. See README, 'Connect a platform', for each platform's headers and format.",
    tags=["webhooks"],
    responses={
        202: _doc("accepted: events queued", _ANSWER),
        200: _doc("duplicate delivery, or nothing to do (topic not handled, handshake)", _ANSWER),
        400: _doc("invalid payload: the field and the reason", REFUSAL_SCHEMA),
        401: _doc("missing or wrong signature", REFUSAL_SCHEMA),
        404: _doc("unknown platform or store", REFUSAL_SCHEMA),
        413: _doc("body over 256 KB, or more events than one delivery holds", REFUSAL_SCHEMA),
        503: _doc("a dependency is unavailable for now: retry", REFUSAL_SCHEMA),
    },
)
def receive(platform: str, store_id: str) -> Response[dict[str, Any]]:
    logger.append_keys(store_id=store_id, platform=platform)
    now = clock.now()
    delivery = webhooks.receive(
        platform,
        store_id,
        app.current_event.headers,
        _body(),
        now,
        _secret,
        settings.max_body_bytes,
        settings.signature_tolerance_seconds,
    )
    if isinstance(delivery, webhooks.Ignored):
        metrics.add_metric(name="WebhookIgnored", unit=MetricUnit.Count, value=1)
        return json_answer(200, {"status": "ignored", "reason": delivery.reason})
    return _record(delivery, store_id, now, "EventsReceived", fallback_key=f"{store_id}:{platform}")


@app.post(
    "/webhooks/carrier/<carrier>/<store_id>",
    summary="Receive a carrier's pushed scans",
    description="Verifies the store's signature for the carrier (as the generic platform signs) and queues the scans "
    "for tracking. See README, 'Carriers that push', for the format.",
    tags=["webhooks"],
    responses={
        202: _doc("accepted: scans queued for tracking", _ANSWER),
        200: _doc("duplicate delivery", _ANSWER),
        400: _doc("invalid payload: the field and the reason", REFUSAL_SCHEMA),
        401: _doc("missing or wrong signature", REFUSAL_SCHEMA),
        404: _doc("unknown carrier or store", REFUSAL_SCHEMA),
        413: _doc("body over 256 KB", REFUSAL_SCHEMA),
        503: _doc("a dependency is unavailable for now: retry", REFUSAL_SCHEMA),
    },
)
def receive_carrier(carrier: str, store_id: str) -> Response[dict[str, Any]]:
    logger.append_keys(store_id=store_id, carrier=carrier)
    now = clock.now()
    delivery = webhooks.receive_carrier_push(
        carrier,
        store_id,
        app.current_event.headers,
        _body(),
        now,
        _secret,
        settings.max_body_bytes,
        settings.signature_tolerance_seconds,
    )
    return _record(delivery, store_id, now, "CarrierPushes", fallback_key=f"{store_id}:carrier-{carrier}")


def _body() -> bytes:
    event = app.current_event
    return base64.b64decode(event.body or "") if event.is_base64_encoded else (event.body or "").encode()


def _record(
    delivery: webhooks.Delivery, store_id: str, now: datetime, metric: str, fallback_key: str
) -> Response[dict[str, Any]]:
    """Record the delivery (one conditional write); a repeat answers 200 duplicate and changes nothing."""
    # A platform without delivery ids: every request is its own delivery (the events function still drops events
    # it has applied, by event id).
    key = delivery.key or f"{fallback_key}:request:{app.current_event.request_context.request_id}"
    table = settings.deliveries_table_name
    if not deliveries.record(aws.dynamodb(), table, key, store_id, delivery.events, now, delivery.queue):
        metrics.add_metric(name="WebhookDuplicate", unit=MetricUnit.Count, value=1)
        return json_answer(200, {"status": "duplicate", "events": 0})
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=len(delivery.events))
    # The API access log already has every request, and the metric the count: the event types are for debugging.
    logger.debug("webhook accepted", extra={"event_types": delivery.event_types})
    return json_answer(202, {"status": "accepted", "events": len(delivery.events)})


@app.get("/openapi.json", summary="This API's OpenAPI description", tags=["meta"], include_in_schema=False)
def openapi() -> Response[dict[str, Any]]:
    schema = json.loads(
        app.get_openapi_json_schema(title="Proativo", version="1.0.0", description="Proactive customer service API")
    )
    # The webhook reads its body raw (signatures are computed over the exact bytes), so Powertools cannot see it:
    # describe it here.
    schema["paths"]["/webhooks/{platform}/{store_id}"]["post"]["requestBody"] = {
        "required": True,
        "description": "The platform's payload, exactly as signed",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
    from proativo.tracking.push import CarrierPush

    push = CarrierPush.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.setdefault("components", {}).setdefault("schemas", {}).update(push.pop("$defs", {}))
    schema["paths"]["/webhooks/carrier/{carrier}/{store_id}"]["post"]["requestBody"] = {
        "required": True,
        "description": "The carrier's scans for one tracking code, exactly as signed",
        "content": {"application/json": {"schema": push}},
    }
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=with_other_routes(schema))


answer_refusals(app, metrics, "Webhook")


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
