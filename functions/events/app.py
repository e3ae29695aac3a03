"""Events queue → apply each canonical event to state and sequences. Partial batch failures: one bad record never
makes the good ones run twice; a repeated event is a no-op (idempotent on its event id)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.aws import metrics as business
from proativo.aws.idempotency import once
from proativo.events import ResourceChanged, parse_message, taken_by_receipt
from proativo.sequences.engine import Enrol, describe
from proativo.settings import EventsSettings

settings = EventsSettings.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Proativo")
processor = BatchProcessor(event_type=EventType.SQS)
# Keyed by store and event id: two stores' platforms number their orders alike, and each store's fact is its own.
idempotency = IdempotencyConfig(event_key_jmespath="[store_id, event_id]", expires_after_seconds=14 * 24 * 3600)


@once(lambda: settings.idempotency_table_name, idempotency, data_keyword="event")
def apply_once(event: dict[str, Any]) -> dict[str, Any]:
    message, now = parse_message(event["json"]), clock.now()
    # A notify-only platform's message is read back from its API into the canonical events it stands for.
    if isinstance(message, ResourceChanged):
        events = taken_by_receipt(wiring.readback(settings).events(message), now)
    else:
        events = [message]
    processor_ = wiring.event_processor(settings)
    applied = [processor_.apply(e, now) for e in events]
    return {
        "applied": [
            {
                "event_type": a.event_type,
                "customer_id": a.customer_id,
                "decisions": [describe(d) for d in a.decisions],
                "enrolled": [d.enrolment.flow_id for d in a.decisions if isinstance(d, Enrol)],
                **({"notes": list(a.notes)} if a.notes else {}),
                **(
                    {
                        "recovered_by": f"{a.attribution.flow_id}/{a.attribution.step_id}/{a.attribution.channel}",
                        "recovered_value": str(a.attribution.value),
                    }
                    if a.attribution
                    else {}
                ),
            }
            for a in applied
        ]
    }


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    message = parse_message(record.body)
    tracer.put_annotation("store_id", message.store_id)
    tracer.put_annotation("event_id", message.event_id)
    result = apply_once(event={"store_id": message.store_id, "event_id": message.event_id, "json": record.body})
    for applied in result["applied"]:
        metrics.add_metric(name="EventsApplied", unit=MetricUnit.Count, value=1)
        business.record("EventsByType", message.store_id, type=str(applied["event_type"]))
        for flow in applied.get("enrolled", []):  # carts abandoned, payments pending, customers won back...
            business.record("Enrolments", message.store_id, flow=str(flow))
        if applied.get("recovered_value"):  # by the flow and channel whose message brought it back
            flow, _, rest = str(applied["recovered_by"]).partition("/")  # flow/step/channel
            channel = rest.rpartition("/")[2]
            value, by = float(applied["recovered_value"]), {"flow": flow, "channel": channel}
            name = "PaymentsRecovered" if applied["event_type"] == "OrderPaid" else "RevenueRecovered"
            business.record(name, message.store_id, value, MetricUnit.NoUnit, **by)
        logger.info("event applied", extra={"store_id": message.store_id, **applied})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
