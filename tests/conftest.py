"""Shared fixtures: a local stack on a virtual clock, and a way to post signed webhooks to its HTTP routes."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from infra.local.outbox import Outbox
from infra.local.stack import DEMO_SECRET, LocalStack

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# Where the `proativo` CLI finds the local stack's table and secrets.
WHERE = ["--table", "proativo-local-Table", "--stage", "local"]


def template() -> dict[str, Any]:
    """template.yaml as data (CloudFormation's short-form tags such as `!Ref` read as None)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    found: dict[str, Any] = yaml.load((ROOT / "template.yaml").read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506
    return found


@dataclass
class Answer:
    """An HTTP answer from the stack."""

    status: int
    body: dict[str, Any]


class Harness:
    """A started local stack plus helpers that speak to it the way a platform would."""

    def __init__(self, stack: LocalStack, outbox: Outbox) -> None:
        self.stack = stack
        self.outbox = outbox

    def post(
        self,
        body: bytes | dict[str, Any],
        *,
        platform: str = "generic",
        store: str = "demo",
        secret: str = DEMO_SECRET,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        drain: bool = True,
    ) -> Answer:
        """POST a webhook, signed with `secret` at the stack's current time unless `signed` is False."""
        from proativo.platforms.registry import PLATFORMS

        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = {"content-type": "application/json", **(headers or {})}
        if signed and platform in PLATFORMS:
            sent = {**PLATFORMS[platform].sign_headers(secret, raw, self.stack.clock.now()), **sent}
        status, _, out = self.stack.http("POST", f"/webhooks/{platform}/{store}", sent, raw)
        if drain:
            self.stack.drain()
        return Answer(status, json.loads(out or b"{}"))

    def received_at(self, event: dict[str, Any]) -> None:
        """Move the clock to when a sample API event was received (its `requestContext.timeEpoch`), as a platform
        posts a webhook when its event happens; an event dated hours after the stack's clock would be taken as
        from a platform whose clock runs fast."""
        from infra.local.samples import request_time

        ahead = (request_time(event) - self.stack.clock.now()).total_seconds()
        if ahead > 0:
            self.stack.jump(ahead, settle=60)

    def table(self) -> Any:
        from proativo import aws

        return aws.table(self.stack.physical["Table"])

    def counters(self, day: str, store: str = "demo") -> dict[str, dict[str, Any]]:
        """A store's counters of one day by scope, as the reports read them (`stats.figures`)."""
        from datetime import date

        from proativo.reporting import stats

        on = date.fromisoformat(day)
        return stats.figures(self.table(), store, on, on).get(day, {})

    def items(self, customer_id: str, prefix: str = "", store: str = "demo") -> list[dict[str, Any]]:
        """Every item of a customer's partition whose sort key starts with `prefix` (`EVENT#`: their event log's)."""
        from proativo.aws import keys

        pk = (keys.event_log_pk if prefix.startswith("EVENT#") else keys.customer_pk)(store, customer_id)
        if prefix:
            answer = self.table().query(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
                ExpressionAttributeValues={":pk": pk, ":p": prefix},
            )
        else:
            answer = self.table().query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": pk})
        return list(answer["Items"])

    def queue_depth(self, logical: str) -> int:
        """Messages waiting (visible or in flight) in a queue of the template."""
        attributes = self.stack.client("sqs").get_queue_attributes(
            QueueUrl=self.stack.physical[logical],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def received(self) -> int:
        """Deliveries recorded plus events queued: what a webhook left behind (0 for a refused one)."""
        table = self.stack.physical["DeliveriesTable"]
        recorded = self.stack.client("dynamodb").scan(TableName=table, Select="COUNT")["Count"]
        return int(recorded) + self.queue_depth("EventsQueue")

    def ses_sent(self) -> int:
        """E-mails the embedded SES accepted."""
        from moto.ses.models import ses_backends

        from infra.local.stack import ACCOUNT, REGION

        return len(ses_backends[ACCOUNT][REGION].sent_messages)


@pytest.fixture
def harness() -> Iterator[Harness]:
    """A fresh local stack at 2026-11-24 12:00 UTC with the demo store."""
    with LocalStack(start=T0, log_level="WARNING") as stack:
        yield Harness(stack, Outbox(stack, None))


def generic(
    topic: str, event_id: str, occurred_at: str, data: dict[str, Any], customer: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A generic-platform webhook body."""
    return {
        "topic": topic,
        "id": event_id,
        "occurred_at": occurred_at,
        "customer": customer or {"id": "c-1", "email": "maria@example.com", "name": "Maria Silva", "locale": "pt-BR"},
        "data": data,
    }


def cart(event_id: str, at: str, cart_id: str = "cart-1", total: str = "199.90", **customer: Any) -> dict[str, Any]:
    """A cart.updated body."""
    item = {"sku": "S1", "name": "Camiseta", "quantity": 1, "unit_price": total}
    return generic(
        "cart.updated",
        event_id,
        at,
        {"cart_id": cart_id, "currency": "BRL", "total": total, "items": [item], "recovery_url": "https://x.test/c"},
        customer or None,
    )


def order(event_id: str, at: str, order_id: str = "o-1", cart_id: str = "cart-1", **customer: Any) -> dict[str, Any]:
    """An order.placed body."""
    return generic(
        "order.placed",
        event_id,
        at,
        {"order_id": order_id, "cart_id": cart_id, "currency": "BRL", "total": "199.90", "items": []},
        customer or None,
    )


# Modules whose one fixture (the demo day, a `make serve` process, a served stack) is minutes of work. Collected
# first, they land together in one worker's first share of the suite; collected last (alphabetical order puts
# tests/local at the end), xdist handed their tests out one by one and both workers built the same fixture at once.
FIRST = (
    "tests/local/test_demo.py",
    "tests/local/test_commands.py",
    "tests/local/test_openapi.py",
    # Then the modules of long tests (days of virtual time, 20-40 s each here): started early, they leave the short
    # tests to fill the suite's end, where they otherwise ran alone on one worker for minutes while the other idled.
    "tests/integration/test_tracking.py",
    "tests/integration/test_sequences.py",
    "tests/integration/test_sender.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules with a heavy module fixture first, then the long ones (see FIRST)."""
    rank = {path: n for n, path in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(FIRST)))
