"""What proactivity earned a store, day by day: read from the daily counters written when the work happened (the
store's `STATS` partition for the period and the deltas not yet rolled into it: `stats.figures`, never a scan of
customers or messages).

Counters (`STORE#<id>#STATS`, `DAY#<date>#<scope>`): `EVENTS` (received, by type), `MESSAGES#<channel>` (sent,
failed, bounced, complained), `FLOW#<flow>` (enrolled, messages, recovered orders and revenue, recovered payments),
`SURVEY` (responses, promoters, passives, detractors, score sum), `CARRIER#<carrier>#<UF>` (parcels, on time, each
kind of trouble, claims opened / won, refunds), `SHIPMENTS` (shipped, by how the carrier was known: by name, by
code, unmatched), `PAGE` (the customer's own order page: visits, orders viewed, answers shown, help requests,
orders helped after being viewed), `ANSWERS` (each answer id: times shown), `SIGNALS` (per browsing-signal rule:
invitations shown, held out, accepted, and purchases within a day after each arm) and `CASES` (opened, resolved,
resolved within the deadline, escalated, reopened; each also `<what>__<kind>`). The median time to resolution is
read from the cases resolved in the period (one Query of the store's cases partition, bounded by their protocols'
dates).
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from html import escape
from statistics import median
from typing import TYPE_CHECKING, Any

from proativo.aws import keys, query_items
from proativo.clock import parse_utc
from proativo.reporting import stats

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

CART_FLOWS = ("cart_abandonment", "cart_abandonment_high_value", "cart_abandonment_repeat")
PAYMENT_FLOWS = ("payment_pending", "card_refused_issuer", "card_refused_fraud")
TROUBLE = ("late", "stalled", "lost", "damaged", "returned", "awaiting_pickup", "failed_attempt", "address_problem")
MAX_DAYS = 366


def _number(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


def _day_figures(scopes: dict[str, dict[str, Decimal]]) -> dict[str, Any]:
    """One day's (or a period's) figures from its counters by scope."""
    total: dict[str, Decimal] = defaultdict(Decimal)
    messages: dict[str, dict[str, int | Decimal]] = {}
    flows: dict[str, dict[str, int | Decimal]] = {}
    answers_shown: dict[str, Decimal] = {}
    invitations: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    cases: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for scope, counters in scopes.items():
        family, _, rest = scope.partition("#")
        if family == "EVENTS":
            total["events"] += sum(counters.values(), Decimal(0))
        elif family == "MESSAGES":
            messages[rest] = {k: _number(v) for k, v in sorted(counters.items())}
            for name, value in counters.items():
                total[f"messages_{name}"] += value
        elif family == "FLOW":
            flows[rest] = {k: _number(v) for k, v in sorted(counters.items())}
            if rest in CART_FLOWS:
                total["carts_abandoned"] += counters.get("enrolled", Decimal(0))
            total["recovered_orders"] += counters.get("recovered_orders", Decimal(0))
            total["recovered_revenue"] += counters.get("recovered_revenue", Decimal(0))
            total["payments_recovered"] += counters.get("recovered_payments", Decimal(0))
            total["payments_recovered_value"] += counters.get("recovered_payment_value", Decimal(0))
            if rest in CART_FLOWS:
                total["carts_recovered"] += counters.get("recovered_orders", Decimal(0))
        elif family == "SURVEY":
            for name in ("responses", "promoters", "passives", "detractors", "score_sum"):
                total[f"survey_{name}"] += counters.get(name, Decimal(0))
        elif family == "SHIPMENTS":
            total["shipments"] += counters.get("shipped", Decimal(0))
            total["shipments_unmatched"] += counters.get("by_unmatched", Decimal(0))
            total["shipments_matched_by_code"] += counters.get("by_code", Decimal(0))
        elif family == "PAGE":
            for name in ("visits", "orders_viewed", "answers_shown", "help_requests", "orders_helped"):
                total[f"page_{name}"] += counters.get(name, Decimal(0))
        elif family == "ANSWERS":
            for name, value in counters.items():
                answers_shown[name] = answers_shown.get(name, Decimal(0)) + value
        elif family == "SIGNALS":
            for name, value in counters.items():
                for what in _INVITATION_COUNTS:
                    if name.startswith(f"{what}_"):
                        invitations[name.removeprefix(f"{what}_")][what] += value
                        total[f"invitations_{what}"] += value
                        break
        elif family == "CASES":
            for name, value in counters.items():
                what, _, kind = name.partition("__")
                if kind:
                    cases[kind][what] += value
                else:
                    total[f"cases_{what}"] += value
        elif family == "CARRIER":
            for name in ("parcels", "on_time", "claims_opened", "claims_won", "claims_refunded", *TROUBLE):
                total[f"parcels_{name}" if name in TROUBLE else name] += counters.get(name, Decimal(0))
    figures: dict[str, Any] = {k: _number(v) for k, v in sorted(total.items())}
    figures["parcel_problems_caught"] = _number(sum((total[f"parcels_{k}"] for k in TROUBLE), Decimal(0)))
    figures["recovery_rate"] = _rate(total["carts_recovered"], total["carts_abandoned"])
    figures["on_time_rate"] = _rate(total["on_time"], total["parcels"])
    responses = total["survey_responses"]
    figures["nps"] = (
        round(float((total["survey_promoters"] - total["survey_detractors"]) / responses * 100), 1)
        if responses
        else None
    )
    # WISMO deflection: of the orders whose page was viewed, the share for which nobody asked the team for help.
    viewed = total["page_orders_viewed"]
    figures["wismo_deflection_rate"] = _rate(max(viewed - total["page_orders_helped"], Decimal(0)), viewed)
    figures["answers"] = {k: _number(v) for k, v in sorted(answers_shown.items())}
    figures["invitations"] = {rule: _invitation_figures(counts) for rule, counts in sorted(invitations.items())}
    figures["cases_sla_rate"] = _rate(total["cases_resolved_in_sla"], total["cases_resolved"])
    figures["cases"] = {
        kind: {
            **{what: _number(counts[what]) for what in _CASE_COUNTS},
            "sla_rate": _rate(counts["resolved_in_sla"], counts["resolved"]),
        }
        for kind, counts in sorted(cases.items())
    }
    figures["messages"] = messages
    figures["flows"] = flows
    figures["carrier_advice"] = carrier_advice(scopes)
    return figures


_CASE_COUNTS = ("opened", "resolved", "resolved_in_sla", "escalated", "reopened")
# Cases resolved in a period were opened at most this long before it (their protocol starts with the day opened).
CASE_LOOKBACK = timedelta(days=400)


def case_resolution_hours(table: "Table", store_id: str, since: date, until: date) -> dict[str, float]:
    """The median hours from opening to resolution of the cases resolved from `since` to `until`, by kind and for
    all (`all`)."""
    earliest = since - CASE_LOOKBACK if since - date.min > CASE_LOOKBACK else date.min
    found = query_items(
        table,
        KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={
            ":pk": f"{keys.store_pk(store_id)}#CASES",
            ":a": f"CASE#{earliest.isoformat().replace('-', '')}",
            ":b": f"CASE#{until.isoformat().replace('-', '')}~",
        },
    )
    hours: dict[str, list[float]] = defaultdict(list)
    for case in found:
        resolved, opened = case.get("resolved_at"), case.get("opened_at")
        if not resolved or not opened or not since.isoformat() <= str(resolved)[:10] <= until.isoformat():
            continue
        taken = (parse_utc(str(resolved)) - parse_utc(str(opened))).total_seconds() / 3600
        hours[str(case.get("case_kind"))].append(taken)
        hours["all"].append(taken)
    return {kind: round(median(values), 1) for kind, values in sorted(hours.items())}


# What a browsing-signal rule's invitations did (`SIGNALS` counters: `<what>_<rule>`), longest prefix first.
_INVITATION_COUNTS = ("bought_held_out", "bought_invited", "held_out", "invited", "accepted")


def _invitation_figures(counts: dict[str, Decimal]) -> dict[str, Any]:
    """A rule's invitations: shown, held out, accepted, purchases within a day in each arm, their rates and the lift
    (the shown arm's purchase rate over the held-out arm's; None until both have visits and purchases to compare)."""
    shown, held = counts["invited"], counts["held_out"]
    rate_shown, rate_held = _rate(counts["bought_invited"], shown), _rate(counts["bought_held_out"], held)
    return {
        "shown": _number(shown),
        "held_out": _number(held),
        "accepted": _number(counts["accepted"]),
        "bought_after_shown": _number(counts["bought_invited"]),
        "bought_after_held_out": _number(counts["bought_held_out"]),
        "purchase_rate_shown": rate_shown,
        "purchase_rate_held_out": rate_held,
        "lift": round(rate_shown / rate_held, 2) if rate_shown is not None and rate_held else None,
    }


ADVICE_MIN_PARCELS = 20  # finished parcels per carrier and destination state before carriers are compared there
ADVICE_MIN_RATIO = 2.0  # how much better one must be to be worth saying


def carrier_advice(scopes: dict[str, dict[str, Decimal]], min_parcels: int = ADVICE_MIN_PARCELS) -> list[str]:
    """Plain recommendations from the period's carrier counters: for each destination state where at least two
    carriers finished `min_parcels` parcels, the one late least often against the one late most often, when the
    difference is at least `ADVICE_MIN_RATIO`-fold."""
    by_state: dict[str, list[tuple[float, str, int]]] = defaultdict(list)
    for scope, counters in scopes.items():
        family, _, rest = scope.partition("#")
        carrier, _, uf = rest.partition("#")
        parcels = int(counters.get("parcels", 0))
        if family != "CARRIER" or uf == "??" or parcels < min_parcels:
            continue
        by_state[uf].append((float(counters.get("late", 0)) / parcels, carrier, parcels))
    advice = []
    for uf, rows in sorted(by_state.items()):
        if len(rows) < 2:
            continue
        (best_rate, best, best_n), (worst_rate, worst, worst_n) = min(rows), max(rows)
        if worst_rate == 0 or (best_rate and worst_rate / best_rate < ADVICE_MIN_RATIO):
            continue
        if best_rate:
            said = (
                f"{best} was late {worst_rate / best_rate:.1f} times less often than {worst} ({best_rate:.0%} of "
                f"{best_n} parcels vs {worst_rate:.0%} of {worst_n})"
            )
        else:
            said = f"{best} was never late ({best_n} parcels) while {worst} was late on {worst_rate:.0%} of {worst_n}"
        advice.append(f"for {uf}, {said}: prefer {best} there")
    return advice


def _rate(part: Decimal, whole: Decimal) -> float | None:
    return round(float(part / whole), 4) if whole else None


def report(table: "Table", store_id: str, since: date, until: date) -> dict[str, Any]:
    """The store's figures for each day from `since` to `until` (inclusive) and for the whole period."""
    if until < since:
        raise ValueError("the period ends before it starts")
    if (until - since).days >= MAX_DAYS:
        raise ValueError(f"a report covers at most {MAX_DAYS} days")
    by_day = stats.figures(table, store_id, since, until)
    period = stats.summed(by_day)
    days = []
    current = since
    while current <= until:
        days.append({"day": current.isoformat(), **_day_figures(by_day.get(current.isoformat(), {}))})
        current += timedelta(days=1)
    total = _day_figures(period)
    medians = case_resolution_hours(table, store_id, since, until)
    total["cases_median_hours_to_resolve"] = medians.get("all")
    for kind, hours in medians.items():
        if kind in total["cases"]:
            total["cases"][kind]["median_hours_to_resolve"] = hours
    return {"store_id": store_id, "from": since.isoformat(), "to": until.isoformat(), "total": total, "days": days}


_ROWS = (
    ("events", "events received"),
    ("messages_sent", "messages sent"),
    ("carts_abandoned", "carts abandoned"),
    ("carts_recovered", "carts recovered"),
    ("recovery_rate", "recovery rate"),
    ("recovered_orders", "orders recovered (all flows)"),
    ("recovered_revenue", "revenue recovered"),
    ("payments_recovered", "payments recovered"),
    ("payments_recovered_value", "payments recovered, value"),
    ("parcels", "parcels finished"),
    ("on_time_rate", "on-time rate"),
    ("parcel_problems_caught", "parcel problems caught first"),
    ("claims_opened", "claims opened"),
    ("claims_won", "claims won"),
    ("survey_responses", "survey answers"),
    ("nps", "NPS"),
    ("page_visits", "order page visits"),
    ("page_orders_viewed", "orders whose page was viewed"),
    ("page_answers_shown", "answers read on the page"),
    ("page_help_requests", "help asked from the page"),
    ("wismo_deflection_rate", "WISMO deflection rate"),
    ("invitations_invited", "invitations shown while browsing"),
    ("invitations_held_out", "invitations held out (measured, not shown)"),
    ("invitations_accepted", "invitations accepted"),
    ("cases_opened", "cases opened"),
    ("cases_resolved", "cases resolved"),
    ("cases_sla_rate", "cases resolved within their deadline"),
    ("cases_escalated", "cases escalated to the ouvidoria"),
    ("cases_reopened", "cases reopened"),
    ("cases_median_hours_to_resolve", "median hours to resolve a case"),
)


def _shown(value: Any, key: str = "") -> str:
    if value is None:
        return "-"
    if key.endswith("_rate"):
        return f"{value:.1%}"
    return str(value)


def as_table(figures: dict[str, Any]) -> str:
    """The period's figures as a terminal table (and the messages by channel)."""
    total = figures["total"]
    width = max(len(label) for _, label in _ROWS)
    lines = [f"Proativo report: store {figures['store_id']}, {figures['from']} to {figures['to']}", ""]
    lines += [f"  {label:<{width}}  {_shown(total.get(key), key)}" for key, label in _ROWS]
    if total["messages"]:
        lines.append("")
        for channel, counts in sorted(total["messages"].items()):
            lines.append(f"  {channel:<{width}}  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    viewed_days = [d for d in figures["days"] if d.get("page_visits")]
    if viewed_days:
        lines += ["", "  order page by day: visits, orders viewed, answers read, help asked, WISMO deflection"]
        lines += [
            f"    {d['day']}  {d['page_visits']}, {d.get('page_orders_viewed', 0)}, {d.get('page_answers_shown', 0)},"
            f" {d.get('page_help_requests', 0)}, {_shown(d.get('wismo_deflection_rate'), 'wismo_deflection_rate')}"
            for d in viewed_days
        ]
    if total["invitations"]:
        lines += ["", "  invitations by rule: shown (bought within a day), held out (bought within a day), lift"]
        for rule, d in total["invitations"].items():
            lines.append(
                f"    {rule}: {d['shown']} ({d['bought_after_shown']}, {_shown(d['purchase_rate_shown'], '_rate')}),"
                f" {d['held_out']} ({d['bought_after_held_out']}, {_shown(d['purchase_rate_held_out'], '_rate')}),"
                f" {d['lift'] if d['lift'] is not None else '-'}"
            )
    if total["cases"]:
        lines += ["", "  cases by kind: opened, resolved (in time, rate), escalated, reopened, median hours to resolve"]
        for kind, d in total["cases"].items():
            in_time = f"{d['resolved_in_sla']}, {_shown(d['sla_rate'], '_rate')}"
            lines.append(
                f"    {kind}: {d['opened']}, {d['resolved']} ({in_time}), {d['escalated']}, {d['reopened']},"
                f" {_shown(d.get('median_hours_to_resolve'))}"
            )
    lines += ["", f"  carriers (compared where each finished at least {ADVICE_MIN_PARCELS} parcels in a state):"]
    lines += [f"    {line}" for line in total["carrier_advice"]] or ["    not enough finished parcels to compare yet"]
    return "\n".join(lines) + "\n"


def as_html(figures: dict[str, Any]) -> str:
    """A self-contained page: the period's figures as cards, and a bar chart per day of messages sent and revenue
    recovered (inline SVG: no script, no network)."""
    total = figures["total"]
    cards = "".join(
        f'<div class="card"><div class="v">{escape(_shown(total.get(key), key))}</div>'
        f'<div class="l">{escape(label)}</div></div>'
        for key, label in _ROWS
    )
    charts = "".join(
        _bars(title, [(d["day"][5:], float(d.get(key, 0) or 0)) for d in figures["days"]], css)
        for title, key, css in (
            ("Messages sent per day", "messages_sent", "sent"),
            ("Revenue recovered per day", "recovered_revenue", "revenue"),
            ("Parcel problems caught first per day", "parcel_problems_caught", "parcels"),
            ("Orders whose page was viewed per day", "page_orders_viewed", "pages"),
            ("WISMO deflection rate per day (viewed, no help asked)", "wismo_deflection_rate", "pages"),
        )
    )
    said = "".join(f"<li>{escape(line)}</li>" for line in total["carrier_advice"])
    advice = (
        f"<h2>Carriers</h2><p>Compared where each finished at least {ADVICE_MIN_PARCELS} parcels in a state.</p>"
        + (f"<ul>{said}</ul>" if said else "<p>Not enough finished parcels to compare yet.</p>")
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Proativo report: {escape(figures["store_id"])}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 24px; color: #18181b; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 12px; }}
.card {{ border: 1px solid #e4e4e7; border-radius: 8px; padding: 12px 16px; min-width: 150px; }}
.v {{ font-size: 22px; font-weight: bold; }} .l {{ font-size: 12px; color: #52525b; }}
rect.sent {{ fill: #2563eb; }} rect.revenue {{ fill: #16a34a; }} rect.parcels {{ fill: #ea580c; }}
rect.pages {{ fill: #7c3aed; }}
svg text {{ font-size: 10px; fill: #52525b; }}
</style></head>
<body><h1>{escape(figures["store_id"])}: {escape(figures["from"])} to {escape(figures["to"])}</h1>
<div class="cards">{cards}</div>{charts}{advice}</body></html>
"""


def _bars(title: str, values: list[tuple[str, float]], css: str) -> str:
    width, height, gap = 720, 160, 4
    top = max((v for _, v in values), default=0) or 1
    slot = width / max(len(values), 1)
    bars = []
    for i, (label, value) in enumerate(values):
        h = value / top * (height - 30)
        x = i * slot + gap / 2
        bars.append(
            f'<rect class="{css}" data-day="{escape(label)}" data-value="{value:g}"'
            f' x="{x:.1f}" y="{height - 20 - h:.1f}"'
            f' width="{slot - gap:.1f}" height="{h:.1f}"><title>{escape(label)}: {value:g}</title></rect>'
            f'<text x="{x:.1f}" y="{height - 6}">{escape(label)}</text>'
        )
    return f'<h2>{escape(title)}</h2><svg role="img" width="{width}" height="{height}">{"".join(bars)}</svg>'
