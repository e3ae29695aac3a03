"""The documented commands: `make serve` with its control routes and `make post`, and `make invoke`."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra.local.stack import _free_port
from tests.conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "infra.local", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    out = tmp_path_factory.mktemp("serve")
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "infra.local",
            "serve",
            "--port",
            str(port),
            "--out",
            str(out),
            "--log-level",
            "WARNING",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/_local/outbox", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    yield url, out
    # SIGTERM, as a process manager or `kill` sends it (Ctrl-C takes the same way out): it used to wait forever.
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=90) == 0  # under a loaded CI machine the last clock round takes a while


def test_serve_takes_a_webhook_and_the_clock_route_runs_what_falls_due(served: tuple[str, Path]) -> None:
    url, out = served
    posted = _run("post", "events/webhooks/generic/bruno-cart-updated.json", "--url", url)
    assert posted.returncode == 0, posted.stdout + posted.stderr
    assert posted.stdout.startswith("202 ")
    again = _run("post", "events/webhooks/generic/bruno-cart-updated.json", "--url", url)
    assert again.stdout.startswith("200 ") and "duplicate" in again.stdout

    # make serve starts on the demo day at 08:00 (-03:00); Bruno left his cart at 09:30, the first message goes at
    # 10:30 (his jacket is worth more than R$ 500: an offer of help).
    moved = httpx.post(f"{url}/_local/clock", json={"advance_seconds": 3 * 3600}, timeout=60).json()
    assert moved["messages_sent"] == 1
    (message,) = httpx.get(f"{url}/_local/outbox", timeout=5).json()
    assert (message["channel"], message["recipient"], message["template"]) == (
        "email",
        "bruno.lima@example.com",
        "cart_high_value_1",
    )
    assert (out / message["file"]).exists()
    assert (out / "index.html").exists()


def test_the_clock_route_refuses_nonsense(served: tuple[str, Path]) -> None:
    url, _ = served
    assert httpx.post(f"{url}/_local/clock", json={"advance_seconds": -5}, timeout=5).status_code == 400
    assert httpx.post(f"{url}/_local/clock", content=b"soon", timeout=5).status_code == 400


def test_invoke_runs_one_function_with_a_sample_event() -> None:
    done = _run("invoke", "webhooks", "events/webhooks/generic/ana-cart-updated.json", "--log-level", "WARNING")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["statusCode"] == 202


def test_invoke_names_the_functions_it_knows() -> None:
    done = _run("invoke", "nope", "events/dispatcher/every-minute.json")
    assert done.returncode != 0
    assert "webhooks" in done.stderr


def test_serve_reads_notify_only_platforms_back_from_their_fake_apis(served: tuple[str, Path]) -> None:
    url, _ = served
    posted = _run("post", "events/webhooks/nuvemshop/order-fulfilled.json", "--url", url)
    assert posted.stdout.startswith("202 "), posted.stdout + posted.stderr
    posted = _run("post", "events/webhooks/vtex/order-invoiced.json", "--url", url)
    assert posted.stdout.startswith("202 "), posted.stdout + posted.stderr
    # Both orders ship on the demo day's morning after (Nuvemshop's at 10:04, -03:00).
    httpx.post(f"{url}/_local/clock", json={"advance_seconds": 2 * 86400, "at_once": True}, timeout=120)
    sent = {(m["recipient"], m["template"]) for m in httpx.get(f"{url}/_local/outbox", timeout=5).json()}
    assert ("luiza.martins@example.com", "order_shipped") in sent
    assert ("6f1a9c2e4b7d4e0a9f3c1b2d5e6a7c8d@ct.vtex.com.br", "order_shipped") in sent


def test_serve_takes_a_carrier_push_with_make_post(served: tuple[str, Path]) -> None:
    url, _ = served
    posted = _run("post", "events/webhooks/carrier/expressa-scans.json", "--url", url)
    assert posted.stdout.startswith("202 "), posted.stdout + posted.stderr
    again = _run("post", "events/webhooks/carrier/expressa-scans.json", "--url", url)
    assert again.stdout.startswith("200 ") and "duplicate" in again.stdout
