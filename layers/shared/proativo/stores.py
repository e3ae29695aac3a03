"""Stores: their profile (name, sender, locale) in DynamoDB, their webhook secrets in SSM SecureString.

Secrets are read through Powertools Parameters with a cache, and are only ever looked up under the store's own
path, so one store's credentials can never verify another store's traffic.
"""

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from proativo.aws import error_code, keys, query_items
from proativo.clock import as_utc
from proativo.errors import NotFound, Unavailable
from proativo.ids import STORE_ID_PATTERN

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_ssm import SSMClient


class StoreProfile(BaseModel):
    """What messages need to know about a store."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    store_id: str = Field(pattern=STORE_ID_PATTERN)
    name: str = Field(min_length=1, max_length=120)
    sender_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    site_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://[^\s/?#]+[^\s]*$")
    locale: str = "pt-BR"
    timezone: str = "America/Sao_Paulo"
    currency: str = Field(default="BRL", min_length=3, max_length=3)
    country: str = Field(default="BR", pattern=r"^[A-Z]{2}$", description="how to read phone numbers without +country")
    marketing_cap_hours: int = Field(
        default=24,
        ge=0,
        le=24 * 14,
        description="at most one marketing message per customer in this many hours (0: off)",
    )
    quiet_start_hour: int = Field(default=21, ge=0, le=23, description="SMS and WhatsApp wait from this local hour")
    quiet_end_hour: int = Field(default=8, ge=0, le=23, description="to this one (equal hours: no quiet time)")
    # The customer's own page (`/t/{token}`): the store's colour and logo (embedded: the page fetches nothing from
    # anyone), how long it stays open after delivery, and how soon the team answers a request for help.
    brand_color: str = Field(default="#1f4e79", pattern=r"^#[0-9a-fA-F]{6}$")
    logo: str | None = Field(
        default=None,
        max_length=48_000,
        pattern=r"^data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/]+=*$",
        description="the logo as a data: URI (proativo stores set-brand --logo FILE)",
    )
    page_days_after_delivery: int = Field(default=30, ge=1, le=365)
    help_answer_days: int = Field(default=2, ge=1, le=30)
    # Browsing signals (`/signals/{store_id}`): the sites whose pages may send them (default: `site_url`'s), the
    # share of visits held out to measure what invitations change, the cap across visits, the WhatsApp number a
    # click-to-chat invitation opens (digits, with the country code).
    site_origins: tuple[str, ...] = Field(default=(), max_length=10)
    signals_holdout_share: Decimal = Field(default=Decimal("0.1"), ge=0, le=Decimal("0.5"))
    invitations_cap: int = Field(default=2, ge=0, le=20, description="at most so many invitations")
    invitations_cap_days: int = Field(default=7, ge=1, le=90, description="in so many days, per visitor")
    whatsapp_number: str | None = Field(default=None, pattern=r"^[1-9][0-9]{7,14}$")
    # Cases (`proativo.cases`): where the team hears of them (a daily digest e-mail, and a signed webhook — a
    # Slack-compatible incoming webhook or any URL — for new and overdue ones), and the second instance.
    team_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    cases_webhook_url: str | None = Field(default=None, max_length=2000, pattern=r"^https://[^\s/?#]+[^\s]*$")
    ouvidoria_name: str = Field(default="Ouvidoria", min_length=1, max_length=120)
    ouvidoria_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    digest_hour: int = Field(default=8, ge=0, le=23, description="the daily digest's local hour")

    @field_validator("site_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", origin):
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port], no path)")
        return value

    def origins(self) -> tuple[str, ...]:
        """The origins whose pages may send browsing signals."""
        if self.site_origins:
            return self.site_origins
        if self.site_url:
            scheme, _, rest = self.site_url.partition("://")
            return (f"{scheme}://{rest.split('/', 1)[0]}",)
        return ()


def secret_name(prefix: str, store_id: str, platform: str) -> str:
    """The SSM parameter holding a store's webhook secret for one platform."""
    return f"{prefix.rstrip('/')}/stores/{store_id}/webhook-secrets/{platform}"


def webhook_secret(prefix: str, store_id: str, platform: str, max_age: int) -> str:
    """The store's secret for `platform` (cached `max_age` seconds); NotFound when the store or platform is unknown."""
    try:
        value = parameters.get_parameter(secret_name(prefix, store_id, platform), decrypt=True, max_age=max_age)
    except parameters.exceptions.GetParameterError as exc:
        raise missing_or_unavailable(exc, f"no store '{store_id}' connected for platform '{platform}'") from exc
    return str(value)


def missing_or_unavailable(exc: Exception, missing: str) -> NotFound | Unavailable:
    """What a failed SSM read means: the parameter does not exist (NotFound, with `missing` as the reason), or SSM
    could not answer now (throttled, timed out: Unavailable, so the caller retries rather than hear "unknown").
    Powertools wraps the SDK's error, which stays the wrapper's context."""
    cause = exc.__cause__ or exc.__context__
    # A name SSM refuses to read (ValidationException) names no parameter either.
    if isinstance(cause, ClientError) and error_code(cause) in (
        "ParameterNotFound",
        "ParameterVersionNotFound",
        "ValidationException",
    ):
        return NotFound(missing)
    return Unavailable(f"the store's settings could not be read now ({type(cause or exc).__name__}); retry")


def whatsapp_name(prefix: str, store_id: str) -> str:
    """The SSM parameter holding a store's WhatsApp Business number id and access token."""
    return f"{prefix.rstrip('/')}/stores/{store_id}/whatsapp"


def whatsapp_credentials(prefix: str, store_id: str, max_age: int) -> dict[str, str]:
    """The store's WhatsApp Cloud API credentials (cached); NotFound when the store has not connected WhatsApp."""
    try:
        value = parameters.get_parameter(
            whatsapp_name(prefix, store_id), decrypt=True, transform="json", max_age=max_age
        )
    except parameters.exceptions.GetParameterError as exc:
        raise missing_or_unavailable(exc, f"store '{store_id}' has not connected WhatsApp") from exc
    except parameters.exceptions.TransformParameterError as exc:
        raise NotFound(f"store '{store_id}' has unreadable WhatsApp credentials") from exc
    if not isinstance(value, dict) or not {"phone_number_id", "access_token"} <= set(value):
        raise NotFound(f"store '{store_id}': WhatsApp credentials need phone_number_id and access_token")
    return {str(k): str(v) for k, v in value.items()}


def put_webhook_secret(ssm: "SSMClient", prefix: str, store_id: str, platform: str, secret: str) -> None:
    """Create or replace a store's webhook secret (SecureString)."""
    ssm.put_parameter(Name=secret_name(prefix, store_id, platform), Value=secret, Type="SecureString", Overwrite=True)


def put_profile(table: "Table", profile: StoreProfile, now: datetime) -> None:
    """Create or replace a store's profile."""
    table.put_item(
        Item={
            "pk": keys.store_pk(profile.store_id),
            "sk": "PROFILE",
            "kind": "store",
            **profile.model_dump(exclude_none=True),
            "updated_at": as_utc(now),
        }
    )


def get_profile(table: "Table", store_id: str) -> StoreProfile:
    """A store's profile; NotFound when the store is not registered."""
    item: dict[str, Any] | None = table.get_item(Key={"pk": keys.store_pk(store_id), "sk": "PROFILE"}).get("Item")
    if not item:
        raise NotFound(f"store '{store_id}' is not registered")
    return profile_from(item)


def profile_from(item: dict[str, Any]) -> StoreProfile:
    """A store's profile from its item (the item's other attributes, such as `updated_at`, left out)."""
    return StoreProfile.model_validate({k: v for k, v in item.items() if k in StoreProfile.model_fields})


@dataclass
class StoreReads[T]:
    """A store's profile and one document it keeps beside it (`document_sk`: its answers, its signal rules), read
    together in one eventually consistent BatchGetItem and kept `max_age` seconds per container: what a request path
    reads of a store. `build` makes what the caller uses of the document (parsed JSON; None when the store keeps
    none)."""

    table: "Table"
    document_sk: str
    build: Callable[[Any], T]
    max_age: float = 60
    _kept: dict[str, tuple[float, StoreProfile, T]] = field(default_factory=dict)

    def get(self, store_id: str) -> tuple[StoreProfile, T]:
        """The store's profile and what its document makes; NotFound when the store is not registered, Unavailable
        when DynamoDB left the keys unread (throttled)."""
        kept = self._kept.get(store_id)
        if kept and kept[0] > time.monotonic():
            return kept[1], kept[2]
        pk = keys.store_pk(store_id)
        got = self.table.meta.client.batch_get_item(
            RequestItems={self.table.name: {"Keys": [{"pk": pk, "sk": "PROFILE"}, {"pk": pk, "sk": self.document_sk}]}}
        )
        if got.get("UnprocessedKeys"):
            raise Unavailable(f"store '{store_id}' could not be read now")
        found = {str(i["sk"]): dict(i) for i in got.get("Responses", {}).get(self.table.name, [])}
        if "PROFILE" not in found:
            raise NotFound(f"store '{store_id}' is not registered")
        document = found.get(self.document_sk)
        made = self.build(json.loads(str(document["document"])) if document else None)
        profile = profile_from(found["PROFILE"])
        self._kept[store_id] = (time.monotonic() + self.max_age, profile, made)
        return profile, made


def _strings(item: dict[str, Any]) -> set[Any]:
    value = item.get("platforms")
    return value if isinstance(value, set) else set()


def register(table: "Table", profile: StoreProfile, platforms: list[str], now: datetime) -> None:
    """Record a store in the registry (the one partition that lists stores, so listing never scans)."""
    put_profile(table, profile, now)
    table.update_item(
        Key={"pk": keys.REGISTRY_PK, "sk": profile.store_id},
        UpdateExpression="SET #n = :n, updated_at = :t ADD platforms :p",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": profile.name, ":t": as_utc(now), ":p": set(platforms)},
    )


def registered(table: "Table") -> list[dict[str, Any]]:
    """Every registered store: id, name, platforms."""
    items = query_items(table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": keys.REGISTRY_PK})
    return [
        {"store_id": i["sk"], "name": i.get("name", ""), "platforms": sorted(str(p) for p in _strings(i))}
        for i in items
    ]
