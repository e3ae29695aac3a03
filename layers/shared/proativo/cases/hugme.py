"""Reclame Aqui's company API (HugMe): a store's new complaints, polled and opened as cases like any public complaint
(`proativo.cases.complaints`), and the public answer the store's team approved, posted back.

WHAT COULD NOT BE VERIFIED — the one place it is said (the README points here). Reclame Aqui's manual
(manual.reclameaqui.com.br) says what HugMe's API does — read a company's complaints, answer them publicly or
privately, ask for moderation — but its endpoints, authentication, field names, pagination and limits are handed to
client companies only; no public document or client library shows them. So every one of those details is data in
`Contract` below: the defaults are our reading (an OAuth2 client-credentials token, a paged JSON list of tickets
filtered by creation date, an answer posted to the ticket), and a store whose HugMe contract says otherwise sets any
of them with its credentials (`proativo cases sources connect STORE reclameaqui`, JSON: `client_id`, `client_secret`,
`contract`), with no code change. What is ours, and tested: the turns of the poll and its cursor, bounded pages,
the matching, one case per complaint however often it is seen, retries on 5xx/429/timeouts, and that nothing is
answered in public before a person approved it."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from aws_lambda_powertools import Logger
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from proativo.cases.complaints import Complaint
from proativo.clock import as_utc
from proativo.errors import RetryableSendError

logger = Logger(child=True)
_DATA = ConfigDict(frozen=True, extra="forbid")


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not a time zone: {name!r}") from None
    return name


class Fields(BaseModel):
    """Where a ticket's facts are in HugMe's JSON (dotted paths; unverified, see the module)."""

    model_config = _DATA

    id: str = "id"
    title: str = "title"
    text: str = "description"
    created_at: str = "creation_date"
    answer_by: str | None = "sla.expiration_date"
    url: str | None = "url"
    order_id: str | None = "order_id"
    name: str | None = "customer.name"
    email: str | None = "customer.email"
    tax_id: str | None = "customer.cpf"


class Contract(BaseModel):
    """HugMe's requests as this adapter makes them (unverified, see the module); a store overrides any of them."""

    model_config = _DATA

    # HTTPS, or plain HTTP to this machine only (the local stack's fake).
    base_url: str = Field(
        default="https://api.hugme.com.br",
        pattern=r"^(https://[^/\s]+|http://(127\.0\.0\.1|localhost)(:[0-9]+)?)(/\S*)?$",
    )
    token_path: str = Field(default="/oauth/token", pattern=r"^/\S*$")
    list_path: str = Field(default="/ticket/v1/tickets", pattern=r"^/\S*$")
    since_param: str = "creation_date[gte]"
    sort_param: str | None = "sort"
    sort_value: str = "creation_date"  # oldest first: the cursor moves forward page by page
    page_param: str = "page[number]"
    size_param: str = "page[size]"
    page_size: int = Field(default=50, ge=1, le=500)
    max_pages: int = Field(default=10, ge=1, le=100)
    items: str = "data"
    fields: Fields = Fields()
    answer_path: str = Field(default="/ticket/v1/tickets/{id}/answers", pattern=r"^/\S*\{id\}\S*$")
    answer_text: str = "message"
    answer_public: str | None = "public"
    # The zone of the times the API gives without an offset (Reclame Aqui is Brazilian).
    timezone: Annotated[str, AfterValidator(_known_zone)] = "America/Sao_Paulo"


class Credentials(BaseModel):
    """A store's HugMe access, kept in SSM (SecureString)."""

    model_config = _DATA

    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str = Field(min_length=1, max_length=500)
    contract: Contract = Contract()


# A store newly connected: the complaints of the last 30 days are still open on the site (its answer window).
FIRST_LOOK_BACK = timedelta(days=30)


@dataclass
class Polled:
    """What one turn found: the complaints (valid ones), how many were not, and the newest creation date seen."""

    complaints: list[Complaint] = field(default_factory=list)
    refused: int = 0
    newest: datetime | None = None


@dataclass
class HugMe:
    """The adapter: one pooled HTTP client; each store's token kept until shortly before it expires."""

    http: httpx.Client
    tokens: dict[str, tuple[datetime, str]] = field(default_factory=dict)

    name = "reclameaqui"  # the site: a complaint forwarded to the route from it is the same case
    credentials = Credentials

    def poll(self, store_id: str, given: Credentials, since: datetime | None, now: datetime) -> Polled:
        """The complaints created since `since` (or the last 30 days), oldest first, at most `max_pages` pages."""
        contract = given.contract
        found = Polled()
        start = as_utc(since or now - FIRST_LOOK_BACK)
        for page in range(1, contract.max_pages + 1):
            params = {contract.since_param: start, contract.page_param: page, contract.size_param: contract.page_size}
            if contract.sort_param:
                params[contract.sort_param] = contract.sort_value
            body = self._call(store_id, given, "GET", contract.list_path, now, params=params)
            items = _at(body, contract.items)
            if not isinstance(items, list):
                raise RetryableSendError(f"HugMe's list had no '{contract.items}' list")
            for raw in items:
                complaint = _complaint(raw, contract.fields, contract.timezone)
                if complaint is None:
                    found.refused += 1
                    continue
                found.complaints.append(complaint)
                if complaint.created_at and (found.newest is None or complaint.created_at > found.newest):
                    found.newest = complaint.created_at
            if len(items) < contract.page_size:
                break
        return found

    def answer(self, store_id: str, given: Credentials, complaint_id: str, text: str, now: datetime) -> None:
        """Post the answer the team approved, in public, on the complaint."""
        contract = given.contract
        body: dict[str, Any] = {contract.answer_text: text}
        if contract.answer_public:
            body[contract.answer_public] = True
        self._call(store_id, given, "POST", contract.answer_path.format(id=complaint_id), now, json=body)

    def _call(self, store_id: str, given: Credentials, method: str, path: str, now: datetime, **send: Any) -> Any:
        url = given.contract.base_url.rstrip("/") + path
        for attempt in (1, 2):
            token = self._token(store_id, given, now)
            answer = self._send(method, url, headers={"authorization": f"Bearer {token}"}, **send)
            if answer.status_code == 401 and attempt == 1:
                self.tokens.pop(store_id, None)  # revoked or expired early: one new token, once
                continue
            _raise_for(answer, "HugMe")
            try:
                return answer.json() if answer.content else {}
            except ValueError:
                raise RetryableSendError("HugMe answered with something that is not JSON") from None
        raise AssertionError("unreachable")

    def _token(self, store_id: str, given: Credentials, now: datetime) -> str:
        kept = self.tokens.get(store_id)
        if kept and kept[0] > now:
            return kept[1]
        contract = given.contract
        answer = self._send(
            "POST",
            contract.base_url.rstrip("/") + contract.token_path,
            data={"grant_type": "client_credentials"},
            auth=(given.client_id, given.client_secret),
        )
        _raise_for(answer, "HugMe's token")
        try:
            body = answer.json()
            token, seconds = str(body["access_token"]), int(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise RetryableSendError("HugMe's token answer had no access_token") from None
        self.tokens[store_id] = (now + timedelta(seconds=max(seconds - 60, 0)), token)
        return token

    def _send(self, method: str, url: str, **send: Any) -> httpx.Response:
        try:
            return self.http.request(method, url, **send)
        except httpx.HTTPError as exc:
            raise RetryableSendError(f"HugMe did not answer ({type(exc).__name__})") from exc


class Refused(Exception):
    """HugMe refused the store's access or request (4xx): retrying changes nothing until the store fixes it."""


def _raise_for(answer: httpx.Response, what: str) -> None:
    if answer.status_code == 429 or answer.status_code >= 500:
        raise RetryableSendError(f"{what} answered {answer.status_code}")
    if answer.status_code >= 400:
        raise Refused(f"{what} answered {answer.status_code}")


def _at(body: Any, path: str) -> Any:
    """The value at a dotted path of a JSON document (None where the path leads nowhere)."""
    for part in path.split(".") if path else ():
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


def _complaint(raw: Any, fields: Fields, zone: str) -> Complaint | None:
    """One ticket as a complaint; None (counted, not logged: it holds a person's words) when it is not one."""
    values = {
        name: _at(raw, path)
        for name, path in fields.model_dump().items()
        if path is not None and name not in ("name", "email", "tax_id")
    }
    for name in ("created_at", "answer_by"):
        values[name] = _zoned(values.get(name), zone)
    if values.get("id") is not None:
        values["id"] = str(values["id"])
    if values.get("order_id") is not None:
        values["order_id"] = str(values["order_id"])
    if not str(values.get("url") or "").startswith("https://"):
        values.pop("url", None)  # a link we would not show is no reason to lose the complaint
    who = (("name", fields.name), ("email", fields.email), ("tax_id", fields.tax_id))
    customer = {k: str(v) for k, p in who if p is not None for v in [_at(raw, p)] if v not in (None, "")}
    try:
        return Complaint.model_validate(
            {k: v for k, v in values.items() if v not in (None, "")} | {"customer": customer}
        )
    except ValidationError:
        return None


def _zoned(value: Any, zone: str) -> Any:
    """A time the API gave without an offset, read in `zone`; anything else as it came (the model judges it)."""
    if not isinstance(value, str):
        return value
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return at.replace(tzinfo=ZoneInfo(zone)).isoformat() if at.tzinfo is None else value
