"""Property: every body a platform signs gets a 2xx or a 4xx, never a 5xx, and whatever the route accepts is applied
by the events function and delivered by the sender without an error (no poison message can be made from
valid-looking input). Hypothesis mutates each platform's sample (a value of another type, a key removed, an absurd
number, a control character, a hostile link) and signs it with the store's secret, so parsing is reached.

Bounded in examples (the suite stays fast) and derandomized (a failure reproduces); `PROPERTY_EXAMPLES=500` digs
deeper, `PROPERTY_RANDOM=1` draws new examples each run."""

import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from proativo.cli.main import main as cli
from proativo.platforms.registry import PLATFORMS

from infra.local.samples import raw_body
from infra.local.stack import DEMO_SECRET
from tests.conftest import EVENTS, WHERE, Harness, generic

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "25"))
# The samples each platform's property starts from (one with the richest shape).
SAMPLES = {
    "generic": ["davi-order-placed", "davi-payment-pending-boleto", "carla-cart-updated", "davi-order-shipped"],
    "shopify": ["orders-fulfilled", "checkouts-create", "customers-update"],
    "woocommerce": ["order-updated-shipped", "order-created-pix"],
    "nuvemshop": ["order-paid"],
    "vtex": ["order-invoiced"],
    # A carrier's push (`/webhooks/carrier/expressa/demo`), signed as the generic platform signs.
    "carrier/expressa": ["expressa-scans"],
}
FAKE_PLATFORMS = Path(__file__).resolve().parents[2] / "infra" / "local" / "fake_platforms"
READ_BACK = {
    "nuvemshop": ({"access_token": "tok"}, r"^https://api\.nuvemshop\.com\.br/", "nuvemshop/orders/1489225701.json"),
    "vtex": (
        {"app_key": "k", "app_token": "t"},
        r"\.vtexcommercestable\.com\.br/",
        "vtex/orders/1478930512345-01.json",
    ),
}
DELETE = object()
# Values a hostile or broken sender puts where something else was expected.
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["", "²", "1e400", "NaN", "-1", "javascript:alert(1)", "a\r\nBcc: x@evil.test", "\u202eevil", "9999-12-31"]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(DELETE),
)


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document (object keys and list indexes), the document itself excluded."""
    found: list[tuple[Any, ...]] = []
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in children:
        found.append((*here, key))
        found.extend(_paths(child, (*here, key)))
    return found


def _mutated(document: Any, changes: list[tuple[int, Any]]) -> Any:
    copy = json.loads(json.dumps(document))
    for index, value in changes:
        paths = _paths(copy)
        if not paths:
            break
        *parents, last = paths[index % len(paths)]
        holder = copy
        for key in parents:
            holder = holder[key]
        if value is DELETE:
            del holder[last]
        else:
            holder[last] = value
    return copy


def _sample(platform: str, name: str) -> tuple[dict[str, str], Any]:
    folder = platform.split("/")[0]
    event = json.loads((EVENTS / "webhooks" / folder / f"{name}.json").read_text(encoding="utf-8"))
    headers = {k: v for k, v in event["headers"].items() if k not in _SIGNATURES}
    return headers, json.loads(raw_body(event))


_SIGNATURES = {
    "x-shopify-hmac-sha256",
    "x-wc-webhook-signature",
    "x-linkedstore-hmac-sha256",
    "x-proativo-token",
    "x-proativo-signature",
    "x-proativo-timestamp",
}
_DELIVERY = {
    "generic": "x-proativo-delivery",
    "shopify": "x-shopify-webhook-id",
    "woocommerce": "x-wc-webhook-delivery-id",
}


# A push for a tracking code no shipment named yet waits for it (retried, then the DLQ): the documented order of
# things, not a poison message.
WAITING = "ParcelNotYetKnown"


def _failures(harness: Harness) -> list[str]:
    """Function errors and records a batch gave back (what would end in a DLQ), across the stack so far."""
    found = []
    for invocation in harness.stack.invocations:
        failed = invocation.result.get("batchItemFailures") if isinstance(invocation.result, dict) else None
        if (invocation.error or failed) and WAITING not in (invocation.error or ""):
            found.append(f"{invocation.function}: {invocation.error or failed}")
    return found


@contextmanager
def _platform_api(harness: Harness, monkeypatch: pytest.MonkeyPatch, platform: str) -> Iterator[None]:
    """For notify-only platforms: the store's API credentials, and the platform's API answering any order with its
    recorded one (the stack's own fakes, on this machine, still answer)."""
    if platform.startswith("carrier/"):  # the parcel the sample's scans are about was shipped first
        shipped = {"order_id": "o-9", "carrier": platform.split("/")[1], "tracking_code": "EX-778899"}
        assert harness.post(generic("order.shipped", "ship-1", "2026-11-24T11:00:00Z", shipped)).status == 202
    if platform not in READ_BACK:
        yield
        return
    credentials, pattern, fixture = READ_BACK[platform]
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(credentials)))
    assert cli(["stores", "set-api-credentials", "demo", "--platform", platform, *WHERE]) == 0
    order = json.loads((FAKE_PLATFORMS / fixture).read_text(encoding="utf-8"))
    with respx.mock(assert_all_called=False) as api:
        api.route(host="127.0.0.1").pass_through()
        api.get(url__regex=pattern).respond(json=order)
        yield


@pytest.mark.parametrize("platform", sorted(SAMPLES))
def test_signed_mutations_get_a_2xx_or_a_4xx_and_what_is_accepted_is_applied_and_sent(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    with _platform_api(harness, monkeypatch, platform):
        _mutations(harness, platform)


def _mutations(harness: Harness, platform: str) -> None:
    samples = [_sample(platform, name) for name in SAMPLES[platform]]
    seen = {"accepted": 0, "refused": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not os.environ.get("PROPERTY_RANDOM"),
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        which=st.integers(min_value=0, max_value=len(samples) - 1),
        changes=st.lists(st.tuples(st.integers(min_value=0, max_value=10_000), ODD), min_size=1, max_size=3),
    )
    def one(which: int, changes: list[tuple[int, Any]]) -> None:
        headers, document = samples[which]
        body = json.dumps(_mutated(document, changes)).encode()
        delivery = {_DELIVERY[platform]: f"prop-{seen['accepted'] + seen['refused']}"} if platform in _DELIVERY else {}
        if platform.startswith("carrier/"):  # signed as the generic platform signs, by hand (not a platform)
            signed = PLATFORMS["generic"].sign_headers(DEMO_SECRET, body, harness.stack.clock.now())
            answer = harness.post(body, platform=platform, headers={**headers, **signed}, signed=False)
        else:
            answer = harness.post(body, platform=platform, headers={**headers, **delivery})
        assert answer.status < 500, (answer.status, answer.body, body[:300])
        if answer.status >= 400:
            seen["refused"] += 1
            assert answer.body.get("reason"), answer.body
            if answer.status == 400:
                # The adapters name the field; the door's last-resort net ("unreadable payload") is for shapes
                # nobody foresaw, and a property that finds one has found a field to name.
                assert answer.body.get("field"), answer.body
                assert not str(answer.body["reason"]).startswith("unreadable payload"), (answer.body, body[:300])
        else:
            seen["accepted"] += 1
        assert _failures(harness) == []

    one()
    # The journeys the accepted ones started run for a few days: every message renders and goes, or is skipped.
    harness.stack.jump(3 * 24 * 3600)
    assert _failures(harness) == []
    assert seen["accepted"] + seen["refused"] >= EXAMPLES
    assert seen["accepted"] and seen["refused"], seen  # both sides of the door were reached
