"""Duplicates racing each other: two deliveries of the same cart applied at the same moment enrol the customer
once, with one scheduled step (the conditional writes decide, not the timing)."""

import threading
from datetime import UTC, datetime
from decimal import Decimal

from proativo.events import CartUpdated, Customer
from proativo.settings import EventsSettings

from tests.conftest import Harness


def test_concurrent_duplicates_never_enrol_a_customer_twice(harness: Harness) -> None:
    from proativo import wiring

    settings = EventsSettings.from_env(harness.stack.function_env("EventsFunction"))
    processor = wiring.event_processor(settings)
    customer = Customer(id="c-race", email="race@example.com")
    events = [
        CartUpdated(
            event_id=f"race-{n}",  # different deliveries (new ids) of the same cart at the same instant
            store_id="demo",
            source="test",
            customer=customer,
            occurred_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
            cart_id="cart-race",
            currency="BRL",
            total=Decimal("99.90"),
        )
        for n in range(8)
    ]
    start = threading.Barrier(len(events))
    errors: list[BaseException] = []

    def apply(event: CartUpdated) -> None:
        start.wait()
        try:
            processor.apply(event, harness.stack.clock.now())
        except BaseException as exc:  # collected and re-raised by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=apply, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [j["pending"]["index"] for j in harness.items("c-race", "ENROL#")] == [0]
    harness.stack.drain()  # the counts the winner's log entry carries reach the counter through the stream
    assert harness.counters("2026-11-24")["FLOW#cart_abandonment"]["enrolled"] == 1
