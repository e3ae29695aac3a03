"""A store's own flows: YAML validated when saved (fields, steps, templates), kept on the store's partition, merged
over the built-in ones. Journeys under way keep the version they started with (enrolments snapshot their steps)."""

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from proativo.aws import keys
from proativo.clock import as_utc
from proativo.messaging.templates import LOCALES, environment
from proativo.sequences.flows import Flow, FlowError, default_flows, merge, missing_templates, parse_flows

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

FLOWS_SK = "FLOWS"


def validate(text: str, source: str) -> tuple[Flow, ...]:
    """Parse a store's flows file and check every template it names exists; FlowError says what and where."""
    flows = parse_flows(text, source)
    known = set(environment().list_templates())
    missing = missing_templates(flows, known.__contains__, LOCALES)
    if missing:
        raise FlowError(f"{source}: " + "; ".join(missing))
    return flows


def save(table: "Table", store_id: str, text: str, source: str, now: datetime) -> tuple[Flow, ...]:
    """Validate and store a store's flows (replacing its previous file); returns the flows now in force."""
    flows = validate(text, source)
    table.put_item(
        Item={"pk": keys.store_pk(store_id), "sk": FLOWS_SK, "kind": "flows", "yaml": text, "updated_at": as_utc(now)}
    )
    return merge(default_flows(), flows)


def reset(table: "Table", store_id: str) -> None:
    """Back to the built-in flows."""
    table.delete_item(Key={"pk": keys.store_pk(store_id), "sk": FLOWS_SK})


def load(table: "Table", store_id: str) -> tuple[Flow, ...]:
    """The flows in force for a store (built-in ones merged with its own)."""
    item: dict[str, Any] | None = table.get_item(Key={"pk": keys.store_pk(store_id), "sk": FLOWS_SK}).get("Item")
    if not item:
        return default_flows()
    return merge(default_flows(), parse_flows(str(item["yaml"]), f"store {store_id} flows"))


@dataclass
class FlowCache:
    """Each container reads a store's flows at most once per `seconds` (an edit applies within that time)."""

    table: "Table"
    seconds: float = 60.0
    _entries: dict[str, tuple[float, tuple[Flow, ...]]] = field(default_factory=dict)

    def __call__(self, store_id: str) -> tuple[Flow, ...]:
        found = self._entries.get(store_id)
        if found and found[0] > time.monotonic():
            return found[1]
        flows = load(self.table, store_id)
        self._entries[store_id] = (time.monotonic() + self.seconds, flows)
        return flows
