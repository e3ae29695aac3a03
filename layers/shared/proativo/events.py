"""The canonical events: the one vocabulary every platform adapter speaks and every reducer understands.

Every event carries the store, the customer, when it happened and a deterministic `event_id` (the platform's id or
a hash of the payload), which is what makes a redelivered event a no-op.
"""

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from proativo.messaging.kinds import ChannelName

# What the door accepts. Every bound here is one a platform's honest payload never reaches and a hostile one needs:
# beyond them a value would poison the queue (DynamoDB keeps 38 digits, dates overflow when a flow adds its delays)
# or reach a message (a header, a link) where it must not.
MAX_AMOUNT = Decimal(10) ** 10  # ten billion in any currency: more than any one cart or order
AMOUNT_DECIMALS = 6
MAX_QUANTITY = 100_000
MAX_LINES = 500
# How far ahead of our clock an event may be dated: a platform's clock may run a little fast.
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_URL = 2000
# Characters that are never text: C0/C1 controls (CR, LF, NUL…) and the bidirectional overrides that make a name
# read backwards in a subject line (Trojan Source). Zero-width joiners stay: emoji and some scripts need them.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0 or char in _BIDI


def _printable(value: str) -> str:
    if any(_is_control(c) for c in value):
        raise ValueError("must not contain control or bidirectional-override characters")
    return value


def plain_text(value: str) -> str:
    """`value` with control and bidirectional-override characters removed (a tab or a line break becomes a space):
    what may stand in a subject, a sender's name or any header."""
    spaced = "".join(" " if c in "\t\r\n" else c for c in value)
    return "".join(c for c in spaced if not _is_control(c))


def _text(value: Any) -> Any:
    return " ".join(plain_text(value).split()) if isinstance(value, str) else value


def web_url(value: Any) -> str | None:
    """`value` when it is an absolute http(s) URL fit for a link in a message; None for anything else
    (`javascript:`, `data:`, relative paths, control characters): the message links to the store instead."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return None
    if any(_is_control(c) or c.isspace() for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _plausible(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year}")
    return value


def _zone(value: Any) -> str | None:
    """A customer's IANA time zone, or None when it is not one (the store's zone applies)."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        ZoneInfo(value)
    except (ValueError, ZoneInfoNotFoundError):
        return None
    return value


# An id a platform gives us: non-empty, bounded, printable (it reaches keys, logs and message headers).
_Printable = Annotated[str, AfterValidator(_printable)]
_ID = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_printable)]
# Free text from a platform or carrier (names, descriptions, places): cleaned of what is never text.
Text = Annotated[str, BeforeValidator(_text)]


def _link(value: Any) -> str | None:
    # Dropped, not refused: "" marks a link that was given but unfit, which a message replaces by the store's own.
    return None if value is None else web_url(value) or ""


def _tax_id(value: Any) -> str | None:
    # Dropped, not refused: a malformed document never costs the order it came with.
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = str(value).strip()
    if re.fullmatch(r"h1:[0-9a-f]{64}", text):
        return text  # already the engine's digest
    cleaned = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    return cleaned if 5 <= len(cleaned) <= 20 and any(c.isdigit() for c in cleaned) else None


# A link we may place in a message: http(s) only, anything else dropped.
Link = Annotated[str | None, BeforeValidator(_link)]
Currency = Annotated[
    str, BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v), Field(pattern=r"^[A-Z]{3}$")
]
Money = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=AMOUNT_DECIMALS, allow_inf_nan=False)]
Instant = Annotated[AwareDatetime, AfterValidator(_plausible)]


# Every model defers building its validator to first use: a function builds only the event types it meets.
_CONFIG = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Customer(BaseModel):
    """Who the event is about. `id` is stable per store (platform id, or derived from the e-mail)."""

    model_config = _CONFIG

    id: _ID
    email: _Printable | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: _Printable | None = Field(default=None, max_length=32)
    name: Text | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, max_length=16, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
    timezone: Annotated[str | None, BeforeValidator(_zone)] = None
    accepts_marketing: bool | None = Field(default=None, description="e-mail marketing consent, as the platform says")
    accepts_sms: bool | None = Field(default=None, description="SMS consent, as the platform says")
    tax_id: Annotated[str | None, BeforeValidator(_tax_id)] = Field(
        default=None,
        description="the buyer's tax id (CPF/CNPJ, RUT, NIF…), only to match public complaints: the engine keeps a "
        "keyed digest of it, never the id (`proativo.customers.identity`)",
    )

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.strip().lower() if value else value

    @property
    def first_name(self) -> str | None:
        """The first word of the name, for greetings."""
        return self.name.split()[0] if self.name else None


class LineItem(BaseModel):
    """One product line of a cart or an order."""

    model_config = _CONFIG

    sku: Text | None = Field(default=None, max_length=100)
    name: Text = Field(min_length=1, max_length=300)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    unit_price: Money
    url: Link = None
    image_url: Link = None


class _Event(BaseModel):
    model_config = _CONFIG

    event_id: _ID
    store_id: _ID
    source: _ID = Field(max_length=40, description="the platform or carrier that reported it")
    customer: Customer
    occurred_at: Instant


class CartUpdated(_Event):
    """A cart (or checkout) was created or changed; the clock of abandonment restarts."""

    type: Literal["CartUpdated"] = "CartUpdated"
    cart_id: _ID
    currency: Currency
    total: Money
    items: tuple[LineItem, ...] = Field(default=(), max_length=MAX_LINES)
    recovery_url: Link = None


class CheckoutStarted(CartUpdated):
    """The customer reached the checkout (contact details known)."""

    type: Literal["CheckoutStarted"] = "CheckoutStarted"  # type: ignore[assignment]


class Product(BaseModel):
    """A product the platform suggests with an order (related, bought together): what cross-sell offers."""

    model_config = _CONFIG

    name: Text = Field(min_length=1, max_length=300)
    url: Link = None
    price: Money | None = None
    image_url: Link = None
    sku: Text | None = Field(default=None, max_length=100)


class OrderPlaced(_Event):
    """An order exists; it may still be unpaid. `recommendations`: products the platform relates to it."""

    type: Literal["OrderPlaced"] = "OrderPlaced"
    order_id: _ID
    cart_id: _ID | None = None
    currency: Currency
    total: Money
    items: tuple[LineItem, ...] = Field(default=(), max_length=MAX_LINES)
    recommendations: tuple[Product, ...] = Field(default=(), max_length=12)


class OrderPaid(_Event):
    """The order's payment was confirmed."""

    type: Literal["OrderPaid"] = "OrderPaid"
    order_id: _ID
    total: Money | None = None


class PaymentFailed(_Event):
    """A payment attempt was refused; `reason` separates fraud suspicion from the issuer's refusal."""

    type: Literal["PaymentFailed"] = "PaymentFailed"
    order_id: _ID
    reason: Literal["fraud", "issuer_declined", "insufficient_funds", "other"]
    method: Text | None = Field(default=None, max_length=80)


class PaymentPending(_Event):
    """A boleto or PIX was issued and waits to be paid before `expires_at`."""

    type: Literal["PaymentPending"] = "PaymentPending"
    order_id: _ID
    method: Literal["boleto", "pix"]
    expires_at: Instant
    payment_url: Link = None


class OrderShipped(_Event):
    """A parcel left with a carrier."""

    type: Literal["OrderShipped"] = "OrderShipped"
    order_id: _ID
    carrier: _ID = Field(max_length=40)
    tracking_code: _ID = Field(max_length=64)
    tracking_url: Link = None
    promised_at: Instant | None = None


class ParcelScanned(_Event):
    """A parcel's status changed (a carrier scan, normalised: see `proativo.tracking.status`)."""

    type: Literal["ParcelScanned"] = "ParcelScanned"
    order_id: _ID
    carrier: _ID = Field(max_length=40)
    tracking_code: _ID = Field(max_length=64)
    status: _ID = Field(max_length=40)
    substatus: _ID | None = Field(default=None, max_length=80)
    description: Text | None = Field(default=None, max_length=300)
    location: Text | None = Field(default=None, max_length=300)
    at: Instant
    tracking_url: Link = None


class ParcelException(_Event):
    """A parcel needs attention; emitted once per episode (`occurred_at`: when the episode began)."""

    type: Literal["ParcelException"] = "ParcelException"
    order_id: _ID
    carrier: _ID = Field(max_length=40)
    tracking_code: _ID = Field(max_length=64)
    kind: Literal[
        "late", "stalled", "lost", "damaged", "returned", "awaiting_pickup", "address_problem", "failed_attempt"
    ]
    detail: Text | None = Field(default=None, max_length=300, description="the carrier's own words for the last scan")
    location: Text | None = Field(default=None, max_length=300)
    promised_at: Instant | None = None
    pickup_deadline: Instant | None = None
    tracking_url: Link = None


class ClaimUpdated(_Event):
    """A claim against a carrier moved: opened (`open`), left to the store's team (`task`), answered (`won`,
    `lost`, with the carrier's indemnity), or a team's claim nearing its deadline (`deadline_near`)."""

    type: Literal["ClaimUpdated"] = "ClaimUpdated"
    order_id: _ID
    carrier: _ID = Field(max_length=40)
    tracking_code: _ID = Field(max_length=64)
    kind: _ID = Field(max_length=40)
    status: Literal["open", "task", "won", "lost", "deadline_near"]
    channel: _ID = Field(max_length=40)
    protocol: _ID | None = None
    amount: Money | None = None
    deadline_at: Instant


class ParcelResolved(_Event):
    """The store resolved a parcel's trouble for the customer: a new item sent (`reshipped`, with its carrier and
    tracking code) or the money back (`refunded`, with the amount)."""

    type: Literal["ParcelResolved"] = "ParcelResolved"
    order_id: _ID
    carrier: _ID = Field(max_length=40)
    tracking_code: _ID = Field(max_length=64)
    resolution: Literal["reshipped", "refunded"]
    new_carrier: _ID | None = Field(default=None, max_length=40)
    new_tracking_code: _ID | None = Field(default=None, max_length=64)
    new_tracking_url: Link = None
    amount: Money | None = None
    currency: Currency | None = None


class SurveyAnswered(_Event):
    """The customer rated an order from 0 to 10 (how likely to recommend the store): 9-10 promoter, 7-8 passive,
    0-6 detractor, as NPS counts them."""

    type: Literal["SurveyAnswered"] = "SurveyAnswered"
    order_id: _ID
    score: int = Field(ge=0, le=10)

    @property
    def rating(self) -> str:
        """promoter, passive or detractor."""
        return "promoter" if self.score >= 9 else "passive" if self.score >= 7 else "detractor"


class OrderDelivered(_Event):
    """The parcel reached the customer."""

    type: Literal["OrderDelivered"] = "OrderDelivered"
    order_id: _ID


class OrderCanceled(_Event):
    """The order was cancelled."""

    type: Literal["OrderCanceled"] = "OrderCanceled"
    order_id: _ID


class ConsentChanged(_Event):
    """The customer granted or withdrew consent for a channel and purpose."""

    type: Literal["ConsentChanged"] = "ConsentChanged"
    channel: ChannelName
    purpose: Literal["marketing", "transactional"] = "marketing"
    granted: bool


class MessageBounced(_Event):
    """A message bounced (hard bounces suppress the address)."""

    type: Literal["MessageBounced"] = "MessageBounced"
    message_id: _ID
    permanent: bool


class MessageComplained(_Event):
    """The recipient marked a message as spam."""

    type: Literal["MessageComplained"] = "MessageComplained"
    message_id: _ID


class MessageEngaged(_Event):
    """A message was delivered to the mailbox, opened, or a link in it clicked (SES events): counted once each."""

    type: Literal["MessageEngaged"] = "MessageEngaged"
    message_id: _ID
    engagement: Literal["delivered", "opened", "clicked"]


class PageViewed(_Event):
    """The customer opened their order's own page (`/t/{token}`); `answers`: the ids of the answers it showed."""

    type: Literal["PageViewed"] = "PageViewed"
    order_id: _ID
    answers: tuple[Annotated[str, Field(pattern=r"^[a-z0-9_]{1,60}$")], ...] = Field(default=(), max_length=12)


class BrowseAbandoned(_Event):
    """A known, consenting customer looked at a product twice within a day on the store's site (browsing signals):
    the browse-abandonment flow's trigger, which a cart or an order ends."""

    type: Literal["BrowseAbandoned"] = "BrowseAbandoned"
    product_id: _ID = Field(max_length=100)
    product_name: Text | None = Field(default=None, max_length=300)
    product_url: Link = None


class CheckoutStepReached(_Event):
    """A known customer reached a checkout step on the store's site (browsing signals): a cart message that follows
    can speak of where they stopped (shipping: times and costs; payment: how to pay)."""

    type: Literal["CheckoutStepReached"] = "CheckoutStepReached"
    step: str = Field(pattern=r"^[a-z][a-z0-9_]{0,29}$")


HELP_TOPICS = ("where", "late", "damaged", "not_received", "return", "other")


class HelpRequested(_Event):
    """The customer asked the store's team for help from their order's page ("still need help?"): a case for the
    team, with the protocol and the date by which the customer was told to expect an answer."""

    type: Literal["HelpRequested"] = "HelpRequested"
    order_id: _ID
    topic: Literal["where", "late", "damaged", "not_received", "return", "other"]
    message: Text | None = Field(default=None, max_length=1000)
    state: _ID = Field(max_length=40, description="the order's state the page showed (a trouble or a status)")
    protocol: _ID = Field(max_length=40)
    answer_by: Instant


CaseKind = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]
# The team's actions on a case (the store API's and the CLI's), and the one only Proativo takes: a public answer the
# team approved was published on the complaint's site.
TeamCaseAction = Literal[
    "assign",
    "note",
    "wait_customer",
    "wait_carrier",
    "resolve",
    "escalate",
    "reopen",
    "draft_answer",
    "approve_answer",
]
CaseAction = TeamCaseAction | Literal["answer_published"]
CaseNews = Literal["opened", "waiting_customer", "waiting_carrier", "note", "escalated", "resolved", "reopened"]


class CaseOpened(_Event):
    """A case for the store's team, asked for by a source (the store's own systems, a public complaint, the tracker
    when a parcel's trouble outlived its wait): the engine opens it once per protocol, with its kind's deadline (or
    the source's own, when sooner), and tells the customer."""

    type: Literal["CaseOpened"] = "CaseOpened"
    kind: CaseKind
    protocol: _ID = Field(max_length=40)
    order_id: _ID | None = None
    subject: Text | None = Field(default=None, max_length=300, description="what it is about, for the team")
    detail: Text | None = Field(default=None, max_length=4000, description="the customer's or the source's words")
    source_ref: _ID | None = Field(default=None, description="the source's own id: a complaint, a parcel's trouble")
    answer_by: Instant | None = Field(default=None, description="the source's deadline, when sooner than the SLA")
    tell_customer: bool = True


class CaseChanged(_Event):
    """The store's team (or the clock) acted on a case: assigned it, noted something (for the customer, or not),
    waits on the customer or the carrier, resolved, escalated or reopened it."""

    type: Literal["CaseChanged"] = "CaseChanged"
    protocol: _ID = Field(max_length=40)
    action: CaseAction
    by: Text | None = Field(
        default=None, max_length=120, description="who acted: an agent, the SLA clock, the customer"
    )
    owner: Text | None = Field(default=None, max_length=120, description="for assign: who works the case now")
    note: Text | None = Field(default=None, max_length=4000)
    tell_customer: bool = False


class CaseUpdated(_Event):
    """What the customer is told of their case (derived by the engine when it opens or changes one): the flows'
    trigger for continuous contact, one per step (`step_key`)."""

    type: Literal["CaseUpdated"] = "CaseUpdated"
    protocol: _ID = Field(max_length=40)
    step_key: _ID
    kind: CaseKind
    news: CaseNews
    status: _ID = Field(max_length=40)
    level: Literal["first", "ouvidoria"] = "first"
    order_id: _ID | None = None
    answer_by: Instant | None = None
    note: Text | None = Field(default=None, max_length=4000)
    escalated_to: Text | None = Field(default=None, max_length=200)


type Event = Annotated[
    CartUpdated
    | CheckoutStarted
    | OrderPlaced
    | OrderPaid
    | PaymentFailed
    | PaymentPending
    | OrderShipped
    | ParcelScanned
    | ParcelException
    | ClaimUpdated
    | ParcelResolved
    | SurveyAnswered
    | OrderDelivered
    | OrderCanceled
    | ConsentChanged
    | MessageBounced
    | MessageComplained
    | MessageEngaged
    | PageViewed
    | HelpRequested
    | BrowseAbandoned
    | CheckoutStepReached
    | CaseOpened
    | CaseChanged
    | CaseUpdated,
    Field(discriminator="type"),
]


EVENT_TYPES: dict[str, type[_Event]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        CartUpdated,
        CheckoutStarted,
        OrderPlaced,
        OrderPaid,
        PaymentFailed,
        PaymentPending,
        OrderShipped,
        ParcelScanned,
        ParcelException,
        ClaimUpdated,
        ParcelResolved,
        SurveyAnswered,
        OrderDelivered,
        OrderCanceled,
        ConsentChanged,
        MessageBounced,
        MessageComplained,
        MessageEngaged,
        PageViewed,
        HelpRequested,
        BrowseAbandoned,
        CheckoutStepReached,
        CaseOpened,
        CaseChanged,
        CaseUpdated,
    )
}


def event_from(data: dict[str, Any]) -> Event:
    """Validate one canonical event from plain data; its `type` picks the model (ValueError if unknown)."""
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown event type {kind!r}")
    return cls.model_validate(data)  # type: ignore[return-value]


def taken_by_receipt[E: "Event | ResourceChanged"](events: "Sequence[E]", now: datetime) -> list[E]:
    """`events` (one delivery's) as they may be applied. When the newest is dated further ahead of `now` than a clock
    drifts, the sender's clock is wrong by that much: every event of the delivery moves back by the same amount, so
    the newest is taken at `now`, its receipt, and they keep their order and spacing. A fact dated next year would
    otherwise outrank every later one (a consent withdrawn tomorrow, the profile's contact details) until next year.
    Taken rather than refused: a platform whose clock is wrong would otherwise lose every event (and some platforms
    disable a webhook that keeps failing)."""
    if not events:
        return []
    ahead = max(e.occurred_at for e in events) - now
    if ahead <= CLOCK_SKEW:
        return list(events)
    return [cast(E, e.model_copy(update={"occurred_at": e.occurred_at - ahead})) for e in events]


def parse_event(raw: str | bytes) -> Event:
    """Validate one canonical event from its JSON form (as carried on the events queue)."""
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("an event is a JSON object")
    return event_from(data)


def dump_event(event: "Event | ResourceChanged") -> str:
    """The JSON form of an event (or a notification), as carried on the events queue."""
    return event.model_dump_json()


class ResourceChanged(BaseModel):
    """A platform said "this order changed" without saying how (Nuvemshop, VTEX): the events function reads the
    resource back from the platform's API and applies the canonical events it shows. Not a canonical event itself."""

    model_config = _CONFIG

    type: Literal["ResourceChanged"] = "ResourceChanged"
    event_id: _ID
    store_id: _ID
    platform: str = Field(min_length=1, max_length=40)
    resource: Literal["order"]
    # Both reach the platform's API URL (a path segment, a host name): letters, digits and dashes, nothing that
    # could walk to another path or host with the store's credentials.
    resource_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    topic: _ID = Field(max_length=80)
    account: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,119}$", description="the platform's own store/account id"
    )
    occurred_at: Instant


def parse_message(raw: str | bytes) -> "Event | ResourceChanged":
    """What the events queue carries: a canonical event, or a notification to read back from a platform."""
    data = json.loads(raw)
    if isinstance(data, dict) and data.get("type") == "ResourceChanged":
        return ResourceChanged.model_validate(data)
    if not isinstance(data, dict):
        raise ValueError("an event is a JSON object")
    return event_from(data)
