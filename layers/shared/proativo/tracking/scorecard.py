"""The carrier scorecard: how each carrier does per destination state, counted once per parcel when its journey
ends (delivered, returned, expired, or lost), and per claim when it moves. Counters are written in the same
transaction as the fact they count, by day (for reports) and by month (for the alert), never computed by scanning:
unlike the per-event counters (see `proativo.reporting.stats`), these change once per parcel journey, and the alert
must read the month's count the moment it changes.

A carrier whose incidents (late, lost, damaged, returned) reach the store's threshold in a month, over enough
parcels, raises one alert per carrier, state and month: recurring problems are red alerts.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from proativo.aws import keys, written
from proativo.clock import as_utc
from proativo.reporting import stats
from proativo.tracking.carriers import carrier_id
from proativo.tracking.detection import ParcelState, TrackingPolicy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

INCIDENTS = ("late", "lost", "damaged", "returned")
COUNTED = (*INCIDENTS, "stalled", "failed_attempt", "awaiting_pickup", "address_problem")


def destination_state(location: str | None) -> str:
    """The state of a "CITY/UF" location (where the journey ended); `??` when the carrier did not say."""
    state = (location or "").rsplit("/", 1)[-1].strip().upper()
    return state if len(state) == 2 and state.isalpha() else "??"


def scope(carrier: str, uf: str) -> str:
    """The counters' scope of a carrier and a destination state."""

    return f"CARRIER#{carrier_id(carrier)}#{uf}"


def month_key(store_id: str, at: datetime, where: str) -> dict[str, str]:
    """The month's counter item of a scope (what the alert reads: one item)."""
    return {"pk": stats.stats_pk(store_id), "sk": f"MONTH#{at:%Y-%m}#{where}"}


def counters(
    table_name: str, store_id: str, where: str, at: datetime, amounts: dict[str, int | Decimal]
) -> list[dict[str, Any]]:
    """TransactWriteItems updates adding `amounts` to the day's and the month's counters of a scope."""
    return [
        stats.add(table_name, stats.stats_key(store_id, at, where), amounts),
        stats.add(table_name, month_key(store_id, at, where), amounts),
    ]


def journey_counts(state: ParcelState, delivered: bool) -> dict[str, int | Decimal]:
    """What one finished parcel adds: itself, each kind of trouble it met, whether it came on time."""
    amounts: dict[str, int | Decimal] = {"parcels": 1}
    for kind in COUNTED:
        if kind in state.episodes_seen:
            amounts[kind] = 1
    if delivered and "late" not in state.episodes_seen:
        amounts["on_time"] = 1
    if any(kind in state.episodes_seen for kind in INCIDENTS):
        amounts["incidents"] = 1
    return amounts


@dataclass(frozen=True)
class Alert:
    """A carrier's incident rate over a month at or past the store's threshold."""

    carrier_scope: str
    month: str
    parcels: int
    incidents: int

    @property
    def rate(self) -> float:
        """Incidents per parcel."""
        return self.incidents / self.parcels


def check_alert(table: "Table", store_id: str, where: str, policy: TrackingPolicy, now: datetime) -> Alert | None:
    """Raise the month's alert for a scope once, when its rate reaches the threshold over enough parcels."""

    found: dict[str, Any] = table.get_item(Key=month_key(store_id, now, where), ConsistentRead=True).get("Item") or {}
    parcels, incidents = int(found.get("parcels", 0)), int(found.get("incidents", 0))
    if parcels < policy.incident_min_parcels or incidents / parcels < policy.incident_rate_alert:
        return None
    alert = Alert(where, f"{now:%Y-%m}", parcels, incidents)
    raised = written(
        lambda: table.put_item(
            Item={
                "pk": f"{keys.store_pk(store_id)}#ALERTS",
                "sk": f"{alert.month}#{where}",
                "kind": "carrier_alert",
                "parcels": parcels,
                "incidents": incidents,
                "raised_at": as_utc(now),
            },
            ConditionExpression="attribute_not_exists(pk)",
        )
    )
    if not raised:
        return None  # raised already this month
    return alert


def scorecard(table: "Table", store_id: str, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Per carrier and destination state, the counts and rates of the days from `since` to `until` (the store's
    counters, `stats.figures`)."""
    rows = stats.summed(stats.figures(table, store_id, since.date(), until.date(), scope="CARRIER#"))
    out = []
    for where, row in sorted(rows.items()):
        _, carrier, uf = where.split("#", 2)
        parcels = int(row.get("parcels", 0))
        rates = {f"{k}_rate": round(float(row.get(k, 0)) / parcels, 4) for k in INCIDENTS} if parcels else {}
        out.append(
            {
                "carrier": carrier,
                "state": uf,
                **{k: int(v) if v == v.to_integral_value() else str(v) for k, v in sorted(row.items())},
                **rates,
            }
        )
    return out
