"""`proativo claims …` and `proativo carriers …`: the claims register, claims the store's team filed or got answered
by hand, and how each carrier does."""

import argparse
import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx

from proativo import clock
from proativo.cli.common import group, table, target
from proativo.clock import as_utc
from proativo.tracking.carriers import PLUGINS, CarrierDirectory, carrier_id
from proativo.tracking.claims import ClaimBook, claim_sk, rules_for
from proativo.tracking.correios import CorreiosClaims
from proativo.tracking.registry import ParcelRegistry
from proativo.tracking.scorecard import scorecard

_CLAIM_FIELDS = (
    "carrier",
    "tracking_code",
    "order_id",
    "claim_kind",
    "channel",
    "status",
    "protocol",
    "amount",
    "created_at",
    "deadline_at",
    "answered_at",
)


def claims_list(args: argparse.Namespace) -> list[dict[str, Any]]:
    book = ClaimBook(table(args), due_shards=1)
    return [{k: str(c[k]) for k in _CLAIM_FIELDS if k in c} for c in book.listing(args.store_id)]


def claims_record(args: argparse.Namespace) -> dict[str, Any]:
    """A claim the store's team filed or got answered by hand (carriers without a claim API)."""
    book = ClaimBook(table(args), due_shards=1)
    claim = book.load(args.store_id, claim_sk(carrier_id(args.carrier), args.tracking_code))
    if claim is None:
        raise SystemExit(f"no claim for {args.carrier} {args.tracking_code} in store '{args.store_id}'")
    now = clock.now()
    changes = {"status": args.status, "protocol": args.protocol, "amount": args.amount}
    changes["answered_at" if args.status in ("won", "lost") else "opened_at"] = as_utc(now)
    # Filed or answered by the team: nothing left for us to chase (no alert, no follow-up).
    if not book.save(claim, changes, None, now):
        raise SystemExit("the claim changed meanwhile: list it again and retry")
    return {k: str(v) for k, v in {**claim, **changes}.items() if k in _CLAIM_FIELDS and v is not None}


def claims_reasons(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The PI reasons the store's Correios contract accepts (SIGEP Web `obterMotivosPI`), beside the kinds of claim
    `claims.yaml` files under each: a configured code missing from the list is a claim Correios would refuse."""
    channel = CarrierDirectory(target(args).prefix, cache_seconds=0).claims(args.store_id, "correios")
    if not isinstance(channel, CorreiosClaims):
        raise SystemExit(f"store '{args.store_id}' has no SIGEP Web user and password in its Correios credentials")

    async def ask() -> list[dict[str, str]]:
        async with httpx.AsyncClient(timeout=20) as http:
            return await channel.sigep.reasons(http)

    found = asyncio.run(ask())
    configured = rules_for("correios").reasons
    listed = {str(r.get("codigo")) for r in found}
    rows: list[dict[str, Any]] = [
        {**r, "kinds": sorted(k for k, v in configured.items() if str(v) == str(r.get("codigo")))} for r in found
    ]
    rows += [
        {"codigo": str(v), "kinds": [k], "problem": "not offered by this contract"}
        for k, v in configured.items()
        if str(v) not in listed
    ]
    return rows


def carriers_list(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every carrier plugin and what Proativo can do with it (poll, push, register parcels of any carrier, claims)."""
    return [
        {
            "carrier": p.name,
            "title": p.title or p.name,
            "can": list(p.can),
            "claims": rules_for(p.name).channel,
            "aliases": [*p.aliases, *(f"{x}…" for x in p.prefixes)],
            "code_format": p.code_format or None,
            "credentials": p.credentials_example or None,
            "limits": f"{p.limits.concurrency} in flight, {p.limits.per_second:g}/s" if p.limits else None,
            "min_check_interval": str(p.min_check_interval) if p.min_check_interval else None,
            "status_table": p.events or None,
        }
        for p in PLUGINS.values()
    ]


def carriers_unmatched(args: argparse.Namespace) -> list[dict[str, Any]]:
    """A store's parcels whose carrier neither the platform's name nor the code's format told."""
    return [{k: str(v) for k, v in i.items()} for i in ParcelRegistry(table(args), 1).unmatched(args.store_id)]


def carriers_scorecard(args: argparse.Namespace) -> list[dict[str, Any]]:
    until = datetime.fromisoformat(args.until) if args.until else clock.now()
    since = until - timedelta(days=args.days - 1)
    return scorecard(table(args), args.store_id, since, until)


def register(commands: Any, where: argparse.ArgumentParser) -> None:
    """`proativo claims …` and `proativo carriers …`."""
    claims = group(commands, "claims", "claims against carriers")
    listing = claims.add_parser("list", parents=[where], help="a store's claims register")
    listing.add_argument("store_id")
    listing.set_defaults(run=claims_list)
    record = claims.add_parser(
        "record", parents=[where], help="a claim the store's team filed (open) or got answered (won, lost)"
    )
    record.add_argument("store_id")
    record.add_argument("--carrier", required=True)
    record.add_argument("--tracking-code", required=True)
    record.add_argument("--status", required=True, choices=["open", "won", "lost"])
    record.add_argument("--protocol")
    record.add_argument("--amount", help="the carrier's indemnity, e.g. 189.90")
    record.set_defaults(run=claims_record)
    reasons = claims.add_parser(
        "reasons",
        parents=[where],
        help="the PI reasons the store's Correios contract accepts, and the kinds filed under each",
    )
    reasons.add_argument("store_id")
    reasons.set_defaults(run=claims_reasons)
    carriers = group(commands, "carriers", "the carriers Proativo speaks, and how they do")
    listing = carriers.add_parser("list", help="every carrier plugin: poll, push, register, claims, code format")
    listing.set_defaults(run=carriers_list)
    unmatched = carriers.add_parser(
        "unmatched", parents=[where], help="a store's parcels whose carrier neither its name nor its code told"
    )
    unmatched.add_argument("store_id")
    unmatched.set_defaults(run=carriers_unmatched)
    card = carriers.add_parser(
        "scorecard", parents=[where], help="per carrier and destination state: parcels, incidents, claims, rates"
    )
    card.add_argument("store_id")
    card.add_argument("--days", type=int, default=30)
    card.add_argument("--until", help="the last day, ISO-8601 (default: today)")
    card.set_defaults(run=carriers_scorecard)
