"""`make bench`: every benchmark, printed as `name: value` lines (the names are a contract)."""

import sys

from bench import cold_start, dispatch, webhook


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
    results = cold_start.measure()
    print(f"cold_start_ratio_max: {results['cold_start_ratio_max']:.2f}")
    print(f"  baseline (boto3 + Powertools, bare): {results['cold_start_baseline_ms']:.0f} ms")
    for name, ms in results["cold_start_ms"].items():
        print(f"  {name}: {ms:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
