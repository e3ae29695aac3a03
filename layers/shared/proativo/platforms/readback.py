"""Reading a resource back from a platform that only notifies (Nuvemshop, VTEX), with the store's own API
credentials, kept as an SSM SecureString (JSON) under the store's path and never shared between stores."""

from dataclasses import dataclass
from typing import Any

import httpx
from aws_lambda_powertools.utilities import parameters

from proativo.errors import NotFound
from proativo.events import Event, ResourceChanged
from proativo.platforms.base import Reader
from proativo.platforms.registry import PLATFORMS

# The platforms that only notify, each with what reading an order back takes.
READERS: dict[str, Reader] = {p.name: p.reader for p in PLATFORMS.values() if p.reader is not None}


def credentials_name(prefix: str, store_id: str, platform: str) -> str:
    """The SSM parameter holding a store's API credentials for a platform."""
    return f"{prefix.rstrip('/')}/stores/{store_id}/api-credentials/{platform}"


def check_credentials(platform: str, credentials: dict[str, Any]) -> None:
    """Refuse credentials missing what the platform's API needs (ValueError naming the key)."""
    if platform not in READERS:
        raise ValueError(f"platform {platform!r} needs no API credentials")
    missing = [k for k in READERS[platform].credentials if not credentials.get(k)]
    if missing:
        raise ValueError(f"{platform} API credentials need {', '.join(missing)}")


@dataclass(frozen=True)
class ReadBack:
    """Turns platform notifications into canonical events by reading the resource back."""

    prefix: str
    client: httpx.Client
    cache_seconds: int = 300

    def events(self, change: ResourceChanged) -> list[Event]:
        """The canonical events the resource shows now (none if it is gone). Raises on API errors: retried."""
        reader = READERS[change.platform]
        name = credentials_name(self.prefix, change.store_id, change.platform)
        try:
            credentials = parameters.get_parameter(name, decrypt=True, transform="json", max_age=self.cache_seconds)
        except parameters.exceptions.GetParameterError as exc:
            raise NotFound(f"store '{change.store_id}' has no {change.platform} API credentials") from exc
        if not isinstance(credentials, dict):
            raise NotFound(f"store '{change.store_id}' has unreadable {change.platform} API credentials")
        resource = reader.fetch(self.client, credentials, change.account or "", change.resource_id)
        return [] if resource is None else reader.facts(resource, change.store_id)
