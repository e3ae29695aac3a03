"""WhatsApp: template messages through Meta's Cloud API, and click-to-send links for a store's agents.

Outside a conversation the customer opened, WhatsApp only delivers templates the store had approved by Meta. Ours
are named `proativo_<template>` in the customer's language (pt_BR, en); the `.whatsapp.j2` file of a template
renders its body parameters, one per line, in order ({{1}}, {{2}}, …). Each store brings its own WhatsApp Business
number: `{"phone_number_id": …, "access_token": …}` in SSM SecureString
`/proativo/<Stage>/stores/<store>/whatsapp` (`proativo stores set-whatsapp-credentials`).

A store without the Cloud API (or a message a person should send) gets a `wa.me` link with the text filled in:
one click on the agent's phone opens WhatsApp ready to send (`links.click_to_send`).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from proativo.errors import ChannelRefused, RetryableSendError
from proativo.messaging.channels import Outgoing

GRAPH_URL = "https://graph.facebook.com/v21.0"


def template_name(template: str) -> str:
    """The Meta template our template stands for."""
    return f"proativo_{template}"


def message_body(message: Outgoing, locale: str) -> dict[str, Any]:
    """The Cloud API's template message for a rendered `.whatsapp.j2` (its lines are the body parameters)."""
    parameters = [line for line in message.content.text.splitlines() if line.strip()]
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": message.recipient.lstrip("+"),
        "type": "template",
        "template": {
            "name": template_name(message.template),
            "language": {"policy": "deterministic", "code": locale.replace("-", "_")},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}],
        },
    }


@dataclass(frozen=True)
class WhatsAppCloud:
    """Sends template messages with the store's own number and token."""

    http: httpx.Client
    credentials_of: Callable[[str], dict[str, str]]
    base_url: str = GRAPH_URL

    def send(self, message: Outgoing) -> str:
        """Send one template message; returns WhatsApp's message id (wamid…)."""
        credentials = self.credentials_of(message.store_id)
        try:
            answer = self.http.post(
                f"{self.base_url.rstrip('/')}/{credentials['phone_number_id']}/messages",
                headers={"Authorization": f"Bearer {credentials['access_token']}"},
                json=message_body(message, message.locale),
            )
        except httpx.TransportError as exc:
            raise RetryableSendError(f"WhatsApp: {type(exc).__name__}") from exc
        if answer.status_code == 429 or answer.status_code >= 500:
            raise RetryableSendError(f"WhatsApp: HTTP {answer.status_code}")
        if answer.status_code >= 400:
            error = _error(answer)
            raise ChannelRefused(f"WhatsApp refused: {error.get('code')} {error.get('message', '')}"[:300])
        return str(answer.json()["messages"][0]["id"])


def _error(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except json.JSONDecodeError:
        return {}
    found = body.get("error", {}) if isinstance(body, dict) else {}
    return found if isinstance(found, dict) else {}
