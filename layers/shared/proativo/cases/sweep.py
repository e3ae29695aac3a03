"""The cases' clock, run by the dispatcher every minute: what is due on the index becomes an event for the engine —
a parcel's trouble whose wait is over asks for a case (`CaseOpened`), an open case past its deadline is escalated
(`CaseChanged`, by the clock). Plain JSON (the dispatcher loads no event models); the engine validates and applies
each once (its ids repeat for the same step, so a second run before the engine moved the item changes nothing)."""

import json
from typing import Any


def event_of(item: dict[str, Any]) -> dict[str, Any]:
    """The event a due case item stands for."""
    base = {
        "store_id": str(item["store_id"]),
        "customer": {"id": str(item["customer_id"])},
        "occurred_at": str(item["due_at"]),
        "protocol": str(item["protocol"]),
    }
    if item.get("kind") == "case_watch":
        carrier, code, trouble = (str(item[f]) for f in ("carrier", "tracking_code", "trouble"))
        return {
            **base,
            "type": "CaseOpened",
            "event_id": f"case:{item['protocol']}:open",
            "source": "tracker",
            "kind": str(item["case_kind"]),
            "order_id": item.get("order_id"),
            "subject": f"{trouble} with {carrier} ({code}) since {item.get('detected_at')}",
            "source_ref": str(item["source_ref"]),
        }
    return {
        **base,
        "type": "CaseChanged",
        "event_id": f"case:{item['protocol']}:overdue:{item.get('level', 'first')}:{item['due_at']}",
        "source": "cases",
        "action": "escalate",
        "by": "sla",
        "note": f"past its deadline ({item['due_at']})",
    }


def messages_of(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The events queue's messages (body, store id) for due case items."""
    return [(json.dumps({k: v for k, v in event_of(i).items() if v is not None}), str(i["store_id"])) for i in items]
