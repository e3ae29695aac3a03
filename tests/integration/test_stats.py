"""The daily counters come from the table's stream: each fact carries what it adds, the stats function puts a
batch's sums at once, and a stream batch delivered again (Lambda retries a failed batch whole) adds nothing twice;
once a day is over, the hourly roll-up adds its batches to the counter items, once, and the figures read the same
before and after."""

import json
from typing import Any

from infra.local.faults import FaultSpec
from tests.conftest import EVENTS, Harness, cart

DAY = 24 * 3600


def _counter(harness: Harness, scope: str, day: str = "2026-11-24") -> dict[str, Any]:
    return harness.counters(day).get(scope, {})


def _rolled(harness: Harness, day: str, store: str = "demo") -> dict[str, dict[str, Any]]:
    """What the roll-ups have put for a day so far: its counters by the day their batches were written."""
    answer = harness.table().query(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :d)",
        ExpressionAttributeValues={":pk": f"STORE#{store}#STATS", ":d": f"DAY#{day}@"},
        ConsistentRead=True,
    )
    return {str(i["sk"]).split("@")[1]: i["counters"] for i in answer["Items"]}


def _stats_batches(harness: Harness) -> list[dict[str, Any]]:
    return [i.event for i in harness.stack.invocations if i.function == "StatsFunction" and "Records" in i.event]


def test_the_facts_of_a_day_reach_the_counters_through_the_stream(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.post(cart("e2", "2026-11-24T12:01:00Z", cart_id="cart-2", id="c-2", email="joao@example.com"))
    harness.stack.advance(3600 + 120)  # both 1 h reminders
    assert _counter(harness, "EVENTS") == {"CartUpdated": 2}
    assert _counter(harness, "MESSAGES#email") == {"sent": 2}
    assert _counter(harness, "FLOW#cart_abandonment")["messages_sent"] == 2
    # Only the records that carry counts reach the function (the template's filter), each once.
    delivered = [r["dynamodb"]["Keys"]["sk"]["S"] for batch in _stats_batches(harness) for r in batch["Records"]]
    assert sorted(sk.split("#")[0] for sk in delivered) == ["EVENT", "EVENT", "MSG", "MSG"]


def test_a_batch_delivered_again_adds_nothing(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.advance(3600 + 120)
    before = (_counter(harness, "EVENTS"), _counter(harness, "MESSAGES#email"))
    harness.stack.advance(12 * 3600)  # the retry comes after midnight: the batch is still filed under its day
    for batch in _stats_batches(harness):  # Lambda's retry of a batch it could not confirm
        assert harness.stack.invoke("StatsFunction", batch).result == {"counters": 0}
    assert (
        (_counter(harness, "EVENTS"), _counter(harness, "MESSAGES#email"))
        == before
        == (
            {"CartUpdated": 1},
            {"sent": 1},
        )
    )


def test_a_rewrite_that_keeps_its_counts_adds_nothing(harness: Harness) -> None:
    sample = json.loads((EVENTS / "stats" / "new-facts.json").read_text(encoding="utf-8"))
    assert harness.stack.invoke("StatsFunction", sample).result == {"counters": 3}
    counted = _counter(harness, "MESSAGES#email")
    rewrite = json.loads(json.dumps(sample["Records"][1]))  # the message record, changed again later
    rewrite["eventID"] = "another-record"
    rewrite["dynamodb"]["OldImage"] = rewrite["dynamodb"]["NewImage"]
    assert harness.stack.invoke("StatsFunction", {"Records": [rewrite]}).result == {"counters": 0}
    assert _counter(harness, "MESSAGES#email") == counted == {"sent": 1}


def test_a_day_over_is_rolled_up_once_and_reads_the_same(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.advance(3600 + 120)
    day = harness.counters("2026-11-24")
    assert (day["EVENTS"], day["MESSAGES#email"]) == ({"CartUpdated": 1}, {"sent": 1})
    assert _rolled(harness, "2026-11-24") == {}  # the day's batches are deltas until the day is over
    harness.stack.advance(DAY)  # the 24th is over, but a batch of its records may still come (the stream keeps 24 h)
    assert _rolled(harness, "2026-11-24") == {}
    harness.stack.jump(DAY)
    assert _rolled(harness, "2026-11-24") == {"2026-11-24": day}
    assert harness.counters("2026-11-24") == day
    assert harness.stack.fire("StatsFunction", "RollUpHourly").result == {"rolled": 0}
    assert harness.counters("2026-11-24") == day


def test_a_roll_up_cut_short_counts_each_batch_once_when_it_runs_again(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.post(cart("e2", "2026-11-24T12:01:00Z", cart_id="cart-2", id="c-2", email="joao@example.com"))
    harness.stack.advance(2 * DAY)
    days = {d: harness.counters(d) for d in ("2026-11-24", "2026-11-25")}
    assert days["2026-11-24"]["EVENTS"] == {"CartUpdated": 2} and days["2026-11-25"]["MESSAGES#email"]["sent"] == 2
    # The run that rolls up the 25th (its reminders count on the 25th) fails when it would say it is done.
    spec = FaultSpec(target="dynamodb:UpdateItem", kind="throttle", function="StatsFunction")
    harness.stack.faults.add(spec)
    harness.stack.jump(DAY)
    assert harness.stack.faults.as_json()[0]["fired"] == 1
    assert {d: harness.counters(d) for d in days} == days  # meanwhile the deltas count what is not rolled up
    harness.stack.fire("StatsFunction", "RollUpHourly")
    assert {d: harness.counters(d) for d in days} == days
    assert set(_rolled(harness, "2026-11-25")) == {"2026-11-25"}


def test_a_late_event_counts_on_its_own_day_after_that_day_was_rolled_up(harness: Harness) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z"))
    harness.stack.jump(3 * DAY)
    assert _rolled(harness, "2026-11-24")["2026-11-24"]["EVENTS"] == {"CartUpdated": 1}
    # A platform's event of the 24th, delivered three days late: counted on the 24th, filed with the 27th's batches.
    harness.post(cart("e-late", "2026-11-24T18:00:00Z", cart_id="cart-9", id="c-9", email="joao@example.com"))
    assert harness.counters("2026-11-24")["EVENTS"] == {"CartUpdated": 2}
    harness.stack.jump(3 * DAY)
    assert harness.counters("2026-11-24")["EVENTS"] == {"CartUpdated": 2}
    assert {w: c["EVENTS"] for w, c in _rolled(harness, "2026-11-24").items()} == {
        "2026-11-24": {"CartUpdated": 1},
        "2026-11-27": {"CartUpdated": 1},
    }


def test_a_batch_of_two_stores_facts_counts_each_for_its_own_store(harness: Harness) -> None:
    from proativo import stores

    stores.register(
        harness.table(), stores.StoreProfile(store_id="outra", name="Outra"), ["generic"], harness.stack.clock.now()
    )
    sample = json.loads((EVENTS / "stats" / "new-facts.json").read_text(encoding="utf-8"))
    other = json.loads(json.dumps(sample["Records"][0]).replace("STORE#demo#", "STORE#outra#"))
    other["eventID"] = "a-record-of-another-store"
    assert harness.stack.invoke("StatsFunction", {"Records": [sample["Records"][0], other]}).result == {"counters": 4}
    mine, theirs = harness.counters("2026-11-24"), harness.counters("2026-11-24", store="outra")
    assert mine == theirs == {"EVENTS": {"CartUpdated": 1}, "FLOW#cart_abandonment": {"enrolled": 1}}
    harness.stack.jump(2 * DAY)  # both stores' days rolled up, each into its own partition
    assert harness.counters("2026-11-24") == mine and harness.counters("2026-11-24", store="outra") == theirs
    assert _rolled(harness, "2026-11-24")["2026-11-24"] == _rolled(harness, "2026-11-24", "outra")["2026-11-24"]
