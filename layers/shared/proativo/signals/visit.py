"""A visitor's browsing, folded from the snippet's batches into one small state, and the invitation it is worth.

What the snippet may send is `signals.batch`.

Pure: `now` is an argument; `signals.web` reads the state, calls `fold` and `invitation`, and writes it back."""

import hashlib
import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from proativo.clock import as_utc, parse_utc
from proativo.signals.batch import SignalBatch
from proativo.signals.rules import Rule, RuleBook

# How far back a signal may be dated (a batch sent late, a tab woken up) and how much of the past a visit keeps.
LATE = timedelta(hours=1)
KEPT_VIEWS = 10
KEPT_STEPS = 20
VISIT_TTL = timedelta(days=30)
QUIET_AFTER_PURCHASE = timedelta(hours=24)
# A purchase this soon after an invitation (shown or held out) counts for it: what the report compares.
CONVERSION_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Visit:
    """A visitor's state: this visit's checkout path, cart and invitation; across visits, page views, invitations
    (for the cap) and the last purchase (for quiet)."""

    session: str = ""
    session_at: datetime | None = None
    last_at: datetime | None = None
    step: str | None = None
    step_since: datetime | None = None
    steps: tuple[tuple[str, datetime], ...] = ()
    cart_value: Decimal = Decimal(0)
    cart_items: int = 0
    views: dict[str, tuple[datetime, ...]] = field(default_factory=dict)
    products: tuple[tuple[str, datetime], ...] = ()
    invited: bool = False
    invitations: tuple[datetime, ...] = ()
    purchased_at: datetime | None = None
    customer_id: str | None = None
    # The last invitation made (shown or held out): its rule, its arm, when, and whether a purchase followed it.
    last_invite: tuple[str, bool, datetime, bool] | None = None
    # Products a known customer was already e-mailed about (browse abandonment), and when: once a day at most.
    announced: dict[str, datetime] = field(default_factory=dict)
    version: int = 0

    def returns_between(self, earlier: str, later: str) -> int:
        """How many times this visit went back from step `later` to step `earlier`."""
        path = [s for s, _ in self.steps]
        return sum(1 for a, b in itertools.pairwise(path) if a == later and b == earlier)

    def idle_for(self, now: datetime) -> timedelta:
        """Time since the visitor last did something."""
        return now - self.last_at if self.last_at else timedelta(0)

    def views_of(self, page: str, since: datetime) -> int:
        """Views of page type `page` since `since`."""
        return sum(1 for at in self.views.get(page, ()) if at >= since)

    # --- stored as one item -------------------------------------------------------------------------------------

    @classmethod
    def from_item(cls, item: dict[str, Any] | None) -> "Visit":
        if not item:
            return cls()

        def when(value: Any) -> datetime | None:
            return parse_utc(str(value)) if value else None

        return cls(
            session=str(item.get("session", "")),
            session_at=when(item.get("session_at")),
            last_at=when(item.get("last_at")),
            step=item.get("step"),
            step_since=when(item.get("step_since")),
            steps=tuple((str(s), parse_utc(str(a))) for s, a in item.get("steps", [])),
            cart_value=Decimal(str(item.get("cart_value", 0))),
            cart_items=int(item.get("cart_items", 0)),
            views={str(p): tuple(parse_utc(str(a)) for a in ats) for p, ats in item.get("views", {}).items()},
            products=tuple((str(p), parse_utc(str(a))) for p, a in item.get("products", [])),
            invited=bool(item.get("invited", False)),
            invitations=tuple(parse_utc(str(a)) for a in item.get("invitations", [])),
            purchased_at=when(item.get("purchased_at")),
            customer_id=item.get("customer_id"),
            last_invite=_invite(item.get("last_invite")),
            announced={str(p): parse_utc(str(a)) for p, a in item.get("announced", {}).items()},
            version=int(item.get("version", 0)),
        )

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "session": self.session,
            "steps": [[s, as_utc(a)] for s, a in self.steps],
            "cart_value": self.cart_value,
            "cart_items": self.cart_items,
            "views": {p: [as_utc(a) for a in ats] for p, ats in self.views.items()},
            "products": [[p, as_utc(a)] for p, a in self.products],
            "invited": self.invited,
            "invitations": [as_utc(a) for a in self.invitations],
            "version": self.version,
        }
        for name in ("session_at", "last_at", "step_since", "purchased_at"):
            value = getattr(self, name)
            if value is not None:
                item[name] = as_utc(value)
        if self.step:
            item["step"] = self.step
        if self.customer_id:
            item["customer_id"] = self.customer_id
        if self.announced:
            item["announced"] = {p: as_utc(a) for p, a in self.announced.items()}
        if self.last_invite:
            rule, held, at, converted = self.last_invite
            item["last_invite"] = {"rule": rule, "held_out": held, "at": as_utc(at), "converted": converted}
        return item


def _invite(value: Any) -> tuple[str, bool, datetime, bool] | None:
    if not value:
        return None
    return str(value["rule"]), bool(value["held_out"]), parse_utc(str(value["at"])), bool(value["converted"])


@dataclass(frozen=True)
class Folded:
    """A batch folded into a visit: the new state, and what the batch said beyond it."""

    visit: Visit
    exiting: bool = False
    accepted: tuple[str, ...] = ()
    converted: tuple[str, bool] | None = None  # the last invitation's rule and arm, when a purchase followed it
    seen: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # products of the batch: name, url
    stepped: tuple[str, datetime] | None = None  # the last checkout step this batch moved to, and when


def fold(visit: Visit, batch: SignalBatch, customer_id: str | None, now: datetime) -> Folded:
    """`visit` with `batch` applied (its signals in time order, each dated no later than now and no earlier than an
    hour ago). A new session id starts a new visit: its path, cart and invitation start afresh."""
    if batch.session != visit.session:
        visit = replace(
            visit, session=batch.session, session_at=now, steps=(), step=None, step_since=None, invited=False
        )
    if customer_id:
        visit = replace(visit, customer_id=customer_id)
    exiting, accepted, converted = False, [], None
    stepped: tuple[str, datetime] | None = None
    seen: dict[str, tuple[str | None, str | None]] = {}
    views = dict(visit.views)
    for signal in sorted(batch.events, key=lambda s: s.at):
        at = min(max(signal.at, now - LATE), now)
        if signal.type not in ("idle", "exit_intent", "invite_accepted"):
            visit = replace(visit, last_at=max(visit.last_at or at, at))
        match signal.type:
            case "page_view" if signal.page:
                views[signal.page] = (*views.get(signal.page, ()), at)[-KEPT_VIEWS:]
                if signal.page == "purchase":
                    visit = replace(visit, purchased_at=at, cart_value=Decimal(0), cart_items=0)
                    invite = visit.last_invite
                    if invite and not invite[3] and timedelta(0) <= at - invite[2] <= CONVERSION_WINDOW:
                        converted = (invite[0], invite[1])
                        visit = replace(visit, last_invite=(*invite[:3], True))
            case "product_view" if signal.product_id:
                visit = replace(visit, products=(*visit.products, (signal.product_id, at))[-KEPT_VIEWS * 2 :])
                seen[signal.product_id] = (signal.product_name, signal.product_url)
            case "cart":
                visit = replace(
                    visit,
                    cart_value=signal.cart_value if signal.cart_value is not None else visit.cart_value,
                    cart_items=signal.cart_items if signal.cart_items is not None else visit.cart_items,
                )
            case "checkout_step" if signal.step and signal.step != visit.step:
                visit = replace(
                    visit, step=signal.step, step_since=at, steps=(*visit.steps, (signal.step, at))[-KEPT_STEPS:]
                )
                stepped = (signal.step, at)
            case "idle" if signal.seconds is not None and visit.last_at is not None:
                # The page saw no move for so long: the last move was at least that long ago.
                visit = replace(visit, last_at=min(visit.last_at, at - timedelta(seconds=signal.seconds)))
            case "exit_intent":
                exiting = True
            case "invite_accepted" if signal.rule:
                accepted.append(signal.rule)
    horizon = now - VISIT_TTL
    views = {p: kept for p, ats in views.items() if (kept := tuple(a for a in ats if a >= horizon))}
    announced = {p: a for p, a in visit.announced.items() if a >= now - BROWSE_WINDOW}
    return Folded(replace(visit, views=views, announced=announced), exiting, tuple(accepted), converted, seen, stepped)


BROWSE_WINDOW = timedelta(days=1)


def browse_abandoned(folded: Folded, now: datetime) -> str | None:
    """The product a known customer looked at twice within a day, in this batch, with nothing in the cart, and not
    yet announced today: what the browse-abandonment flow writes to them about (None: nothing)."""
    visit = folded.visit
    if not visit.customer_id or visit.cart_items:
        return None
    for product in folded.seen:
        views = sum(1 for p, at in visit.products if p == product and at >= now - BROWSE_WINDOW)
        if views >= 2 and product not in visit.announced:
            return product
    return None


@dataclass(frozen=True)
class Invitation:
    """A rule that fired: shown to the visitor, or held out (recorded, not shown) to measure what showing it does."""

    rule: Rule
    held_out: bool


def held_out(store_id: str, visitor: str, session: str, share: float) -> bool:
    """Whether this visit is in the held-out share: a stable draw from its ids (the same visit, the same answer)."""
    digest = hashlib.sha256(f"{store_id}:{visitor}:{session}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def invitation(
    folded: Folded,
    rules: RuleBook,
    now: datetime,
    *,
    store_id: str,
    visitor: str,
    holdout_share: float,
    cap: int,
    cap_days: int,
) -> Invitation | None:
    """The invitation this visit earns now, if any: at most one a visit, at most `cap` in `cap_days` days, none in
    the day after a purchase; the first rule that holds."""
    visit = folded.visit
    if visit.invited:
        return None
    if visit.purchased_at is not None and now - visit.purchased_at < QUIET_AFTER_PURCHASE:
        return None
    if sum(1 for at in visit.invitations if at >= now - timedelta(days=cap_days)) >= cap:
        return None
    rule = rules.first(visit, now, folded.exiting)
    if rule is None:
        return None
    return Invitation(rule, held_out(store_id, visitor, visit.session, holdout_share))


def invited(visit: Visit, offer: Invitation, now: datetime) -> Visit:
    """`visit` once an invitation was made (shown or held out): this visit is done, it counts for the cap, and a
    purchase within `CONVERSION_WINDOW` counts for its arm."""
    return replace(
        visit,
        invited=True,
        invitations=(*visit.invitations, now)[-KEPT_VIEWS:],
        last_invite=(offer.rule.id, offer.held_out, now, False),
    )
