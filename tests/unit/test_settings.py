"""Settings fail at cold start, naming the variable."""

import pytest
from proativo.settings import SettingsError, WebhookSettings


def test_a_missing_variable_is_named() -> None:
    with pytest.raises(SettingsError, match="DELIVERIES_TABLE_NAME"):
        WebhookSettings.from_env({"STAGE": "x", "TABLE_NAME": "t", "SECRETS_PREFIX": "/p"})


def test_a_bad_value_is_named() -> None:
    env = {
        "STAGE": "x",
        "TABLE_NAME": "t",
        "DELIVERIES_TABLE_NAME": "d",
        "SECRETS_PREFIX": "/p",
        "DUE_SHARDS": "zero",
    }
    with pytest.raises(SettingsError, match="DUE_SHARDS"):
        WebhookSettings.from_env(env)
