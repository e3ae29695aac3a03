"""Platform adapters: each verifies its platform's signature and maps its payloads to canonical events."""

from proativo.platforms.base import Platform
from proativo.platforms.generic import GenericPlatform

PLATFORMS: dict[str, Platform] = {p.name: p for p in (GenericPlatform(),)}

__all__ = ["PLATFORMS", "Platform"]
