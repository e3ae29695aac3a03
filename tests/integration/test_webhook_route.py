"""POST /webhooks/{platform}/{store_id} through the real handler and the local HTTP gateway."""

import json

import pytest

from tests.conftest import Harness, cart


def test_a_signed_cart_is_accepted_and_reaches_the_customer_state(harness: Harness) -> None:
    answer = harness.post(cart("e1", "2026-11-24T11:55:00Z"))
    assert (answer.status, answer.body) == (202, {"status": "accepted", "events": 1})
    (stored,) = harness.items("c-1", "CART#")
    assert stored["cart_id"] == "cart-1"
    assert str(stored["total"]) == "199.90"
    (enrolment,) = harness.items("c-1", "ENROL#")
    assert (enrolment["flow_id"], enrolment["status"]) == ("cart_abandonment", "active")


def test_the_same_delivery_five_times_is_one_event(harness: Harness) -> None:
    body = cart("e1", "2026-11-24T11:55:00Z")
    answers = [harness.post(body, headers={"x-proativo-delivery": "d-1"}) for _ in range(5)]
    assert [a.status for a in answers] == [202, 200, 200, 200, 200]
    assert {a.body["status"] for a in answers[1:]} == {"duplicate"}
    assert len(harness.items("c-1", "EVENT#")) == 1
    assert [j["pending"]["index"] for j in harness.items("c-1", "ENROL#")] == [0]  # one journey, its first step


def test_a_redelivery_with_a_new_delivery_id_still_applies_once(harness: Harness) -> None:
    body = cart("e1", "2026-11-24T11:55:00Z")
    harness.post(body, headers={"x-proativo-delivery": "d-1"})
    harness.post(body, headers={"x-proativo-delivery": "d-2"})
    assert len(harness.items("c-1", "EVENT#")) == 1
    assert len(harness.items("c-1", "ENROL#")) == 1


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"secret": "wrong"}, 401),
        ({"signed": False}, 401),
        ({"platform": "magento"}, 404),
        ({"store": "nope"}, 404),
        ({"store": "Bad_Store!"}, 404),
    ],
    ids=["wrong-secret", "unsigned", "unknown-platform", "unknown-store", "malformed-store"],
)
def test_refusals_store_and_enqueue_nothing(harness: Harness, kwargs: dict, status: int) -> None:
    answer = harness.post(cart("e1", "2026-11-24T11:55:00Z"), drain=False, **kwargs)
    assert answer.status == status
    assert answer.body["reason"]
    assert harness.received() == 0
    assert harness.items("c-1") == []


def test_a_store_secret_on_another_store_url_is_refused(harness: Harness) -> None:
    from proativo import aws, stores

    stores.put_webhook_secret(aws.ssm(), "/proativo/local", "outra-loja", "generic", "outra-secret")
    assert harness.post(cart("e1", "2026-11-24T11:55:00Z"), store="outra-loja").status == 401
    assert harness.post(cart("e1", "2026-11-24T11:55:00Z"), store="outra-loja", secret="outra-secret").status == 202


def test_a_tampered_body_is_refused(harness: Harness) -> None:
    from proativo.platforms.registry import PLATFORMS

    body = json.dumps(cart("e1", "2026-11-24T11:55:00Z")).encode()
    headers = PLATFORMS["generic"].sign_headers("demo-secret", body, harness.stack.clock.now())
    tampered = body.replace(b"199.90", b"1.00")
    assert harness.post(tampered, headers=headers, signed=False).status == 401


def test_a_replayed_request_is_refused(harness: Harness) -> None:
    from proativo.platforms.registry import PLATFORMS

    body = json.dumps(cart("e1", "2026-11-24T11:55:00Z")).encode()
    headers = PLATFORMS["generic"].sign_headers("demo-secret", body, harness.stack.clock.now())
    harness.stack.advance(600)
    answer = harness.post(body, headers=headers, signed=False)
    assert answer.status == 401
    assert "tolerance" in answer.body["reason"]


def test_malformed_json_is_a_400(harness: Harness) -> None:
    answer = harness.post(b"{not json", drain=False)
    assert answer.status == 400
    assert answer.body["field"] == "body"
    assert harness.received() == 0


def test_a_payload_failing_validation_names_the_field(harness: Harness) -> None:
    body = cart("e1", "2026-11-24T11:55:00Z")
    body["data"]["total"] = "lots"
    answer = harness.post(body, drain=False)
    assert (answer.status, answer.body["field"]) == (400, "data.total")
    assert harness.received() == 0


def test_an_unknown_topic_is_acknowledged_and_ignored(harness: Harness) -> None:
    body = cart("e1", "2026-11-24T11:55:00Z")
    body["topic"] = "product.updated"
    answer = harness.post(body, drain=False)
    assert (answer.status, answer.body["status"]) == (200, "ignored")
    assert harness.received() == 0


def test_a_body_over_256_kb_is_a_413(harness: Harness) -> None:
    body = cart("e1", "2026-11-24T11:55:00Z")
    body["padding"] = "x" * (256 * 1024)
    answer = harness.post(body, drain=False)
    assert answer.status == 413
    assert harness.received() == 0


def test_an_accepted_delivery_is_recorded_before_the_answer(harness: Harness) -> None:
    answer = harness.post(cart("e1", "2026-11-24T11:55:00Z"), drain=False)
    assert answer.status == 202
    assert harness.received() == 1  # the delivery: its stream queues the events once the relay runs
    harness.stack.drain()
    assert len(harness.items("c-1", "EVENT#")) == 1


def test_a_relay_that_cannot_queue_retries_and_loses_nothing(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from proativo.aws import queues

    real, calls = queues.enqueue_events, []

    def unavailable_once(*args: object, **kwargs: object) -> int:
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("events queue unavailable")
        return real(*args, **kwargs)

    monkeypatch.setattr(queues, "enqueue_events", unavailable_once)
    harness.post(cart("e1", "2026-11-24T11:55:00Z"), drain=False)
    harness.post(cart("e2", "2026-11-24T11:56:00Z", id="c-2", email="joao@example.com"), drain=False)
    harness.stack.drain()
    relayed = [i for i in harness.stack.invocations if i.function == "RelayFunction"]
    assert relayed[0].result["batchItemFailures"]  # the stream resumes from the record that failed
    # The stream resumes from the first failure, so the record after it is relayed again: the events function drops
    # that repeat by event id.
    assert len(calls) == 4
    assert len(harness.items("c-1", "EVENT#")) == 1
    assert len(harness.items("c-2", "EVENT#")) == 1


def test_the_relay_ignores_what_is_not_a_new_delivery(harness: Harness) -> None:
    from tests.conftest import EVENTS

    event = json.loads((EVENTS / "relay" / "new-delivery.json").read_text(encoding="utf-8"))
    event["Records"][0]["eventName"] = "REMOVE"  # the TTL removing a delivery after a week
    invocation = harness.stack.invoke("RelayFunction", event)
    assert invocation.result == {"batchItemFailures": []}
    assert harness.queue_depth("EventsQueue") == 0


def test_a_delivery_of_large_events_is_relayed_in_batches_sqs_accepts(harness: Harness) -> None:
    from infra.local.meter import Meter
    from tests.conftest import EVENTS

    event = json.loads((EVENTS / "relay" / "new-delivery.json").read_text(encoding="utf-8"))
    image = event["Records"][0]["dynamodb"]["NewImage"]
    (one,) = image["events"]["L"]
    padded = json.loads(one["S"])
    # Ten events of 30 KB: within what a delivery may hold (300 KB), beyond what one SQS batch takes (256 KB).
    bodies = [json.dumps({**padded, "event_id": f"generic:big-{n}", "recovery_url": "x" * 30_000}) for n in range(10)]
    image["events"]["L"] = [{"S": b} for b in bodies]
    with Meter(harness.stack) as meter:
        invocation = harness.stack.invoke("RelayFunction", event)
    assert invocation.result == {"batchItemFailures": []}
    assert harness.queue_depth("EventsQueue") == 10
    # The embedded SQS does not enforce it, AWS does: no request over 256 KiB (four 64 KiB chunks).
    sends = [c for r in meter.runs for c in r.calls if c.operation.startswith("SendMessage")]
    assert len(sends) >= 2 and all(c.billed_requests <= 4 for c in sends)
