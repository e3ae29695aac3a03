"""What AWS would bill for the functions' own work on the local stack: every request they make, DynamoDB's read and
write units from the items' real sizes, SQS's billed requests, each invocation's duration and log bytes.

The embedded AWS runs in this process, so the meter sits where every boto3 request passes (`BaseClient._make_request`,
after parameters are serialised: the wire JSON DynamoDB bills on) and counts only while a function runs: the local
stack's own machinery (its queue and stream pollers, the outbox, the demo's read-back) is not the functions' bill.
Lambda's own pollers are billed to the account too (SQS ReceiveMessage and DeleteMessageBatch per batch); they are
counted per SQS-triggered invocation, under `(poller)`.

DynamoDB's units, as its developer guide states them (on-demand: a write request unit per 1 KB written, a read
request unit per 4 KB read strongly, half for eventually consistent, transactions twice):
- an item's size is its attribute names and values (numbers by their significant digits, lists and maps 3 bytes plus 1
  per element); a write costs the larger of the item before and after; a write whose condition fails still costs
  the item's size (at least 1); a transaction costs 2 per 1 KB of each item it names (condition checks too), and a
  cancelled one is counted as if it ran (the conservative reading);
- a Query costs the summed size of every item it evaluated (before any filter), rounded up to 4 KB, at least one
  unit; a GetItem, each key of a BatchGetItem, 4 KB at a time, at least one unit, found or not;
- each global secondary index an item enters, leaves or changes in is written separately (1 KB units of the entry;
  a changed index key is a delete and a put), never doubled by a transaction.
"""

import base64
import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.client import BaseClient

if TYPE_CHECKING:
    from infra.local.stack import Invocation, LocalStack

KB = 1024
READ_BLOCK = 4 * KB
SQS_CHUNK = 64 * KB
_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


@dataclass
class Call:
    """One AWS request a function made (or Lambda made for it), and what it is billed."""

    function: str
    service: str
    operation: str
    error: str = ""
    rru: float = 0.0
    wru: float = 0.0
    index_wru: float = 0.0
    billed_requests: int = 1  # SQS bills each 64 KB chunk of a request as one request
    index: str = ""  # the index a Query or Scan read
    items: list[str] = field(default_factory=list)  # each item a write named: action, key prefix, units


@dataclass
class Run:
    """One invocation as billed: its duration, its log bytes, its requests."""

    function: str
    trigger: str  # http | sqs | stream | schedule | other
    ms: float
    log_bytes: int
    records: list[dict[str, Any]]
    calls: list[Call] = field(default_factory=list)
    metrics: set[str] = field(default_factory=set)  # custom metrics it emitted (name and dimensions)


def attribute_size(value: Any) -> int:
    """The size DynamoDB counts for one attribute value in wire JSON (`{"S": "…"}`, `{"M": {…}}`, …)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = Decimal(inner).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(base64.b64decode(inner)) if isinstance(inner, str) else len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_size(v) for k, v in inner.items())
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(attribute_size({"N": n}) for n in inner)
    if kind == "BS":
        return sum(attribute_size({"B": b}) for b in inner)
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: dict[str, Any] | None) -> int:
    """An item's size: its attribute names and values (0 for no item)."""
    return sum(len(k.encode()) + attribute_size(v) for k, v in (item or {}).items())


def _write_units(size: int) -> int:
    return max(1, math.ceil(size / KB))


def _read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / READ_BLOCK)) * (1.0 if consistent else 0.5)


class _Tables:
    """The embedded DynamoDB's items, read in memory (no request, nothing metered)."""

    def __init__(self) -> None:
        from moto.dynamodb.models import dynamodb_backends

        from infra.local.stack import ACCOUNT, REGION

        self._backend = dynamodb_backends[ACCOUNT][REGION]

    def table(self, name: str) -> Any:
        return self._backend.get_table(name)

    def item(self, name: str, key: dict[str, Any]) -> dict[str, Any] | None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        table = self.table(name)
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        found = table.get_item(hash_key, range_key)
        if found is None:
            return None
        attributes: dict[str, Any] = json.loads(json.dumps(found.to_json()["Attributes"], default=str))
        return attributes

    def key_of(self, name: str, item: dict[str, Any]) -> dict[str, Any]:
        table = self.table(name)
        names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
        return {n: item[n] for n in names}

    def index_entries(self, name: str, item: dict[str, Any] | None) -> dict[str, tuple[str, str, int]]:
        """Per global index the item is in: (its index key, its projected content, the entry's size)."""
        if not item:
            return {}
        table = self.table(name)
        table_keys = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
        entries = {}
        for index in table.global_indexes:
            keys = [k["AttributeName"] for k in index.schema]
            if not all(k in item for k in keys):
                continue
            projection = index.projection or {}
            kind = projection.get("ProjectionType", "ALL")
            if kind == "ALL":
                projected = item
            else:
                wanted = set(keys + table_keys) | set(
                    projection.get("NonKeyAttributes", []) if kind == "INCLUDE" else []
                )
                projected = {k: v for k, v in item.items() if k in wanted}
            entries[index.name] = (
                json.dumps([item[k] for k in keys], sort_keys=True),
                json.dumps(projected, sort_keys=True),
                item_size(projected),
            )
        return entries


def _index_writes(before: dict[str, tuple[str, str, int]], after: dict[str, tuple[str, str, int]]) -> float:
    units = 0.0
    for name in set(before) | set(after):
        old, new = before.get(name), after.get(name)
        if old and new:
            if old[0] != new[0]:
                units += _write_units(old[2]) + _write_units(new[2])
            elif old[1] != new[1]:
                units += _write_units(max(old[2], new[2]))
        elif old or new:
            units += _write_units((old or new)[2])  # type: ignore[index]
    return units


class Meter:
    """Counts, while installed, what the functions running on `stack` would be billed. Use as a context manager."""

    def __init__(self, stack: "LocalStack") -> None:
        self.stack = stack
        self.runs: list[Run] = []
        self._pending: list[Call] = []
        self._local = threading.local()
        self._lock = threading.Lock()
        self._tables: _Tables | None = None
        self._original: Any = None

    # ---- installing ------------------------------------------------------------------------------------------
    def __enter__(self) -> "Meter":
        self._tables = _Tables()
        self._original = BaseClient._make_request  # type: ignore[attr-defined]
        meter, original = self, self._original

        def _make_request(client: BaseClient, operation_model: Any, request_dict: Any, request_context: Any) -> Any:
            function = meter.stack._running
            if function is None or getattr(meter._local, "inside", False):
                return original(client, operation_model, request_dict, request_context)
            return meter._metered(function, client, operation_model, request_dict, request_context)

        BaseClient._make_request = _make_request  # type: ignore[attr-defined]
        self.stack.listeners.append(self._ran)
        return self

    def __exit__(self, *exc: object) -> None:
        BaseClient._make_request = self._original  # type: ignore[attr-defined]
        if self._ran in self.stack.listeners:
            self.stack.listeners.remove(self._ran)

    @contextmanager
    def _unmetered(self) -> Iterator[None]:
        self._local.inside = True
        try:
            yield
        finally:
            self._local.inside = False

    # ---- one request -----------------------------------------------------------------------------------------
    def _metered(
        self, function: str, client: BaseClient, operation_model: Any, request_dict: Any, request_context: Any
    ) -> Any:
        service = client.meta.service_model.service_name
        operation = operation_model.name
        body: dict[str, Any] = {}
        raw = request_dict.get("body")
        if service in ("dynamodb", "sqs") and raw:
            body = json.loads(raw)
        before = self._snapshot(operation, body) if service == "dynamodb" and operation in _WRITES else None
        answer = self._original(client, operation_model, request_dict, request_context)
        http, parsed = answer
        error = "" if http.status_code < 300 else str(parsed.get("Error", {}).get("Code", http.status_code))
        call = Call(function, service, operation, error, index=str(body.get("IndexName", "")))
        if service == "dynamodb":
            with self._unmetered():
                self._dynamodb_units(call, body, parsed, before)
        elif service == "sqs" and operation in ("SendMessage", "SendMessageBatch"):
            entries = body.get("Entries", [body])
            payload = sum(
                len(e.get("MessageBody", "").encode()) + len(json.dumps(e.get("MessageAttributes", {})))
                for e in entries
            )
            call.billed_requests = max(1, math.ceil(payload / SQS_CHUNK))
        with self._lock:
            self._pending.append(call)
        return answer

    # ---- DynamoDB --------------------------------------------------------------------------------------------
    def _written(
        self, operation: str, body: dict[str, Any]
    ) -> list[tuple[str, dict[str, Any], str, dict[str, Any] | None]]:
        """(table, key, action, the item a put writes) for each item a write request names."""
        assert self._tables is not None
        named: list[tuple[str, dict[str, Any], str, dict[str, Any] | None]] = []
        if operation == "PutItem":
            named.append((body["TableName"], self._tables.key_of(body["TableName"], body["Item"]), "Put", body["Item"]))
        elif operation in ("UpdateItem", "DeleteItem"):
            named.append((body["TableName"], body["Key"], operation.removesuffix("Item"), None))
        elif operation == "TransactWriteItems":
            for entry in body["TransactItems"]:
                ((action, spec),) = entry.items()
                key = spec.get("Key") or self._tables.key_of(spec["TableName"], spec["Item"])
                named.append((spec["TableName"], key, action, spec.get("Item")))
        elif operation == "BatchWriteItem":
            for table, requests in body["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        item = request["PutRequest"]["Item"]
                        named.append((table, self._tables.key_of(table, item), "Put", item))
                    else:
                        named.append((table, request["DeleteRequest"]["Key"], "Delete", None))
        return named

    def _snapshot(self, operation: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any], str, Any, Any]]:
        assert self._tables is not None
        return [(t, k, a, put, self._tables.item(t, k)) for t, k, a, put in self._written(operation, body)]

    def _dynamodb_units(
        self, call: Call, body: dict[str, Any], parsed: dict[str, Any], before: list[tuple[Any, ...]] | None
    ) -> None:
        assert self._tables is not None
        tables = self._tables
        op = call.operation
        consistent = bool(body.get("ConsistentRead"))
        if before is not None:
            factor = 2 if op == "TransactWriteItems" else 1
            for table, key, action, put, old in before:
                new = tables.item(table, key)
                if call.error or action == "ConditionCheck":
                    size = max(item_size(old), item_size(put))
                    call.wru += factor * _write_units(size)
                    continue
                units = factor * _write_units(max(item_size(old), item_size(new)))
                index = _index_writes(tables.index_entries(table, old), tables.index_entries(table, new))
                call.wru, call.index_wru = call.wru + units, call.index_wru + index
                call.items.append(f"{action} {_prefix(key)} {units}+{index:g}")
        elif op == "GetItem":
            call.rru += _read_units(item_size(tables.item(body["TableName"], body["Key"])), consistent)
        elif op == "BatchGetItem":
            for table, spec in body["RequestItems"].items():
                for key in spec["Keys"]:
                    call.rru += _read_units(item_size(tables.item(table, key)), bool(spec.get("ConsistentRead")))
        elif op == "TransactGetItems":
            for entry in body["TransactItems"]:
                spec = entry["Get"]
                call.rru += 2 * _read_units(item_size(tables.item(spec["TableName"], spec["Key"])), True)
        elif op in ("Query", "Scan"):
            call.rru += self._evaluated_units(op, body, parsed, consistent)

    def _evaluated_units(self, op: str, body: dict[str, Any], parsed: dict[str, Any], consistent: bool) -> float:
        """A Query or Scan costs every item it evaluated: asked again without the filter and the projection, as many
        items as the original evaluated, from the same start."""
        evaluated = int(parsed.get("ScannedCount", parsed.get("Count", 0)))
        if not evaluated:
            return _read_units(0, consistent)
        again = {k: v for k, v in body.items() if k not in ("FilterExpression", "ProjectionExpression", "Select")}
        again["Limit"] = evaluated
        used = str(again.get("KeyConditionExpression", ""))
        for placeholders in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
            kept = {k: v for k, v in again.pop(placeholders, {}).items() if k in used}
            if kept:
                again[placeholders] = kept
        client = self.stack.client("dynamodb")
        items = getattr(client, "query" if op == "Query" else "scan")(**again)["Items"]
        return _read_units(sum(item_size(i) for i in items), consistent)

    # ---- invocations -----------------------------------------------------------------------------------------
    def _ran(self, invocation: "Invocation") -> None:
        with self._lock:
            calls, self._pending = self._pending, []
        event = invocation.event
        records = event.get("Records") or []
        if "requestContext" in event and "http" in event["requestContext"]:
            trigger = "http"
        elif records and records[0].get("eventSource") == "aws:sqs":
            trigger = "sqs"
        elif records and records[0].get("eventSource") == "aws:dynamodb":
            trigger = "stream"
        elif event.get("detail-type") == "Scheduled Event":
            trigger = "schedule"
        else:
            trigger = "other"
        log_bytes = sum(len(json.dumps(line)) + 1 for line in invocation.logs)
        run = Run(invocation.function, trigger, invocation.ms, log_bytes, records, calls, _emitted(invocation.logs))
        if trigger == "sqs":  # Lambda's poller: one ReceiveMessage and one DeleteMessageBatch for the batch
            run.calls += [Call("(poller)", "sqs", op) for op in ("ReceiveMessage", "DeleteMessageBatch")]
        self.runs.append(run)


def _emitted(logs: list[dict[str, Any]]) -> set[str]:
    """The custom metrics (name and dimension values) a function's EMF lines carry."""
    names: set[str] = set()
    for line in logs:
        for directive in (line.get("_aws") or {}).get("CloudWatchMetrics", []):
            for dimensions in directive.get("Dimensions", [[]]):
                where = ",".join(f"{d}={line.get(d)}" for d in dimensions)
                names.update(f"{m['Name']}[{where}]" for m in directive.get("Metrics", []))
    return names


def _prefix(key: dict[str, Any]) -> str:
    """An item's kind from its key (`ENROL#`, `MSG#`, `EVENT#`…): the sort key's first part."""
    values = [str(next(iter(v.values()))) for v in key.values()]
    sort = values[-1] if len(values) > 1 else values[0]
    return sort.split("#", 1)[0] + "#" if "#" in sort else sort[:12]
