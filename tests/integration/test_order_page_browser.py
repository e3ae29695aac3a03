"""The customer's own page in a real headless Chromium (as the report page is tested): on a phone's screen it shows
the parcel's timeline, the answers for its state and a help form whose fields have labels; it reads with enough
contrast; it asks nothing of any other address; its help form opens a case; a forged link shows the 404 page."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route
from proativo.cases import desk

from tests.conftest import Harness
from tests.integration.test_order_page import waiting_at_the_agency
from tests.integration.test_report_page import CHROMIUM, chromium

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed here (make browser installs it)")
SHOP = "loja.test"  # the address the page is served at: every request to it goes through the local stack's routes
# WCAG contrast of an element's text against the first opaque background behind it.
CONTRAST = """(element) => {
  const rgb = (css) => css.match(/[0-9.]+/g).slice(0, 3).map(Number);
  const one = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * one(r) + 0.7152 * one(g) + 0.0722 * one(b);
  let node = element, back = null;
  while (node && !back) {
    const c = getComputedStyle(node).backgroundColor;
    if (!c.endsWith(', 0)') && c !== 'transparent') back = c;
    node = node.parentElement;
  }
  const a = lum(rgb(getComputedStyle(element).color)), b = lum(rgb(back || 'rgb(255, 255, 255)'));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_the_order_page_reads_well_on_a_phone_and_its_help_form_opens_a_case(harness: Harness) -> None:
    path = waiting_at_the_agency(harness)
    with chromium() as browser:
        outside = _read_and_ask(harness, browser, path)
    assert outside == []  # no font, script, image or beacon from anyone else
    harness.stack.drain()
    cases = harness.table().query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": "STORE#demo#CASES"}
    )["Items"]
    (case,) = [c for c in cases if c.get("case_kind") == "help_request"]
    assert desk.show(harness.table(), "demo", str(case["protocol"]))["detail"] == "Posso retirar amanhã?"


def _read_and_ask(harness: Harness, browser: Browser, path: str) -> list[str]:
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="pt-BR")
    outside: list[str] = []

    def serve(route: Route) -> None:
        request = route.request
        parts = urlsplit(request.url)
        if parts.netloc != SHOP:
            outside.append(request.url)
            route.abort()
            return
        headers = {k.lower(): v for k, v in request.headers.items()}
        body = request.post_data_buffer or b""
        status, answer, body = harness.stack.http(request.method, parts.path, headers, body, parts.query)
        route.fulfill(status=status, headers=answer, body=body)

    page.route("**/*", serve)
    page.goto(f"https://{SHOP}{path}")
    assert page.get_by_role("heading", name="Pedido o-9").is_visible()
    steps = page.locator("ol.timeline li")
    assert steps.count() >= 2 and steps.first.is_visible()
    assert "Aguardando retirada" in steps.first.inner_text()
    assert page.get_by_text("Onde retiro a encomenda?").is_visible()
    assert page.locator("details[open] p").first.is_visible()  # the first answer is open
    assert page.get_by_text("percebemos que a encomenda espera ser retirada", exact=False).is_visible()
    for selector in ("header h1", "main p", "summary", "button", ".small"):
        ratio = page.locator(selector).first.evaluate(CONTRAST)
        assert ratio >= 4.5, (selector, ratio)
    for control in page.locator("select, textarea, input:not([type=hidden])").all():
        assert page.locator(f'label[for="{control.get_attribute("id")}"]').count() == 1
    page.get_by_label("Assunto").select_option("where")
    page.get_by_label("Mensagem", exact=False).fill("Posso retirar amanhã?")
    page.get_by_role("button", name="Pedir ajuda").click()
    page.wait_for_load_state()
    assert "protocolo" in page.locator("body").inner_text()
    token_body, mac = path.removeprefix("/t/").split(".")
    answer = page.goto(f"https://{SHOP}/t/{token_body}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}")
    assert answer is not None and answer.status == 404
    assert page.get_by_role("heading", name="Pedido não encontrado").is_visible()
    return outside
