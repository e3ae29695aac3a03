"""Settings fail at cold start, naming the variable."""

import pytest
from proativo.settings import LinksSettings, SettingsError, WebhookSettings

# What the webhook function is configured with (LinksSettings reads the same, the link secret apart).
WEBHOOK_ENV = {"STAGE": "x", "TABLE_NAME": "t", "DELIVERIES_TABLE_NAME": "d", "SECRETS_PREFIX": "/p"}


def test_a_missing_variable_is_named() -> None:
    with pytest.raises(SettingsError, match="DELIVERIES_TABLE_NAME"):
        WebhookSettings.from_env({"STAGE": "x", "TABLE_NAME": "t", "SECRETS_PREFIX": "/p"})


def test_a_bad_value_is_named() -> None:
    with pytest.raises(SettingsError, match="DUE_SHARDS"):
        WebhookSettings.from_env({**WEBHOOK_ENV, "DUE_SHARDS": "zero"})


def test_settings_are_read_only_equal_by_value_and_never_show_a_secret() -> None:
    env = {**WEBHOOK_ENV, "LINK_SIGNING_SECRET": "s3cr3t-value"}
    settings = LinksSettings.from_env(env)
    assert settings.link_signing_secret == "s3cr3t-value"
    assert settings.due_shards == 4  # the default, typed
    assert "s3cr3t-value" not in repr(settings) and "table_name='t'" in repr(settings)
    # The composition root caches what it builds per settings: the same environment is the same key.
    assert settings == LinksSettings.from_env(env) and hash(settings) == hash(LinksSettings.from_env(env))
    assert settings != LinksSettings.from_env({**env, "TABLE_NAME": "other"})
    with pytest.raises(AttributeError):
        settings.table_name = "other"  # type: ignore[misc]
