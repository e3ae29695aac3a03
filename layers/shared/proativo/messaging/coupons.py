"""Coupons given with a message: one per recipient, valid for a while, generated or drawn from a store's pool.

Assignment is keyed by the message id, so a redelivered send request gets the same code and a pool never loses two
codes to one message. A pool is a store's partition of free codes (`STORE#<id>#COUPONS#<pool>`, `FREE#<code>`):
drawing one reads the first free code (Query, Limit 1) and moves it to the customer in one transaction; two senders
racing for one code make one of them draw the next.
"""

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from proativo.aws import keys, query_pages, written
from proativo.clock import as_utc

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


@cache
def _duration() -> TypeAdapter[timedelta]:
    """ISO 8601 durations ("P3D"), built on first use: a module-level adapter cost every cold start 13 ms."""
    return TypeAdapter(timedelta)


class PoolEmpty(RuntimeError):
    """The store's pool has no free code left."""


def pool_pk(store_id: str, pool: str) -> str:
    """Partition of one of a store's coupon pools."""
    return f"{keys.store_pk(store_id)}#COUPONS#{pool}"


def generated_code(prefix: str, message_id: str) -> str:
    """A code only this message gets (deterministic, so a retry gives the same one): PREFIX-XXXXXXXX."""
    digest = hashlib.sha256(f"coupon:{message_id}".encode()).digest()
    return f"{prefix}-{base64.b32encode(digest).decode()[:8]}"


@dataclass(frozen=True)
class Coupons:
    """Gives and stocks coupons in one table."""

    table: "Table"
    attempts: int = 5

    def assign(
        self, store_id: str, customer_id: str, message_id: str, spec: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        """The coupon of `message_id` (assigned now, or the one it already had): code, discount and expiry."""
        pk = keys.customer_pk(store_id, customer_id)
        sk = f"COUPON#{message_id}"
        existing = self.table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")
        if existing:
            return _public(existing)
        item: dict[str, Any] = {
            "pk": pk,
            "sk": sk,
            "kind": "coupon",
            "message_id": message_id,
            "assigned_at": as_utc(now),
            "expires_at": as_utc(now + _duration().validate_python(spec["valid_for"])),
            **{k: spec[k] for k in ("percent_off", "amount_off") if spec.get(k) is not None},
        }
        pool = spec.get("pool")
        if not pool:
            item["code"] = generated_code(str(spec.get("prefix", "VOLTA")), message_id)
            if written(lambda: self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")):
                return _public(item)
            return _public(self.table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True)["Item"])
        for _ in range(self.attempts):
            free = self.table.query(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :f)",
                ExpressionAttributeValues={":pk": pool_pk(store_id, str(pool)), ":f": "FREE#"},
                Limit=1,
                ConsistentRead=True,
            ).get("Items", [])
            if not free:
                raise PoolEmpty(f"coupon pool {pool!r} of store {store_id!r} is empty")
            code = str(free[0]["code"])
            drawn = {**item, "code": code, "pool": pool}
            if written(partial(self._draw, store_id, str(pool), code, drawn)):
                return _public(drawn)
            existing = self.table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")
            if existing:  # our own retry drew one meanwhile
                return _public(existing)
        raise PoolEmpty(f"coupon pool {pool!r} of store {store_id!r}: every draw lost its race")

    def _draw(self, store_id: str, pool: str, code: str, item: dict[str, Any]) -> None:
        client = self.table.meta.client
        client.transact_write_items(
            TransactItems=[
                {
                    "Delete": {
                        "TableName": self.table.name,
                        "Key": {"pk": pool_pk(store_id, pool), "sk": f"FREE#{code}"},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )

    def add_to_pool(self, store_id: str, pool: str, codes: Iterable[str]) -> int:
        """Stock a pool with codes (a code already there stays as it is); returns how many were new."""
        added = 0
        for code in dict.fromkeys(c.strip() for c in codes if c.strip()):
            item = {"pk": pool_pk(store_id, pool), "sk": f"FREE#{code}", "kind": "coupon_code", "code": code}
            added += written(partial(self.table.put_item, Item=item, ConditionExpression="attribute_not_exists(pk)"))
        return added

    def free_count(self, store_id: str, pool: str) -> int:
        """How many codes the pool still has (a Query of the pool's own partition, COUNT)."""
        pages = query_pages(
            self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :f)",
            ExpressionAttributeValues={":pk": pool_pk(store_id, pool), ":f": "FREE#"},
            Select="COUNT",
        )
        return sum(int(page.get("Count", 0)) for page in pages)


def _public(item: dict[str, Any]) -> dict[str, Any]:
    """What a template may show of a coupon."""
    shown: dict[str, Any] = {"code": item["code"], "expires_at": item["expires_at"]}
    for name in ("percent_off", "amount_off"):
        if item.get(name) is not None:
            shown[name] = int(item[name]) if name == "percent_off" else Decimal(str(item[name]))
    return shown
