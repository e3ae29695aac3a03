"""Tracking benchmarks.

tracking_wall_ratio: 2 000 parcels checked against the fake Correios (in a process of its own) answering each
request after 50 ms, one code per request (as a carrier without batch queries would need) and at most C = 5
requests in flight (the Correios adapter's default per worker): wall time divided by the ideal N x 50 ms / C.
Everything a check does is in the wall time: reading the parcels, the HTTP round trips, assessing, announcing
status changes on the events queue, saving each parcel with its next check.

tracking_read_ratio: items DynamoDB reads (the Query's ScannedCount) in one tracking schedule run divided by the
parcels due, with 100 000 parcels waiting on the same index for later checks. The run is the whole fan-out: query,
messages to the tracking queue, parcels taken off the index."""

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.local.stack import DEMO_STORE, LocalStack, _free_port

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _parcel(i: int, due_at: datetime, shards: int, prefix: str) -> dict[str, Any]:
    from proativo.aws import keys
    from proativo.tracking.model import parcel_sk

    pk, sk = keys.customer_pk(DEMO_STORE, f"{prefix}-{i}"), parcel_sk("correios", f"BE{i:08d}0BR")
    return {
        "pk": pk,
        "sk": sk,
        "kind": "parcel",
        "store_id": DEMO_STORE,
        "customer_id": f"{prefix}-{i}",
        "order_id": f"o-{prefix}-{i}",
        "carrier": "correios",
        "tracking_code": f"BE{i:08d}0BR",
        "shipped_at": "2026-11-24T10:00:00Z",
        "status": "info_received",
        "version": 0,
        **keys.due_keys("track", f"{pk}|{sk}", due_at, shards),
    }


def wall(parcels: int = 2000, latency: float = 0.05, concurrency: int = 5) -> dict[str, float]:
    """Check `parcels` parcels at most `concurrency` requests at a time against a carrier taking `latency` s."""
    with LocalStack(start=NOW, log_level="ERROR") as stack:
        from proativo import aws, wiring
        from proativo.settings import TrackingSettings
        from proativo.tracking.correios import Correios, CorreiosCredentials
        from proativo.tracking.limits import Limits
        from proativo.tracking.model import ParcelRef

        with stack.running_as("TrackerFunction"):
            settings = TrackingSettings.from_env()
        shards = int(stack.parameters["DueShards"])
        items = [_parcel(i, NOW, shards, "wall") for i in range(parcels)]
        with aws.table(stack.physical["Table"]).batch_writer() as batch:
            for item in items:
                batch.put_item(Item=item)
        from infra.local.fake_carrier import credentials

        # The carrier in a process of its own, as a real one would be: its work is not ours to count.
        port = _free_port()
        carrier = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [
                sys.executable,
                "-m",
                "infra.local.fake_carrier",
                "--port",
                str(port),
                "--latency",
                str(latency),
                "--now",
                NOW.isoformat(),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert carrier.stdout is not None and "fake Correios" in carrier.stdout.readline()
            adapter = Correios(
                CorreiosCredentials.model_validate(credentials(f"http://127.0.0.1:{port}")),
                batch_size=1,
                limits=Limits(concurrency=concurrency, per_second=10_000),
            )
            tracker = wiring.tracker(settings)
            tracker.carriers = lambda store, carrier: adapter
            refs = [ParcelRef(**{f: str(item[f]) for f in ParcelRef.model_fields}) for item in items]
            tracker.check_now(refs[:1], NOW)  # the token, and warm code paths
            started = time.perf_counter()
            outcomes = tracker.check_now(refs[1:], NOW + timedelta(minutes=1))
            elapsed = time.perf_counter() - started
        finally:
            carrier.terminate()
            carrier.wait(timeout=10)
    checked = len(outcomes)
    assert checked == parcels - 1 and all(o.new_scans for o in outcomes), checked
    ideal = checked * latency / concurrency
    return {
        "tracking_wall_ratio": elapsed / ideal,
        "tracking_wall_seconds": elapsed,
        "tracking_ideal_seconds": ideal,
        "tracking_parcels": checked,
        "tracking_concurrency": concurrency,
    }


def reads(idle: int = 100_000, due: int = 500) -> dict[str, float]:
    """Load `idle` parcels due later and `due` due now; one tracking run; reads against work."""
    with LocalStack(start=NOW, log_level="ERROR") as stack:
        from proativo import aws, wiring
        from proativo.settings import TrackingSettings

        with stack.running_as("TrackingFunction"):
            settings = TrackingSettings.from_env()
        shards = int(stack.parameters["DueShards"])
        with aws.table(stack.physical["Table"]).batch_writer() as batch:
            for i in range(idle):
                batch.put_item(Item=_parcel(i, NOW + timedelta(hours=6), shards, "idle"))
            for i in range(due):
                batch.put_item(Item=_parcel(i, NOW, shards, "due"))
        report = wiring.tracking_fan_out(settings).run(NOW, settings.max_items_per_run)
    return {
        "tracking_read_ratio": report.read / report.due,
        "tracking_read": report.read,
        "tracking_due": report.due,
        "tracking_enqueued": report.enqueued,
        "tracking_stored": idle + due,
    }


if __name__ == "__main__":
    print(wall())
    print(reads())
