"""What the team is to hear, as items on the due index: a notice the engine writes in a case's own transaction
(opened, escalated, reopened, past its deadline), and each store's daily digest schedule, on the cases' part of the
due index (one Query a shard reads all the cases' due work). The dispatcher hands both to the team queue
(`message_of`); the team function delivers them (`proativo.cases.team`). Light on purpose: the engine and the
dispatcher import it."""

from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from proativo.aws import keys
from proativo.clock import as_utc, expires
from proativo.stores import StoreProfile

NOTICE_RETENTION = timedelta(days=30)
DIGEST_SK = "TEAM#DIGEST"
Notice = Literal["opened", "escalated", "reopened", "overdue", "answer_approved"]
# The store's webhook, its ouvidoria's e-mail, or the complaint site (a public answer the team approved).
Target = Literal["webhook", "ouvidoria", "site"]


def team_pk(store_id: str) -> str:
    """The store's partition of what its team is to hear (notices, the digest's schedule)."""
    return f"{keys.store_pk(store_id)}#TEAM"


def notice_item(
    case: dict[str, Any], what: Notice, at: datetime, shards: int, to: Target, by: str | None = None
) -> dict[str, Any]:
    """A notice for the team about `case`, due now on the index (the dispatcher hands it to the team queue): to the
    store's webhook, or to its ouvidoria's e-mail."""
    sk = f"NOTICE#{as_utc(at)}#{case['protocol']}#{what}#{to}"
    pk = team_pk(str(case["store_id"]))
    return {
        "pk": pk,
        "sk": sk,
        "kind": "team_notice",
        "store_id": case["store_id"],
        "customer_id": case["customer_id"],
        "protocol": case["protocol"],
        "what": what,
        "to": to,
        "case_kind": case["case_kind"],
        "level": case.get("level", "first"),
        "subject": case.get("subject"),
        "order_id": case.get("order_id"),
        "answer_by": case["answer_by"],
        "by": by,
        "source_ref": case.get("source_ref"),
        "ttl": expires(at, NOTICE_RETENTION),
        **keys.due_keys("case", f"{pk}|{sk}", at, shards),
    }


def next_digest(profile: StoreProfile, after: datetime) -> datetime:
    """The next time the store's digest goes out: its hour, in its time zone, after `after`."""
    zone = ZoneInfo(profile.timezone)
    local = after.astimezone(zone)
    at = local.replace(hour=profile.digest_hour, minute=0, second=0, microsecond=0)
    if at <= local:
        at += timedelta(days=1)
    return at.astimezone(after.tzinfo)


def digest_item(profile: StoreProfile, now: datetime, shards: int) -> dict[str, Any]:
    """The store's digest schedule on the due index (put again when the store's settings change)."""
    pk = team_pk(profile.store_id)
    return {
        "pk": pk,
        "sk": DIGEST_SK,
        "kind": "team_digest",
        "store_id": profile.store_id,
        **keys.due_keys("case", f"{pk}|{DIGEST_SK}", next_digest(profile, now), shards),
    }


def message_of(item: dict[str, Any]) -> dict[str, Any]:
    """The team queue's message for a due team item."""
    if item.get("kind") == "team_digest":
        return {"digest": {"store_id": str(item["store_id"]), "due_at": str(item["due_at"])}}
    fields = (
        "store_id",
        "customer_id",
        "protocol",
        "what",
        "to",
        "case_kind",
        "level",
        "subject",
        "order_id",
        "answer_by",
        "by",
        "source_ref",
    )
    return {"notice": {f: str(item[f]) for f in fields if item.get(f) is not None}}
