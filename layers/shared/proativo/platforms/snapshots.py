"""Shared by the adapters of platforms that send whole order snapshots (Shopify, WooCommerce): helpers to read
them and to name each fact a snapshot shows with a stable event id, so that the tenth `orders/updated` of an order
yields the same events as the first and changes nothing."""

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from proativo.errors import InvalidPayload
from proativo.events import Event, event_from
from proativo.ids import content_id, customer_id_for_email
from proativo.platforms.base import invalid_from

if TYPE_CHECKING:
    import httpx

# How long a boleto or a PIX stays payable when the platform does not say (store settings may override later).
DEFAULT_EXPIRY = {"pix": timedelta(hours=24), "boleto": timedelta(days=3)}


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 naming why not."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidPayload(f"body is not valid JSON: {exc}", field="body") from None
    if not isinstance(data, dict):
        raise InvalidPayload("body must be a JSON object", field="body")
    return data


def obj(value: Any) -> dict[str, Any]:
    """A nested JSON object, or an empty one when the platform sent null or something else."""
    return value if isinstance(value, dict) else {}


def objects(value: Any, field: str) -> list[dict[str, Any]]:
    """A list of JSON objects (none when the platform sent null), or a 400 naming the field."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidPayload("must be a list of objects", field=field)
    return value


def strings(value: Any) -> list[str]:
    """One string or a list of them (platforms send either), as strings; anything else is none."""
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if isinstance(v, str | int) and not isinstance(v, bool) and str(v)]


def full_name(*parts: Any) -> str | None:
    """The name parts that are text, joined."""
    return " ".join(str(p) for p in parts if isinstance(p, str) and p) or None


def money(value: Any, field: str) -> Decimal:
    """A non-negative amount from a platform's string or number."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidPayload(f"not an amount: {value!r}", field=field) from None
    if amount < 0 or not amount.is_finite():
        raise InvalidPayload(f"not an amount: {value!r}", field=field)
    return amount


def instant(value: Any, field: str, assume_utc: bool = False) -> datetime:
    """A timezone-aware instant from an ISO-8601 string (naive ones only where the platform documents UTC)."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidPayload(f"not a date-time: {value!r}", field=field) from None
    if parsed.tzinfo is None:
        if not assume_utc:
            raise InvalidPayload(f"date-time without a time zone: {value!r}", field=field)
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def customer_id(email: Any, phone: Any, platform_id: Any, where: str = "") -> str | None:
    """Customers are keyed by e-mail when known, so a guest checkout and the order that follows are one customer.
    `where`: the prefix of the contact fields in the platform's payload (for a refusal naming them)."""
    for name, value in (("email", email), ("phone", phone)):
        if value not in (None, "") and not isinstance(value, str):
            raise InvalidPayload("must be a string", field=f"{where}{name}")
    if not isinstance(platform_id, str | int | None) or isinstance(platform_id, bool):
        platform_id = None
    if email:
        return customer_id_for_email(email)
    if phone:
        return "p-" + content_id(phone)[:24]
    return f"id-{platform_id}" if platform_id not in (None, "", 0, "0") else None


def payment_method(names: list[str]) -> str | None:
    """'pix' or 'boleto' when a gateway name says so (gateways name them in many ways)."""
    joined = " ".join(names).lower()
    if "pix" in joined:
        return "pix"
    if "boleto" in joined or "ticket" in joined:
        return "boleto"
    return None


class Facts:
    """Collects the canonical events a snapshot shows, validating each and naming the failing field."""

    def __init__(self, platform: str, store_id: str, customer: dict[str, Any]) -> None:
        self.platform = platform
        self.store_id = store_id
        self.customer = customer
        self.events: list[Event] = []

    def add(self, event_type: str, fact_id: str, occurred_at: datetime, **fields: Any) -> None:
        """Add one fact; `fact_id` must be stable for the same fact across deliveries."""
        data = {
            "type": event_type,
            "event_id": f"{self.platform}:{fact_id}",
            "store_id": self.store_id,
            "source": self.platform,
            "customer": self.customer,
            "occurred_at": occurred_at,
            **fields,
        }
        try:
            self.events.append(event_from(data))
        except ValidationError as exc:
            raise invalid_from(exc) from None


type Mapper = Callable[[dict[str, Any], str], list[Event] | None]


def get_json(client: "httpx.Client", url: str, headers: dict[str, str]) -> dict[str, Any] | None:
    """A platform API's JSON object at `url`; None on 404 (gone). Raises on any other error: the queue retries."""
    answer = client.get(url, headers=headers)
    if answer.status_code == 404:
        return None
    answer.raise_for_status()
    data = answer.json()
    return data if isinstance(data, dict) else None


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value ('' when absent); headers arrive lower-cased."""
    return headers.get(name.lower(), "")
