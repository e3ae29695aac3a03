"""SES delivery feedback (configuration-set events published to SNS) turned into canonical events.

Only bounces and complaints become events: a hard bounce or a complaint suppresses the address for good. Our
message tags (store, customer, message) tell whose message it was without reading any address.
"""

import json
from datetime import datetime
from typing import Any

from proativo.clock import parse_utc
from proativo.events import Customer, Event, MessageBounced, MessageComplained


def _tag(mail: dict[str, Any], name: str) -> str | None:
    values = (mail.get("tags") or {}).get(name) or []
    return str(values[0]) if values else None


def _when(value: Any, fallback: datetime) -> datetime:
    try:
        return parse_utc(str(value))
    except ValueError:
        return fallback


def event_from_ses(message: str, now: datetime) -> Event | None:
    """The canonical event for one SES event notification, or None for kinds we only count."""
    data = json.loads(message)
    kind = data.get("eventType") or data.get("notificationType")
    mail = data.get("mail") or {}
    store_id, customer_id, message_id = (_tag(mail, n) for n in ("store_id", "customer_id", "message_id"))
    if not (store_id and customer_id and message_id):
        return None
    envelope: dict[str, Any] = {
        "store_id": store_id,
        "source": "ses",
        "customer": Customer(id=customer_id),
    }
    if kind == "Bounce":
        bounce = data.get("bounce") or {}
        return MessageBounced(
            **envelope,
            event_id=f"ses:bounce:{mail.get('messageId')}",
            occurred_at=_when(bounce.get("timestamp"), now),
            message_id=message_id,
            permanent=bounce.get("bounceType") == "Permanent",
        )
    if kind == "Complaint":
        complaint = data.get("complaint") or {}
        return MessageComplained(
            **envelope,
            event_id=f"ses:complaint:{mail.get('messageId')}",
            occurred_at=_when(complaint.get("timestamp"), now),
            message_id=message_id,
        )
    return None
