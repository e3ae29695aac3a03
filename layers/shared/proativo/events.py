"""The canonical events: the one vocabulary every platform adapter speaks and every reducer understands.

Every event carries the store, the customer, when it happened and a deterministic `event_id` (the platform's id or
a hash of the payload), which is what makes a redelivered event a no-op.
"""

import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

_ID = Annotated[str, Field(min_length=1, max_length=200)]


# Every model defers building its validator to first use: a function builds only the event types it meets.
_CONFIG = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Customer(BaseModel):
    """Who the event is about. `id` is stable per store (platform id, or derived from the e-mail)."""

    model_config = _CONFIG

    id: _ID
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, max_length=16)
    timezone: str | None = Field(default=None, max_length=64)
    accepts_marketing: bool | None = Field(default=None, description="e-mail marketing consent, as the platform says")
    accepts_sms: bool | None = Field(default=None, description="SMS consent, as the platform says")

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

    sku: str | None = None
    name: str = Field(min_length=1, max_length=300)
    quantity: int = Field(ge=1)
    unit_price: Decimal = Field(ge=0)
    url: str | None = None
    image_url: str | None = None


class _Event(BaseModel):
    model_config = _CONFIG

    event_id: _ID
    store_id: _ID
    source: str = Field(min_length=1, max_length=40, description="the platform or carrier that reported it")
    customer: Customer
    occurred_at: AwareDatetime


class CartUpdated(_Event):
    """A cart (or checkout) was created or changed; the clock of abandonment restarts."""

    type: Literal["CartUpdated"] = "CartUpdated"
    cart_id: _ID
    currency: str = Field(min_length=3, max_length=3)
    total: Decimal = Field(ge=0)
    items: tuple[LineItem, ...] = ()
    recovery_url: str | None = None


class CheckoutStarted(CartUpdated):
    """The customer reached the checkout (contact details known)."""

    type: Literal["CheckoutStarted"] = "CheckoutStarted"  # type: ignore[assignment]


class Product(BaseModel):
    """A product the platform suggests with an order (related, bought together): what cross-sell offers."""

    model_config = _CONFIG

    name: str = Field(min_length=1, max_length=300)
    url: str = Field(min_length=1, max_length=2000)
    price: Decimal | None = Field(default=None, ge=0)
    image_url: str | None = Field(default=None, max_length=2000)
    sku: str | None = Field(default=None, max_length=100)


class OrderPlaced(_Event):
    """An order exists; it may still be unpaid. `recommendations`: products the platform relates to it."""

    type: Literal["OrderPlaced"] = "OrderPlaced"
    order_id: _ID
    cart_id: str | None = None
    currency: str = Field(min_length=3, max_length=3)
    total: Decimal = Field(ge=0)
    items: tuple[LineItem, ...] = ()
    recommendations: tuple[Product, ...] = Field(default=(), max_length=12)


class OrderPaid(_Event):
    """The order's payment was confirmed."""

    type: Literal["OrderPaid"] = "OrderPaid"
    order_id: _ID
    total: Decimal | None = Field(default=None, ge=0)


class PaymentFailed(_Event):
    """A payment attempt was refused; `reason` separates fraud suspicion from the issuer's refusal."""

    type: Literal["PaymentFailed"] = "PaymentFailed"
    order_id: _ID
    reason: Literal["fraud", "issuer_declined", "insufficient_funds", "other"]
    method: str | None = None


class PaymentPending(_Event):
    """A boleto or PIX was issued and waits to be paid before `expires_at`."""

    type: Literal["PaymentPending"] = "PaymentPending"
    order_id: _ID
    method: Literal["boleto", "pix"]
    expires_at: AwareDatetime
    payment_url: str | None = None


class OrderShipped(_Event):
    """A parcel left with a carrier."""

    type: Literal["OrderShipped"] = "OrderShipped"
    order_id: _ID
    carrier: str = Field(min_length=1, max_length=40)
    tracking_code: str = Field(min_length=1, max_length=64)
    tracking_url: str | None = None
    promised_at: AwareDatetime | None = None


class ParcelScanned(_Event):
    """A parcel's status changed (a carrier scan, normalised: see `proativo.tracking.status`)."""

    type: Literal["ParcelScanned"] = "ParcelScanned"
    order_id: _ID
    carrier: str
    tracking_code: str
    status: str
    substatus: str | None = None
    description: str | None = Field(default=None, max_length=300)
    location: str | None = None
    at: AwareDatetime
    tracking_url: str | None = None


class ParcelException(_Event):
    """A parcel needs attention; emitted once per episode (`occurred_at`: when the episode began)."""

    type: Literal["ParcelException"] = "ParcelException"
    order_id: _ID
    carrier: str
    tracking_code: str
    kind: Literal[
        "late", "stalled", "lost", "damaged", "returned", "awaiting_pickup", "address_problem", "failed_attempt"
    ]
    detail: str | None = Field(default=None, max_length=300, description="the carrier's own words for the last scan")
    location: str | None = None
    promised_at: AwareDatetime | None = None
    pickup_deadline: AwareDatetime | None = None
    tracking_url: str | None = None


class ClaimUpdated(_Event):
    """A claim against a carrier moved: opened (`open`), left to the store's team (`task`), answered (`won`,
    `lost`, with the carrier's indemnity), or a team's claim nearing its deadline (`deadline_near`)."""

    type: Literal["ClaimUpdated"] = "ClaimUpdated"
    order_id: _ID
    carrier: str
    tracking_code: str
    kind: str
    status: Literal["open", "task", "won", "lost", "deadline_near"]
    channel: str
    protocol: str | None = None
    amount: Decimal | None = None
    deadline_at: AwareDatetime


class ParcelResolved(_Event):
    """The store resolved a parcel's trouble for the customer: a new item sent (`reshipped`, with its carrier and
    tracking code) or the money back (`refunded`, with the amount)."""

    type: Literal["ParcelResolved"] = "ParcelResolved"
    order_id: _ID
    carrier: str = Field(min_length=1, max_length=40)
    tracking_code: str = Field(min_length=1, max_length=64)
    resolution: Literal["reshipped", "refunded"]
    new_carrier: str | None = Field(default=None, max_length=40)
    new_tracking_code: str | None = Field(default=None, max_length=64)
    new_tracking_url: str | None = None
    amount: Decimal | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, min_length=3, max_length=3)


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
    channel: Literal["email", "sms", "whatsapp"]
    purpose: Literal["marketing", "transactional"] = "marketing"
    granted: bool


class MessageBounced(_Event):
    """A message bounced (hard bounces suppress the address)."""

    type: Literal["MessageBounced"] = "MessageBounced"
    message_id: str
    permanent: bool


class MessageComplained(_Event):
    """The recipient marked a message as spam."""

    type: Literal["MessageComplained"] = "MessageComplained"
    message_id: str


class MessageEngaged(_Event):
    """A message was delivered to the mailbox, opened, or a link in it clicked (SES events): counted once each."""

    type: Literal["MessageEngaged"] = "MessageEngaged"
    message_id: str
    engagement: Literal["delivered", "opened", "clicked"]


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
    | MessageEngaged,
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
    )
}


def event_from(data: dict[str, Any]) -> Event:
    """Validate one canonical event from plain data; its `type` picks the model (ValueError if unknown)."""
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown event type {kind!r}")
    return cls.model_validate(data)  # type: ignore[return-value]


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
    resource_id: _ID
    topic: str = Field(min_length=1, max_length=80)
    account: str | None = Field(default=None, max_length=120, description="the platform's own store/account id")
    occurred_at: AwareDatetime


def parse_message(raw: str | bytes) -> "Event | ResourceChanged":
    """What the events queue carries: a canonical event, or a notification to read back from a platform."""
    data = json.loads(raw)
    if isinstance(data, dict) and data.get("type") == "ResourceChanged":
        return ResourceChanged.model_validate(data)
    if not isinstance(data, dict):
        raise ValueError("an event is a JSON object")
    return event_from(data)
