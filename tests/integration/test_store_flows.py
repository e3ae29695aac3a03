"""A store changes a flow without code: validated when saved, in force for new journeys, old ones keep theirs."""

import json
from pathlib import Path

import pytest
from proativo.cli.main import main as cli

from tests.conftest import WHERE, Harness, cart

FASTER = """
flows:
  - id: cart_abandonment
    version: 3
    purpose: marketing
    trigger: [CartUpdated, CheckoutStarted]
    key: cart_id
    restart_on_trigger: true
    skip_if_ordered_since_trigger: true
    exit_on: [OrderPlaced]
    steps:
      - {id: reminder_30m, delay: PT30M, channel: email, template: cart_abandoned_1}
"""


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "flows.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_store_flow_applies_to_new_journeys_and_not_to_those_under_way(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    harness.post(cart("e1", "2026-11-24T12:00:00Z", cart_id="before", id="c-before", email="before@example.com"))
    assert cli(["flows", "set", "demo", _file(tmp_path, FASTER), *WHERE]) == 0
    assert json.loads(capsys.readouterr().out)["flows"]["cart_abandonment"] == 3
    harness.stack.wiring_reset()  # a new container: the events function's flow cache starts empty
    harness.post(cart("e2", "2026-11-24T12:00:00Z", cart_id="after", id="c-after", email="after@example.com"))
    harness.stack.advance(31 * 60)
    assert [(e.recipient, e.template) for e in harness.outbox.entries] == [("after@example.com", "cart_abandoned_1")]
    harness.stack.advance(30 * 60)
    assert [e.recipient for e in harness.outbox.entries] == ["after@example.com", "before@example.com"]
    (journey,) = harness.items("c-before", "ENROL#")
    assert journey["version"] == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (FASTER.replace("channel: email", "channel: fax"), "flow cart_abandonment, step 0: field channel"),
        (FASTER.replace("cart_abandoned_1", "no_such_template"), "no template pt-BR/no_such_template.subject.j2"),
        ("flows: [", "not valid YAML"),
    ],
)
def test_a_bad_flow_is_refused_when_saved_and_nothing_changes(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, reason: str
) -> None:
    assert cli(["flows", "set", "demo", _file(tmp_path, text), *WHERE]) == 2
    assert reason in capsys.readouterr().err
    assert cli(["flows", "show", "demo", *WHERE]) == 0
    shown = json.loads(capsys.readouterr().out)["flows"]
    assert next(f for f in shown if f["id"] == "cart_abandonment")["version"] == 2
