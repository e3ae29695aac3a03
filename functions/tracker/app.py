"""Tracking queue → ask the carriers about each message's parcels (records concurrently, within each carrier's
limits), announce what changed. Partial batch failures: a carrier that cannot answer fails only its records."""

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import AsyncBatchProcessor, EventType, async_process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from proativo import clock, wiring
from proativo.aws import metrics as business
from proativo.settings import TrackingSettings
from proativo.tracking.model import ParcelBatch
from proativo.tracking.push import CarrierPushMessage

settings = TrackingSettings.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Proativo")
processor = AsyncBatchProcessor(event_type=EventType.SQS)


async def record_handler(record: SQSRecord) -> None:
    tracker, now = wiring.tracker(settings), clock.now()
    claims = json.loads(record.body).get("claims")
    if isinstance(claims, dict):
        for step in await tracker.advance_claims(str(claims["store_id"]), list(claims["keys"]), now):
            metrics.add_metric(name="ClaimSteps", unit=MetricUnit.Count, value=1)
            for update in step.announced:  # opened, answered, won (refunded), lost: by carrier
                business.record("Claims", str(claims["store_id"]), carrier=step.carrier, status=update.split(":")[1])
            logger.info(
                "claim step",
                extra={
                    "store_id": claims["store_id"],
                    "claim": step.sk,
                    "status": step.status,
                    "amount": step.amount,
                    "announced": list(step.announced),
                },
            )
        return
    pushed = CarrierPushMessage.from_message(record.body)
    if pushed is not None:
        outcomes = [await tracker.apply_push(pushed.store_id, pushed.carrier, pushed.push.result(), now)]
    else:
        outcomes = await tracker.check(ParcelBatch.from_message(record.body).parcels, now)
    for outcome in outcomes:
        ref = outcome.ref
        metrics.add_metric(name="ParcelsChecked", unit=MetricUnit.Count, value=1)
        for announced in outcome.announced:
            if announced.startswith("ParcelException:"):
                metrics.add_metric(name="ParcelExceptions", unit=MetricUnit.Count, value=1)
                # late, stalled, lost, damaged, returned...: by carrier, the "recurring problems" view.
                business.record("ParcelProblems", ref.store_id, carrier=ref.carrier, kind=announced.split(":")[1])
            elif announced.startswith("CarrierAlert:"):
                # A carrier's incidents reached the store's threshold this month: recurring problems are red alerts.
                metrics.add_metric(name="CarrierAlerts", unit=MetricUnit.Count, value=1)
                logger.warning("carrier alert", extra={"store_id": ref.store_id, "alert": announced})
        logger.info(
            "parcel checked",
            extra={
                "store_id": ref.store_id,
                "carrier": ref.carrier,
                "order_id": ref.order_id,
                "new_scans": outcome.new_scans,
                "announced": list(outcome.announced),
                "outcome": outcome.note,
                "next_check_at": outcome.next_check_at.isoformat() if outcome.next_check_at else None,
            },
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return async_process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
