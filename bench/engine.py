"""engine_throughput_ratio: canonical events per second through the engine (fold into the customer's state, decide,
persist the decisions, attribute) divided by the same number of minimal direct DynamoDB writes (one PutItem each),
same table, same run.

The events are a realistic store day per customer: the cart is created, changed, the checkout started, then half of
the customers order and pay (an order exits the abandonment flow and starts the post-purchase ones). Every event is
applied through `EventProcessor.apply`, the code the events function runs for each queue record."""

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from infra.local.stack import LocalStack


def _day(customers: int, start: datetime) -> list[Any]:
    from proativo.events import CartUpdated, CheckoutStarted, Customer, LineItem, OrderPaid, OrderPlaced

    events: list[Any] = []
    for n in range(customers):
        who = Customer(id=f"c-{n}", email=f"c{n}@example.com", name="Bench Cliente", locale="pt-BR")
        at = start + timedelta(seconds=n)
        line = LineItem(sku="S1", name="Camiseta", quantity=1, unit_price=Decimal("99.90"))
        base = {"store_id": "demo", "source": "generic", "customer": who, "currency": "BRL"}
        events.append(
            CartUpdated(
                event_id=f"e{n}-1", occurred_at=at, cart_id=f"k{n}", total=Decimal("99.90"), items=(line,), **base
            )
        )
        events.append(
            CartUpdated(
                event_id=f"e{n}-2",
                occurred_at=at + timedelta(minutes=5),
                cart_id=f"k{n}",
                total=Decimal("199.80"),
                items=(line.model_copy(update={"quantity": 2}),),
                **base,
            )
        )
        events.append(
            CheckoutStarted(
                event_id=f"e{n}-3",
                occurred_at=at + timedelta(minutes=9),
                cart_id=f"k{n}",
                total=Decimal("199.80"),
                **base,
            )
        )
        if n % 2 == 0:
            events.append(
                OrderPlaced(
                    event_id=f"e{n}-4",
                    occurred_at=at + timedelta(minutes=12),
                    order_id=f"o{n}",
                    cart_id=f"k{n}",
                    total=Decimal("199.80"),
                    **base,
                )
            )
            base.pop("currency")
            events.append(
                OrderPaid(event_id=f"e{n}-5", occurred_at=at + timedelta(minutes=13), order_id=f"o{n}", **base)
            )
    return events


def measure(customers: int = 300) -> dict[str, float]:
    """Apply a store day's events for `customers` customers; then as many bare PutItems."""
    start = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    with LocalStack(start=start, log_level="ERROR") as stack:
        from proativo import aws, wiring
        from proativo.settings import EventsSettings

        with stack.running_as("EventsFunction"):
            processor = wiring.event_processor(EventsSettings.from_env())
        events = _day(customers, start)
        processor.apply(events[0], start)  # warm the flow cache and the clients, like a warm container
        started = time.perf_counter()
        for event in events[1:]:
            processor.apply(event, event.occurred_at)
        engine_seconds = time.perf_counter() - started

        table = aws.table(stack.physical["Table"])
        started = time.perf_counter()
        for i in range(1, len(events)):
            table.put_item(Item={"pk": f"BENCH#{i % customers}", "sk": f"EVENT#{i}", "kind": "bench", "n": i})
        bare_seconds = time.perf_counter() - started

        # The ceiling of any engine that reads the customer and writes once, conditionally, per event.
        started = time.perf_counter()
        for i in range(1, len(events)):
            key = {"pk": f"BENCH#{i % customers}", "sk": "STATE"}
            read = table.get_item(Key=key, ConsistentRead=True).get("Item")
            table.put_item(
                Item={**key, "kind": "bench", "rev": i},
                ConditionExpression="attribute_not_exists(pk) OR #rev = :rev",
                ExpressionAttributeNames={"#rev": "rev"},
                ExpressionAttributeValues={":rev": read["rev"] if read else 0},
            )
        floor_seconds = time.perf_counter() - started
    n = len(events) - 1
    return {
        "engine_throughput_ratio": (n / engine_seconds) / (n / bare_seconds),
        "engine_events": n,
        "engine_events_per_second": n / engine_seconds,
        "bare_writes_per_second": n / bare_seconds,
        "engine_ceiling_ratio": bare_seconds / floor_seconds,
    }


if __name__ == "__main__":
    print(measure())
