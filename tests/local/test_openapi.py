"""The API's own OpenAPI description, and schemathesis against the local stack: every public route is described,
and no request, unsigned or signed as its route wants (a platform's signature, the store API's, a link's token, so
parsing is reached), makes it fail."""

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet

from infra.local.gateway import make_server, serve_forever_in_background
from infra.local.outbox import Outbox
from infra.local.stack import DEMO_CARRIER, DEMO_SECRET, DEMO_STORE, LocalStack, _free_port
from tests.conftest import template


class Served:
    """The local stack behind its HTTP gateway."""

    def __init__(self, stack: LocalStack, url: str) -> None:
        self.stack = stack
        self.url = url


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with LocalStack(log_level="ERROR") as stack:
        port = _free_port()
        server = make_server(stack, Outbox(stack, None), port)
        serve_forever_in_background(server)
        try:
            yield Served(stack, f"http://127.0.0.1:{port}")
        finally:
            server.shutdown()


@pytest.fixture(scope="module")
def base_url(served: Served) -> str:
    return served.url


@pytest.fixture(scope="module")
def api(base_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json")


def test_the_description_lists_the_webhook_route_and_its_answers(base_url: str) -> None:
    schema = httpx.get(f"{base_url}/openapi.json", timeout=10).json()
    operation = schema["paths"]["/webhooks/{platform}/{store_id}"]["post"]
    assert {"200", "202", "400", "401", "404", "413"} <= set(operation["responses"])


def test_no_request_makes_the_api_fail(api: schemathesis.BaseSchema) -> None:
    # Schemathesis' own pytest plugin does not run on pytest 9 yet: drive its strategies with hypothesis directly.
    calls = {"n": 0}
    for result in api.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            response = case.call()
            calls["n"] += 1
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
            case.validate_response(response, checks=[not_a_server_error])

        check()
    assert calls["n"] >= 30


def _template_routes() -> set[tuple[str, str]]:
    resources = template()["Resources"]
    found = set()
    for resource in resources.values():
        for event in (resource.get("Properties") or {}).get("Events", {}).values():
            if event.get("Type") == "HttpApi":
                found.add((event["Properties"]["Method"].lower(), event["Properties"]["Path"]))
    return found


def test_every_route_of_the_template_is_described(served: Served) -> None:
    schema = httpx.get(f"{served.url}/openapi.json", timeout=10).json()
    described = {(method, path) for path, ops in schema["paths"].items() for method in ops}
    assert _template_routes() - {("get", "/openapi.json")} <= described
    for path, ops in schema["paths"].items():
        for method, operation in ops.items():
            assert "503" in operation["responses"] or path == "/openapi.json", (method, path)


def _signed(served: Served, case: Any, platform: str) -> tuple[str, str, dict[str, str], bytes]:
    """The request a legitimate caller of `case`'s route would send: right store, signed, a valid link token."""
    from proativo.edge.storeapi import sign_request
    from proativo.messaging import links
    from proativo.platforms.registry import PLATFORMS

    now = served.stack.clock.now()
    path = case.path
    headers = {k: str(v) for k, v in (case.headers or {}).items() if not k.lower().startswith("x-proativo")}
    query = dict(case.query or {})
    if isinstance(case.body, NotSet) or case.body is None:
        body = b""
    elif case.media_type == "application/x-www-form-urlencoded":
        body = urlencode(case.body).encode() if isinstance(case.body, dict) else str(case.body).encode()
        headers["content-type"] = case.media_type
    else:
        body = json.dumps(case.body).encode()
    if path == "/webhooks/{platform}/{store_id}":
        path = f"/webhooks/{platform}/{DEMO_STORE}"
        headers.update(PLATFORMS[platform].sign_headers(DEMO_SECRET, body, now))
        headers["content-type"] = "application/json"
    elif path == "/webhooks/carrier/{carrier}/{store_id}":
        path = f"/webhooks/carrier/{DEMO_CARRIER}/{DEMO_STORE}"
        headers.update(PLATFORMS["generic"].sign_headers(DEMO_SECRET, body, now))
        headers["content-type"] = "application/json"
    elif path.startswith("/stores/"):
        path = case.formatted_path.replace(f"/stores/{case.path_parameters['store_id']}/", f"/stores/{DEMO_STORE}/", 1)
        text = urlencode(query)
        headers.update(sign_request(DEMO_SECRET, case.method, f"{path}?{text}" if text else path, now, body))
    elif path.startswith("/links/"):
        key = links.signing_key(served.stack.function_env("LinksFunction")["LINK_SIGNING_SECRET"])
        signer = links.LinkSigner(lambda: key, served.url)
        if path == "/links/survey":
            link = signer.survey(DEMO_STORE, "c-prop", "o-prop", "pt-BR", now)[0]
        else:
            link = signer.unsubscribe(DEMO_STORE, "c-prop", "email", "pt-BR", now - timedelta(seconds=1))
        query["t"] = httpx.URL(link).params["t"]
    else:
        path = case.formatted_path
    text = urlencode(query)
    return case.method, f"{path}?{text}" if text else path, headers, body


def test_signed_requests_to_every_route_never_get_a_5xx(served: Served) -> None:
    from proativo.platforms.registry import PLATFORMS

    api = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    reached: dict[str, set[int]] = {}
    for result in api.get_all_operations():
        operation = result.ok()

        # Schemathesis' own pytest plugin does not run on pytest 9 yet: drive its strategies with hypothesis.
        @given(case=operation.as_strategy(), platform=st.sampled_from(sorted(PLATFORMS)))
        @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case, platform: str) -> None:
            method, target, headers, body = _signed(served, case, platform)
            answer = httpx.request(method, f"{served.url}{target}", headers=headers, content=body, timeout=30)
            assert answer.status_code < 500, f"{method} {target}: {answer.status_code} {answer.text[:300]}"
            reached.setdefault(f"{case.method} {case.path}", set()).add(answer.status_code)

        check()
    # Signed, so every route got past its signature check at least once (a 401 alone would prove nothing).
    for route, statuses in reached.items():
        assert statuses - {401}, (route, statuses)
