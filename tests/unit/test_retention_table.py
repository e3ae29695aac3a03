"""The README's retention table and runbook say what the template and the code do: how many receives before a DLQ,
how long a DLQ keeps a message, how long deliveries, the event log and message records live."""

import re
from typing import Any

from tests.conftest import ROOT, template

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _template() -> dict[str, Any]:
    resources: dict[str, Any] = template()["Resources"]
    return resources


def _row(first_cell: str) -> str:
    (row,) = [line for line in README.splitlines() if line.startswith(f"| {first_cell} |")]
    return row


def test_each_queue_sends_to_its_dlq_after_the_receives_the_readme_says() -> None:
    resources = _template()
    for queue in ("EventsQueue", "SendQueue", "TrackingQueue"):
        receives = resources[queue]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
        dlq = queue.replace("Queue", "DLQ")
        days = resources[dlq]["Properties"]["MessageRetentionPeriod"] // 86400
        row = _row(f"`{queue}` / `{dlq}`")
        assert re.search(rf"fails? {receives} times", row), (row, receives)
        assert f"{days} days" in row, (row, days)
        runbook = _row(f"`{dlq}` not empty")
        assert f"failed {receives} times" in runbook, (runbook, receives)


def test_the_tables_and_logs_keep_data_as_long_as_the_readme_says() -> None:
    from proativo.customers.profile import EVENT_LOG_RETENTION
    from proativo.intake.deliveries import RETENTION_SECONDS
    from proativo.sequences.items import JOURNEY_HISTORY, MESSAGE_RETENTION, STEP_HISTORY

    assert f"the key alone {RETENTION_SECONDS // 86400} days" in _row("`DeliveriesTable`")
    customers = _row("`Table`, the customer's partitions")
    assert f"event log {EVENT_LOG_RETENTION.days} days" in customers
    assert f"messages {MESSAGE_RETENTION.days // 365} years" in customers
    assert f"an ended journey {JOURNEY_HISTORY.days} days and its sent or canceled steps {STEP_HISTORY.days} days" in (
        customers
    )
    resources = _template()
    parameters = template()["Parameters"]
    assert f"`LogRetentionDays` ({parameters['LogRetentionDays']['Default']})" in _row("CloudWatch Logs")
    from proativo.reporting.stats import DELTA_KEPT

    assert f"a stream batch's delta {DELTA_KEPT.days} days (TTL)" in _row(
        "`Table`, the store's counters (`STORE#<id>#STATS`)"
    )
    for table in ("Table", "DeliveriesTable"):
        assert resources[table]["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
