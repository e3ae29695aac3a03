"""What the snippet may send (`POST /signals/{store_id}`): bounded, typed, and nothing personal. A value that looks
like an e-mail, a phone number or a CPF is refused (the whole batch, 400): a store's page that leaks one into a
product id must be fixed, not recorded. Kept apart from the visit's logic: the API description needs only these."""

import re
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from proativo.events import MAX_AMOUNT, plain_text, web_url

_STRICT = ConfigDict(frozen=True, extra="forbid", defer_build=True)
_OPAQUE_ID = r"^[A-Za-z0-9_-]{8,64}$"
_SLUG = r"^[a-z][a-z0-9_]{0,29}$"
MAX_EVENTS = 50

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"^\+\d{8,15}$|^\+?[\d\s().-]*\d[\s().-]+\d[\d\s().-]*$")
_CPF = re.compile(r"^\d{3}\.?\d{3}\.?\d{3}-?\d{2}$")


def _cpf_valid(digits: str) -> bool:
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    for n in (9, 10):
        total = sum(int(d) * (n + 1 - i) for i, d in enumerate(digits[:n]))
        if (total * 10 % 11) % 10 != int(digits[n]):
            return False
    return True


def looks_personal(value: str) -> str | None:
    """What personal datum `value` looks like ("e-mail", "phone", "CPF"), or None."""
    if _EMAIL.search(value):
        return "e-mail"
    digits = re.sub(r"\D", "", value)
    if _CPF.match(value) and _cpf_valid(digits):
        return "CPF"
    if _PHONE.match(value) and 10 <= len(digits) <= 15:
        return "phone"
    return None


def _impersonal(value: object) -> object:
    """Checked before the field's own pattern: the reason given is the one that matters."""
    if isinstance(value, str) and (what := looks_personal(value)):
        raise ValueError(f"looks like a {what}: signals carry no personal data")
    return value


class Signal(BaseModel):
    """One thing the visitor did."""

    model_config = _STRICT
    type: Literal["page_view", "product_view", "cart", "checkout_step", "idle", "exit_intent", "invite_accepted"]
    at: AwareDatetime
    page: str | None = Field(default=None, pattern=_SLUG, description="page type: product, cart, returns, purchase…")
    product_id: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")
    product_name: str | None = Field(default=None, min_length=1, max_length=300)
    product_url: str | None = Field(default=None, max_length=2000)
    cart_value: Decimal | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    cart_items: int | None = Field(default=None, ge=0, le=10_000)
    step: str | None = Field(default=None, pattern=_SLUG, description="checkout step: cart, shipping, payment…")
    seconds: int | None = Field(default=None, ge=0, le=86_400, description="idle for so long")
    rule: str | None = Field(default=None, pattern=_SLUG, description="the invitation accepted")

    _no_personal = field_validator("product_id", "product_name", "product_url", mode="before")(_impersonal)

    @field_validator("product_name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return plain_text(value).strip() or None if value is not None else None

    @field_validator("product_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and web_url(value) is None:
            raise ValueError("an http(s) address")
        return value


class CustomerClaim(BaseModel):
    """A known customer, vouched for by the store's backend: `sig` is the hex HMAC-SHA256 of `id` with the store's
    generic secret."""

    model_config = _STRICT
    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
    sig: str = Field(pattern=r"^[0-9a-f]{64}$")

    _no_personal = field_validator("id", mode="before")(_impersonal)


class SignalBatch(BaseModel):
    """What the snippet sends (`POST /signals/{store_id}`)."""

    model_config = _STRICT
    visitor: str = Field(pattern=_OPAQUE_ID, description="anonymous, kept in the store's first-party storage")
    session: str = Field(pattern=_OPAQUE_ID)
    consent: bool
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    customer: CustomerClaim | None = None
    events: tuple[Signal, ...] = Field(default=(), max_length=MAX_EVENTS)
