"""A fake of Reclame Aqui's company API (HugMe) for the local stack, speaking what `proativo.cases.hugme.Contract`
sends by default — our reading of an API that is not public, not a copy of it (see that module): a client-credentials
token, the company's tickets by creation date and page, and the answers posted to them. A ticket appears on the site
at its creation time on the stack's clock; every answer posted is kept so the demo can show it."""

import base64
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from proativo.clock import as_utc

DEMO_CLIENT_ID = "loja-demo"
DEMO_CLIENT_SECRET = "local-hugme-secret"  # noqa: S105 - the local fake's documented secret
_ANSWERS = re.compile(r"^/ticket/v1/tickets/([^/]+)/answers$")


def credentials(url: str) -> dict[str, Any]:
    """The demo store's access to this fake, as `proativo cases sources connect demo reclameaqui` keeps it."""
    return {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, "contract": {"base_url": url}}


@dataclass
class FakeHugMe:
    """The site's side, as far as a company's integration sees it."""

    now: Callable[[], datetime]
    tickets: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))

    def add(self, ticket: dict[str, Any]) -> None:
        """A complaint the site will show from its `creation_date` on."""
        self.tickets.append(ticket)

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        """Answer one request like the site's API (as we read it)."""
        if method == "POST" and path == "/oauth/token":
            return self._token(headers, body)
        if headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return 401, {"error": "invalid_token"}
        if method == "GET" and path == "/ticket/v1/tickets":
            return self._list(query)
        posted = _ANSWERS.match(path)
        if method == "POST" and posted:
            ticket = next((t for t in self.tickets if str(t["id"]) == posted.group(1)), None)
            if ticket is None:
                return 404, {"error": "ticket not found"}
            if not isinstance(body, dict) or not str(body.get("message") or "").strip():
                return 422, {"error": "message is required"}
            answer_id = f"answer-{next(self._ids)}"
            self.answers.append({"id": answer_id, "ticket": str(ticket["id"]), "at": as_utc(self.now()), **body})
            return 201, {"id": answer_id}
        return 404, {"error": "not found"}

    def _token(self, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        expected = base64.b64encode(f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}".encode()).decode()
        if headers.get("authorization") != f"Basic {expected}":
            return 401, {"error": "invalid_client"}
        if b"grant_type=client_credentials" not in (body if isinstance(body, bytes) else b""):
            return 400, {"error": "unsupported_grant_type"}
        token = f"hugme-local-{next(self._ids)}"
        self.tokens.add(token)
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 3600}

    def _list(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        try:
            since = as_utc(datetime.fromisoformat(query["creation_date[gte]"][0].replace("Z", "+00:00")))
            page, size = int(query.get("page[number]", ["1"])[0]), int(query.get("page[size]", ["50"])[0])
        except (KeyError, ValueError):
            return 400, {"error": "creation_date[gte], page[number] and page[size] are expected"}
        now = as_utc(self.now())
        shown = sorted(
            (t for t in self.tickets if since <= str(t["creation_date"]) <= now), key=lambda t: str(t["creation_date"])
        )
        return 200, {"data": shown[(page - 1) * size : page * size], "meta": {"total": len(shown), "page": page}}
