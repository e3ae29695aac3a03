"""The snippet in a real headless Chromium, on a sample store page served by the test: hesitation at checkout makes
the store's hook be called with the invitation; without consent nothing leaves the page and nothing is stored in
it; with Proativo unreachable the page works and the snippet logs nothing; no signal carries personal data."""

import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route

from tests.conftest import Harness
from tests.integration.test_report_page import CHROMIUM, chromium
from tests.integration.test_signals import _profile

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed here (make browser installs it)")
SHOP = "lojademo.com.br"  # the demo store's own site
API = "api.proativo.test"  # where the local stack's routes answer

PAGE = """<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><title>Checkout</title></head><body>
<h1>Finalizar compra</h1><p id="status">página pronta</p>
<script>
  window.__invites = [];
  window.proativo = {consent: %(consent)s, pageType: "checkout", checkoutStep: "shipping",
    cart: {value: 349.9, items: 1}, customer: null,
    onInvite: function (a) { window.__invites.push(a); }};
</script>
<script async src="https://%(api)s/s/demo.js"></script>
</body></html>"""


def _open(
    harness: Harness, browser: Browser, consent: bool, reachable: bool = True
) -> tuple[Page, list[Any], list[str]]:
    page = browser.new_page(locale="pt-BR")
    sent: list[Any] = []
    console: list[str] = []

    def log(message: ConsoleMessage) -> None:
        console.append(f"{message.type}: {message.text}")

    def serve(route: Route) -> None:
        request = route.request
        parts = urlsplit(request.url)
        if parts.netloc == SHOP:
            html = PAGE % {"consent": "true" if consent else "false", "api": API}
            route.fulfill(status=200, headers={"content-type": "text/html; charset=utf-8"}, body=html)
            return
        if parts.netloc != API or (not reachable and parts.path.startswith("/signals/")):
            route.abort()
            return
        headers = {k.lower(): v for k, v in request.headers.items()}
        body = request.post_data_buffer or b""
        if parts.path.startswith("/signals/") and request.method == "POST":
            sent.append(json.loads(body))
        status, answer, out = harness.stack.http(request.method, parts.path, headers, body, parts.query)
        route.fulfill(status=status, headers=answer, body=out)

    page.on("console", log)
    page.route("**/*", serve)
    page.goto(f"https://{SHOP}/checkout")
    return page, sent, console


def _hesitate(page: Page) -> None:
    for step in ("payment", "shipping", "payment", "shipping"):
        page.evaluate("(s) => window.proativo.track('checkout_step', {step: s})", step)
    page.wait_for_timeout(1500)  # the snippet sends what gathered within a second


def test_hesitating_between_shipping_and_payment_calls_the_stores_chat_hook(harness: Harness) -> None:
    _profile(harness, signals_holdout_share=Decimal(0))
    with chromium() as browser:
        page, sent, console = _open(harness, browser, consent=True)
        page.wait_for_function("typeof (window.proativo || {}).track === 'function'")
        _hesitate(page)
        page.wait_for_function("window.__invites.length > 0", timeout=5000)
        invites = page.evaluate("window.__invites")
        visitor = page.evaluate("localStorage.getItem('proativo_visitor')")
    (invite,) = invites
    assert (invite["channel"], invite["rule"]) == ("chat", "shipping_payment_back_and_forth")
    assert visitor and all(batch["visitor"] == visitor and batch["consent"] is True for batch in sent)
    signals = [s for batch in sent for s in batch["events"]]
    assert {s["type"] for s in signals} >= {"page_view", "cart", "checkout_step"}
    text = json.dumps(sent)
    assert "@" not in text and "349.9" in text  # a cart's value, never who it is
    assert console == []


def test_without_consent_nothing_leaves_the_page_and_nothing_is_kept(harness: Harness) -> None:
    with chromium() as browser:
        page, sent, console = _open(harness, browser, consent=False)
        page.wait_for_function("typeof (window.proativo || {}).track === 'function'")
        _hesitate(page)
        kept = page.evaluate("[localStorage.length, sessionStorage.length]")
    assert sent == []
    assert kept == [0, 0]
    assert console == []


def test_with_proativo_unreachable_the_page_works_and_the_snippet_says_nothing(harness: Harness) -> None:
    with chromium() as browser:
        page, _, console = _open(harness, browser, consent=True, reachable=False)
        page.wait_for_function("typeof (window.proativo || {}).track === 'function'")
        _hesitate(page)
        status = page.locator("#status").inner_text()
        errors = page.evaluate("window.__invites.length")
    assert status == "página pronta" and errors == 0
    # The browser itself notes a request that failed; the snippet adds nothing, and no error reaches the page.
    assert [line for line in console if "Failed to load resource" not in line] == []
