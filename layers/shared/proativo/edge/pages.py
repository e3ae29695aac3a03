"""The pages people (not programs) see at our HTTP doors — the links in messages, the customer's order page, the
order look-up: what every one of them answers with. No request to anyone but us (Content-Security-Policy), never
cached, never indexed, no referrer (their tokens are in the URL)."""

from dataclasses import dataclass
from html import escape
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}


def small_page(status: int, locale: str, title: str, text: str, form: str = "") -> Response[str]:
    """A short page: a title, a line, maybe a form (all escaped here but the form)."""
    html = (
        f'<!DOCTYPE html><html lang="{escape(locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>body{{font:16px/1.5 system-ui,Helvetica,Arial,sans-serif;"
        "max-width:480px;margin:48px auto;padding:0 16px;color:#1a1a1a}label{display:block;font-weight:600;"
        "margin:12px 0 4px}input{width:100%;font:inherit;padding:8px;border:1px solid #8a8a90;border-radius:6px}"
        "button{margin-top:16px;font:inherit;padding:10px 16px;border:0;border-radius:6px;background:#1f4e79;"
        "color:#fff}</style></head>"
        f"<body><h1>{escape(title)}</h1><p>{escape(text)}</p>{form}</body></html>"
    )
    return Response(status_code=status, content_type=content_types.TEXT_HTML, body=html, headers=dict(HEADERS))


@dataclass(frozen=True)
class Asked:
    """What a request to the pages says beyond its path: the body, its type, the language wanted, who asks."""

    body: str
    content_type: str
    wants_json: bool
    locale: str | None
    client: str
    request_id: str

    @classmethod
    def of(cls, event: Any) -> "Asked":
        """From API Gateway's (HTTP API) event as Powertools reads it."""
        headers = event.headers or {}
        query = event.query_string_parameters or {}
        language = (headers.get("accept-language") or "").split(",")[0].split(";")[0].strip()
        return cls(
            body=event.decoded_body or "",
            content_type=headers.get("content-type") or "",
            wants_json="application/json" in (headers.get("accept") or ""),
            locale=query.get("lang") or language or None,
            client=event.request_context.http.source_ip,
            request_id=event.request_context.request_id,
        )
