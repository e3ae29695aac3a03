"""`proativo signals rules set|show|reset`: when a store's visitors are invited to talk, and with what words."""

import argparse
from decimal import Decimal, InvalidOperation
from typing import Any

from proativo import clock
from proativo.cli.common import change_profile, group, saved_from_yaml, table
from proativo.signals import rules


def rules_set(args: argparse.Namespace) -> dict[str, Any]:
    where = table(args)
    saved = saved_from_yaml(
        args.file, "rules", lambda document: rules.save(where, args.store_id, document, clock.now())
    )
    in_force = rules.built_in().with_store(saved)
    return {"store_id": args.store_id, "own": [r.id for r in saved.rules], "in_force": [r.id for r in in_force.rules]}


def rules_show(args: argparse.Namespace) -> dict[str, Any]:
    own = rules.load(table(args), args.store_id)
    return {
        "store_id": args.store_id,
        "own": own or {"rules": []},
        "built_in": [r.id for r in rules.built_in().rules],
    }


def rules_reset(args: argparse.Namespace) -> dict[str, Any]:
    rules.reset(table(args), args.store_id)
    return {"store_id": args.store_id, "rules": "built-in"}


def settings(args: argparse.Namespace) -> dict[str, Any]:
    """Change only the settings given."""
    given: dict[str, Any] = {}
    if args.origin is not None:
        given["site_origins"] = tuple(args.origin)
    if args.holdout is not None:
        try:
            given["signals_holdout_share"] = Decimal(args.holdout)
        except InvalidOperation:
            raise SystemExit(f"--holdout: a number from 0 to 0.5, not {args.holdout!r}") from None
    if args.cap is not None:
        given["invitations_cap"] = args.cap
    if args.cap_days is not None:
        given["invitations_cap_days"] = args.cap_days
    if args.whatsapp is not None:
        given["whatsapp_number"] = args.whatsapp
    if not given:
        raise SystemExit("nothing to change: --origin, --holdout, --cap, --cap-days or --whatsapp")
    return change_profile(args, given, "signals settings")


def register(commands: Any, where: argparse.ArgumentParser) -> None:
    """`proativo signals settings`, `proativo signals rules set|show|reset`."""
    signals = group(commands, "signals", "browsing signals: when a visitor is invited to talk")
    tune = signals.add_parser("settings", parents=[where], help="a store's origins, held-out share, cap, WhatsApp")
    tune.add_argument("store_id")
    tune.add_argument("--origin", action="append", help="a site whose pages may send signals (repeat; replaces)")
    tune.add_argument("--holdout", help="the share of visits held out to measure the lift, 0 to 0.5 (0.1)")
    tune.add_argument("--cap", type=int, help="at most so many invitations per visitor (2)")
    tune.add_argument("--cap-days", type=int, help="in so many days (7)")
    tune.add_argument("--whatsapp", help="the number click-to-chat invitations open, digits with country code")
    tune.set_defaults(run=settings)
    book = signals.add_parser("rules", help="a store's own rules (signals/rules.yaml shows the built-ins' shape)")
    verbs = book.add_subparsers(dest="verb", required=True)
    put = verbs.add_parser("set", parents=[where], help="check and save a store's rules YAML ({rules: [...]})")
    put.add_argument("store_id")
    put.add_argument("file")
    put.set_defaults(run=rules_set)
    show = verbs.add_parser("show", parents=[where], help="a store's own rules, and the built-ins' ids")
    show.add_argument("store_id")
    show.set_defaults(run=rules_show)
    reset = verbs.add_parser("reset", parents=[where], help="back to the built-in rules")
    reset.add_argument("store_id")
    reset.set_defaults(run=rules_reset)
