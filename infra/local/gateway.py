"""The HTTP side of the local stack: the template's API routes on 127.0.0.1, plus local-only control routes
(`POST /_local/clock`, `GET /_local/outbox`) that the deployed template does not have."""

import json
import re
import threading
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from proativo.platforms.readback import READERS
from pydantic import ValidationError

from infra.local.faults import FaultSpec
from infra.local.outbox import Outbox
from infra.local.stack import LocalStack

FAKE_PLATFORMS_PATH = "/_local/platforms/"
# One folder per notify-only platform (`READERS`): `fake.json` says what its fake API checks and answers, `orders/`
# holds the recorded orders it answers with.
FAKE_PLATFORMS = Path(__file__).with_name("fake_platforms")


@cache
def _fakes() -> dict[str, dict[str, Any]]:
    found = {name: json.loads((FAKE_PLATFORMS / name / "fake.json").read_text(encoding="utf-8")) for name in READERS}
    return {name: {**fake, "route": re.compile(fake["route"])} for name, fake in found.items()}


def fake_platform_answer(path: str, headers: Any) -> bytes | None:
    """A recorded order from infra/local/fake_platforms, for `<platform>/<the platform's own API path>`."""
    platform, _, rest = path.partition("/")
    fake = _fakes().get(platform)
    found = fake["route"].match(rest) if fake else None
    if not fake or not found or str(headers.get(fake["auth"][0], "")).lower() != fake["auth"][1]:
        return None
    file = FAKE_PLATFORMS / platform / "orders" / f"{found.group(1)}.json"
    return file.read_bytes() if file.is_file() else None


def fake_platform_credentials(base_url: str) -> dict[str, dict[str, str]]:
    """The demo store's API credentials pointing at the fake platform APIs behind `base_url`."""
    base = f"{base_url}{FAKE_PLATFORMS_PATH}"
    return {
        name: {k: str(v).replace("{base}", base) for k, v in fake["credentials"].items()}
        for name, fake in _fakes().items()
    }


def make_server(stack: LocalStack, outbox: Outbox, port: int) -> ThreadingHTTPServer:
    """An HTTP server serving the stack's routes on 127.0.0.1:`port`; it also points the demo store's platform API
    credentials at the fake platform APIs it serves, so read-backs stay on this machine."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "proativo-local"

        def log_message(self, format: str, *args: Any) -> None:
            print(f"  {self.command} {self.path} -> {args[1] if len(args) > 1 else ''}")

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: Any) -> None:
            self._send(status, {"content-type": "application/json"}, json.dumps(data, indent=2).encode())

        def _handle(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            if url.path == "/_local/clock" and self.command == "POST":
                return self._clock(body)
            if url.path == "/_local/clock" and self.command == "GET":
                return self._json(200, {"now": stack.clock.now().isoformat()})
            if url.path.startswith(FAKE_PLATFORMS_PATH) and self.command == "GET":
                return self._fake_platform(url.path.removeprefix(FAKE_PLATFORMS_PATH))
            if url.path == "/_local/outbox" and self.command == "GET":
                return self._json(200, outbox.as_json())
            if url.path == "/_local/faults":
                return self._faults(body)
            status, headers, out = stack.http(self.command, url.path, dict(self.headers.items()), body, url.query)
            stack.drain()
            self._send(status, headers, out)
            return None

        def _fake_platform(self, path: str) -> None:
            found = fake_platform_answer(path, self.headers)
            if found is None:
                return self._json(404, {"error": "not_found", "reason": f"no recorded answer for {path}"})
            return self._send(200, {"content-type": "application/json"}, found)

        def _faults(self, body: bytes) -> None:
            """GET: the faults armed; POST: arm one (`FaultSpec`); DELETE: disarm all."""
            if self.command == "POST":
                try:
                    stack.faults.add(FaultSpec.model_validate_json(body or b"{}"))
                except ValidationError as exc:
                    return self._json(400, {"error": "invalid_payload", "reason": str(exc.errors()[0]["msg"])})
            elif self.command == "DELETE":
                stack.faults.clear()
            return self._json(200, {"faults": stack.faults.as_json()})

        def _clock(self, body: bytes) -> None:
            try:
                asked = json.loads(body or b"{}")
                seconds = float(asked["advance_seconds"])
                at_once = asked.get("at_once", False)
            except (ValueError, KeyError, TypeError, AttributeError):
                return self._json(400, {"error": "invalid_payload", "reason": 'send {"advance_seconds": N}'})
            if seconds < 0 or seconds > 90 * 86400:
                return self._json(400, {"error": "invalid_payload", "reason": "advance_seconds must be 0..7776000"})
            if not isinstance(at_once, bool):
                return self._json(400, {"error": "invalid_payload", "reason": "at_once: true or false"})
            before = len(outbox.entries)
            # at_once: skip the idle minutes; the functions catch up on what fell due, as after an outage.
            stack.jump(seconds) if at_once else stack.advance(seconds)
            return self._json(
                200, {"now": stack.clock.now().isoformat(), "messages_sent": len(outbox.entries) - before}
            )

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    stack.seed_platform_credentials(fake_platform_credentials(f"http://127.0.0.1:{port}"))
    return server


def serve_forever_in_background(server: ThreadingHTTPServer) -> threading.Thread:
    """Run the server on a daemon thread."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
