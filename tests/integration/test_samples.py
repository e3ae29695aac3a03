"""Every file in events/ is accepted by its function (what `make invoke` runs)."""

import json
from pathlib import Path

import pytest

from infra.local.__main__ import FUNCTION_ALIASES
from infra.local.samples import request_time
from infra.local.stack import LocalStack
from tests.conftest import EVENTS

SAMPLES = sorted(p for p in EVENTS.rglob("*.json") if p.parent.parent.name != "demo" and "demo" not in p.parts)


# Samples that act on what another sample makes (a case its opening sample opened): that one is invoked first, as
# the README's `make invoke` lines say.
AFTER = {"api/case-show.json": "api/case-open.json", "api/case-action.json": "api/case-open.json"}


def _function(path: Path) -> str:
    return FUNCTION_ALIASES[path.relative_to(EVENTS).parts[0]]


def test_every_function_has_a_sample() -> None:
    assert {_function(p) for p in SAMPLES} == set(FUNCTION_ALIASES.values())


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(EVENTS)))
def test_the_sample_is_accepted(path: Path) -> None:
    event = json.loads(path.read_text(encoding="utf-8"))
    start = request_time(event) if "requestContext" in event else None
    with LocalStack(start=start, log_level="WARNING") as stack:
        first = AFTER.get(str(path.relative_to(EVENTS)))
        if first:
            assert stack.invoke(_function(path), json.loads((EVENTS / first).read_text(encoding="utf-8"))).error is None
            stack.drain()
        invocation = stack.invoke(_function(path), event)
    assert invocation.error is None
    result = invocation.result
    if "statusCode" in result:
        assert 200 <= result["statusCode"] < 300, result
    assert result.get("batchItemFailures", []) == []
