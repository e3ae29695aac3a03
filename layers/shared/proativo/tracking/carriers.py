"""Which adapter tracks a store's parcels with a carrier: carriers by name, each store's own credentials from SSM
(never another store's: a token is per contract), adapters kept per container so tokens are reused."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities import parameters

if TYPE_CHECKING:
    from proativo.tracking import Carrier
    from proativo.tracking.claims import ClaimChannel


def credentials_name(prefix: str, store_id: str, carrier: str) -> str:
    """The SSM parameter holding a store's credentials for a carrier."""
    return f"{prefix.rstrip('/')}/stores/{store_id}/carrier-credentials/{carrier}"


def carrier_id(name: str) -> str:
    """The adapter a platform's carrier name means ("Correios - SEDEX", "CORREIOS" → correios)."""
    lowered = name.strip().lower()
    return "correios" if lowered.startswith("correios") else lowered


def _correios(credentials: dict[str, Any]) -> "Carrier":
    from proativo.tracking.correios import Correios, CorreiosCredentials

    return Correios(CorreiosCredentials.model_validate(credentials))


BUILDERS: dict[str, Callable[[dict[str, Any]], "Carrier"]] = {"correios": _correios}


@dataclass
class CarrierDirectory:
    """Finds (and keeps) the adapter for a store and a carrier; None when there is none or no credentials."""

    prefix: str
    cache_seconds: int = 300
    _adapters: dict[tuple[str, str, str], "Carrier"] = field(default_factory=dict)

    def __call__(self, store_id: str, carrier: str) -> "Carrier | None":
        name = carrier_id(carrier)
        build = BUILDERS.get(name)
        if build is None:
            return None
        try:
            name_in_ssm = credentials_name(self.prefix, store_id, name)
            found = parameters.get_parameter(name_in_ssm, decrypt=True, transform="json", max_age=self.cache_seconds)
        except parameters.exceptions.GetParameterError:
            return None
        if not isinstance(found, dict):
            return None
        # Keyed by the credentials too: rotated credentials get a new adapter (and a new token).
        key = (store_id, name, repr(sorted(found.items())))
        if key not in self._adapters:
            self._adapters[key] = build(found)
        return self._adapters[key]

    def claims(self, store_id: str, carrier: str) -> "ClaimChannel | None":
        """The channel that files claims with a carrier for a store (None: the store's team files them)."""
        from proativo.tracking.correios import Correios, CorreiosClaims

        adapter = self(store_id, carrier)
        return CorreiosClaims(adapter) if isinstance(adapter, Correios) else None
