"""Tracking benchmarks.

tracking_wall_ratio: a mixed fleet checked at once, each carrier's fake in a process of its own answering each
request after its own latency, one code per request (as a carrier without batch queries would need), within each
carrier's own limits: 1 000 Correios parcels (50 ms, 5 in flight), 400 Jadlog parcels (50 ms, 2 in flight) and 200
parcels of a carrier we do not poll, registered with the aggregator (AfterShip: 50 ms, 5 in flight, 20 a second).
Wall time divided by the ideal: the slowest carrier's own floor, max(N x latency / in flight, N / rate). Everything a
check does is in the wall time: reading the parcels, the HTTP round trips, assessing, announcing status changes on
the events queue, saving each parcel with its next check (and, for the aggregator, the lookup its pushes use).

tracking_read_ratio: items DynamoDB reads (the Query's ScannedCount) in one tracking schedule run divided by the
parcels due, with 100 000 parcels waiting on the same index for later checks. The run is the whole fan-out: query,
messages to the tracking queue, parcels taken off the index."""

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from infra.local.stack import DEMO_STORE, LocalStack, _free_port

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


FLEET = (
    # carrier, parcels, latency (s), in flight, requests a second
    ("correios", 1000, 0.05, 5, 10_000.0),
    ("jadlog", 400, 0.05, 2, 10_000.0),
    ("total-express", 200, 0.05, 5, 20.0),  # not polled: registered with the aggregator
)


def _code(carrier: str, i: int) -> str:
    return {"correios": f"BE{i:08d}0BR", "jadlog": f"1008{i:010d}"}.get(carrier, f"TX-{i:08d}")


def _parcel(i: int, due_at: datetime, shards: int, prefix: str, carrier: str = "correios") -> dict[str, Any]:
    from proativo.aws import keys
    from proativo.tracking.model import parcel_sk

    code = _code(carrier, i)
    pk, sk = keys.customer_pk(DEMO_STORE, f"{prefix}-{carrier}-{i}"), parcel_sk(carrier, code)
    return {
        "pk": pk,
        "sk": sk,
        "kind": "parcel",
        "store_id": DEMO_STORE,
        "customer_id": f"{prefix}-{carrier}-{i}",
        "order_id": f"o-{prefix}-{i}",
        "carrier": carrier,
        "tracking_code": code,
        "shipped_at": "2026-11-24T10:00:00Z",
        "status": "info_received",
        "version": 0,
        **keys.due_keys("track", f"{pk}|{sk}", due_at, shards),
    }


def _serve(carrier: str, latency: float) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [
            sys.executable,
            "-m",
            "infra.local.fake_carrier",
            "--carrier",
            carrier,
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
    assert process.stdout is not None and f"fake {carrier}" in process.stdout.readline()
    return process, port


def _cpu_seconds(pid: int) -> float:
    """A process's CPU time so far, user and system (Linux `/proc`; 0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wall() -> dict[str, float]:
    """Check the mixed fleet at once, each carrier within its own limits, against its own fake; then the same checks
    against fakes that answer at once (the process's own work: what no carrier latency can hide)."""
    elapsed, checked, _ = _fleet(FLEET)
    own, _, fakes_cpu = _fleet(tuple((c, n, 0.0, k, r) for c, n, _, k, r in FLEET))
    bare = _bare_calls(checked)
    floors = {c: max(n * latency / k, n / r) for c, n, latency, k, r in FLEET}
    ideal = max(floors.values())
    return {
        "tracking_wall_ratio": elapsed / ideal,
        "tracking_wall_seconds": elapsed,
        "tracking_ideal_seconds": ideal,
        "tracking_own_work_seconds": own,
        "tracking_bare_calls_seconds": bare,
        "tracking_fakes_cpu_seconds": fakes_cpu,
        "tracking_parcels": checked,
        **{f"tracking_ideal_seconds_{c.replace('-', '_')}": f for c, f in floors.items()},
    }


def _bare_calls(parcels: int) -> float:
    """Seconds the local stack takes for the least any check of `parcels` parcels must ask of it, bare: one
    conditional put per parcel and one message per parcel on the events queue, one after another."""
    with LocalStack(start=NOW, log_level="ERROR") as stack:
        from proativo import aws
        from proativo.settings import TrackingSettings

        with stack.running_as("TrackerFunction"):
            queue = TrackingSettings.from_env().events_queue_url
        table = aws.table(stack.physical["Table"])
        items = [_parcel(i, NOW, int(stack.parameters["DueShards"]), "bare") for i in range(parcels)]
        with table.batch_writer() as batch:
            for item in items:
                batch.put_item(Item=item)
        client, sqs = table.meta.client, aws.sqs()
        started = time.perf_counter()
        for item in items:
            client.put_item(
                TableName=table.name,
                Item={**item, "version": 1, "status": "in_transit"},
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": 0},
            )
            sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"parcel": item["sk"], "status": "in_transit"}))
        return time.perf_counter() - started


def _fleet(fleet: tuple[tuple[str, int, float, int, float], ...]) -> tuple[float, int, float]:
    """Seconds to check `fleet` (carrier, parcels, latency, in flight, rate) at once, the parcels checked, and the
    CPU seconds the carriers' fakes spent answering meanwhile (on this machine's cores, as our process is)."""
    with LocalStack(start=NOW, log_level="ERROR") as stack:
        from proativo import aws, wiring
        from proativo.settings import TrackingSettings
        from proativo.tracking.aftership import AfterShip, AfterShipCredentials
        from proativo.tracking.correios import Correios, CorreiosCredentials
        from proativo.tracking.jadlog import Jadlog, JadlogCredentials
        from proativo.tracking.limits import Limits
        from proativo.tracking.model import ParcelRef

        from infra.local.fake_carrier import aftership, jadlog
        from infra.local.fake_carrier import credentials as correios

        with stack.running_as("TrackerFunction"):
            settings = TrackingSettings.from_env()
        shards = int(stack.parameters["DueShards"])
        items = [_parcel(i, NOW, shards, "wall", c) for c, n, *_ in fleet for i in range(n + 1)]
        with aws.table(stack.physical["Table"]).batch_writer() as batch:
            for item in items:
                batch.put_item(Item=item)
        # Each carrier in a process of its own, as a real one would be: its work is not ours to count.
        fakes = {c: _serve("aftership" if c == "total-express" else c, latency) for c, _, latency, *_ in fleet}
        try:
            limits = {c: Limits(concurrency=k, per_second=r) for c, _, _, k, r in fleet}
            url = {c: f"http://127.0.0.1:{port}" for c, (_, port) in fakes.items()}
            adapters: dict[str, Any] = {
                "correios": Correios(
                    CorreiosCredentials.model_validate(correios(url["correios"])),
                    batch_size=1,
                    limits=limits["correios"],
                ),
                "jadlog": Jadlog(
                    JadlogCredentials.model_validate(jadlog.credentials(url["jadlog"])),
                    batch_size=1,
                    limits=limits["jadlog"],
                ),
            }
            registrar = AfterShip(
                AfterShipCredentials.model_validate(aftership.credentials(url["total-express"])),
                limits=limits["total-express"],
            )
            tracker = wiring.tracker(settings)
            tracker.workers = 1  # the whole fleet in one tracker: each carrier's limits are all its own
            tracker.carriers = lambda store, carrier: adapters.get(carrier)
            tracker.registrars = lambda store: registrar
            refs = [ParcelRef(**{f: str(item[f]) for f in ParcelRef.model_fields}) for item in items]
            warm = [r for r in refs if r.customer_id.endswith("-0")]
            rest = [r for r in refs if not r.customer_id.endswith("-0")]
            tracker.check_now(warm, NOW)  # the token, and warm code paths
            before = sum(_cpu_seconds(p.pid) for p, _ in fakes.values())
            started = time.perf_counter()
            outcomes = tracker.check_now(rest, NOW + timedelta(minutes=1))
            elapsed = time.perf_counter() - started
            fakes_cpu = sum(_cpu_seconds(p.pid) for p, _ in fakes.values()) - before
        finally:
            for process, _ in fakes.values():
                process.terminate()
                process.wait(timeout=10)
    assert len(outcomes) == sum(n for _, n, *_ in fleet), len(outcomes)
    polled = [o for o in outcomes if o.ref.carrier in adapters]
    assert all(o.new_scans for o in polled), "a polled parcel came back without scans"
    assert all("followed through aftership" in o.note for o in outcomes if o.ref.carrier not in adapters)
    return elapsed, len(outcomes), fakes_cpu


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
