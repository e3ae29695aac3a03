"""Public complaints caught first: a complaint from any social-listening tool or complaint site (`POST
/complaints/{source}/{store_id}`, signed like the generic platform) becomes a case of kind `public_complaint`, with
the complaint's own deadline, matched to the store's customer and order.

Matching: by the order number the complaint gives (the order look-up's reference), confirmed by the e-mail or the
buyer's tax id (CPF/CNPJ…) when it gives them — both kept there only as digests, the tax id's keyed
(`customers.identity`); an order number whose e-mail and tax id, as the complaint gives them, both differ from the
order's is not trusted. A complaint giving
a tax id and no order that matches is matched to that buyer's latest order. What matches nothing still opens a case
(the team must answer in public either way), under a customer of its own made from the complaint's id.

An order number is taken from the complaint's own field, else from its words ("pedido 6001", "order #6001"): people
write it there more often than any form asks.

Sites with an API are polled instead (`proativo.cases.sources`: Reclame Aqui's HugMe, whose unverifiable details are
said in `proativo.cases.hugme`); their complaints are opened by the same `opening`. Nothing is ever answered in
public automatically: a person approves the answer (`draft_answer`, then `approve_answer`)."""

import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from proativo.aws import keys
from proativo.customers import identity
from proativo.events import CaseOpened, Customer
from proativo.ids import protocol_for
from proativo.platforms.base import invalid_from

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

SOURCE = r"^[a-z0-9][a-z0-9-]{1,39}$"
Matched = Literal["order+email", "order+tax_id", "order", "tax_id", "none"]
# An order number in a complaint's words: after "pedido"/"order"/"compra" (and "nº", "number", "#"), with a digit.
ORDER_IN_WORDS = re.compile(
    r"\b(?:pedido|order|compra)\s*(?:n\.?\s*[º°o]\.?|n[úu]mero|number|no\.)?\s*:?\s*#?\s*((?=[A-Za-z-]*[0-9])[A-Za-z0-9-]{3,40})\b",
    re.IGNORECASE,
)


class Complainant(BaseModel):
    """Who complained, as the site shows the company."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40)
    tax_id: str | None = Field(default=None, max_length=40, description="the CPF/CNPJ (or any tax id) the site shows")


class Complaint(BaseModel):
    """One complaint: the site's id, what was said, where, by when the site expects the company's answer."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9._:-]+$")
    title: str = Field(min_length=1, max_length=300)
    text: str = Field(default="", max_length=8000)
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https://")
    # With their offset: a time without one is ambiguous by hours (400 naming the field).
    created_at: AwareDatetime | None = None
    answer_by: AwareDatetime | None = None
    order_id: str | None = Field(default=None, min_length=1, max_length=200)
    customer: Complainant = Complainant()


def parsed(body: Any) -> Complaint:
    """A complaint from its JSON; InvalidPayload naming the field when it is not one."""
    try:
        return Complaint.model_validate(body)
    except ValidationError as exc:
        raise invalid_from(exc) from None


def match(
    table: "Table", store_id: str, complaint: Complaint, pseudonym: Callable[[str, str], str] | None = None
) -> tuple[str, str | None, Matched]:
    """The customer and order a complaint is about, and how sure: the order's reference, confirmed by the e-mail or
    the tax id's digest (`pseudonym`: store, tax id → digest; without it no tax id is read); else the tax id alone."""
    given = complaint.customer
    email = hashlib.sha256(given.email.strip().lower().encode()).hexdigest() if given.email else None
    tax_id = (
        pseudonym(store_id, given.tax_id) if pseudonym and given.tax_id and identity.normalized(given.tax_id) else None
    )
    for order in _orders_named(complaint):
        ref = table.get_item(Key=keys.order_ref_key(store_id, order)).get("Item")
        if not ref:
            continue
        found = str(ref["customer_id"]), str(ref["order_id"])
        if email and hmac.compare_digest(str(ref.get("email_sha256", "")), email):
            return (*found, "order+email")
        if tax_id and hmac.compare_digest(str(ref.get("tax_id_digest", "")), tax_id):
            return (*found, "order+tax_id")
        if email is None and tax_id is None:
            return (*found, "order")
    if tax_id:
        ref = table.get_item(Key=keys.tax_id_key(store_id, tax_id)).get("Item")
        if ref:
            return str(ref["customer_id"]), str(ref["order_id"]), "tax_id"
    own = hashlib.sha256(f"{complaint.id}".encode()).hexdigest()[:16]
    return f"complaint-{own}", None, "none"


def _orders_named(complaint: Complaint) -> list[str]:
    """The order numbers a complaint names: its field, else the first two its words give."""
    if complaint.order_id:
        return [complaint.order_id]
    named = dict.fromkeys(m.group(1) for m in ORDER_IN_WORDS.finditer(f"{complaint.title}\n{complaint.text}"))
    return list(named)[:2]


def opening(
    table: "Table",
    source: str,
    store_id: str,
    complaint: Complaint,
    now: datetime,
    pseudonym: Callable[[str, str], str] | None = None,
) -> tuple[CaseOpened, Matched]:
    """The event that opens the complaint's case, and how it was matched."""
    customer_id, order_id, how = match(table, store_id, complaint, pseudonym)
    source_ref = f"complaint:{source}:{complaint.id}"
    given = complaint.customer
    detail = "\n\n".join(p for p in (complaint.text, complaint.url or "") if p)
    # A customer matched keeps the contact the store knows; one unmatched is reached as the site gave them.
    customer = (
        Customer(id=customer_id) if how != "none" else Customer(id=customer_id, email=given.email, name=given.name)
    )
    event = CaseOpened(
        event_id=f"case:{source_ref}",
        store_id=store_id,
        source=f"complaint:{source}"[:40],
        customer=customer,
        occurred_at=now,
        kind="public_complaint",
        protocol=protocol_for(f"{store_id}:{source_ref}", complaint.created_at or now),
        order_id=order_id,
        subject=f"{source}: {complaint.title}"[:300],
        detail=detail[:4000] or None,
        source_ref=source_ref,
        answer_by=complaint.answer_by,
    )
    return event, how
