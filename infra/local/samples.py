"""The sample events in events/: keep webhook and store API signatures true to their bodies (`make events`)."""

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.local.fake_carrier import aftership
from infra.local.stack import DEMO_SECRET
from infra.local.template import ROOT

EVENTS = ROOT / "events"


def raw_body(event: dict[str, Any]) -> bytes:
    """The request body of an HTTP API event, as bytes."""
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode()


def request_time(event: dict[str, Any]) -> datetime:
    """When an HTTP API event was received (its `requestContext.timeEpoch`)."""
    return datetime.fromtimestamp(int(event["requestContext"]["timeEpoch"]) / 1000, UTC)


def webhook_platform(event: dict[str, Any]) -> str | None:
    """The platform whose signature a webhook route event carries (a carrier's push is signed as the generic
    platform signs, AfterShip's its own way: "aftership"), or None for any other event."""
    route = str(event.get("routeKey", ""))
    if route.startswith("POST /webhooks/{platform}/"):
        return str(event.get("pathParameters", {}).get("platform"))
    if route.startswith("POST /webhooks/carrier/"):
        carrier = str(event.get("pathParameters", {}).get("carrier"))
        return "aftership" if carrier == "aftership" else "generic"
    return None


def sign_events(root: Path = EVENTS) -> list[Path]:
    """Recompute the signature headers of every webhook and store API sample with the demo secret at its request
    time."""
    from proativo.edge.signing import sign_request
    from proativo.platforms.registry import PLATFORMS

    changed = []
    for path in sorted(root.rglob("*.json")):
        event = json.loads(path.read_text(encoding="utf-8"))
        platform = webhook_platform(event) if isinstance(event, dict) else None
        if platform == "aftership":  # AfterShip signs the body alone, its own way
            signed = {"aftership-hmac-sha256": aftership.sign(raw_body(event), DEMO_SECRET)}
            if any(event["headers"].get(k) != v for k, v in signed.items()):
                event["headers"].update(signed)
                path.write_text(json.dumps(event, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
                changed.append(path)
            continue
        if isinstance(event, dict) and str(event.get("routeKey", "")).split(" ")[-1].startswith("/stores/"):
            # The store API: signed over method, path and query, time and body (`X-Proativo-Signature`).
            query = str(event.get("rawQueryString") or "")
            target = f"{event['rawPath']}?{query}" if query else str(event["rawPath"])
            method = str(event["requestContext"]["http"]["method"])
            headers = sign_request(DEMO_SECRET, method, target, request_time(event), raw_body(event))
            if any(event["headers"].get(k) != v for k, v in headers.items()):
                event["headers"].update(headers)
                path.write_text(json.dumps(event, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
                changed.append(path)
            continue
        if platform not in PLATFORMS:
            continue
        if PLATFORMS[platform].is_handshake(event["headers"], raw_body(event)):
            continue  # handshakes are unsigned by the platform's own design
        headers = PLATFORMS[platform].sign_headers(DEMO_SECRET, raw_body(event), request_time(event))
        if any(event["headers"].get(k) != v for k, v in headers.items()):
            event["headers"].update(headers)
            path.write_text(json.dumps(event, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            changed.append(path)
    return changed
