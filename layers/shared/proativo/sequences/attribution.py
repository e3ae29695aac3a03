"""Attribution: an order placed within a flow's window after one of its messages counts as recovered by that
message (last touch). Pure: the caller passes the customer's messages and the flows in force."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from proativo.clock import parse_utc
from proativo.sequences.flows import Flow


@dataclass(frozen=True)
class Attribution:
    """Which message brought the order back, and what it was worth."""

    message_id: str
    flow_id: str
    step_id: str
    channel: str
    sent_at: datetime
    value: Decimal


def _latest(
    messages: list[dict[str, Any]],
    at: datetime,
    windows: dict[str, timedelta],
    concerns: Callable[[dict[str, Any]], bool],
    value: Decimal,
) -> Attribution | None:
    """The latest sent message that `concerns` accepts, within its flow's window before `at`."""
    best: Attribution | None = None
    for message in messages:
        if message.get("status") != "sent" or not concerns(message):
            continue
        window = windows.get(str(message.get("flow_id")))
        sent_at = parse_utc(str(message.get("sent_at")))
        if window is None or not (at - window <= sent_at <= at):
            continue
        if best is None or sent_at > best.sent_at:
            best = Attribution(
                message_id=str(message["message_id"]),
                flow_id=str(message["flow_id"]),
                step_id=str(message.get("step_id", "")),
                channel=str(message.get("channel", "")),
                sent_at=sent_at,
                value=value,
            )
    return best


def attribute(
    order_total: Decimal, placed_at: datetime, messages: list[dict[str, Any]], flows: tuple[Flow, ...]
) -> Attribution | None:
    """The latest marketing message sent before `placed_at` and within its flow's attribution window, if any."""
    windows = {f.id: f.attribution_window for f in flows}
    return _latest(messages, placed_at, windows, lambda m: m.get("purpose") == "marketing", order_total)


def attribute_payment(
    order_id: str, total: Decimal, paid_at: datetime, messages: list[dict[str, Any]], flows: tuple[Flow, ...]
) -> Attribution | None:
    """The latest message about this order's payment (a flow that a payment ends: boleto reminders, a refused
    card's way out) sent within its window before the order was paid."""
    windows = {f.id: f.attribution_window for f in flows if "OrderPaid" in f.exit_on}
    return _latest(messages, paid_at, windows, lambda m: str(m.get("key")) == order_id, total)
