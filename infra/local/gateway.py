"""The HTTP side of the local stack: the template's API routes on 127.0.0.1, plus local-only control routes
(`POST /_local/clock`, `GET /_local/outbox`) that the deployed template does not have."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from infra.local.outbox import Outbox
from infra.local.stack import LocalStack


def make_server(stack: LocalStack, outbox: Outbox, port: int) -> ThreadingHTTPServer:
    """An HTTP server serving the stack's routes on 127.0.0.1:`port`."""

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
            if url.path == "/_local/outbox" and self.command == "GET":
                return self._json(200, outbox.as_json())
            status, headers, out = stack.http(self.command, url.path, dict(self.headers.items()), body, url.query)
            stack.drain()
            self._send(status, headers, out)
            return None

        def _clock(self, body: bytes) -> None:
            try:
                seconds = float(json.loads(body or b"{}")["advance_seconds"])
            except (ValueError, KeyError, TypeError):
                return self._json(400, {"error": "invalid_payload", "reason": 'send {"advance_seconds": N}'})
            if seconds < 0 or seconds > 90 * 86400:
                return self._json(400, {"error": "invalid_payload", "reason": "advance_seconds must be 0..7776000"})
            before = len(outbox.entries)
            stack.advance(seconds)
            return self._json(
                200, {"now": stack.clock.now().isoformat(), "messages_sent": len(outbox.entries) - before}
            )

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def serve_forever_in_background(server: ThreadingHTTPServer) -> threading.Thread:
    """Run the server on a daemon thread."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
