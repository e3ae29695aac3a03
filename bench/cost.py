"""What the demo day would cost on AWS: the demo replayed with the local stack's meter (`infra.local.meter`) on, every
request the functions make priced at list (`bench.prices`).

Work and idle are apart. An invocation a schedule made that changed nothing (no write, no message, nothing queued)
is idle: it costs the same with one order or a million, so it is priced per month (`idle_usd_per_month`), never
per order. A schedule's run that found work is counted for what it added to the run the schedule makes anyway (its
writes and sends, and its time beyond an idle run's; its polls of the due index and its invocation are the idle
run's). Everything else is the orders' work: `infra_usd_per_order` is its cost over the orders the day placed.

The two paths the issue names are followed record by record: an external event (a platform's, through a webhook) is
the webhook request, its share of the relay's batch and its share of the events function's batch; a message is
the dispatcher's and the sender's work and its share of the stats function's counters. A batch's requests are
shared among its records evenly.
"""

import json
import math
import statistics
import tempfile
from collections import Counter, defaultdict
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from proativo.clock import as_utc

from bench import prices
from infra.local.meter import Call, Meter, Run

_SEND = {("sqs", "SendMessage"), ("sqs", "SendMessageBatch"), ("sesv2", "SendEmail"), ("sns", "Publish")}
WRU_GOAL = 8.0  # wru_per_event's and wru_per_message's goal (#17)
_WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
# Lambda's SQS pollers are always on: each event source mapping long-polls its queue (20 s) with about five
# concurrent pollers while the queue is empty, ~15 ReceiveMessage a minute (an estimate: AWS publishes no figure).
_IDLE_RECEIVES_PER_MAPPING_MONTH = 15 * 60 * prices.HOURS_PER_MONTH
_PLATFORM_LOG_BYTES = 320  # START, END and REPORT lines Lambda writes for every invocation


def _changed(run: Run) -> bool:
    return any(
        not c.error and ((c.service == "dynamodb" and c.operation in _WRITE_OPS) or (c.service, c.operation) in _SEND)
        for c in run.calls
    )


def _usd(run: Run, memory_mb: dict[str, int], traced: bool) -> dict[str, float]:
    """What one invocation costs, by part (`traced`: the template's default `Tracing` is Active)."""
    gb_seconds = math.ceil(run.ms) / 1000 * memory_mb[run.function] / 1024
    ddb = [c for c in run.calls if c.service == "dynamodb"]
    return {
        "lambda": (prices.LAMBDA_REQUEST if run.trigger != "work" else 0.0) + gb_seconds * prices.LAMBDA_GB_SECOND,
        "dynamodb": sum(
            (c.wru + c.index_wru) * prices.DYNAMODB_WRITE_UNIT + c.rru * prices.DYNAMODB_READ_UNIT for c in ddb
        ),
        "sqs": sum(c.billed_requests for c in run.calls if c.service == "sqs") * prices.SQS_REQUEST,
        "http_api": prices.HTTP_API_REQUEST if run.trigger == "http" else 0.0,
        "schedule": prices.SCHEDULED_INVOCATION if run.trigger == "schedule" else 0.0,
        "logs": (run.log_bytes + (_PLATFORM_LOG_BYTES if run.trigger != "work" else 0)) / 1e9 * prices.LOGS_INGESTED_GB,
        "xray": prices.XRAY_TRACE if traced and run.trigger != "work" else 0.0,
    }


def _marginal(run: Run, idle_ms: float) -> Run:
    """What a schedule's run that found work added to the run the schedule makes anyway: its polls of the due
    index, its invocation and the time an idle run takes are the schedule's (priced per month as idle)."""
    calls = [c for c in run.calls if not (c.operation == "Query" and c.index == "due")]
    return replace(run, trigger="work", ms=max(0.0, run.ms - idle_ms), calls=calls)


def _external(body: str) -> bool:
    """A canonical event a platform reported (not one of Proativo's own: the tracker's, the page's, a click's)."""
    from proativo.platforms.registry import PLATFORMS

    try:
        message = json.loads(body)
    except ValueError:
        return False
    return bool(message.get("type") == "ResourceChanged" or message.get("source") in PLATFORMS)


def _relayed_external(record: dict[str, Any]) -> bool:
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    events = image.get("events", {}).get("L", [])
    return record.get("eventName") == "INSERT" and "queue" not in image and any(_external(e["S"]) for e in events)


def _share(run: Run, belongs: Any) -> float:
    if not run.records:
        return 0.0
    return sum(1 for r in run.records if belongs(r)) / len(run.records)


def _ddb(calls: list[Call]) -> tuple[int, float, float]:
    ddb = [c for c in calls if c.service == "dynamodb"]
    return len(ddb), sum(c.wru + c.index_wru for c in ddb), sum(c.rru for c in ddb)


def _path(shares: list[tuple[Run, float]], count: int) -> dict[str, float]:
    requests = wru = rru = 0.0
    for run, share in shares:
        n, w, r = _ddb(run.calls)
        requests, wru, rru = requests + n * share, wru + w * share, rru + r * share
    count = max(count, 1)
    return {"requests": requests / count, "wru": wru / count, "rru": rru / count}


def _by_part(shares: list[tuple[Run, float]], count: int) -> dict[str, dict[str, float]]:
    """`_path` per function (the stats function's batches and its roll-ups apart)."""
    parts: dict[str, list[tuple[Run, float]]] = defaultdict(list)
    for run, share in shares:
        name = run.function.removesuffix("Function").lower()
        parts[name + (" roll-ups" if name == "stats" and run.trigger != "stream" else "")].append((run, share))
    return {name: _path(part, count) for name, part in parts.items()}


def _split(runs: list[Run]) -> tuple[list[Run], list[Run]]:
    """The idle schedule runs, and the work (a schedule's run that found work counted for what it added)."""
    idle = [r for r in runs if r.trigger == "schedule" and not _changed(r)]
    idle_ms = {f: statistics.median(r.ms for r in idle if r.function == f) for f in {r.function for r in idle}}
    work = [
        r if r.trigger != "schedule" else _marginal(r, idle_ms.get(r.function, 0.0))
        for r in runs
        if r.trigger != "schedule" or _changed(r)
    ]
    return idle, work


def _message_record(rec: dict[str, Any]) -> bool:
    image = (rec.get("dynamodb") or {}).get("NewImage") or {}
    return str(image.get("sk", {}).get("S", "")).startswith("MSG#")


Shares = list[tuple[Run, float]]


def _paths(runs: list[Run], work: list[Run]) -> tuple[int, Shares, Shares, list[Run], list[Run]]:
    """The external events counted, each path's runs with the share of each run that is the path's, and the stats
    function's counting runs and roll-ups."""
    # External events: webhook → relay → events function.
    external = sum(1 for r in runs if r.function == "EventsFunction" for rec in r.records if _external(rec["body"]))
    event_path = [(r, 1.0) for r in runs if r.function == "WebhooksFunction"]
    event_path += [(r, _share(r, _relayed_external)) for r in runs if r.function == "RelayFunction"]
    event_path += [(r, _share(r, lambda rec: _external(rec["body"]))) for r in runs if r.function == "EventsFunction"]
    # Messages: dispatcher's and sender's work, and the stats function's share for message records. The counters'
    # roll-ups serve every fact of their days: the messages' share of them is the messages' share of the facts
    # counted.
    counted = [r for r in runs if r.function == "StatsFunction" and r.trigger == "stream"]
    rolled = [r for r in work if r.function == "StatsFunction" and r.trigger != "stream"]
    facts = [rec for r in counted for rec in r.records]
    of_messages = sum(1 for rec in facts if _message_record(rec)) / max(len(facts), 1)
    message_path = [(r, 1.0) for r in work if r.function in ("DispatcherFunction", "SenderFunction")]
    message_path += [(r, _share(r, _message_record)) for r in counted]
    message_path += [(r, of_messages) for r in rolled]
    return external, event_path, message_path, counted, rolled


def replay() -> tuple[Meter, int]:
    """The demo day replayed with the meter on: the meter, and how many messages went out."""
    from infra.local.demo import run_demo
    from infra.local.stack import LocalStack

    meters: list[Meter] = []

    def metered(stack: LocalStack) -> AbstractContextManager[Meter]:
        meters.append(Meter(stack))
        return meters[-1]

    with tempfile.TemporaryDirectory() as out:
        _, outbox = run_demo(Path(out), quiet=True, watch=metered)
    return meters[0], len(outbox.entries)


def measure() -> dict[str, Any]:
    """The figures of the demo day's bill."""
    meter, messages = replay()
    stack = meter.stack
    memory = {name: fn.memory for name, fn in stack.stack.functions.items()}
    traced = stack.parameters.get("Tracing") == "Active"
    runs = meter.runs
    idle, work = _split(runs)

    orders = sum(
        1
        for r in runs
        if r.function == "EventsFunction"
        for rec in r.records
        if json.loads(rec["body"]).get("type") == "OrderPlaced"
    )
    work_parts: Counter[str] = Counter()
    for run in work:
        work_parts.update(_usd(run, memory, traced))
    infra_usd = sum(work_parts.values())

    external, event_path, message_path, counted, rolled = _paths(runs, work)
    per_event = _path(event_path, external)
    per_message = _path(message_path, messages)
    counters = {
        "batches": len(counted),
        "facts": sum(len(r.records) for r in counted),
        "requests": sum(_ddb(r.calls)[0] for r in counted),
        "wru": sum(_ddb(r.calls)[1] for r in counted),
        "roll_ups": len(rolled),
        "roll_up_requests": sum(_ddb(r.calls)[0] for r in rolled),
        "roll_up_wru": sum(_ddb(r.calls)[1] for r in rolled),
    }

    # Idle: each schedule's idle run as measured, at its rate; Lambda's pollers; alarms, dashboard, live metrics.
    schedules = {(t.function, t.every_seconds) for t in stack.stack.schedules}
    idle_parts: dict[str, float] = defaultdict(float)
    for function, every in sorted(schedules):
        mine = [r for r in idle if r.function == function]
        if not mine:
            continue
        per_run = sum(sum(_usd(r, memory, traced).values()) for r in mine) / len(mine)
        idle_parts[f"schedule {function} every {every // 60} min"] = per_run * 30 * 24 * 3600 / every
    mappings = len(stack.stack.queue_triggers)
    idle_parts[f"Lambda's pollers on {mappings} queues"] = (
        mappings * _IDLE_RECEIVES_PER_MAPPING_MONTH * prices.SQS_REQUEST
    )
    alarms = len(stack.stack.resources("AWS::CloudWatch::Alarm"))
    dashboards = len(stack.stack.resources("AWS::CloudWatch::Dashboard"))
    idle_parts[f"{alarms} alarms"] = alarms * prices.ALARM_MONTH
    idle_parts[f"{dashboards} dashboard"] = dashboards * prices.DASHBOARD_MONTH
    # A metric an idle run emits receives a point every hour the schedule runs: billed the whole month.
    live = {m for r in idle for m in r.metrics}
    idle_parts[f"{len(live)} custom metrics kept alive by idle runs"] = len(live) * prices.METRIC_MONTH

    by_operation: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for run in work:
        for call in run.calls:
            caller = run.function if call.function != "(poller)" else f"(poller) {run.function}"
            row = by_operation[f"{caller} {call.service}:{call.operation}"]
            row["requests"] += call.billed_requests if call.service == "sqs" else 1
            row["wru"] += call.wru + call.index_wru
            row["rru"] += call.rru
            row["failed"] += 1 if call.error else 0
    emails = sum(1 for r in work for c in r.calls if (c.service, c.operation) == ("sesv2", "SendEmail") and not c.error)
    # What the same day would cost were every event and every message at its write-unit goal: how far the per-unit
    # goals alone could bring the bill (the day's shape, its parcel checks, logs and queues, is the rest).
    over = max(0.0, per_event["wru"] - WRU_GOAL) * external + max(0.0, per_message["wru"] - WRU_GOAL) * messages
    tracker = sum(_ddb(r.calls)[1] for r in work if r.function == "TrackerFunction")
    return {
        "infra_usd_per_order": infra_usd / max(orders, 1),
        "cost_at_goals_usd_per_order": (infra_usd - over * prices.DYNAMODB_WRITE_UNIT) / max(orders, 1),
        "cost_tracker_wru": tracker,
        "ddb_requests_per_event": per_event["requests"],
        "wru_per_event": per_event["wru"],
        "rru_per_event": per_event["rru"],
        "cost_event_parts": _by_part(event_path, external),
        "cost_message_parts": _by_part(message_path, messages),
        "ddb_requests_per_message": per_message["requests"],
        "wru_per_message": per_message["wru"],
        "rru_per_message": per_message["rru"],
        "idle_usd_per_month": sum(idle_parts.values()),
        "cost_orders": orders,
        "cost_events": external,
        "cost_messages": messages,
        "cost_invocations": len(work),
        "cost_idle_invocations": len(idle),
        "cost_parts": dict(work_parts),
        "cost_idle_parts": dict(idle_parts),
        "cost_counters": counters,
        "cost_emails_usd": emails * prices.SES_EMAIL,
        "cost_by_operation": {k: dict(v) for k, v in sorted(by_operation.items())},
        "cost_prices": prices.AS_OF,
    }


BUSY_CARTS = 200


def busy_hour(carts: int = BUSY_CARTS) -> dict[str, Any]:
    """The same paths counted where batches fill, as at a busy store: `carts` customers leave their carts within a
    minute of noon, and an hour later each is sent the first reminder. The demo day's figures carry what a batch of
    one costs (a read, a counters' put); this one shows what each message and event costs once they are shared."""
    from proativo.platforms.registry import PLATFORMS

    from bench.webhook import cart_body
    from infra.local.outbox import Outbox
    from infra.local.stack import DEMO_SECRET, LocalStack

    generic = PLATFORMS["generic"]
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    with LocalStack(start=noon, log_level="WARNING") as stack, Meter(stack) as meter:
        outbox = Outbox(stack, None)
        for n in range(carts):
            body = cart_body(n, as_utc(stack.clock.now()))
            headers = {**generic.sign_headers(DEMO_SECRET, body, stack.clock.now()), "content-type": "application/json"}
            status, _, _ = stack.http("POST", "/webhooks/generic/demo", headers, body)
            if status != 202:
                raise RuntimeError(f"the busy hour's webhook {n} was answered {status}")
        stack.drain()
        stack.jump(3600 + 300)
        messages = len(outbox.entries)
    runs = meter.runs
    _, work = _split(runs)
    external, event_path, message_path, _, _ = _paths(runs, work)
    per_event, per_message = _path(event_path, external), _path(message_path, messages)
    return {
        "busy_carts": carts,
        "busy_messages": messages,
        "busy_ddb_requests_per_event": per_event["requests"],
        "busy_wru_per_event": per_event["wru"],
        "busy_ddb_requests_per_message": per_message["requests"],
        "busy_wru_per_message": per_message["wru"],
        "busy_message_parts": _by_part(message_path, messages),
    }
