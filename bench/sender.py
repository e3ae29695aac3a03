"""sender_throughput_ratio: messages per second through the sender (re-check the enrolment, consent and exits,
render the templates, claim the message id, send through SES, record it) divided by bare SES `send_email` calls
per second, same embedded AWS, same run.

The messages are real ones: 300 customers pay an order, the engine enrols each in the post-purchase thanks, and the
sender delivers each due step from the send request the dispatcher would queue, in batches of 10 as the send queue
hands them to the function (one read for the batch, then each message's claim, send and record)."""

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from infra.local.stack import DEMO_SENDER, LocalStack

BATCH = 10  # the send queue's batch size (template.yaml)


def _paid(n: int, at: datetime) -> Any:
    from proativo.events import Customer, OrderPaid

    who = Customer(id=f"c-{n}", email=f"c{n}@example.com", name="Bench Cliente", locale="pt-BR")
    return OrderPaid(
        event_id=f"p{n}",
        store_id="demo",
        source="generic",
        customer=who,
        occurred_at=at,
        order_id=f"o{n}",
        total=Decimal("199.90"),
    )


def measure(messages: int = 300) -> dict[str, float]:
    """Deliver `messages` thank-you e-mails through the sender; then as many bare SES sends."""
    start = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    with LocalStack(start=start, log_level="ERROR") as stack:
        from proativo import aws, wiring
        from proativo.messaging.decision import SendRequest
        from proativo.sequences.dispatch import query_due, send_request_of
        from proativo.settings import EventsSettings, SenderSettings

        with stack.running_as("EventsFunction"):
            processor = wiring.event_processor(EventsSettings.from_env())
        with stack.running_as("SenderFunction"):
            sender = wiring.sender(SenderSettings.from_env())
        for n in range(messages + 1):
            processor.apply(_paid(n, start), start)
        due_at = start + timedelta(hours=1)
        table = aws.table(stack.physical["Table"])
        due = query_due(table, "send", int(stack.parameters["DueShards"]), due_at, limit=10 * messages).items
        requests = [SendRequest.model_validate(send_request_of(step)) for step in due]
        assert len(requests) == messages + 1
        sender.deliver(requests[0], due_at)  # a warm container: templates compiled, clients made
        started = time.perf_counter()
        outcomes: list[Any] = []
        for start_at in range(1, len(requests), BATCH):
            batch = requests[start_at : start_at + BATCH]
            sender.prefetch(batch, due_at)
            outcomes.extend(sender.deliver(request, due_at) for request in batch)
        ours = time.perf_counter() - started
        assert all(o.status == "sent" for o in outcomes), {o.reason for o in outcomes}

        ses = aws.sesv2()
        started = time.perf_counter()
        for n in range(messages):
            ses.send_email(
                FromEmailAddress=DEMO_SENDER,
                Destination={"ToAddresses": [f"c{n}@example.com"]},
                Content={"Simple": {"Subject": {"Data": "Obrigado"}, "Body": {"Text": {"Data": "Obrigado!"}}}},
            )
        bare = time.perf_counter() - started

        # The ceiling of any sender that never sends twice: a conditional claim written before each send.
        table = aws.table(stack.physical["Table"])
        started = time.perf_counter()
        for n in range(messages):
            table.put_item(
                Item={"pk": f"BENCH#{n}", "sk": f"MSG#{n}", "kind": "message", "status": "sending"},
                ConditionExpression="attribute_not_exists(pk)",
            )
        claims = time.perf_counter() - started
    return {
        "sender_throughput_ratio": (messages / ours) / (messages / bare),
        "sender_messages": messages,
        "sender_per_second": messages / ours,
        "bare_ses_per_second": messages / bare,
        "claim_ms": claims / messages * 1000,
        "bare_ses_ms": bare / messages * 1000,
        "sender_ceiling_ratio": bare / (bare + claims),
    }


if __name__ == "__main__":
    print(measure())
