"""The local stack's commands: demo, serve, invoke, sign-events (see README, "Run it locally")."""

import argparse
import json
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from infra.local.template import ROOT

FUNCTION_ALIASES = {
    "webhooks": "WebhooksFunction",
    "events": "EventsFunction",
    "dispatcher": "DispatcherFunction",
    "sender": "SenderFunction",
    "tracking": "TrackingFunction",
    "tracker": "TrackerFunction",
    "feedback": "FeedbackFunction",
    "relay": "RelayFunction",
    "stats": "StatsFunction",
    "links": "LinksFunction",
    "pages": "PagesFunction",
    "signals": "SignalsFunction",
    "api": "ApiFunction",
    "team": "TeamFunction",
}


def _function_name(name: str) -> str:
    from infra.local.template import read_stack

    known = read_stack().functions
    resolved = FUNCTION_ALIASES.get(name, name)
    if resolved not in known:
        choices = ", ".join(sorted(FUNCTION_ALIASES))
        raise SystemExit(f"unknown function {name!r}; use one of: {choices} (or a logical id from template.yaml)")
    return resolved


def _demo_start() -> str:
    scenario = json.loads((ROOT / "events" / "demo" / "day.json").read_text(encoding="utf-8"))
    return str(scenario["start"])


def cmd_demo(args: argparse.Namespace) -> int:
    from infra.local.demo import run_demo

    run_demo(Path(args.out))
    return 0


def cmd_invoke(args: argparse.Namespace) -> int:
    from infra.local.samples import request_time
    from infra.local.stack import LocalStack

    path = Path(args.event)
    if not path.is_absolute() and not path.exists():
        path = ROOT / "events" / args.event
    event = json.loads(path.read_text(encoding="utf-8"))
    name = _function_name(args.function)
    # An HTTP request happens at its own time: run the stack's clock there, so signatures dated then verify.
    start = request_time(event) if isinstance(event, dict) and "requestContext" in event else None
    with LocalStack(start=start, log_level=args.log_level) as stack:
        invocation = stack.invoke(name, event)
        for line in invocation.logs:
            print(json.dumps(line, ensure_ascii=False), file=sys.stderr)
        if invocation.error:
            print(invocation.error, file=sys.stderr)
            return 1
        print(json.dumps(invocation.result, indent=2, ensure_ascii=False, default=str))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from infra.local.gateway import make_server
    from infra.local.outbox import Outbox
    from infra.local.stack import DEMO_SECRET, DEMO_STORE, LocalStack

    # Ctrl-C stops the server even when started from a non-interactive shell's background job, which hands its
    # children SIGINT ignored (Python then installs no KeyboardInterrupt handler of its own).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    out = Path(args.out)
    # The samples in events/ happen on the demo day: start there (or now, with --start now) and follow the wall.
    start = datetime.now(UTC) if args.start == "now" else datetime.fromisoformat(args.start)
    public = f"http://127.0.0.1:{args.port}"
    with LocalStack(
        start=start, follow_wall=True, log_level=args.log_level, public_url=public, keep_invocations=1000
    ) as stack:
        outbox = Outbox(stack, out)
        server = make_server(stack, outbox, args.port)
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(1.0):
                stack.run_until(stack.clock.now())

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        # SIGTERM (a process manager, `kill`, CI) stops it like Ctrl-C. `server.shutdown()` from the handler would
        # wait forever: the handler runs on the very thread that serves.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        print(f"Proativo local stack on http://127.0.0.1:{args.port}  (embedded AWS at {stack.endpoint})")
        print(f"store '{DEMO_STORE}', webhook secret '{DEMO_SECRET}' for every platform; outbox in {out}/index.html")
        print('POST /_local/clock {"advance_seconds": N} moves time; GET /_local/outbox lists messages. Ctrl-C stops.')
        print(
            f"CLI: AWS_ENDPOINT_URL={stack.endpoint} AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=local"
            f" AWS_SECRET_ACCESS_KEY=local PROATIVO_TABLE={stack.physical['Table']} PROATIVO_STAGE=local"
            " .venv/bin/proativo stores list"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            # Graceful first, forced after 15 s: whatever a cut-off round left blocked cannot keep Ctrl-C waiting.
            watchdog = threading.Timer(15.0, os._exit, args=(0,))
            watchdog.daemon = True
            watchdog.start()
            stop.set()
            # Let the clock's current round finish before the stack stops under it: work cut off mid-way (a
            # carrier check's threads calling a stopped embedded AWS) would retry until it timed out, and Python
            # waits for those threads at exit.
            ticker.join(timeout=10)
            server.server_close()
    # A development server that was told to stop: leave now. Worker threads a cut-off round left behind (a carrier
    # check's thread pool waiting on a stopped embedded AWS) would otherwise hold the interpreter's exit.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def cmd_post(args: argparse.Namespace) -> int:
    """POST a webhook sample to a running `make serve`, signed now (the stack's clock) with the demo secret."""
    import httpx
    from proativo.platforms.registry import PLATFORMS

    from infra.local.samples import raw_body, webhook_platform
    from infra.local.stack import DEMO_SECRET

    path = Path(args.event)
    if not path.exists():
        path = ROOT / "events" / args.event
    event = json.loads(path.read_text(encoding="utf-8"))
    body = raw_body(event)
    headers = dict(event.get("headers", {}))
    with httpx.Client(base_url=args.url, timeout=30) as http:
        platform = webhook_platform(event)
        if platform in PLATFORMS:
            now = datetime.fromisoformat(http.get("/_local/clock").json()["now"])
            headers.update(PLATFORMS[platform].sign_headers(DEMO_SECRET, body, now))
        answer = http.request(
            event["requestContext"]["http"]["method"], event["rawPath"], headers=headers, content=body
        )
    print(f"{answer.status_code} {answer.text}")
    return 0 if answer.status_code < 400 else 1


def cmd_sign_events(args: argparse.Namespace) -> int:
    from infra.local.samples import sign_events

    for path in sign_events():
        print(f"signed {path.relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="replay a store day and write the outbox")
    demo.add_argument("--out", default="demo-output")
    demo.set_defaults(run=cmd_demo)
    serve = sub.add_parser("serve", help="run the local stack until Ctrl-C")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--out", default="demo-output/serve")
    serve.add_argument("--log-level", default="INFO")
    serve.add_argument(
        "--start",
        default=_demo_start(),
        help="the stack's time at start, ISO-8601 or 'now' (default: the demo day's morning, when the samples happen)",
    )
    serve.set_defaults(run=cmd_serve)
    invoke = sub.add_parser("invoke", help="invoke one function with an event file")
    invoke.add_argument("function")
    invoke.add_argument("event")
    invoke.add_argument("--log-level", default="INFO")
    invoke.set_defaults(run=cmd_invoke)
    post = sub.add_parser("post", help="POST a webhook sample to a running local stack, signed now")
    post.add_argument("event")
    post.add_argument("--url", default="http://127.0.0.1:3000")
    post.set_defaults(run=cmd_post)
    signer = sub.add_parser("sign-events", help="recompute the signatures of the webhook samples in events/")
    signer.set_defaults(run=cmd_sign_events)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
