"""Deterministic ids: the same input always yields the same id, which is what makes retries harmless."""

import hashlib
import json
import re
from datetime import datetime
from typing import Any

# A store's id: what every route, key and secret's name is built from (`proativo stores create` checks it).
STORE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
STORE_ID = re.compile(STORE_ID_PATTERN)


def content_id(*parts: Any) -> str:
    """A deterministic id from the given parts: the same payload always yields the same id."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def customer_id_for_email(email: str) -> str:
    """A stable customer id for a guest known only by e-mail (never the e-mail itself: ids end up in logs)."""
    return "e-" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


def protocol_for(source_key: str, at: datetime) -> str:
    """The protocol of the case `source_key` opens (the same source, the same protocol: a repeat opens nothing
    new): the day, then eight characters of its hash (one chance in 4 billion that two of a store's cases of one day
    share one)."""
    return f"{at:%Y%m%d}-{hashlib.sha256(source_key.encode()).hexdigest()[:8].upper()}"
