"""signal_handler_ratio: the signals route's time per batch (CORS, consent, the batch checked for personal data,
the visit read, folded, the rules judged, the visit written) divided by a minimal Powertools handler doing only its
one read and one conditional write (`bench/minimal_visit.py`), same process, same embedded AWS, interleaved rounds,
median; snippet_gzip_bytes: the snippet as a browser downloads it."""

import gzip
import importlib.util
import json
import statistics
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from infra.local.shapes import http_api_event
from infra.local.stack import LambdaContext, LocalStack

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
ROUTE = ("POST", "/signals/{store_id}", "/signals/demo", {"store_id": "demo"})
HEADERS = {"content-type": "application/json", "origin": "https://lojademo.com.br"}


def _event(n: int) -> dict[str, Any]:
    """A page of a visit: a product seen, the cart, a checkout step (a visitor per request: no invitation cap)."""
    at = (NOW - timedelta(seconds=30)).isoformat()
    body = {
        "visitor": f"v-bench-{n:010d}",
        "session": f"s-bench-{n:010d}",
        "consent": True,
        "events": [
            {"type": "page_view", "at": at, "page": "product"},
            {"type": "product_view", "at": at, "product_id": f"P{n % 97}"},
            {"type": "cart", "at": at, "cart_value": "199.90", "cart_items": 1},
            {"type": "checkout_step", "at": at, "step": "shipping"},
        ],
    }
    return http_api_event(*ROUTE, HEADERS, json.dumps(body).encode(), "", NOW)


def measure(requests: int = 150, rounds: int = 5) -> dict[str, float]:
    """Per-request milliseconds of both handlers, their ratio, and the snippet's gzipped size."""
    from proativo.signals.snippet import snippet

    warnings.filterwarnings("ignore", message="No application metrics")
    with LocalStack(start=NOW, log_level="ERROR") as stack:
        ours = stack.modules["SignalsFunction"].handler
        with stack.running_as("SignalsFunction"):
            spec = importlib.util.spec_from_file_location("bench_visit", Path(__file__).with_name("minimal_visit.py"))
            assert spec and spec.loader
            minimal_module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(minimal_module)
        minimal = minimal_module.handler

        def timed(handler: Any, offset: int) -> float:
            context = LambdaContext(function_name="SignalsFunction", memory_limit_in_mb=512, timeout_seconds=10)
            batch = [_event(offset + n) for n in range(requests)]
            elapsed = 0.0
            with stack.running_as("SignalsFunction"):
                handler(batch[0], context)  # warm: the store's profile and rules are read once a minute
                for event in batch[1:]:
                    start = time.perf_counter()
                    answer = handler(event, context)
                    elapsed += time.perf_counter() - start
                    assert answer["statusCode"] == 200, answer
            stack.take_logs()
            return elapsed / (requests - 1)

        ours_ms, minimal_ms = [], []
        for r in range(rounds):
            ours_ms.append(timed(ours, r * requests * 2) * 1000)
            minimal_ms.append(timed(minimal, r * requests * 2 + requests) * 1000)
    ours_median, minimal_median = statistics.median(ours_ms), statistics.median(minimal_ms)
    return {
        "signal_handler_ratio": ours_median / minimal_median,
        "signal_handler_ms": ours_median,
        "signal_minimal_ms": minimal_median,
        "snippet_gzip_bytes": len(gzip.compress(snippet().encode(), compresslevel=9)),
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
