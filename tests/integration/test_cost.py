"""What the hot paths cost AWS, through the local stack's meter: the floors `make bench` prints stay floors."""

from collections import Counter

from infra.local.meter import Meter, attribute_size, item_size
from tests.conftest import Harness, cart, order


def test_item_sizes_are_counted_as_dynamodb_counts_them() -> None:
    # Strings by their UTF-8 bytes, numbers by their significant digits (two a byte, plus one), names included.
    assert item_size({"pk": {"S": "abc"}}) == 2 + 3
    assert item_size({"ação": {"S": "é"}}) == len("ação".encode()) + 2
    assert attribute_size({"N": "12345"}) == 4
    assert attribute_size({"N": "1000.00"}) == attribute_size({"N": "1"}) == 2
    # Lists and maps: 3 bytes, plus 1 per element (and a map's keys).
    assert attribute_size({"L": [{"S": "a"}, {"BOOL": True}]}) == 3 + (1 + 1) + (1 + 1)
    assert attribute_size({"M": {"k": {"NULL": True}}}) == 3 + 1 + 1 + 1


def test_an_external_event_costs_one_read_and_one_transaction_after_its_webhook(harness: Harness) -> None:
    with Meter(harness.stack) as meter:
        harness.post(cart("evt-1", "2026-11-24T11:50:00Z"))
        harness.post(order("evt-2", "2026-11-24T11:55:00Z"))
        # The platform sends the order again under a new delivery id: the engine sees the event once more.
        harness.post(order("evt-2", "2026-11-24T11:55:00Z"), headers={"x-proativo-delivery": "again"})

    applied = [r for r in meter.runs if r.function == "EventsFunction"]
    assert sum(len(r.records) for r in applied) == 3
    calls = Counter(c.operation for r in applied for c in r.calls if c.service == "dynamodb")
    # One read of the customer and one conditional transaction per event; the repeat is caught by that
    # transaction's own condition (billed, changes nothing); no idempotency table, no write outside it. (And the
    # store's flows, read once by a new container and cached.)
    assert calls == {"Query": 3, "TransactWriteItems": 3, "GetItem": 1}
    failed = [c for r in applied for c in r.calls if c.error]
    assert [c.error for c in failed] == ["TransactionCanceledException"]
    assert len(harness.items("c-1", "EVENT#")) == 2
    # The webhook's answer is one conditional put.
    hooks = [c for r in meter.runs if r.function == "WebhooksFunction" for c in r.calls if c.service == "dynamodb"]
    assert [c.operation for c in hooks] == ["PutItem"] * 3


def test_the_transaction_is_billed_twice_per_kilobyte_of_each_item(harness: Harness) -> None:
    with Meter(harness.stack) as meter:
        harness.post(cart("evt-1", "2026-11-24T11:50:00Z"))
    (transaction,) = [
        c for r in meter.runs if r.function == "EventsFunction" for c in r.calls if c.operation == "TransactWriteItems"
    ]
    # The event's log entry, the profile, the cart, the enrolment and its first step: each under 1 KB.
    assert transaction.wru == 2 * len(transaction.items)
    # The step is born on the due index: one index write.
    assert transaction.index_wru == 1


def test_an_idle_schedule_run_emits_no_metric(harness: Harness) -> None:
    with Meter(harness.stack) as meter:
        harness.stack.fire("DispatcherFunction", "EveryMinute")
        harness.stack.fire("TrackingFunction", "Every10Minutes")
    assert [r.function for r in meter.runs] == ["DispatcherFunction", "TrackingFunction"]
    assert all(not r.metrics for r in meter.runs), [r.metrics for r in meter.runs]
    assert all(r.calls and all(c.operation == "Query" for c in r.calls) for r in meter.runs)
