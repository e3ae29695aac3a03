"""The report page as a store owner sees it: written by `proativo report --html`, opened in a real headless Chromium
(Debian's package, driven by Playwright), and checked for what is drawn — not for what the HTML says."""

import os
import shutil
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Request, sync_playwright
from proativo.cli.main import main as cli

from tests.conftest import WHERE, Harness, cart
from tests.integration.test_reports import _day

CHROMIUM = os.environ.get("CHROMIUM") or next(
    filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
)
# Flags for a closed network and a root user (CI): no sandbox, no background calls home.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COLOURS = {"sent": (0x25, 0x63, 0xEB), "revenue": (0x16, 0xA3, 0x4A), "parcels": (0xEA, 0x58, 0x0C)}

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed here (make browser installs it)")


@contextmanager
def chromium() -> Iterator[Browser]:
    """A browser, opened only around what the browser does (Playwright's sync API holds an event loop on its thread,
    where the local stack's tracker and events function would run their own)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as opened:
        yield opened


def _pixel(png: bytes) -> tuple[int, int, int]:
    """The colour of a one-pixel PNG screenshot (with one pixel, every PNG row filter leaves the bytes as they are)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, data = 8, b""
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        if kind == b"IDAT":
            data += png[at + 8 : at + 8 + length]
        at += 12 + length
    row = zlib.decompress(data)
    return row[1], row[2], row[3]


def test_the_report_page_draws_each_days_bars_to_scale_in_chromium(
    harness: Harness, tmp_path: Path, browser: Browser
) -> None:
    _day(harness)  # 24 Nov: three e-mails, a cart recovered (199.90)
    harness.stack.jump(20 * 3600)  # 25 Nov: Pedro leaves a cart and gets his 1 h reminder
    harness.post(cart("e9", "2026-11-25T12:00:00Z", cart_id="cart-9", id="c-9", email="pedro@example.com"))
    harness.stack.advance(3600 + 300)
    page_file = tmp_path / "report.html"
    argv = ["report", "--store", "demo", "--from", "2026-11-23", "--to", "2026-11-25", "--html", str(page_file)]
    assert cli([*argv, *WHERE]) == 0

    page = browser.new_page(viewport={"width": 1024, "height": 1600})
    outside: list[str] = []

    def fetched(request: Request) -> None:
        if not request.url.startswith("file:"):
            outside.append(request.url)

    page.on("request", fetched)
    page.goto(page_file.as_uri())
    page.screenshot(path=tmp_path / "report.png", full_page=True)  # for a person looking at a failure

    assert outside == []  # self-contained: nothing fetched from anywhere
    assert page.locator("h1").inner_text() == "demo: 2026-11-23 to 2026-11-25"
    assert page.get_by_text("revenue recovered", exact=True).is_visible()
    assert page.locator(".card", has_text="revenue recovered").locator(".v").inner_text() == "199.90"

    for css, expected in (("sent", {"11-23": 0, "11-24": 3, "11-25": 1}), ("revenue", {"11-24": 199.9})):
        bars = page.locator(f"rect.{css}")
        drawn = {}
        for n in range(bars.count()):
            bar = bars.nth(n)
            box = bar.bounding_box()
            assert box is not None
            drawn[bar.get_attribute("data-day")] = (float(bar.get_attribute("data-value") or 0), box)
        assert {day: value for day, (value, _) in drawn.items() if value} == {
            day: value for day, value in expected.items() if value
        }
        tallest = max(value for value, _ in drawn.values())
        full = max(box["height"] for _, box in drawn.values())
        assert full > 60  # the chart is big enough to read
        for day, (value, box) in drawn.items():
            assert box["height"] == pytest.approx(value / tallest * full, abs=1.0), day  # drawn to scale
            assert box["x"] + box["width"] <= 1024  # on screen, not cut off
            if value:
                centre = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
                on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).dataset.day", list(centre.values()))
                assert on_top == day  # nothing covers it
                shot = page.screenshot(clip={**centre, "width": 1, "height": 1})
                assert _pixel(shot) == COLOURS[css], (css, day)  # painted in the chart's colour
