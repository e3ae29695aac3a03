"""The daily counters come from the table's stream: each fact carries what it adds, the stats function adds a batch
at once, and a stream batch delivered again (Lambda retries a failed batch whole) adds nothing twice."""

import json
from typing import Any

from tests.conftest import EVENTS, Harness, cart


def _counter(harness: Harness, scope: str, day: str = "2026-11-24") -> dict[str, Any]:
    item = harness.table().get_item(Key={"pk": "STORE#demo#STATS", "sk": f"DAY#{day}#{scope}"}, ConsistentRead=True)
    return {k: v for k, v in item.get("Item", {}).items() if k not in ("pk", "sk")}


def _stats_batches(harness: Harness) -> list[dict[str, Any]]:
    return [i.event for i in harness.stack.invocations if i.function == "StatsFunction"]


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
