"""SES delivery feedback (configuration-set events published to SNS) turned into canonical events.

Bounces and complaints suppress the address (hard bounces and complaints for good); deliveries, opens and clicks
are counted for the reports, once per message each. Our message tags (store, customer, message) tell whose message
it was without reading any address.
"""

import json
from datetime import datetime
from typing import Any

from proativo.clock import parse_utc
from proativo.events import Customer, Event, MessageBounced, MessageComplained, MessageEngaged


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
    engagement = _ENGAGEMENTS.get(str(kind))
    if engagement:
        detail = data.get(str(kind).lower()) or {}
        return MessageEngaged(
            **envelope,
            event_id=f"ses:{engagement}:{mail.get('messageId')}",
            occurred_at=_when(detail.get("timestamp"), now),
            message_id=message_id,
            engagement=engagement,
        )
    return None


_ENGAGEMENTS = {"Delivery": "delivered", "Open": "opened", "Click": "clicked"}
