"""The single-table key scheme. Every partition starts with the store, so one store's data is isolated by key
(and IAM's `dynamodb:LeadingKeys` can enforce it); everything about a customer lives in two partitions: their state,
which each event reads whole, and the log of the events applied to them, which only grows (kept apart so that what
an event reads does not grow with the customer's history). Erasing or exporting a customer is two Queries."""

import zlib
from datetime import datetime

from proativo.clock import as_utc

# The partition that lists the stores (`proativo.stores.register`): listing them is one Query, never a scan.
REGISTRY_PK = "STORES"


def store_pk(store_id: str) -> str:
    """Partition of a store's own settings."""
    return f"STORE#{store_id}"


def customer_pk(store_id: str, customer_id: str) -> str:
    """Partition holding everything about one customer of one store."""
    return f"STORE#{store_id}#CUST#{customer_id}"


def event_log_pk(store_id: str, customer_id: str) -> str:
    """Partition of the log of events applied to one customer (one entry per event: the mark that it was applied)."""
    return f"{customer_pk(store_id, customer_id)}#LOG"


def tax_id_key(store_id: str, digest: str) -> dict[str, str]:
    """Where a public complaint giving only the buyer's tax id finds them (by its keyed digest; their latest order)."""
    return {"pk": f"{store_pk(store_id)}#TAXID#{digest}", "sk": "REF"}


def order_ref_key(store_id: str, order: str) -> dict[str, str]:
    """Where the order look-up (`POST /track/{store_id}`) finds an order by what the customer types: its id or number
    (trimmed, a leading # dropped, case ignored)."""
    return {"pk": f"{store_pk(store_id)}#ORDERREF#{order.strip().lstrip('#').strip().lower()}", "sk": "REF"}


def due_keys(kind: str, item_id: str, due_at: datetime, shards: int) -> dict[str, str]:
    """Attributes that put an item on the sparse `due` index: shard partition, due time as sort key.

    The dispatcher queries `due_shard = DUE#<kind>#<n> AND due_at <= now` on each shard, so it reads only what is due;
    removing these attributes takes the item off the index.
    """
    shard = zlib.crc32(item_id.encode()) % shards
    return {"due_shard": f"DUE#{kind}#{shard}", "due_at": as_utc(due_at)}
