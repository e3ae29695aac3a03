"""Flows are data; a bad one is refused with its file, flow, step and field."""

import pytest
from proativo.sequences.flows import FlowError, default_flows, parse_flows


def test_the_built_in_flows_load() -> None:
    ids = {f.id for f in default_flows()}
    assert {"cart_abandonment", "order_shipped"} <= ids


def test_a_bad_step_is_refused_naming_file_flow_step_and_field() -> None:
    text = """
flows:
  - id: broken
    version: 1
    purpose: marketing
    trigger: [CartUpdated]
    key: cart_id
    steps:
      - {id: ok, delay: PT1H, channel: email, template: a}
      - {id: bad, delay: PT1H, channel: pigeon, template: b}
"""
    with pytest.raises(FlowError) as caught:
        parse_flows(text, "store-flows.yaml")
    message = str(caught.value)
    assert "store-flows.yaml" in message
    assert "flow broken" in message
    assert "step 1" in message
    assert "field channel" in message


def test_a_flow_without_steps_is_refused() -> None:
    with pytest.raises(FlowError, match="field steps"):
        parse_flows(
            "flows:\n  - {id: x, version: 1, purpose: marketing, trigger: [CartUpdated], key: cart_id, steps: []}\n",
            "f.yaml",
        )


def test_yaml_that_does_not_parse_is_refused_with_the_file_name() -> None:
    with pytest.raises(FlowError, match=r"f\.yaml: not valid YAML"):
        parse_flows("flows: [unclosed", "f.yaml")
