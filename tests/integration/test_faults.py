"""Faults on purpose: an AWS call throttled, a 5xx, a timeout or a crash on every path (the events queue, the send
queue, the tracking queue, the deliveries stream, the stats stream, the schedules). After the fault clears, every
accepted event has its one outcome: nothing lost, nothing twice; and `proativo dlq redrive` moves what it says,
once."""

import json

import pytest
from proativo.cli.main import main as cli

from infra.local.faults import FaultSpec
from tests.conftest import Harness, cart
from tests.integration.test_tracking import days, notices, ship

HOUR = 3600


def _fault(harness: Harness, target: str, kind: str = "throttle", nth: int = 1, times: int = 1, **kw: str) -> None:
    harness.stack.faults.add(FaultSpec(target=target, kind=kind, nth=nth, times=times, **kw))


def _all_fired(harness: Harness) -> bool:
    """Every fault armed did strike (a test whose fault never fired would prove nothing)."""
    return all(f["fired"] for f in harness.stack.faults.as_json())


def _messages(harness: Harness) -> list[str]:
    return [e.template for e in harness.outbox.entries]


def _failed(harness: Harness, function: str) -> int:
    return sum(
        1
        for i in harness.stack.invocations
        if i.function == function and (i.error or (isinstance(i.result, dict) and i.result.get("batchItemFailures")))
    )


@pytest.mark.parametrize("kind", ["throttle", "server", "timeout"])
def test_the_events_queue_retries_a_failed_write_and_applies_the_event_once(harness: Harness, kind: str) -> None:
    _fault(harness, "dynamodb:TransactWriteItems", kind, function="EventsFunction")
    assert harness.post(cart("e1", "2026-11-24T11:55:00Z")).status == 202
    assert _failed(harness, "EventsFunction") == 1
    assert len(harness.items("c-1", "EVENT#")) == 1
    harness.stack.jump(HOUR + 300)
    assert _messages(harness) == ["cart_abandoned_1"]
    assert _all_fired(harness)


def test_a_crashed_events_function_loses_nothing(harness: Harness) -> None:
    _fault(harness, "function:EventsFunction", "crash", times=2)
    harness.post(cart("e1", "2026-11-24T11:55:00Z"))
    assert _failed(harness, "EventsFunction") == 2
    harness.stack.jump(HOUR + 300)
    assert _messages(harness) == ["cart_abandoned_1"]


@pytest.mark.parametrize("kind", ["throttle", "server"])
def test_the_send_queue_retries_a_refused_send_and_sends_once(harness: Harness, kind: str) -> None:
    harness.post(cart("e1", "2026-11-24T11:55:00Z"))
    _fault(harness, "sesv2:SendEmail", kind, times=2)
    harness.stack.jump(HOUR + 300)
    assert _failed(harness, "SenderFunction") == 2
    assert _messages(harness) == ["cart_abandoned_1"]
    assert harness.ses_sent() == 1
    assert _all_fired(harness)


def test_a_sender_crash_after_the_claim_never_sends_twice(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T11:55:00Z"))
    # The record of the send fails after SES accepted: the claim stays, the retry finds it and sends nothing.
    _fault(harness, "dynamodb:PutItem", "server", function="SenderFunction")
    harness.stack.jump(HOUR + 300)
    assert _all_fired(harness)
    assert harness.ses_sent() == 1


def test_the_deliveries_stream_relays_after_the_queue_comes_back(harness: Harness) -> None:
    _fault(harness, "sqs:SendMessage", "server", function="RelayFunction", times=2)
    harness.post(cart("e1", "2026-11-24T11:55:00Z"))
    assert _failed(harness, "RelayFunction") >= 1
    assert len(harness.items("c-1", "EVENT#")) == 1
    (enrolment,) = harness.items("c-1", "ENROL#")
    assert enrolment["status"] == "active"
    assert _all_fired(harness)


def test_the_stats_stream_counts_once_after_a_throttle(harness: Harness) -> None:
    _fault(harness, "dynamodb:PutItem", "throttle", function="StatsFunction")
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.post(cart("e2", "2026-11-24T12:01:00Z", cart_id="cart-2", id="c-2", email="joao@example.com"))
    assert _failed(harness, "StatsFunction") == 1
    assert harness.counters("2026-11-24")["EVENTS"]["CartUpdated"] == 2
    assert _all_fired(harness)


def test_a_missed_dispatcher_run_is_caught_up_by_the_next(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T11:55:00Z"))
    harness.stack.advance(HOUR - 120)
    _fault(harness, "function:DispatcherFunction", "crash", times=3)
    harness.stack.advance(10 * 60)
    assert _failed(harness, "DispatcherFunction") == 3
    assert _messages(harness) == ["cart_abandoned_1"]  # a few minutes late, once


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("dynamodb:TransactWriteItems", "throttle"),  # the parcel's save
        ("sqs:SendMessage", "server"),  # its news refused by the events queue: the parcel is not saved either
    ],
)
def test_the_tracking_queue_retries_a_failed_check_and_tells_once(harness: Harness, target: str, kind: str) -> None:
    ship(harness, "AA123456785BR", "on_time")
    _fault(harness, target, kind, function="TrackerFunction")
    days(harness, 4)
    assert _failed(harness, "TrackerFunction") >= 1
    assert [(c, t) for c, t, _ in notices(harness)] == [
        ("email", "parcel_out_for_delivery"),
        ("sms", "parcel_out_for_delivery"),
        ("email", "order_delivered"),
    ]
    assert _all_fired(harness)


def _redrive(harness: Harness, capsys: pytest.CaptureFixture[str], dlq: str, queue: str) -> dict[str, int]:
    url = harness.stack.physical
    assert cli(["dlq", "redrive", dlq, "--dlq-url", url[dlq], "--target-url", url[queue]]) == 0
    said: dict[str, int] = json.loads(capsys.readouterr().out)
    return {"moved": said["moved"], "left": said["left"]}


@pytest.mark.parametrize(
    ("dlq", "queue", "target"),
    [
        ("EventsDLQ", "EventsQueue", "function:EventsFunction"),
        ("SendDLQ", "SendQueue", "sesv2:SendEmail"),
    ],
)
def test_what_reached_a_dlq_is_redriven_once_when_the_cause_is_gone(
    harness: Harness, capsys: pytest.CaptureFixture[str], dlq: str, queue: str, target: str
) -> None:
    _fault(harness, target, "crash" if target.startswith("function:") else "server", times=1000)
    harness.post(cart("e1", "2026-11-24T11:55:00Z"))
    harness.stack.jump(HOUR + 300)
    assert harness.queue_depth(dlq) == 1 and _messages(harness) == []
    harness.stack.faults.clear()
    assert _redrive(harness, capsys, dlq, queue) == {"moved": 1, "left": 0}
    harness.stack.jump(HOUR + 300)
    assert _messages(harness) == ["cart_abandoned_1"]
    assert _redrive(harness, capsys, dlq, queue) == {"moved": 0, "left": 0}  # a second redrive moves nothing
    harness.stack.jump(HOUR)
    assert _messages(harness) == ["cart_abandoned_1"]
    assert harness.ses_sent() == 1


def test_a_parcel_check_that_reached_its_dlq_is_redriven_once(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    ship(harness, "AA123456785BR", "on_time")
    _fault(harness, "function:TrackerFunction", "crash", times=1000)
    days(harness, 1)
    stuck = harness.queue_depth("TrackingDLQ")
    assert stuck >= 1 and notices(harness) == []
    harness.stack.faults.clear()
    assert _redrive(harness, capsys, "TrackingDLQ", "TrackingQueue") == {"moved": stuck, "left": 0}
    days(harness, 3)
    assert [(c, t) for c, t, _ in notices(harness)] == [
        ("email", "parcel_out_for_delivery"),
        ("sms", "parcel_out_for_delivery"),
        ("email", "order_delivered"),
    ]
