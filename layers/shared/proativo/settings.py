"""Settings read once from the environment at cold start. A missing or bad variable fails loudly, naming itself.

Plain read-only classes with a rule per field, not pydantic models: pydantic's import costs a bare handler's cold
start a fifth again (`make bench`, `cold_start_ratio_max`), and the dispatcher, the tracking schedule, the relay and
the stats function need nothing else from it. Nor dataclasses: each one generates and compiles its methods when its
module is imported, a dozen classes of which a function uses one (12 ms of every cold start). The rules are the few
an environment variable needs: present (or a default), a type (str, int, float), a length, a pattern, bounds."""

import os
import re
from dataclasses import MISSING, dataclass
from typing import Any, ClassVar, Self, dataclass_transform, get_type_hints


class SettingsError(RuntimeError):
    """Raised at cold start when the environment does not configure the function."""


@dataclass(frozen=True)
class _Rule:
    alias: str
    default: Any = MISSING
    secret: bool = False
    min_length: int | None = None
    pattern: str | None = None
    gt: float | None = None
    ge: float | None = None
    le: float | None = None

    def check(self, value: Any) -> str | None:
        """What is wrong with `value` (None: nothing)."""
        if isinstance(value, str):
            if self.min_length is not None and len(value) < self.min_length:
                return f"should have at least {self.min_length} characters"
            if self.pattern is not None and not re.match(self.pattern, value):
                return f"should match pattern '{self.pattern}'"
            return None
        if self.gt is not None and not value > self.gt:
            return f"should be greater than {self.gt:g}"
        if self.ge is not None and not value >= self.ge:
            return f"should be greater than or equal to {self.ge:g}"
        if self.le is not None and not value <= self.le:
            return f"should be less than or equal to {self.le:g}"
        return None


def env(alias: str, default: Any = MISSING, secret: bool = False, **rules: Any) -> Any:
    """A field read from the environment variable `alias` (a `secret` one is left out of the settings' repr)."""
    return _Rule(alias, default, secret, **rules)


_PARSE: dict[type, Any] = {str: str, int: int, float: float}


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(env,))
class _FromEnv:
    """Read-only settings: their fields are the class attributes `env` made, in the order the classes declare them
    (a base's first); equal (and hashed) by value, as the composition root caches what it builds per settings."""

    _rules: ClassVar[dict[str, _Rule]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._rules = {
            name: rule
            for klass in reversed(cls.__mro__)
            for name, rule in vars(klass).items()
            if isinstance(rule, _Rule)
        }

    def __init__(self, **values: Any) -> None:
        for name, rule in self._rules.items():
            if name not in values and rule.default is MISSING:
                raise TypeError(f"{type(self).__name__}: {name} is required")
            object.__setattr__(self, name, values.pop(name, rule.default))
        if values:
            raise TypeError(f"{type(self).__name__}: no field {', '.join(sorted(values))}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._rules)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n, rule in self._rules.items() if not rule.secret)
        return f"{type(self).__name__}({shown})"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Self:
        """Build the settings from environment variables named by each field's alias."""
        source = os.environ if environ is None else environ
        types = get_type_hints(cls)
        values: dict[str, Any] = {}
        problems: list[str] = []
        for name, rule in cls._rules.items():
            raw = source.get(rule.alias)
            if raw is None:
                if rule.default is MISSING:
                    problems.append(f"{rule.alias}: Field required")
                continue
            kind = types[name]
            try:
                value = _PARSE[kind](raw)
            except ValueError:
                problems.append(f"{rule.alias}: should be a valid {kind.__name__}, not {raw!r}")
                continue
            wrong = rule.check(value)
            if wrong:
                problems.append(f"{rule.alias}: {wrong}")
            values[name] = value
        if problems:
            raise SettingsError(f"{cls.__name__} cannot start: {'; '.join(problems)}")
        return cls(**values)


class CoreSettings(_FromEnv):
    """What every function needs."""

    stage: str = env("STAGE", min_length=1)
    table_name: str = env("TABLE_NAME", min_length=1)
    due_shards: int = env("DUE_SHARDS", 4, ge=1, le=256)


class WebhookSettings(CoreSettings):
    """The webhook receiver: where deliveries are recorded, where secrets live, what it accepts."""

    deliveries_table_name: str = env("DELIVERIES_TABLE_NAME", min_length=1)
    secrets_prefix: str = env("SECRETS_PREFIX", pattern=r"^/")
    max_body_bytes: int = env("MAX_BODY_BYTES", 256 * 1024, gt=0)
    signature_tolerance_seconds: int = env("SIGNATURE_TOLERANCE_SECONDS", 300, gt=0)
    secret_cache_seconds: int = env("SECRET_CACHE_SECONDS", 300, ge=0)


class EventsSettings(CoreSettings):
    """The event processor (which also reads resources back from notify-only platforms)."""

    secrets_prefix: str = env("SECRETS_PREFIX", pattern=r"^/")
    platform_api_timeout_seconds: float = env("PLATFORM_API_TIMEOUT_SECONDS", 10.0, gt=0)
    # A buyer's tax id is kept as a digest keyed from this secret (`customers.identity`).
    link_signing_secret: str = env("LINK_SIGNING_SECRET", secret=True, min_length=1)


class DispatcherSettings(CoreSettings):
    """The dispatcher: reads due work and routes it to the queues."""

    send_queue_url: str = env("SEND_QUEUE_URL", min_length=1)
    tracking_queue_url: str = env("TRACKING_QUEUE_URL", min_length=1)
    events_queue_url: str = env("EVENTS_QUEUE_URL", min_length=1)
    team_queue_url: str = env("TEAM_QUEUE_URL", min_length=1)
    max_items_per_run: int = env("MAX_ITEMS_PER_RUN", 5000, gt=0)


class SenderSettings(CoreSettings):
    """The sender: channels and their configuration."""

    ses_configuration_set: str = env("SES_CONFIGURATION_SET", min_length=1)
    default_sender: str = env("DEFAULT_SENDER", min_length=3)
    public_url: str = env("PUBLIC_URL", pattern=r"^https?://")
    link_signing_secret: str = env("LINK_SIGNING_SECRET", secret=True, min_length=1)
    secrets_prefix: str = env("SECRETS_PREFIX", pattern=r"^/")
    whatsapp_api_url: str = env("WHATSAPP_API_URL", "https://graph.facebook.com/v21.0")
    provider_timeout_seconds: float = env("PROVIDER_TIMEOUT_SECONDS", 10.0, gt=0)


class TeamSettings(CoreSettings):
    """The team function: notices to a store's webhook and ouvidoria, the daily digest e-mail."""

    default_sender: str = env("DEFAULT_SENDER", min_length=3)
    secrets_prefix: str = env("SECRETS_PREFIX", pattern=r"^/")
    webhook_timeout_seconds: float = env("WEBHOOK_TIMEOUT_SECONDS", 10.0, gt=0)
    deliveries_table_name: str = env("DELIVERIES_TABLE_NAME", min_length=1)
    team_queue_url: str = env("TEAM_QUEUE_URL", min_length=1)
    # A buyer's tax id is kept as a digest keyed from this secret (`customers.identity`).
    link_signing_secret: str = env("LINK_SIGNING_SECRET", secret=True, min_length=1)


class LinksSettings(CoreSettings):
    """The links customers click in messages (survey answers)."""

    deliveries_table_name: str = env("DELIVERIES_TABLE_NAME", min_length=1)
    link_signing_secret: str = env("LINK_SIGNING_SECRET", secret=True, min_length=1)


class PagesSettings(CoreSettings):
    """The customer's own order page, its help form and the order look-up."""

    deliveries_table_name: str = env("DELIVERIES_TABLE_NAME", min_length=1)
    events_queue_url: str = env("EVENTS_QUEUE_URL", min_length=1)
    link_signing_secret: str = env("LINK_SIGNING_SECRET", secret=True, min_length=1)


class TrackingSettings(CoreSettings):
    """The parcel tracking schedule and worker."""

    events_queue_url: str = env("EVENTS_QUEUE_URL", min_length=1)
    tracking_queue_url: str = env("TRACKING_QUEUE_URL", min_length=1)
    secrets_prefix: str = env("SECRETS_PREFIX", pattern=r"^/")
    max_items_per_run: int = env("MAX_ITEMS_PER_RUN", 5000, gt=0)
    carrier_timeout_seconds: float = env("CARRIER_TIMEOUT_SECONDS", 10.0, gt=0)
    # The tracker's queue trigger's maximum concurrency: each running tracker takes this share of a carrier's limits.
    tracker_workers: int = env("TRACKER_WORKERS", 1, ge=1, le=1000)


class RelaySettings(CoreSettings):
    """The relay: new deliveries (the deliveries table's stream) to the events or the tracking queue."""

    events_queue_url: str = env("EVENTS_QUEUE_URL", min_length=1)
    tracking_queue_url: str = env("TRACKING_QUEUE_URL", min_length=1)
    deliveries_table_name: str = env("DELIVERIES_TABLE_NAME", min_length=1)


class StatsSettings(CoreSettings):
    """The stats function: the table's stream to the daily counters (its deltas, rolled up every hour)."""


class FeedbackSettings(CoreSettings):
    """The SES feedback receiver."""

    events_queue_url: str = env("EVENTS_QUEUE_URL", min_length=1)


class ApiSettings(CoreSettings):
    """The store's API: customer export and erasure, the reports, the cases (whose requests it records as
    deliveries, like a webhook's)."""

    deliveries_table_name: str = env("DELIVERIES_TABLE_NAME", min_length=1)
    secrets_prefix: str = env("SECRETS_PREFIX", pattern=r"^/")
    signature_tolerance_seconds: int = env("SIGNATURE_TOLERANCE_SECONDS", 300, gt=0)
    secret_cache_seconds: int = env("SECRET_CACHE_SECONDS", 300, ge=0)
    # A buyer's tax id is kept as a digest keyed from this secret (`customers.identity`).
    link_signing_secret: str = env("LINK_SIGNING_SECRET", secret=True, min_length=1)


class SignalsSettings(CoreSettings):
    """Browsing signals from the stores' pages, and the snippet that sends them."""

    events_queue_url: str = env("EVENTS_QUEUE_URL", min_length=1)
    secrets_prefix: str = env("SECRETS_PREFIX", pattern=r"^/")
    secret_cache_seconds: int = env("SECRET_CACHE_SECONDS", 300, ge=0)
