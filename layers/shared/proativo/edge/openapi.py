"""The one OpenAPI description of every public route. The webhook routes describe themselves (Powertools builds
them from their declarations, given here: `WEBHOOK`, `CARRIER_PUSH`); the store's API and the links live in other
functions, so their operations are described here, next to the refusal table they answer with, and
`GET /openapi.json` serves them all (`answer`)."""

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

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
_PROTOCOL = {"name": "protocol", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
_CASE_OPEN = {
    "type": "object",
    "required": ["request_id", "customer", "subject"],
    "properties": {
        "request_id": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,80}$"},
        "kind": {"type": "string", "default": "store", "description": "a kind of the store's case rules"},
        "customer": {"type": "object", "required": ["id"], "description": "id, and e-mail/phone/name/locale to tell"},
        "order_id": {"type": "string"},
        "subject": {"type": "string", "maxLength": 300},
        "detail": {"type": "string", "maxLength": 4000},
        "answer_by": {"type": "string", "format": "date-time", "description": "sooner than the kind's deadline"},
        "tell_customer": {"type": "boolean", "default": True},
    },
    "additionalProperties": False,
}
_CASE_ACTION = {
    "type": "object",
    "required": ["action"],
    "properties": {
        "request_id": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,80}$"},
        "action": {
            "type": "string",
            "enum": ["assign", "note", "wait_customer", "wait_carrier", "resolve", "escalate", "reopen"],
        },
        "by": {"type": "string", "maxLength": 120},
        "owner": {"type": "string", "maxLength": 120, "description": "required to assign"},
        "note": {"type": "string", "maxLength": 4000, "description": "required for a note"},
        "tell_customer": {"type": "boolean", "default": False, "description": "a note the customer hears"},
    },
    "additionalProperties": False,
}
_TOKEN = {
    "name": "t",
    "in": "query",
    "required": True,
    "description": "the signed token the message's link carries",
    "schema": {"type": "string"},
}

_PAGE_TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "the signed token of one order's page (the link in every message about it)",
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
    "/stores/{store_id}/cases": {
        "get": {
            "summary": "The store's cases, newest first (the team's inbox)",
            "tags": ["store API", "cases"],
            "parameters": [
                _STORE,
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "schema": {
                        "type": "string",
                        "enum": [
                            "open",
                            "waiting_customer",
                            "waiting_carrier",
                            "escalated",
                            "resolved",
                            "overdue",
                            "all",
                        ],
                        "default": "open",
                    },
                },
                {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "maximum": 500}},
                *_SIGNED,
            ],
            "responses": {"200": _json("the cases' summaries"), **_REFUSED},
        },
        "post": {
            "summary": "Open a case from the store's own systems (a retry with the same request_id opens nothing)",
            "tags": ["store API", "cases"],
            "parameters": [_STORE, *_SIGNED],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _CASE_OPEN}}},
            "responses": {"202": _json("accepted: the case's protocol"), **_REFUSED},
        },
    },
    "/stores/{store_id}/cases/{protocol}": {
        "get": {
            "summary": "One case whole: its history, what the customer said, the agent's WhatsApp link",
            "tags": ["store API", "cases"],
            "parameters": [_STORE, _PROTOCOL, *_SIGNED],
            "responses": {"200": _json("the case"), **_REFUSED},
        },
    },
    "/stores/{store_id}/cases/{protocol}/actions": {
        "post": {
            "summary": "Act on a case: assign, note, wait on the customer or carrier, resolve, escalate, reopen",
            "tags": ["store API", "cases"],
            "parameters": [_STORE, _PROTOCOL, *_SIGNED],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _CASE_ACTION}}},
            "responses": {
                "202": _json("accepted: applied within seconds"),
                "409": _json("not now: the case is resolved (reopen it first), or with the ouvidoria", REFUSAL_SCHEMA),
                **_REFUSED,
            },
        },
    },
    "/complaints/{source}/{store_id}": {
        "post": {
            "summary": "A public complaint (any social-listening tool or complaint site) opens a case, matched to the"
            " customer and order",
            "description": "Signed like the generic platform's webhooks: X-Proativo-Timestamp and X-Proativo-Signature"
            " (HMAC-SHA256 of '<timestamp>.<body>' under the store's generic secret).",
            "tags": ["cases"],
            "parameters": [
                {
                    "name": "source",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                },
                _STORE,
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["id", "title"],
                            "properties": {
                                "id": {"type": "string"},
                                "title": {"type": "string"},
                                "text": {"type": "string"},
                                "url": {"type": "string", "format": "uri"},
                                "created_at": {"type": "string", "format": "date-time"},
                                "answer_by": {"type": "string", "format": "date-time"},
                                "order_id": {"type": "string"},
                                "customer": {
                                    "type": "object",
                                    "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "202": _json("accepted: the case's protocol and how the complaint was matched"),
                "200": _json("a repeat of a complaint already taken"),
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
    "/t/{token}": {
        "get": {
            "summary": "The customer's own order page (HTML; JSON with Accept: application/json)",
            "tags": ["order page"],
            "parameters": [_PAGE_TOKEN],
            "responses": {
                "200": {
                    "description": "where the order is, what was done about it, the answers for its state",
                    "content": {
                        "text/html": {"schema": {"type": "string"}},
                        "application/json": {"schema": {"type": "object"}},
                    },
                },
                "404": _html("a forged, edited or expired link, an unknown order or a page closed after delivery"),
                "503": _html("the page cannot be read now: try again"),
            },
        },
    },
    "/t/{token}/help": {
        "post": {
            "summary": "Still need help? A case for the store's team (one an hour per order)",
            "tags": ["order page"],
            "parameters": [_PAGE_TOKEN],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["topic"],
                            "properties": {
                                "topic": {
                                    "type": "string",
                                    "enum": ["where", "late", "damaged", "not_received", "return", "other"],
                                },
                                "message": {"type": "string", "maxLength": 1000},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _html("received: the protocol and the date the answer comes by"),
                "400": _html("not a topic, or a message too long"),
                "404": _html("a forged, edited or expired link"),
                "429": _html("help was asked for this order within the hour"),
                "503": _html("nothing could be recorded now: try again"),
            },
        },
    },
    "/track/{store_id}": {
        "get": {
            "summary": "Find an order without a link: the form",
            "tags": ["order page"],
            "parameters": [_STORE],
            "responses": {
                "200": _html("the form: order number and e-mail"),
                "404": _html("unknown store"),
                "503": _html("the store cannot be read now"),
            },
        },
        "post": {
            "summary": "Find an order by its number and the purchase's e-mail: 303 to its page",
            "tags": ["order page"],
            "parameters": [_STORE],
            "requestBody": {
                "required": True,
                "content": {
                    media: {
                        "schema": {
                            "type": "object",
                            "required": ["order", "email"],
                            "properties": {"order": {"type": "string"}, "email": {"type": "string"}},
                        }
                    }
                    for media in ("application/x-www-form-urlencoded", "application/json")
                },
            },
            "responses": {
                "303": {"description": "the order's page", "headers": {"Location": {"schema": {"type": "string"}}}},
                "200": _json("JSON asked: {url} of the order's page"),
                "400": _html("no order number or e-mail"),
                "404": _html("no order with that number and e-mail (one answer for either miss)"),
                "429": _html("too many failed tries for this order or from this client: try in an hour"),
                "503": _html("the look-up cannot be read now"),
            },
        },
    },
    "/signals/{store_id}": {
        "post": {
            "summary": "A batch of browsing signals from the store's pages (the snippet): what to offer now",
            "tags": ["signals"],
            "parameters": [_STORE],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignalBatch"}}},
            },
            "responses": {
                "200": _json("the invitations to offer now: {actions: [...]} (none without consent)"),
                "400": _json("invalid batch, or a value that looks like personal data: the field and the reason"),
                "401": _json("customer.sig does not match the customer id"),
                "403": _json("not from one of the store's own origins"),
                "404": _json("unknown store"),
                "503": _json("the visit cannot be read or written now: send the batch again"),
            },
        },
        "options": {
            "summary": "CORS preflight: allowed for the store's own origins",
            "tags": ["signals"],
            "parameters": [_STORE],
            "responses": {
                "204": {"description": "allowed"},
                "403": _json("not one of the store's origins"),
                "404": _json("unknown store"),
                "503": _json("the store cannot be read now"),
            },
        },
    },
    "/s/{script}": {
        "get": {
            "summary": "The snippet a store's pages load (`/s/<store id>.js`)",
            "tags": ["signals"],
            "parameters": [
                {"name": "script", "in": "path", "required": True, "schema": {"type": "string", "pattern": r"\.js$"}}
            ],
            "responses": {
                "200": {
                    "description": "the snippet",
                    "content": {"application/javascript": {"schema": {"type": "string"}}},
                },
                "404": _json("not a store's snippet"),
                "503": _json("not available now"),
            },
        },
    },
}


def with_other_routes(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (the webhook function's own description) with the store's API, the links, the order page and the
    browsing signals added."""
    # Imported here: the document is asked for seldom, and the webhooks it shares a function with never need these.
    from proativo.signals.batch import SignalBatch

    document.setdefault("paths", {}).update(ROUTES)
    batch = SignalBatch.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(batch.pop("$defs", {}))
    schemas["SignalBatch"] = batch
    return document


_ANSWER = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["accepted", "duplicate", "ignored"]},
        "events": {"type": "integer"},
        "reason": {"type": "string"},
    },
}
_RETRY = _json("a dependency is unavailable for now: retry", REFUSAL_SCHEMA)
WEBHOOK: dict[str, Any] = {
    "summary": "Receive a platform webhook",
    "description": "Verifies the store's signature for the platform, maps the payload to canonical events and queues "
    "them. See README, 'Connect a platform', for each platform's headers and format.",
    "tags": ["webhooks"],
    "responses": {
        202: _json("accepted: events queued", _ANSWER),
        200: _json("duplicate delivery, or nothing to do (topic not handled, handshake)", _ANSWER),
        400: _json("invalid payload: the field and the reason", REFUSAL_SCHEMA),
        401: _json("missing or wrong signature", REFUSAL_SCHEMA),
        404: _json("unknown platform or store", REFUSAL_SCHEMA),
        413: _json("body over 256 KB, or more events than one delivery holds", REFUSAL_SCHEMA),
        503: _RETRY,
    },
}
CARRIER_PUSH: dict[str, Any] = {
    "summary": "Receive a carrier's pushed scans",
    "description": "Verifies the store's signature for the carrier (as the generic platform signs) and queues the "
    "scans for tracking. See README, 'Carriers that push', for the format.",
    "tags": ["webhooks"],
    "responses": {
        202: _json("accepted: scans queued for tracking", _ANSWER),
        200: _json("duplicate delivery", _ANSWER),
        400: _json("invalid payload: the field and the reason", REFUSAL_SCHEMA),
        401: _json("missing or wrong signature", REFUSAL_SCHEMA),
        404: _json("unknown carrier or store", REFUSAL_SCHEMA),
        413: _json("body over 256 KB", REFUSAL_SCHEMA),
        503: _RETRY,
    },
}


def serve(app: APIGatewayHttpResolver) -> None:
    """Add `GET /openapi.json` to the webhook function's routes."""
    route = app.get("/openapi.json", summary="This API's OpenAPI description", tags=["meta"], include_in_schema=False)
    route(lambda: answer(app))


def answer(app: APIGatewayHttpResolver) -> Response[dict[str, Any]]:
    """`GET /openapi.json`: the webhook function's own description, completed, with every other route added."""
    from proativo.tracking.push import CarrierPush

    schema = json.loads(
        app.get_openapi_json_schema(title="Proativo", version="1.0.0", description="Proactive customer service API")
    )
    # The webhooks read their body raw (signatures are computed over the exact bytes), so Powertools cannot see it:
    # described here.
    schema["paths"]["/webhooks/{platform}/{store_id}"]["post"]["requestBody"] = {
        "required": True,
        "description": "The platform's payload, exactly as signed",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
    push = CarrierPush.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.setdefault("components", {}).setdefault("schemas", {}).update(push.pop("$defs", {}))
    schema["paths"]["/webhooks/carrier/{carrier}/{store_id}"]["post"]["requestBody"] = {
        "required": True,
        "description": "The carrier's scans for one tracking code, exactly as signed",
        "content": {"application/json": {"schema": push}},
    }
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=with_other_routes(schema))
