"""The carrier registry: one line per carrier plugin (its module declares the plugin beside its adapter), and what
the rest of Proativo asks of it — which carrier a platform's carrier name means, whether a code can be right, a
store's adapter built from its own credentials in SSM (never another store's: a token is per contract, and adapters
are kept per container so tokens are reused), and the channel that files its claims.

To add a carrier: write `proativo/tracking/<carrier>.py` with its adapter and a `PLUGIN`, and add it to `PLUGINS`.
"""

import time
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities import parameters

from proativo.events import Event, OrderShipped, ParcelResolved
from proativo.tracking import aftership, correios, jadlog, melhorenvio
from proativo.tracking.model import Carrier, CarrierPlugin, ClaimChannel, Registrar

PLUGINS: dict[str, CarrierPlugin] = {
    p.name: p for p in (correios.PLUGIN, jadlog.PLUGIN, melhorenvio.PLUGIN, aftership.PLUGIN)
}
# Claims go to the store's team when a carrier has no claims channel we speak.
TEAM_TASK = "task"


def credentials_name(prefix: str, store_id: str, carrier: str) -> str:
    """The SSM parameter holding a store's credentials for a carrier."""
    return f"{prefix.rstrip('/')}/stores/{store_id}/carrier-credentials/{carrier}"


def carrier_id(name: str | None) -> str:
    """The carrier a platform's carrier name means: the plugin one of whose aliases it contains or whose prefix it
    starts with ("Correios - SEDEX", "PAC" → correios), else the name as a slug ("Total Express" → total-express)."""
    text = (name or "").strip().lower()
    for plugin in PLUGINS.values():
        if any(a in text for a in plugin.aliases) or text.startswith(plugin.prefixes):
            # A label platform's name often names the carrier too ("Melhor Envio - Loggi"): that carrier it is.
            named = [c for c in plugin.covers if c.replace("-", " ") in text.replace("-", " ")]
            return named[0] if named else plugin.name
    slug = "".join(c if c.isalnum() else "-" for c in text).strip("-")
    return slug[:40] or "unknown"


def known(carrier: str) -> bool:
    """Whether a carrier has a plugin, or is followed through one (a label platform that covers it)."""
    return carrier in PLUGINS or any(carrier in p.covers for p in PLUGINS.values())


def resolve(name: str | None, code: str) -> tuple[str, str]:
    """The carrier of a shipment and how it was known: by the platform's carrier name (`name`), by the tracking
    code's format when the name means no carrier we know (`code`: an S10 code ending in BR is Correios'), or not at
    all (`unmatched`: the name's slug, kept and counted, followed by the store's aggregator if it has one)."""
    by_name = carrier_id(name)
    if known(by_name):
        return by_name, "name"
    cleaned = code.strip().upper()
    detected = [p.name for p in PLUGINS.values() if p.detect is not None and p.detect(cleaned)]
    if len(detected) == 1:
        return detected[0], "code"
    return by_name, "unmatched"


def with_carrier_resolved[E: Event](event: E) -> tuple[E, str]:
    """A shipment (or a reshipment) with its carrier resolved (`resolve`), and how; any other event as it is."""
    if isinstance(event, OrderShipped):
        carrier, how = resolve(event.carrier, event.tracking_code)
        return event.model_copy(update={"carrier": carrier}), how
    if isinstance(event, ParcelResolved) and event.new_tracking_code:
        carrier, how = resolve(event.new_carrier or event.carrier, event.new_tracking_code)
        return event.model_copy(update={"new_carrier": carrier}), how
    return event, ""


def plugin(name: str) -> CarrierPlugin | None:
    """The plugin of the carrier a name means (None: a carrier we have no plugin for)."""
    return PLUGINS.get(carrier_id(name))


def code_is_valid(carrier: str, code: str) -> bool:
    """Whether a carrier could know `code` (a mistyped code is kept off the tracking index for the store to fix)."""
    found = plugin(carrier)
    return found.valid_code(code) if found else bool(code.strip())


def claims_channels() -> frozenset[str]:
    """Every claims channel a carrier rule may name."""
    return frozenset({TEAM_TASK} | {p.claims_channel for p in PLUGINS.values() if p.claims_channel})


@dataclass
class CarrierDirectory:
    """Finds (and keeps) the adapter for a store and a carrier; None when there is none or no credentials."""

    prefix: str
    cache_seconds: int = 300
    _adapters: dict[tuple[str, str, str], Carrier] = field(default_factory=dict)
    _registrars: dict[tuple[str, str, str], Registrar] = field(default_factory=dict)
    _absent: dict[str, float] = field(default_factory=dict)

    def __call__(self, store_id: str, carrier: str) -> Carrier | None:
        """The carrier's own adapter with the store's contract; else a label platform's that covers the carrier (a
        store buying Jadlog labels through Melhor Envio); else None."""
        found = plugin(carrier)
        direct = self._adapter(store_id, found) if found is not None else None
        if direct is not None:
            return direct
        name = found.name if found is not None else carrier_id(carrier)
        for via in PLUGINS.values():
            if name in via.covers:
                adapter = self._adapter(store_id, via)
                if adapter is not None:
                    return adapter
        return None

    def _adapter(self, store_id: str, found: CarrierPlugin) -> Carrier | None:
        if found.build is None:
            return None
        given = self._given(store_id, found)
        if given is None:
            return None
        # Keyed by the credentials too: rotated credentials get a new adapter (and a new token).
        key = (store_id, found.name, repr(sorted(given.items())))
        if key not in self._adapters:
            self._adapters[key] = found.build(_credentials(found, given))
        return self._adapters[key]

    def claims(self, store_id: str, carrier: str) -> ClaimChannel | None:
        """The channel that files claims with a carrier for a store, through its own contract (None: the store's
        team files them)."""
        found = plugin(carrier)
        if found is None or found.claims is None:
            return None
        adapter = self._adapter(store_id, found)
        return found.claims(adapter) if adapter is not None else None

    def registrar(self, store_id: str) -> Registrar | None:
        """The store's aggregator, with which parcels of carriers we do not poll are followed (None: it has none)."""
        for found in PLUGINS.values():
            if found.register is None:
                continue
            given = self._given(store_id, found)
            if given is not None:
                key = (store_id, found.name, repr(sorted(given.items())))
                if key not in self._registrars:
                    self._registrars[key] = found.register(_credentials(found, given))
                return self._registrars[key]
        return None

    def _given(self, store_id: str, found: CarrierPlugin) -> dict[str, Any] | None:
        """The store's credentials for a carrier; their absence is remembered as long as they would be (a store
        without an aggregator is not asked of SSM at every check of a carrier we do not poll)."""
        name_in_ssm = credentials_name(self.prefix, store_id, found.name)
        if self._absent.get(name_in_ssm, 0.0) > time.monotonic():
            return None
        try:
            given = parameters.get_parameter(name_in_ssm, decrypt=True, transform="json", max_age=self.cache_seconds)
        except parameters.exceptions.GetParameterError:
            given = None
        if not isinstance(given, dict):
            self._absent[name_in_ssm] = time.monotonic() + self.cache_seconds
            return None
        return given


def _credentials(found: CarrierPlugin, given: dict[str, Any]) -> Any:
    return found.credentials.model_validate(given) if found.credentials else given
