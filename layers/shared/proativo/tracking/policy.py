"""A store's tracking thresholds: the defaults of `TrackingPolicy`, overridden by the `tracking_policy` map on the
store's profile (`proativo stores set-tracking-policy`). Each container reads a store's policy at most once a
minute."""

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from proativo.aws import keys
from proativo.tracking.detection import TrackingPolicy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

POLICY_FIELD = "tracking_policy"


def policy_of(profile: dict[str, Any] | None) -> TrackingPolicy:
    """The policy a store profile item sets (defaults where it says nothing)."""
    overrides = (profile or {}).get(POLICY_FIELD) or {}
    return TrackingPolicy.model_validate(dict(overrides))  # DynamoDB's Decimals validate as ints


@dataclass
class PolicyCache:
    """Reads a store's policy, caching it for `seconds`."""

    table: "Table"
    seconds: float = 60.0
    _entries: dict[str, tuple[float, TrackingPolicy]] = field(default_factory=dict)

    def __call__(self, store_id: str) -> TrackingPolicy:
        found = self._entries.get(store_id)
        if found and found[0] > time.monotonic():
            return found[1]
        item = self.table.get_item(Key={"pk": keys.store_pk(store_id), "sk": "PROFILE"}).get("Item")
        policy = policy_of(item)
        self._entries[store_id] = (time.monotonic() + self.seconds, policy)
        return policy
