"""`make bench`: every benchmark, printed as `name: value` lines (the names are a contract)."""

import sys

from bench import cold_start


def main() -> int:
    results = cold_start.measure()
    print(f"cold_start_ratio_max: {results['cold_start_ratio_max']:.2f}")
    print(f"  baseline (boto3 + Powertools, bare): {results['cold_start_baseline_ms']:.0f} ms")
    for name, ms in results["cold_start_ms"].items():
        print(f"  {name}: {ms:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
