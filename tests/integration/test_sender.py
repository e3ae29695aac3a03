"""The sender: exactly once, never after an exit, never to a suppressed address; throttling retried, not lost."""

import json
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from botocore.exceptions import ClientError

from tests.conftest import EVENTS, Harness, cart, order


def _request_waiting(harness: Harness) -> dict:
    """The send request of the step the customer's journey waits for, as the dispatcher will queue it."""
    (journey,) = harness.items("c-1", "ENROL#")
    from proativo.sequences.dispatch import send_request_of

    return send_request_of(journey)


def _request_sent(harness: Harness) -> dict:
    """The first send request the sender was given."""
    (first, *_) = [i.event for i in harness.stack.invocations if i.function == "SenderFunction"]
    return dict(json.loads(first["Records"][0]["body"]))


def _sqs_event(*bodies: dict) -> dict:
    from infra.local.shapes import sqs_event

    messages = [
        {"MessageId": f"m-{n}", "ReceiptHandle": f"r-{n}", "Body": json.dumps(b), "Attributes": {}}
        for n, b in enumerate(bodies)
    ]
    return sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:proativo-local-SendQueue")


def test_a_redelivered_send_request_sends_one_email(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.advance(3600 + 60)
    assert harness.ses_sent() == 1
    request = _request_sent(harness)
    for _ in range(3):
        invocation = harness.stack.invoke("SenderFunction", _sqs_event(request, request))
        assert invocation.result == {"batchItemFailures": []}
    assert harness.ses_sent() == 1


def test_a_step_whose_enrolment_exited_is_dropped_at_send_time(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    request = _request_waiting(harness)
    harness.post(order("o1", "2026-11-24T12:05:00Z"))
    harness.stack.invoke("SenderFunction", _sqs_event(request))
    assert harness.ses_sent() == 0


def test_throttling_is_retried_through_the_queue_and_sent_exactly_once(harness: Harness) -> None:
    from proativo import aws

    client = aws.sesv2()
    real_send = client.send_email
    calls = {"n": 0}

    def flaky(**kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "SendEmail")
        return real_send(**kwargs)

    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    with patch.object(client, "send_email", side_effect=flaky):
        harness.stack.advance(3600 + 60)
    assert calls["n"] == 3
    assert harness.ses_sent() == 1
    assert [e.template for e in harness.outbox.entries] == ["cart_abandoned_1"]
    assert harness.queue_depth("SendDLQ") == 0
    assert harness.queue_depth("SendQueue") == 0


def test_a_send_that_keeps_failing_ends_in_the_dead_letter_queue_not_lost(harness: Harness) -> None:
    from proativo import aws

    client = aws.sesv2()
    throttled = ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "SendEmail")
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    with patch.object(client, "send_email", side_effect=throttled):
        harness.stack.advance(3600 + 60)
    assert harness.ses_sent() == 0
    assert harness.queue_depth("SendDLQ") == 1
    (journey,) = harness.items("c-1", "ENROL#")  # the first step was queued: the journey waits for the second
    assert (journey["next_index"], journey["pending"]["index"], journey["dispatched"]["message_id"]) == (
        1,
        1,
        _request_sent(harness)["message_id"],
    )
    assert harness.items("c-1", "MSG#") == []


def test_a_hard_bounce_suppresses_every_later_email(harness: Harness) -> None:
    from infra.local.shapes import sns_event

    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.advance(3600 + 60)
    assert harness.ses_sent() == 1
    (message,) = harness.items("c-1", "MSG#")
    notification = json.loads(
        json.loads((EVENTS / "feedback" / "ses-bounce.json").read_text())["Records"][0]["Sns"]["Message"]
    )
    notification["mail"]["tags"] = {"store_id": ["demo"], "customer_id": ["c-1"], "message_id": [message["message_id"]]}
    feedback = harness.stack.invoke(
        "FeedbackFunction",
        sns_event(harness.stack.arns["SesFeedbackTopic"], json.dumps(notification), harness.stack.clock.now()),
    )
    assert feedback.result == {"events": 1}
    harness.stack.drain()
    harness.stack.jump(timedelta(days=2).total_seconds())
    assert harness.ses_sent() == 1
    (suppression,) = harness.items("c-1", "SUPPRESS#")
    assert suppression["reason"] == "MessageBounced"


def test_a_throttled_read_is_retried_rather_than_deciding_on_half_the_facts(harness: Harness) -> None:
    from proativo import aws

    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    client = aws.table(harness.stack.physical["Table"]).meta.client
    real = client.batch_get_item
    calls = {"n": 0}

    def throttled_once(**kwargs: Any) -> Any:
        calls["n"] += 1
        answer = real(**kwargs)
        if calls["n"] == 1:
            return {**answer, "UnprocessedKeys": kwargs["RequestItems"]}
        return answer

    with patch.object(client, "batch_get_item", side_effect=throttled_once):
        harness.stack.advance(3600 + 60)
    assert calls["n"] == 2
    assert [e.template for e in harness.outbox.entries] == ["cart_abandoned_1"]


def test_after_the_outage_the_redrive_command_sends_what_the_dlq_kept_once(harness: Harness, capsys: Any) -> None:
    from proativo import aws
    from proativo.cli.main import main as cli

    client = aws.sesv2()
    throttled = ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "SendEmail")
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    with patch.object(client, "send_email", side_effect=throttled):
        harness.stack.advance(3600 + 60)
    assert harness.queue_depth("SendDLQ") == 1
    urls = ["--dlq-url", harness.stack.physical["SendDLQ"], "--target-url", harness.stack.physical["SendQueue"]]
    assert cli(["dlq", "redrive", "SendDLQ", *urls]) == 0
    assert json.loads(capsys.readouterr().out) == {"dlq": "SendDLQ", "moved": 1, "left": 0}
    harness.stack.drain()
    assert harness.ses_sent() == 1
    assert cli(["dlq", "redrive", "SendDLQ", *urls]) == 0  # again: nothing left, nothing sent twice
    harness.stack.drain()
    assert harness.ses_sent() == 1


def test_message_records_expire_after_two_years_and_a_journey_under_way_never(harness: Harness) -> None:
    from datetime import UTC, datetime

    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.advance(3600 + 60)
    (message,) = harness.items("c-1", "MSG#")
    (journey,) = harness.items("c-1", "ENROL#")
    two_years = datetime(2028, 11, 23, 13, 0, tzinfo=UTC).timestamp()
    assert abs(int(message["ttl"]) - two_years) < 3600 and "ttl" not in journey
    assert harness.items("c-1", "STEP#") == []  # the journey is one item: no step items


def test_a_deployment_that_asks_gets_each_message_counted_per_store_too(harness: Harness) -> None:
    def by_channel() -> list[dict[str, Any]]:
        return [
            {"dims": directive["Dimensions"][0], "store_id": line["store_id"]}
            for i in harness.stack.invocations
            if i.function == "SenderFunction"
            for line in i.logs
            for directive in line.get("_aws", {}).get("CloudWatchMetrics", [])
            if directive["Metrics"][0]["Name"] == "MessagesByChannel"
        ]

    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.advance(3600 + 60)  # default: the store is a property, not a dimension
    assert by_channel() == [{"dims": ["channel", "status", "service"], "store_id": "demo"}]
    harness.stack.parameters["MetricsPerStore"] = "true"  # sam deploy --parameter-overrides MetricsPerStore=true
    harness.stack.invocations.clear()
    harness.stack.jump(23 * 3600)  # the 24 h reminder (the idle hours at once)
    assert by_channel() == [
        {"dims": ["channel", "status", "service"], "store_id": "demo"},  # across stores: the dashboard's
        {"dims": ["channel", "status", "store", "service"], "store_id": "demo"},  # and this store's own
    ]
