"""`make bench`: every benchmark, printed as `name: value` lines (the names are a contract).

Each benchmark runs in an interpreter of its own: one that follows another in the same process inherits its heap
(the 100 000 items of the index benchmarks) and measured up to 20 % slower.
"""

import json
import subprocess
import sys
from typing import Any

from bench.prices import DYNAMODB_WRITE_UNIT


def _isolated(module: str, function: str = "measure") -> Any:
    """`bench.<module>.<function>()` run in a fresh interpreter; its result."""
    code = f"import json, bench.{module} as m; print(json.dumps(m.{function}()))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    hooks = _isolated("webhook")
    print(f"webhook_handler_ratio: {hooks['webhook_handler_ratio']:.2f}")
    ours, minimal = hooks["webhook_handler_ms"], hooks["webhook_minimal_ms"]
    print(f"  per request: webhook {ours:.1f} ms, minimal enqueue {minimal:.1f} ms")
    due = _isolated("dispatch")
    print(f"dispatcher_read_ratio: {due['dispatcher_read_ratio']:.2f}")
    print(
        f"  {due['dispatcher_read']} items read for {due['dispatcher_due']} due among {due['dispatcher_stored']} stored"
    )
    applied = _isolated("engine")
    print(f"engine_throughput_ratio: {applied['engine_throughput_ratio']:.2f}")
    print(
        f"  {applied['engine_events']} events at {applied['engine_events_per_second']:.0f}/s through the engine,"
        f" bare PutItem {applied['bare_writes_per_second']:.0f}/s"
    )
    print(f"  ceiling at one read and one conditional write an event: {applied['engine_ceiling_ratio']:.2f}")
    sent = _isolated("sender")
    print(f"sender_throughput_ratio: {sent['sender_throughput_ratio']:.2f}")
    print(
        f"  {sent['sender_messages']} messages at {sent['sender_per_second']:.0f}/s through the sender,"
        f" bare SES send_email {sent['bare_ses_per_second']:.0f}/s"
    )
    print(
        f"  ceiling with a claim before every send (never twice): {sent['sender_ceiling_ratio']:.2f}"
        f" (conditional put {sent['claim_ms']:.1f} ms + send {sent['bare_ses_ms']:.1f} ms, nothing read or recorded)"
    )
    checked = _isolated("tracking", "wall")
    print(f"tracking_wall_ratio: {checked['tracking_wall_ratio']:.2f}")
    floors = ", ".join(
        f"{k.removeprefix('tracking_ideal_seconds_')} {v:.1f} s"
        for k, v in checked.items()
        if k.startswith("tracking_ideal_seconds_")
    )
    print(
        f"  {checked['tracking_parcels']} parcels of a mixed fleet in {checked['tracking_wall_seconds']:.1f} s, ideal"
        f" {checked['tracking_ideal_seconds']:.1f} s (each carrier's own floor: {floors})"
    )
    own = checked["tracking_own_work_seconds"]
    hidden = checked["tracking_wall_seconds"] / max(own, checked["tracking_ideal_seconds"])
    print(
        f"  the same checks with carriers answering at once: {own:.1f} s (our own work and the local stack's, which no"
        f" latency hides); wall / max(ideal, that): {hidden:.2f}; of it, the local stack's bare put and send per"
        f" parcel: {checked['tracking_bare_calls_seconds']:.1f} s; the carriers' fakes spent"
        f" {checked['tracking_fakes_cpu_seconds']:.1f} s of CPU answering them, on the same cores"
    )
    polled = _isolated("tracking", "reads")
    print(f"tracking_read_ratio: {polled['tracking_read_ratio']:.2f}")
    print(
        f"  {polled['tracking_read']} items read for {polled['tracking_due']} parcels due among"
        f" {polled['tracking_stored']} stored"
    )
    viewed = _isolated("page")
    print(f"tracking_page_requests: {viewed['tracking_page_requests']:.2f}")
    print(f"tracking_page_ms: {viewed['tracking_page_ms']:.1f}")
    print(f"tracking_page_ratio: {viewed['tracking_page_ratio']:.2f}")
    print(
        f"  {viewed['tracking_page_views']} views of one order's page (a lost parcel, its claim, its journal);"
        f" one bare Query of the partition: {viewed['tracking_page_query_ms']:.1f} ms"
    )
    signals = _isolated("signals")
    print(f"signal_handler_ratio: {signals['signal_handler_ratio']:.2f}")
    print(
        f"  per batch: signals route {signals['signal_handler_ms']:.1f} ms, one read and one conditional write"
        f" {signals['signal_minimal_ms']:.1f} ms"
    )
    print(f"snippet_gzip_bytes: {signals['snippet_gzip_bytes']}")
    billed = _isolated("cost")
    print(f"infra_usd_per_order: {billed['infra_usd_per_order']:.6f}")
    print(
        f"  the demo day: {billed['cost_orders']} orders, {billed['cost_events']} platform events,"
        f" {billed['cost_messages']} messages, {billed['cost_invocations']} invocations doing work"
        f" ({billed['cost_idle_invocations']} idle schedule runs apart); prices: {billed['cost_prices']}"
    )
    parts = billed["cost_parts"]
    print("  per order: " + ", ".join(f"{k} {v / billed['cost_orders']:.6f}" for k, v in parts.items()))
    print(f"  (messaging apart: SES e-mail {billed['cost_emails_usd'] / billed['cost_orders']:.6f} per order)")
    print(
        f"  were every event and message at its goal of 8 write units, the same day would cost"
        f" {billed['cost_at_goals_usd_per_order']:.6f} per order; the tracker's writes alone (parcel checks and claims)"
        f" {billed['cost_tracker_wru'] * DYNAMODB_WRITE_UNIT / billed['cost_orders']:.6f}"
    )
    print(f"ddb_requests_per_event: {billed['ddb_requests_per_event']:.2f}")
    print(f"wru_per_event: {billed['wru_per_event']:.2f}")
    counters = billed["cost_counters"]
    print(
        f"  read units per event {billed['rru_per_event']:.2f}; the day's counters (stats function, for events,"
        f" messages, parcels and visits alike): {counters['batches']} batches of {counters['facts']} facts put"
        f" {counters['wru']:.0f} write units ({counters['wru'] / max(counters['facts'], 1):.1f} a fact), their"
        f" {counters['roll_ups']} roll-ups {counters['roll_up_wru']:.0f}"
    )
    print("  per event, by function: " + _parts(billed["cost_event_parts"]))
    print(f"ddb_requests_per_message: {billed['ddb_requests_per_message']:.2f}")
    print(f"wru_per_message: {billed['wru_per_message']:.2f}")
    print(f"  read units per message {billed['rru_per_message']:.2f}")
    print("  per message, by function: " + _parts(billed["cost_message_parts"]))
    busy = _isolated("cost", "busy_hour")
    print(
        f"  where batches fill ({busy['busy_carts']} carts left at noon, their {busy['busy_messages']} first"
        f" reminders an hour later): {busy['busy_ddb_requests_per_message']:.2f} requests and"
        f" {busy['busy_wru_per_message']:.2f} write units a message ("
        + _parts(busy["busy_message_parts"])
        + f"); {busy['busy_ddb_requests_per_event']:.2f} requests and {busy['busy_wru_per_event']:.2f} write units"
        " an event"
    )
    print(f"idle_usd_per_month: {billed['idle_usd_per_month']:.2f}")
    for part, usd in billed["cost_idle_parts"].items():
        print(f"  {part}: {usd:.3f}")
    print("  by function and operation (the demo day's work): requests, write units, read units, failed")
    for name, row in billed["cost_by_operation"].items():
        print(
            f"    {name:<58} {row['requests']:>5.0f} {row['wru']:>7.1f} {row['rru']:>7.1f}"
            f"{'  ' + format(row['failed'], '.0f') + ' failed' if row['failed'] else ''}"
        )
    results = _isolated("cold_start")
    print(f"cold_start_ratio_max: {results['cold_start_ratio_max']:.2f}")
    print(f"  baseline (boto3 + Powertools, bare): {results['cold_start_baseline_ms']:.0f} ms")
    print(
        f"  floor of a function that validates with pydantic (the baseline + Powertools' HTTP resolver with"
        f" validation + one model): {results['cold_start_floor_ratio']:.2f}; of a queue function that parses its"
        f" records with pydantic (the baseline + Powertools' batch processor + one model):"
        f" {results['cold_start_queue_floor_ratio']:.2f}"
    )
    for name, ms in results["cold_start_ms"].items():
        print(f"  {name}: {ms:.0f} ms")
    return 0


def _parts(parts: dict[str, dict[str, float]]) -> str:
    """Requests and write units of a path's parts, e.g. `sender 3.51 req 2.42 wru`."""
    return ", ".join(f"{name} {p['requests']:.2f} req {p['wru']:.2f} wru" for name, p in parts.items())


if __name__ == "__main__":
    sys.exit(main())
