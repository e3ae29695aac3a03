"""Complaint sites Proativo polls through their company API — one module and one line each (`PULLED`); the others
reach `POST /complaints/{source}/{store_id}` through whatever listening tool the store uses.

A source's adapter has `name`, `credentials` (the model of what the store gives, kept in SSM), `poll(store_id,
credentials, since, now) -> Polled` (the complaints created since the cursor) and `answer(store_id, credentials,
complaint_id, text, now)` (a public answer a person approved). A store connects one with `proativo cases sources
connect STORE SITE < credentials.json`: its access goes to SSM and one item to the connected sites' partition
(`site_item`), which the team function's schedule reads (one Query a turn, whatever the table holds) to poll each.
The item keeps the site's cursor: the newest creation date seen and the complaints seen at that instant."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities import parameters
from pydantic import ValidationError

from proativo.aws import query_items
from proativo.cases.hugme import HugMe
from proativo.clock import as_utc
from proativo.errors import NotFound, RetryableSendError
from proativo.stores import missing_or_unavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

logger = Logger(child=True)

PULLED: dict[str, Any] = {HugMe.name: HugMe}
SITES_PK = "COMPLAINTSITES"


def site_key(store_id: str, site: str) -> dict[str, str]:
    """A store's connection to a complaint site, in the connected sites' partition."""
    return {"pk": SITES_PK, "sk": f"{store_id}#{site}"}


def site_item(store_id: str, site: str, now: datetime) -> dict[str, Any]:
    """The connection as `proativo cases sources connect` writes it (no cursor yet: the first turn looks back)."""
    return {**site_key(store_id, site), "kind": "complaint_site", "store_id": store_id, "site": site,
            "connected_at": as_utc(now)}  # fmt: skip


def connected(table: "Table") -> list[dict[str, Any]]:
    """Every store's connections to complaint sites."""
    return list(query_items(table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": SITES_PK}))


def turn_of(item: dict[str, Any]) -> dict[str, Any]:
    """The team queue's message for one connection's turn (also what the schedule polls inline)."""
    turn: dict[str, Any] = {"store_id": str(item["store_id"]), "source": str(item["site"])}
    if item.get("since"):
        turn.update(since=str(item["since"]), seen=[str(i) for i in item.get("seen") or ()])
    return {"poll": turn}


def credentials_name(prefix: str, store_id: str, source: str) -> str:
    """The SSM parameter holding a store's access to a complaint site's API."""
    return f"{prefix.rstrip('/')}/stores/{store_id}/complaint-sources/{source}"


def source_of(source_ref: str) -> tuple[str, str] | None:
    """The site and the complaint's id a case's source reference names (`complaint:<site>:<id>`), else None."""
    kind, _, rest = source_ref.partition(":")
    site, _, complaint_id = rest.partition(":")
    return (site, complaint_id) if kind == "complaint" and site and complaint_id else None


def access(prefix: str, store_id: str, site: str, max_age: int = 300) -> Any:
    """A store's access to a complaint site's API, checked (cached `max_age` seconds); None when the store is not
    connected to it (or what it keeps there is not access: logged, without the values). SSM not answering now:
    RetryableSendError (the queue tries again)."""
    adapter = PULLED.get(site)
    if adapter is None:
        return None
    try:
        given = parameters.get_parameter(
            credentials_name(prefix, store_id, site), decrypt=True, transform="json", max_age=max_age
        )
    except parameters.exceptions.GetParameterError as exc:
        if isinstance(missing_or_unavailable(exc, "not connected"), NotFound):
            return None
        raise RetryableSendError(f"SSM did not answer for the store's {site} access") from exc
    try:
        return adapter.credentials.model_validate(given)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        logger.warning("complaint site access refused", extra={"store_id": store_id, "site": site, "fields": fields})
        return None
