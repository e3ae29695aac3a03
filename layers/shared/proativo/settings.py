"""Settings read once from the environment at cold start. A missing or bad variable fails loudly, naming itself."""

import os
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class SettingsError(RuntimeError):
    """Raised at cold start when the environment does not configure the function."""


class _FromEnv(BaseModel):
    # Schemas are built on first use: each function builds only its own settings class at cold start.
    model_config = ConfigDict(frozen=True, populate_by_name=True, defer_build=True)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Self:
        """Build the settings from environment variables named by each field's alias."""
        env = dict(os.environ if environ is None else environ)
        try:
            return cls.model_validate(env)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)
            )
            raise SettingsError(f"{cls.__name__} cannot start: {problems}") from None


class CoreSettings(_FromEnv):
    """What every function needs."""

    stage: str = Field(alias="STAGE", min_length=1)
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    due_shards: int = Field(default=4, alias="DUE_SHARDS", ge=1, le=256)


class WebhookSettings(CoreSettings):
    """The webhook receiver: where deliveries are recorded, where secrets live, what it accepts."""

    deliveries_table_name: str = Field(alias="DELIVERIES_TABLE_NAME", min_length=1)
    secrets_prefix: str = Field(alias="SECRETS_PREFIX", pattern=r"^/")
    max_body_bytes: int = Field(default=256 * 1024, alias="MAX_BODY_BYTES", gt=0)
    signature_tolerance_seconds: int = Field(default=300, alias="SIGNATURE_TOLERANCE_SECONDS", gt=0)
    secret_cache_seconds: int = Field(default=300, alias="SECRET_CACHE_SECONDS", ge=0)


class EventsSettings(CoreSettings):
    """The event processor (which also reads resources back from notify-only platforms)."""

    secrets_prefix: str = Field(alias="SECRETS_PREFIX", pattern=r"^/")
    platform_api_timeout_seconds: float = Field(default=10.0, alias="PLATFORM_API_TIMEOUT_SECONDS", gt=0)


class DispatcherSettings(CoreSettings):
    """The dispatcher: reads due work and routes it to the queues."""

    send_queue_url: str = Field(alias="SEND_QUEUE_URL", min_length=1)
    tracking_queue_url: str = Field(alias="TRACKING_QUEUE_URL", min_length=1)
    max_items_per_run: int = Field(default=5000, alias="MAX_ITEMS_PER_RUN", gt=0)


class SenderSettings(CoreSettings):
    """The sender: channels and their configuration."""

    ses_configuration_set: str = Field(alias="SES_CONFIGURATION_SET", min_length=1)
    default_sender: str = Field(alias="DEFAULT_SENDER", min_length=3)
    public_url: str = Field(alias="PUBLIC_URL", pattern=r"^https?://")
    link_signing_secret: str = Field(alias="LINK_SIGNING_SECRET", min_length=1)
    secrets_prefix: str = Field(alias="SECRETS_PREFIX", pattern=r"^/")
    whatsapp_api_url: str = Field(default="https://graph.facebook.com/v21.0", alias="WHATSAPP_API_URL")
    provider_timeout_seconds: float = Field(default=10.0, alias="PROVIDER_TIMEOUT_SECONDS", gt=0)


class LinksSettings(CoreSettings):
    """The links customers click in messages (survey answers)."""

    deliveries_table_name: str = Field(alias="DELIVERIES_TABLE_NAME", min_length=1)
    link_signing_secret: str = Field(alias="LINK_SIGNING_SECRET", min_length=1)


class PagesSettings(CoreSettings):
    """The customer's own order page, its help form and the order look-up."""

    deliveries_table_name: str = Field(alias="DELIVERIES_TABLE_NAME", min_length=1)
    events_queue_url: str = Field(alias="EVENTS_QUEUE_URL", min_length=1)
    link_signing_secret: str = Field(alias="LINK_SIGNING_SECRET", min_length=1)


class TrackingSettings(CoreSettings):
    """The parcel tracking schedule and worker."""

    events_queue_url: str = Field(alias="EVENTS_QUEUE_URL", min_length=1)
    tracking_queue_url: str = Field(alias="TRACKING_QUEUE_URL", min_length=1)
    secrets_prefix: str = Field(alias="SECRETS_PREFIX", pattern=r"^/")
    max_items_per_run: int = Field(default=5000, alias="MAX_ITEMS_PER_RUN", gt=0)
    carrier_timeout_seconds: float = Field(default=10.0, alias="CARRIER_TIMEOUT_SECONDS", gt=0)


class RelaySettings(CoreSettings):
    """The relay: new deliveries (the deliveries table's stream) to the events or the tracking queue."""

    events_queue_url: str = Field(alias="EVENTS_QUEUE_URL", min_length=1)
    tracking_queue_url: str = Field(alias="TRACKING_QUEUE_URL", min_length=1)
    deliveries_table_name: str = Field(alias="DELIVERIES_TABLE_NAME", min_length=1)


class StatsSettings(CoreSettings):
    """The stats function: the table's stream to the daily counters, a batch's marker in the idempotency table."""

    idempotency_table_name: str = Field(alias="IDEMPOTENCY_TABLE_NAME", min_length=1)


class FeedbackSettings(CoreSettings):
    """The SES feedback receiver."""

    events_queue_url: str = Field(alias="EVENTS_QUEUE_URL", min_length=1)


class ApiSettings(CoreSettings):
    """The store's API: customer export and erasure (and the reports)."""

    secrets_prefix: str = Field(alias="SECRETS_PREFIX", pattern=r"^/")
    signature_tolerance_seconds: int = Field(default=300, alias="SIGNATURE_TOLERANCE_SECONDS", gt=0)
    secret_cache_seconds: int = Field(default=300, alias="SECRET_CACHE_SECONDS", ge=0)
