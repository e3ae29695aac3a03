"""The customer's own page for one order, built from what their partition holds (pure: items in, page out).

Where each parcel is (our status model, its timeline in the carrier's own words, the promised date and whether it
is on time), what we have done (the troubles we saw, the messages we sent about them, the claims we filed and their
answers, the help asked: the order's journal, `customers.journal`), and the answers to the questions customers ask
in exactly this state (`answers.py`). Nothing personal beyond the first name, the items and the city."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency
from pydantic import BaseModel

from proativo.clock import as_utc, parse_utc
from proativo.errors import NotFound
from proativo.events import web_url
from proativo.messaging.copy import Phrasebook, locale_of
from proativo.selfservice.answers import AnswerBook, Shown
from proativo.stores import StoreProfile
from proativo.tracking.carriers import PLUGINS, carrier_id
from proativo.tracking.claims import rules_for

# The troubles a page answers first, most pressing first; then the parcel's status; then the order's.
TROUBLES = ("lost", "damaged", "returned", "address_problem", "awaiting_pickup", "failed_attempt", "stalled", "late")
# The help topics a page offers first in each state (the rest follow).
_TOPICS = {
    "late": ("late", "where"),
    "stalled": ("late", "where"),
    "lost": ("late", "where"),
    "damaged": ("damaged", "return"),
    "delivered": ("not_received", "damaged", "return"),
}
ALL_TOPICS = ("where", "late", "damaged", "not_received", "return", "other")


PAGE_WORDS = Phrasebook("proativo.selfservice", "page.yaml")


def say(key: str, locale: str, **fields: object) -> str:
    """The page's text `key` in `locale` (pt-BR when it has none), placeholders filled."""
    return PAGE_WORDS.words(key, locale, **fields)


class Step(BaseModel):
    at: datetime
    status: str
    label: str
    description: str | None = None
    location: str | None = None


class ParcelView(BaseModel):
    carrier: str
    carrier_name: str
    tracking_code: str
    carrier_url: str | None = None
    status: str
    label: str
    troubles: list[str]
    promised: str | None = None
    on_time: bool | None = None
    delivered: str | None = None
    timeline: list[Step]


class Done(BaseModel):
    at: datetime
    what: str
    text: str


class Help(BaseModel):
    topics: list[tuple[str, str]]
    lead: str
    due: str
    open_protocol: str | None = None
    open_text: str | None = None


class OrderPage(BaseModel):
    """One order as its customer sees it (the JSON variant is this, as is)."""

    store: dict[str, str | None]
    locale: str
    order_id: str
    order_status: str
    order_label: str
    greeting: str
    city: str | None
    items: list[dict[str, Any]]
    parcels: list[ParcelView]
    done: list[Done]
    state: str
    answers: list[Shown]
    help: Help


def _zone(profile: dict[str, Any], store: StoreProfile) -> str:
    return str(profile.get("timezone") or store.timezone)


def _date(value: Any, locale: str, zone: str) -> str | None:
    if not value:
        return None
    moment = parse_utc(str(value)) if not isinstance(value, datetime) else value
    return format_date(moment.astimezone(ZoneInfo(zone)).date(), format="long", locale=locale.replace("-", "_"))


def _carrier_name(carrier: str) -> str:
    plugin = PLUGINS.get(carrier_id(carrier))
    return plugin.title if plugin else carrier.replace("-", " ").title()


def expires_at(order: dict[str, Any], parcels: Sequence[dict[str, Any]], store: StoreProfile) -> datetime | None:
    """When the order's page closes: the store's days after the last parcel's delivery (None while one travels)."""
    delivered = [p.get("delivered_at") for p in parcels]
    if parcels and all(delivered):
        last = max(parse_utc(str(d)) for d in delivered)
    elif order.get("delivered_at"):
        last = parse_utc(str(order["delivered_at"]))
    else:
        return None
    return last + timedelta(days=store.page_days_after_delivery)


def _on_time(parcel: dict[str, Any], now: datetime) -> bool | None:
    promised = parcel.get("promised_at")
    if not promised:
        return None
    troubles = set(parcel.get("open_episodes") or ())
    if "late" in troubles:
        return False
    if troubles - {"awaiting_pickup", "failed_attempt"}:
        return None  # lost, stalled, damaged, returned…: "on time" would not be the truth
    # On time until the end of the promised day (a date, to the customer).
    limit = parse_utc(str(promised)) + timedelta(days=1)
    when = parse_utc(str(parcel["delivered_at"])) if parcel.get("delivered_at") else now
    return when < limit


def _parcel(parcel: dict[str, Any], locale: str, zone: str, now: datetime) -> ParcelView:
    carrier = str(parcel.get("carrier") or "")
    status = str(parcel.get("status") or "info_received")
    steps = [
        Step(
            at=parse_utc(str(e["at"])),
            status=str(e.get("status") or status),
            label=say(f"status_{e.get('status') or status}", locale),
            description=e.get("description"),
            location=e.get("location"),
        )
        for e in reversed(list(parcel.get("timeline") or ()))
        if isinstance(e, dict) and e.get("at")
    ]
    return ParcelView(
        carrier=carrier,
        carrier_name=_carrier_name(carrier),
        tracking_code=str(parcel.get("tracking_code") or ""),
        carrier_url=web_url(parcel.get("tracking_url")),
        status=status,
        label=say(f"status_{status}", locale),
        troubles=[t for t in TROUBLES if t in (parcel.get("open_episodes") or ())],
        promised=_date(parcel.get("promised_at") or parcel.get("estimated_delivery"), locale, zone),
        on_time=_on_time(parcel, now),
        delivered=_date(parcel.get("delivered_at"), locale, zone),
        timeline=steps,
    )


def _money(amount: Any, currency: Any, locale: str) -> str:
    return format_currency(Decimal(str(amount)), str(currency or "BRL"), locale=locale.replace("-", "_"))


def _done(
    notes: Sequence[dict[str, Any]],
    messages: Sequence[dict[str, Any]],
    cases: Sequence[dict[str, Any]],
    store: StoreProfile,
    order: dict[str, Any],
    locale: str,
    zone: str,
) -> list[Done]:
    """What we saw and did, oldest first, in words."""
    found: list[Done] = []
    for note in notes:
        at, what = parse_utc(str(note["at"])), str(note.get("what", "")).split("#", 1)[0]
        date = _date(at, locale, zone)
        carrier = _carrier_name(str(note.get("carrier") or ""))
        match what:
            case "detected":
                text = say("did_detect", locale, date=date, trouble=say(f"trouble_{note['trouble']}", locale))
            case "claim" if note.get("status") == "open":
                rules = rules_for(str(note.get("carrier") or ""))
                due = _date(rules.first_follow_up(at), locale, zone)
                protocol = say("protocol", locale, protocol=note["protocol"]) if note.get("protocol") else ""
                text = say("did_claim_open", locale, date=date, carrier=carrier, protocol=protocol, due=due)
            case "claim" if note.get("status") in ("task", "won", "lost"):
                text = say(f"did_claim_{note['status']}", locale, date=date, carrier=carrier, store=store.name)
            case "resolved" if note.get("resolution") == "refunded" and note.get("amount") is not None:
                amount = _money(note["amount"], note.get("currency") or order.get("currency"), locale)
                text = say("did_refunded", locale, date=date, store=store.name, amount=amount)
            case "resolved":
                text = say("did_reshipped", locale, date=date, store=store.name)
            case "help":
                due = _date(note.get("answer_by"), locale, zone)
                text = say("did_help", locale, date=date, protocol=note.get("protocol"), due=due)
            case _:
                continue
        found.append(Done(at=at, what=what, text=text))
    found += _case_steps(cases, store, locale, zone)
    for message in messages:
        at = parse_utc(str(message["sent_at"]))
        channel = say(f"channel_{message.get('channel', 'email')}", locale)
        found.append(
            Done(at=at, what="told", text=say("did_tell", locale, date=_date(at, locale, zone), channel=channel))
        )
    return sorted(found, key=lambda d: d.at)


# The steps of a case the page tells (those the customer was told of): a request for help's opening is told by its
# own note already.
_CASE_STEPS = ("opened", "escalate", "resolve", "reopen")


def _case_steps(cases: Sequence[dict[str, Any]], store: StoreProfile, locale: str, zone: str) -> list[Done]:
    """The order's cases, step by step: opened (with the date the answer is due), escalated (to whom, by when),
    resolved, reopened."""
    found: list[Done] = []
    for case in cases:
        history = [h for h in case.get("history") or () if isinstance(h, dict)]
        for entry in history:
            action = str(entry.get("action"))
            if action not in _CASE_STEPS or not entry.get("told"):
                continue
            if action == "opened" and case.get("case_kind") == "help_request":
                continue
            at = parse_utc(str(entry["at"]))
            text = say(
                f"did_case_{action}",
                locale,
                date=_date(at, locale, zone),
                protocol=case.get("protocol"),
                due=_date(entry.get("due") or case.get("answer_by"), locale, zone),
                owner=entry.get("owner") or case.get("owner") or "",
                store=store.name,
            )
            found.append(Done(at=at, what=f"case_{action}", text=text))
    return found


def state_of_order(order: dict[str, Any], parcels: Sequence[ParcelView]) -> list[str]:
    """The states the page answers for, most pressing first: open troubles, then parcel statuses, then the order's."""
    states = [t for t in TROUBLES if any(t in p.troubles for p in parcels)]
    states += [p.status for p in parcels if p.status not in states]
    states.append(str(order.get("status") or "placed"))
    return states


def build(
    items: Sequence[dict[str, Any]],
    order_id: str,
    store: StoreProfile,
    answers: AnswerBook,
    locale: str | None,
    now: datetime,
) -> OrderPage:
    """The page of `order_id` from its customer's partition `items`; NotFound when the order is not there or its
    page has closed."""
    by_sk = {str(i["sk"]): i for i in items}
    order = by_sk.get(f"ORDER#{order_id}")
    if order is None:
        raise NotFound("no such order")
    profile = by_sk.get("PROFILE") or {}
    parcel_items = sorted(
        (i for sk, i in by_sk.items() if sk.startswith("PARCEL#") and i.get("order_id") == order_id),
        key=lambda p: str(p.get("shipped_at") or ""),
    )
    closes = expires_at(order, parcel_items, store)
    if closes is not None and now >= closes:
        raise NotFound("this order's page has closed")
    locale = locale_of(locale or profile.get("locale") or store.locale)
    zone = _zone(profile, store)
    parcels = [_parcel(p, locale, zone, now) for p in parcel_items]
    codes = {p.tracking_code for p in parcels}
    notes = [i for sk, i in by_sk.items() if sk.startswith(f"NOTE#{order_id}#")]
    cases = [i for sk, i in by_sk.items() if sk.startswith("CASE#") and i.get("order_id") == order_id]
    told = [
        m
        for sk, m in by_sk.items()
        if sk.startswith("MSG#")
        and m.get("status") == "sent"
        and m.get("sent_at")
        and str(m.get("template", "")).startswith("parcel_")
        and str(m.get("template")) != "parcel_out_for_delivery"
        and (m.get("key") == order_id or m.get("key") in codes)
    ]
    first_name = str(profile.get("name") or "").split()[:1]
    states = state_of_order(order, parcels)
    newest = parcel_items[-1] if parcel_items else {}
    claim = max(
        (n for n in notes if str(n.get("what", "")).startswith("claim#") and n.get("protocol")),
        key=lambda n: str(n["at"]),
        default=None,
    )
    facts = {
        "store": store.name,
        "first_name": first_name[0] if first_name else "",
        "order_id": order_id,
        "carrier": parcels[-1].carrier_name if parcels else "",
        "tracking_code": parcels[-1].tracking_code if parcels else "",
        "location": newest.get("last_location") or "",
        "promised": parcels[-1].promised if parcels else "",
        "estimated": _date(newest.get("estimated_delivery"), locale, zone) or "",
        "pickup_deadline": _pickup_deadline(notes, locale, zone),
        "delivered": parcels[-1].delivered if parcels and parcels[-1].delivered else "",
        "claim_protocol": claim.get("protocol") if claim else "",
        "claim_due": _date(rules_for(str(claim["carrier"])).first_follow_up(parse_utc(str(claim["at"]))), locale, zone)
        if claim and claim.get("status") == "open"
        else "",
        "help_days": store.help_answer_days,
    }
    state, shown = answers.for_states(states, locale, facts)
    help_notes = sorted((n for n in notes if str(n.get("what", "")).startswith("help#")), key=lambda n: str(n["at"]))
    open_help = help_notes[-1] if help_notes and str(help_notes[-1].get("answer_by", "")) > as_utc(now) else None
    due = _date(now + timedelta(days=store.help_answer_days), locale, zone)
    first_topics = next((_TOPICS[s] for s in states if s in _TOPICS), ("where",))
    topics = list(first_topics) + [t for t in ALL_TOPICS if t not in first_topics]
    return OrderPage(
        store={"id": store.store_id, "name": store.name, "color": store.brand_color, "logo": store.logo},
        locale=locale,
        order_id=order_id,
        order_status=str(order.get("status") or "placed"),
        order_label=say(f"order_{order.get('status') or 'placed'}", locale),
        greeting=say("hello", locale, first_name=first_name[0]) if first_name else say("hello_anonymous", locale),
        city=_city(newest),
        items=[{"name": str(i.get("name")), "quantity": int(i.get("quantity", 1))} for i in order.get("items") or ()],
        parcels=parcels,
        done=_done(notes, told, cases, store, order, locale, zone),
        state=state,
        answers=shown,
        help=Help(
            topics=[(t, say(f"topic_{t}", locale)) for t in topics],
            lead=say("help_lead", locale, store=store.name, due=due),
            due=due or "",
            open_protocol=str(open_help["protocol"]) if open_help else None,
            open_text=say(
                "help_open",
                locale,
                store=store.name,
                protocol=open_help["protocol"],
                due=_date(open_help.get("answer_by"), locale, zone),
            )
            if open_help
            else None,
        ),
    )


def _pickup_deadline(notes: Sequence[dict[str, Any]], locale: str, zone: str) -> str:
    found = [n for n in notes if n.get("trouble") == "awaiting_pickup" and n.get("pickup_deadline")]
    return _date(max(str(n["pickup_deadline"]) for n in found), locale, zone) or "" if found else ""


def _city(parcel: dict[str, Any]) -> str | None:
    """The delivery city when the parcel's last place names it ("Rio de Janeiro - RJ" → as is; nothing else)."""
    place = parcel.get("last_location")
    return str(place) if place and parcel.get("status") in ("out_for_delivery", "delivered") else None
