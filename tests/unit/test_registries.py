"""The registries every other part reads: carriers, read-back platforms, channels, and the words shown to people."""

import pytest
from proativo.messaging.copy import words
from proativo.messaging.kinds import CHANNELS, PARTS
from proativo.messaging.links import click_to_send
from proativo.platforms.readback import READERS, check_credentials
from proativo.platforms.registry import PLATFORMS
from proativo.sequences.flows import FlowError, parse_flows
from proativo.tracking.carriers import PLUGINS, carrier_id, claims_channels, code_is_valid
from proativo.tracking.claims import ClaimRules, all_rules
from pydantic import ValidationError


@pytest.mark.parametrize(
    ("name", "carrier"),
    [
        ("Correios - SEDEX", "correios"),
        ("CORREIOS", "correios"),
        ("Sedex 10", "correios"),
        ("PAC Contrato", "correios"),
        ("Total Express", "total-express"),
        ("  Jadlog  ", "jadlog"),
        (None, "unknown"),
        ("", "unknown"),
    ],
)
def test_a_platform_s_carrier_name_means_one_carrier(name: str | None, carrier: str) -> None:
    assert carrier_id(name) == carrier


def test_a_code_its_carrier_cannot_know_is_caught_before_asking() -> None:
    assert code_is_valid("Correios", "AA123456785BR")
    assert not code_is_valid("correios", "AA123456784BR")  # a wrong S10 check digit
    assert code_is_valid("Total Express", "TX-0001")  # no published format: any code
    assert not code_is_valid("Total Express", "  ")


def test_claims_rules_name_only_channels_a_plugin_speaks() -> None:
    assert {r.channel for r in all_rules().values()} <= claims_channels()
    assert "correios_pi" in claims_channels() and PLUGINS["correios"].claims is not None
    rule = {"kinds": ["lost"], "deadline_days": 30, "late_for_days": 5, "follow_up_every_hours": 24}
    with pytest.raises(ValidationError, match="fax"):
        ClaimRules.model_validate({**rule, "channel": "fax", "alert_days_before_deadline": 7})


def test_read_back_platforms_are_the_platforms_that_only_notify() -> None:
    assert set(READERS) == {name for name, p in PLATFORMS.items() if p.reader is not None} == {"nuvemshop", "vtex"}
    check_credentials("vtex", {"app_key": "k", "app_token": "t"})
    with pytest.raises(ValueError, match="app_token"):
        check_credentials("vtex", {"app_key": "k"})
    with pytest.raises(ValueError, match="needs no API credentials"):
        check_credentials("shopify", {"token": "x"})


def test_a_flow_on_an_unknown_channel_is_refused_naming_it() -> None:
    flow = """
flows:
  - id: hello
    version: 1
    trigger: [OrderPlaced]
    key: order_id
    purpose: transactional
    steps:
      - {id: one, delay: PT1H, channel: telegram, template: order_thanks}
"""
    with pytest.raises(FlowError, match=r"flow hello, step 0: field channel: .*unknown channel 'telegram'"):
        parse_flows(flow, "mine.yaml")
    parse_flows(flow.replace("telegram", "whatsapp"), "mine.yaml")
    assert set(PARTS) >= {p for c in CHANNELS.values() for p in c.parts}
    assert [c.name for c in CHANNELS.values() if c.needs_opt_in] == ["sms", "whatsapp"]


def test_words_follow_the_customer_s_language_and_fall_back_to_portuguese() -> None:
    assert words("survey_thanks", "en-US", score=9) == "We got your score of 9."
    assert words("survey_thanks", "fr-FR", score=9) == "Recebemos sua nota 9."
    text = words("agent_follow_up", "pt-BR", name=" Ana", order_id="5003")
    assert click_to_send("+5511987654321", text).startswith("https://wa.me/5511987654321?text=Ol%C3%A1%20Ana%21")
