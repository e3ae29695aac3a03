"""A fake WhatsApp Cloud API (Meta's Graph API `/<phone_number_id>/messages`) for the local stack: it checks the
bearer token of the number, accepts approved templates only, and keeps every message so the outbox can show it."""

import itertools
from dataclasses import dataclass, field
from typing import Any

DEMO_PHONE_NUMBER_ID = "109876543210"
DEMO_TOKEN = "local-whatsapp-token"  # noqa: S105 - the local fake's documented token


@dataclass
class FakeWhatsApp:
    """Meta's side of template messages, as far as a sender sees it."""

    tokens: dict[str, str] = field(default_factory=lambda: {DEMO_PHONE_NUMBER_ID: DEMO_TOKEN})
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        """Answer one request like the Graph API."""
        parts = path.strip("/").split("/")
        if method != "POST" or len(parts) < 2 or parts[-1] != "messages":
            return 404, {"error": {"code": 100, "message": "Unknown path"}}
        number = parts[-2]
        if headers.get("authorization") != f"Bearer {self.tokens.get(number, '')}":
            return 401, {"error": {"code": 190, "message": "Invalid OAuth access token"}}
        template = (body or {}).get("template", {})
        if body.get("messaging_product") != "whatsapp" or not str(template.get("name", "")).startswith("proativo_"):
            return 400, {"error": {"code": 132001, "message": "Template name does not exist in the translation"}}
        message_id = f"wamid.local{next(self._ids):06d}"
        self.messages[message_id] = body
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"wa_id": body["to"]}],
            "messages": [{"id": message_id}],
        }

    def text_of(self, message_id: str) -> str:
        """What the customer reads, as far as we know it: the template's name and its parameters."""
        body = self.messages.get(message_id)
        if not body:
            return ""
        template = body["template"]
        parameters = [p["text"] for c in template.get("components", []) for p in c.get("parameters", [])]
        return f"[{template['name']} / {template['language']['code']}]\n" + "\n".join(parameters)
