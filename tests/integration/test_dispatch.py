"""The dispatcher reads only what is due, and the events function isolates a bad record in its batch."""

import json

import pytest

from infra.local.shapes import sqs_event
from tests.conftest import T0, Harness, cart, order


def test_the_dispatcher_reads_only_the_steps_due(harness: Harness) -> None:
    for n in range(30):
        harness.post(cart(f"e{n}", "2026-11-24T12:00:00Z", cart_id=f"c{n}", id=f"c-{n}", email=f"u{n}@example.com"))
    harness.stack.advance(60)
    due_now = cart("late", "2026-11-24T11:00:00Z", cart_id="old", id="c-old", email="old@example.com")
    harness.post(due_now)
    report = harness.stack.fire("DispatcherFunction", "EveryMinute").result
    assert report["due"] == 1
    assert report["read"] == 1
    assert report["enqueued"] == 1


def test_one_bad_record_fails_alone_and_the_rest_of_the_batch_is_applied(harness: Harness) -> None:
    from proativo.platforms.registry import PLATFORMS

    good = PLATFORMS["generic"].parse({}, json.dumps(cart("e1", "2026-11-24T12:00:00Z")).encode(), "demo", T0)[0]
    messages = [
        {"MessageId": "good", "ReceiptHandle": "r1", "Body": good.model_dump_json(), "Attributes": {}},
        {"MessageId": "bad", "ReceiptHandle": "r2", "Body": '{"type": "CartUpdated"}', "Attributes": {}},
    ]
    invocation = harness.stack.invoke("EventsFunction", sqs_event(messages, harness.stack.arns["EventsQueue"]))
    assert invocation.result == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert len(harness.items("c-1", "CART#")) == 1


def test_a_throttled_advance_keeps_the_step_for_the_next_run_instead_of_cancelling_it(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    harness.post(cart("e1", "2026-11-24T10:30:00Z"))  # the 1 h reminder is due at once
    client = harness.table().meta.client
    real = client.update_item
    throttled = ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "throttled"}},
        "UpdateItem",
    )

    def once(**kwargs: object) -> object:
        monkeypatch.setattr(client, "update_item", real)
        raise throttled

    monkeypatch.setattr(client, "update_item", once)
    failed = harness.stack.fire("DispatcherFunction", "EveryMinute")
    assert failed.error and "ThrottlingException" in failed.error
    (journey,) = harness.items("c-1", "ENROL#")
    assert journey["pending"]["index"] == 0  # not moved on: the reminder queued goes, and once
    harness.stack.advance(120)
    assert [e.template for e in harness.outbox.entries] == ["cart_abandoned_1"]


def test_a_journey_stored_as_step_items_before_is_carried_to_its_end(harness: Harness) -> None:
    """A deployment upgraded with journeys under way: their enrolments carry no step, each step is an item of its
    own on the due index. They go on as they began: their reminders go, and a purchase stops them."""
    from proativo.clock import parse_utc
    from proativo.sequences.items import DUE, step_item

    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    (journey,) = harness.items("c-1", "ENROL#")
    steps = [dict(s) for s in journey["steps"]]
    table = harness.table()
    table.put_item(Item={k: v for k, v in journey.items() if k not in DUE})  # as the previous version wrote them
    table.put_item(
        Item=step_item(
            store_id="demo",
            customer_id="c-1",
            flow_id=str(journey["flow_id"]),
            key=str(journey["key"]),
            purpose=str(journey["purpose"]),
            priority=int(journey["priority"]),
            index=0,
            step=steps[0],
            following=steps[1:],
            due_at=parse_utc(str(journey["pending"]["scheduled_for"])),
            due_shards=int(harness.stack.parameters["DueShards"]),
            journey=str(journey["entered_at"]),
        )
    )
    harness.stack.jump(3600 + 300)
    assert [e.template for e in harness.outbox.entries] == ["cart_abandoned_1"]
    assert [(s["index"], s["status"]) for s in harness.items("c-1", "STEP#")] == [(0, "queued"), (1, "pending")]
    harness.post(order("o1", "2026-11-24T14:00:00Z"))
    harness.stack.jump(4 * 24 * 3600)
    assert [e.template for e in harness.outbox.entries if e.template.startswith("cart_")] == ["cart_abandoned_1"]
    assert [(s["index"], s["status"]) for s in harness.items("c-1", "STEP#")] == [(0, "queued")]
    (journey,) = harness.items("c-1", "ENROL#cart_abandonment#")
    assert journey["status"] == "exited" and "pending" not in journey
