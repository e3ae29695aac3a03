"""Exception detection on scripted scans, on virtual time: each kind of trouble opens once per episode; business
days skip weekends and national holidays."""

from datetime import UTC, datetime, timedelta

from proativo.tracking.detection import ParcelState, TrackingPolicy, assess
from proativo.tracking.status import Scan, Status, TrackingResult

POLICY = TrackingPolicy()
SHIPPED = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)  # a Monday


def scan(at: datetime, status: Status, substatus: str | None = None, code: str = "RO/01") -> Scan:
    return Scan(
        tracking_code="AA123456785BR", status=status, substatus=substatus, raw_code=code, description="x", at=at
    )


def result(*scans: Scan, estimate: datetime | None = None) -> TrackingResult:
    return TrackingResult(tracking_code="AA123456785BR", scans=scans, estimated_delivery=estimate)


def run(checks: list[datetime], scans: list[Scan], promised: datetime | None = None) -> list[tuple[datetime, str]]:
    """Check at each instant, the carrier knowing the scans up to then; (when, kind) of every episode opened."""
    state, opened = ParcelState(shipped_at=SHIPPED, promised_at=promised), []
    for now in checks:
        known = [s for s in scans if s.at <= now]
        outcome = assess(state, result(*known), now, POLICY)
        opened += [(now, e.kind) for e in outcome.opened]
        state = outcome.state
    return opened


def hourly(start: datetime, days: int) -> list[datetime]:
    return [start + timedelta(hours=h) for h in range(days * 24)]


def test_stalled_counts_business_days_and_skips_the_holiday() -> None:
    # Last scan Wednesday 18th; Thursday 19th, Friday 20th (Consciência Negra, national holiday), the weekend, then
    # Monday 23rd and Tuesday 24th: the third business day ends Tuesday.
    last = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    found = run(
        hourly(SHIPPED, 10), [scan(SHIPPED, Status.IN_TRANSIT, "posted", "PO/01"), scan(last, Status.IN_TRANSIT)]
    )
    assert found == [(datetime(2026, 11, 24, 12, 0, tzinfo=UTC), "stalled")]


def test_a_late_parcel_opens_one_episode_however_often_it_is_checked() -> None:
    promised = datetime(2026, 11, 18, 23, 0, tzinfo=UTC)
    scans = [scan(SHIPPED, Status.IN_TRANSIT), scan(datetime(2026, 11, 18, 9, 0, tzinfo=UTC), Status.IN_TRANSIT)]
    found = run(hourly(SHIPPED, 3), scans, promised=promised)
    assert found == [(datetime(2026, 11, 19, 0, 0, tzinfo=UTC), "late")]


def test_late_closes_on_delivery_and_nothing_opens_after() -> None:
    promised = datetime(2026, 11, 17, 23, 0, tzinfo=UTC)
    delivered = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
    scans = [scan(SHIPPED, Status.IN_TRANSIT), scan(delivered, Status.DELIVERED, code="BDE/01")]
    state = ParcelState(shipped_at=SHIPPED, promised_at=promised)
    late = assess(state, result(scans[0]), datetime(2026, 11, 18, 9, 0, tzinfo=UTC), POLICY)
    done = assess(late.state, result(*scans), datetime(2026, 11, 18, 16, 0, tzinfo=UTC), POLICY)
    assert [e.kind for e in late.opened] == ["late"]
    assert (done.closed, done.opened, done.next_check_at, done.state.delivered_at) == (("late",), (), None, delivered)


def test_the_carrier_estimate_stands_in_for_a_missing_promise() -> None:
    estimate = datetime(2026, 11, 18, 23, 0, tzinfo=UTC)
    state = ParcelState(shipped_at=SHIPPED)
    outcome = assess(
        state, result(scan(SHIPPED, Status.IN_TRANSIT), estimate=estimate), estimate + timedelta(hours=1), POLICY
    )
    assert [e.kind for e in outcome.opened] == ["late"]


def test_silence_long_enough_is_presumed_lost() -> None:
    found = run(hourly(SHIPPED, 20), [scan(SHIPPED, Status.IN_TRANSIT, "posted", "PO/01")])
    assert [kind for _, kind in found] == ["stalled", "lost"]


def test_scan_kinds_open_their_episode_and_a_repeat_scan_does_not_reopen() -> None:
    t = [SHIPPED + timedelta(days=d) for d in range(1, 6)]
    scans = [
        scan(t[0], Status.EXCEPTION, "damaged", "BDR/28"),
        scan(t[1], Status.IN_TRANSIT),
        scan(t[2], Status.FAILED_ATTEMPT, "recipient_absent", "BDE/20"),
        scan(t[3], Status.FAILED_ATTEMPT, "recipient_absent", "BDE/20"),
        scan(t[4], Status.AVAILABLE_FOR_PICKUP, code="LDI/01"),
    ]
    found = [kind for _, kind in run(hourly(SHIPPED, 6), scans)]
    assert found == ["damaged", "failed_attempt", "awaiting_pickup"]


def test_awaiting_pickup_carries_the_deadline_the_agency_keeps_it_until() -> None:
    at = SHIPPED + timedelta(days=2)
    outcome = assess(ParcelState(shipped_at=SHIPPED), result(scan(at, Status.AVAILABLE_FOR_PICKUP)), at, POLICY)
    (episode,) = outcome.opened
    assert (episode.kind, episode.pickup_deadline) == ("awaiting_pickup", at + timedelta(days=7))
    assert outcome.next_check_at == at + timedelta(hours=8)


def test_returned_to_sender_is_final() -> None:
    back = SHIPPED + timedelta(days=5)
    scans = [
        scan(SHIPPED + timedelta(days=3), Status.EXCEPTION, "returning", "FC/01"),
        scan(back, Status.RETURNED_TO_SENDER),
    ]
    outcome = assess(ParcelState(shipped_at=SHIPPED), result(*scans), back, POLICY)
    assert [e.kind for e in outcome.opened] == ["returned"]
    assert outcome.next_check_at is None


def test_cadence_follows_the_parcel() -> None:
    now = SHIPPED + timedelta(days=1, hours=2)  # Tuesday 11:00 in São Paulo
    in_transit = assess(ParcelState(shipped_at=SHIPPED), result(scan(now, Status.IN_TRANSIT)), now, POLICY)
    out = assess(ParcelState(shipped_at=SHIPPED), result(scan(now, Status.OUT_FOR_DELIVERY)), now, POLICY)
    quiet = assess(in_transit.state, result(scan(now, Status.IN_TRANSIT)), now + timedelta(days=3), POLICY)
    assert in_transit.next_check_at == now + timedelta(hours=6)
    assert out.next_check_at == now + timedelta(hours=2)
    assert quiet.next_check_at == now + timedelta(days=3, hours=12)  # long transit: less often


def test_a_parcel_in_transit_is_looked_at_mid_morning_when_out_for_delivery_is_news() -> None:
    early = SHIPPED + timedelta(days=1, hours=-4)  # Tuesday 05:00 in São Paulo
    outcome = assess(ParcelState(shipped_at=SHIPPED), result(scan(early, Status.IN_TRANSIT)), early, POLICY)
    assert outcome.next_check_at == datetime(2026, 11, 17, 13, 0, tzinfo=UTC)  # 10:00 there, not 11:00
