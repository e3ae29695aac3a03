"""dispatcher_read_ratio: items DynamoDB reads in one dispatcher run divided by the steps due, with 100 000 idle
enrolments waiting on the same index (their steps fall due later): the run must cost what is due, not what is
stored. Same measure as DynamoDB bills: the Query's ScannedCount.

It measures the dispatcher's own read (`query_due`, what each run issues) rather than a whole run: moto copies
the table for every transaction (for rollback), which would make the bench measure moto, not us."""

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.local.stack import LocalStack


def _journeys(n: int, due_at: datetime, prefix: str, shards: int) -> list[dict[str, Any]]:
    """`n` journeys waiting for their first step, due at `due_at` (each an enrolment on the due index)."""
    from proativo.aws import keys
    from proativo.sequences.items import enrolment_sk, pending_step

    step = {"id": "reminder_1h", "delay_seconds": 3600, "channel": "email", "template": "cart_abandoned_1"}
    journeys = []
    for i in range(n):
        journey: dict[str, Any] = {
            "pk": keys.customer_pk("bench", f"{prefix}-{i}"),
            "sk": enrolment_sk("cart_abandonment", f"cart-{i}"),
            "kind": "enrolment",
            "store_id": "bench",
            "customer_id": f"{prefix}-{i}",
            "flow_id": "cart_abandonment",
            "key": f"cart-{i}",
            "purpose": "marketing",
            "priority": 10,
            "status": "active",
            "entered_at": "2026-11-24T12:00:00Z",
            "next_index": 0,
            "steps": [step],
        }
        journey.update(pending_step(journey, 0, step, due_at, shards))
        journeys.append(journey)
    return journeys


def measure(idle: int = 100_000, due: int = 500) -> dict[str, float]:
    """Load `idle` journeys waiting for a later step and `due` due ones, run the dispatcher's read once, compare
    reads with work."""
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    with LocalStack(start=now, log_level="ERROR") as stack:
        from proativo import aws

        shards = int(stack.parameters["DueShards"])
        table = aws.table(stack.physical["Table"])
        started = time.perf_counter()
        with table.batch_writer() as batch:
            for item in _journeys(idle, now + timedelta(days=1), "idle", shards) + _journeys(due, now, "due", shards):
                batch.put_item(Item=item)
        loaded = time.perf_counter() - started
        from proativo.sequences.dispatch import query_due

        started = time.perf_counter()
        found = query_due(table, "send", shards, now, limit=10 * due)
        queried = time.perf_counter() - started
    return {
        "dispatcher_read_ratio": found.read / len(found.items),
        "dispatcher_due": len(found.items),
        "dispatcher_read": found.read,
        "dispatcher_stored": idle + due,
        "load_seconds": loaded,
        "query_seconds": queried,
    }


if __name__ == "__main__":
    print(measure())
