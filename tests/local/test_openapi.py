"""The API's own OpenAPI description, and a schemathesis run against the local stack: no input makes it fail."""

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from infra.local.gateway import make_server, serve_forever_in_background
from infra.local.outbox import Outbox
from infra.local.stack import LocalStack, _free_port


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with LocalStack(log_level="ERROR") as stack:
        port = _free_port()
        server = make_server(stack, Outbox(stack, None), port)
        serve_forever_in_background(server)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.shutdown()


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
        @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            response = case.call()
            calls["n"] += 1
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
            case.validate_response(response, checks=[not_a_server_error])

        check()
    assert calls["n"] >= 60
