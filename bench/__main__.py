"""`make bench`: every benchmark, printed as `name: value` lines (the names are a contract)."""

import sys

from bench import cold_start, dispatch, engine, sender, tracking, webhook


def main() -> int:
    hooks = webhook.measure()
    print(f"webhook_handler_ratio: {hooks['webhook_handler_ratio']:.2f}")
    ours, minimal = hooks["webhook_handler_ms"], hooks["webhook_minimal_ms"]
    print(f"  per request: webhook {ours:.1f} ms, minimal enqueue {minimal:.1f} ms")
    due = dispatch.measure()
    print(f"dispatcher_read_ratio: {due['dispatcher_read_ratio']:.2f}")
    print(
        f"  {due['dispatcher_read']} items read for {due['dispatcher_due']} due among {due['dispatcher_stored']} stored"
    )
    applied = engine.measure()
    print(f"engine_throughput_ratio: {applied['engine_throughput_ratio']:.2f}")
    print(
        f"  {applied['engine_events']} events at {applied['engine_events_per_second']:.0f}/s through the engine,"
        f" bare PutItem {applied['bare_writes_per_second']:.0f}/s"
    )
    print(f"  ceiling at one read and one conditional write an event: {applied['engine_ceiling_ratio']:.2f}")
    sent = sender.measure()
    print(f"sender_throughput_ratio: {sent['sender_throughput_ratio']:.2f}")
    print(
        f"  {sent['sender_messages']} messages at {sent['sender_per_second']:.0f}/s through the sender,"
        f" bare SES send_email {sent['bare_ses_per_second']:.0f}/s"
    )
    print(
        f"  ceiling with a claim before every send (never twice): {sent['sender_ceiling_ratio']:.2f}"
        f" (conditional put {sent['claim_ms']:.1f} ms + send {sent['bare_ses_ms']:.1f} ms, nothing read or recorded)"
    )
    checked = tracking.wall()
    print(f"tracking_wall_ratio: {checked['tracking_wall_ratio']:.2f}")
    print(
        f"  {checked['tracking_parcels']} parcels in {checked['tracking_wall_seconds']:.1f} s, ideal"
        f" {checked['tracking_ideal_seconds']:.1f} s (50 ms a request, {checked['tracking_concurrency']} in flight)"
    )
    polled = tracking.reads()
    print(f"tracking_read_ratio: {polled['tracking_read_ratio']:.2f}")
    print(
        f"  {polled['tracking_read']} items read for {polled['tracking_due']} parcels due among"
        f" {polled['tracking_stored']} stored"
    )
    results = cold_start.measure()
    print(f"cold_start_ratio_max: {results['cold_start_ratio_max']:.2f}")
    print(f"  baseline (boto3 + Powertools, bare): {results['cold_start_baseline_ms']:.0f} ms")
    for name, ms in results["cold_start_ms"].items():
        print(f"  {name}: {ms:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
