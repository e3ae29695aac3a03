"""The one OpenAPI description of every public route. The webhook routes describe themselves (Powertools builds
them from their declarations); the store's API and the links live in other functions, so their operations are
described here, next to the refusal table they answer with, and `GET /openapi.json` serves them all."""

from typing import Any

from proativo.edge.refusals import REFUSAL_SCHEMA

_SIGNED = [
    {
        "name": "X-Proativo-Timestamp",
        "in": "header",
        "required": True,
        "description": "Unix seconds when sent (ASCII digits); 5 minutes of tolerance",
        "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
    },
    {
        "name": "X-Proativo-Signature",
        "in": "header",
        "required": True,
        "description": 'v1=<hex HMAC-SHA256 of "<timestamp>.<METHOD> <path[?query]>.<body>"> with the store\'s '
        "generic secret",
        "schema": {"type": "string"},
    },
]
_STORE = {"name": "store_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z0-9-]+$"}}
_CUSTOMER = {"name": "customer_id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
_TOKEN = {
    "name": "t",
    "in": "query",
    "required": True,
    "description": "the signed token the message's link carries",
    "schema": {"type": "string"},
}


def _json(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema or {"type": "object"}}}}


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


_REFUSED = {
    "401": _json("missing or wrong signature", REFUSAL_SCHEMA),
    "404": _json("unknown store", REFUSAL_SCHEMA),
    "503": _json("a dependency is unavailable for now: retry", REFUSAL_SCHEMA),
}
_LINK_REFUSED = {
    "401": _html("a forged, edited or expired link: a page that says so"),
    "503": _html("nothing could be recorded now: a page that says to try again"),
}

ROUTES: dict[str, dict[str, Any]] = {
    "/stores/{store_id}/customers/{customer_id}": {
        "get": {
            "summary": "Export everything held about a customer (LGPD access request)",
            "tags": ["store API"],
            "parameters": [_STORE, _CUSTOMER, *_SIGNED],
            "responses": {"200": _json("the customer's records, grouped by kind"), **_REFUSED},
        },
        "delete": {
            "summary": "Erase a customer (LGPD deletion request)",
            "tags": ["store API"],
            "parameters": [_STORE, _CUSTOMER, *_SIGNED],
            "responses": {"200": _json("what was erased"), **_REFUSED},
        },
    },
    "/stores/{store_id}/reports": {
        "get": {
            "summary": "What proactivity earned the store, per day and in total",
            "tags": ["store API"],
            "parameters": [
                _STORE,
                {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                *_SIGNED,
            ],
            "responses": {
                "200": _json("the period's figures"),
                "400": _json("not a period (YYYY-MM-DD, at most a year)", REFUSAL_SCHEMA),
                **_REFUSED,
            },
        },
    },
    "/links/survey": {
        "get": {
            "summary": "Answer an order's satisfaction survey with one click",
            "tags": ["links"],
            "parameters": [
                _TOKEN,
                {"name": "score", "in": "query", "required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}},
            ],
            "responses": {"200": _html("thanks"), "400": _html("not a score from 0 to 10"), **_LINK_REFUSED},
        },
    },
    "/links/unsubscribe": {
        "get": {
            "summary": "The page that asks to confirm (a GET changes nothing: mail scanners fetch links)",
            "tags": ["links"],
            "parameters": [_TOKEN],
            "responses": {"200": _html("the question and its button"), **_LINK_REFUSED},
        },
        "post": {
            "summary": "Withdraw marketing consent on the link's channel (the page's button, RFC 8058 one-click)",
            "tags": ["links"],
            "parameters": [_TOKEN],
            "requestBody": {
                "required": False,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {"type": "object", "properties": {"List-Unsubscribe": {"type": "string"}}}
                    }
                },
            },
            "responses": {"200": _html("done: recorded"), **_LINK_REFUSED},
        },
    },
}


def with_other_routes(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (the webhook function's own description) with the store's API and the links added."""
    document.setdefault("paths", {}).update(ROUTES)
    return document
