"""webhook_handler_ratio: our webhook handler's time per request (verify, parse, record the delivery) divided by a
minimal Powertools handler that only enqueues, both invoked in the same process against the same embedded AWS,
in interleaved rounds (median of the rounds' per-request times), each request against an empty queue."""

import importlib.util
import json
import os
import statistics
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.local.shapes import http_api_event
from infra.local.stack import DEMO_SECRET, LambdaContext, LocalStack


def cart_body(n: int, occurred_at: str = "2026-11-24T12:00:00Z") -> bytes:
    """A generic platform's `cart.updated` of customer `n` (the webhook and cost benchmarks' cart)."""
    return json.dumps(
        {
            "topic": "cart.updated",
            "id": f"bench-{n}",
            "occurred_at": occurred_at,
            "customer": {"id": f"c-{n}", "email": f"cliente{n}@example.com", "name": f"Cliente {n}", "locale": "pt-BR"},
            "data": {
                "cart_id": f"cart-{n}",
                "currency": "BRL",
                "total": "129.90",
                "items": [{"sku": f"S{n % 7}", "name": "Camiseta", "quantity": 1, "unit_price": "129.90"}],
                "recovery_url": f"https://loja.example/carrinho/{n}",
            },
        }
    ).encode()


def measure(requests: int = 200, rounds: int = 5) -> dict[str, float]:
    """Per-request milliseconds of both handlers and their ratio."""
    from proativo.platforms.registry import PLATFORMS

    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    warnings.filterwarnings("ignore", message="No application metrics")
    with LocalStack(start=now, log_level="ERROR") as stack:
        ours = stack.modules["WebhooksFunction"].handler
        # The baseline puts each request on the events queue, as the webhook handler did before the deliveries outbox.
        os.environ["EVENTS_QUEUE_URL"] = stack.physical["EventsQueue"]
        with stack.running_as("WebhooksFunction"):
            spec = importlib.util.spec_from_file_location(
                "bench_minimal", Path(__file__).with_name("minimal_enqueue.py")
            )
            assert spec and spec.loader
            minimal_module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(minimal_module)
        minimal = minimal_module.handler
        route = (
            "POST",
            "/webhooks/{platform}/{store_id}",
            "/webhooks/generic/demo",
            {"platform": "generic", "store_id": "demo"},
        )

        def events(offset: int) -> list[dict[str, Any]]:
            out = []
            for n in range(offset, offset + requests):
                body = cart_body(n)
                signed = PLATFORMS["generic"].sign_headers(DEMO_SECRET, body, now)
                headers = {"content-type": "application/json", **signed}
                out.append(http_api_event(*route, headers, body, "", now))
            return out

        sqs, queue_url = stack.client("sqs"), stack.physical["EventsQueue"]

        def drain() -> None:
            while taken := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
                sqs.delete_message_batch(
                    QueueUrl=queue_url,
                    Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(taken)],
                )

        def timed(handler: Any, batch: list[dict[str, Any]], function: str) -> float:
            context = LambdaContext(function_name=function, memory_limit_in_mb=512, timeout_seconds=30)
            elapsed = 0.0
            with stack.running_as(function):
                handler(batch[0], context)  # warm: both measured after their first request
                for event in batch[1:]:
                    # moto's SendMessage slows down as its queue grows (about 1.5 ms per 100 messages), which is not
                    # SQS's behaviour: each request meets an empty queue, and only the handler call is timed.
                    drain()
                    start = time.perf_counter()
                    answer = handler(event, context)
                    elapsed += time.perf_counter() - start
                    assert answer["statusCode"] in (200, 202), answer
            stack.take_logs()
            return elapsed / (len(batch) - 1)

        ours_ms, minimal_ms = [], []
        for r in range(rounds):
            ours_ms.append(timed(ours, events(r * requests * 2), "WebhooksFunction") * 1000)
            minimal_ms.append(timed(minimal, events(r * requests * 2 + requests), "WebhooksFunction") * 1000)
    ours_median, minimal_median = statistics.median(ours_ms), statistics.median(minimal_ms)
    return {
        "webhook_handler_ratio": ours_median / minimal_median,
        "webhook_handler_ms": ours_median,
        "webhook_minimal_ms": minimal_median,
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
