"""The dispatcher reads only what is due, and the events function isolates a bad record in its batch."""

import json

import pytest

from infra.local.shapes import sqs_event
from tests.conftest import T0, Harness, cart


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
    real = client.transact_write_items
    throttled = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "throttled"},
            "CancellationReasons": [{"Code": "ThrottlingError"}, {"Code": "None"}],
        },
        "TransactWriteItems",
    )

    def once(**kwargs: object) -> object:
        monkeypatch.setattr(client, "transact_write_items", real)
        raise throttled

    monkeypatch.setattr(client, "transact_write_items", once)
    failed = harness.stack.fire("DispatcherFunction", "EveryMinute")
    assert failed.error and "TransactionCanceledException" in failed.error
    (step,) = harness.items("c-1", "STEP#")
    assert step["status"] == "pending"  # not cancelled: the reminder still goes
    harness.stack.advance(120)
    assert [e.template for e in harness.outbox.entries] == ["cart_abandoned_1"]
