"""`proativo signals rules set|show|reset`: when a store's visitors are invited to talk, and with what words."""

import argparse
from typing import Any

from proativo import clock
from proativo.cli.common import group, saved_from_yaml, table
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


def register(commands: Any, where: argparse.ArgumentParser) -> None:
    """`proativo signals rules set|show|reset`."""
    signals = group(commands, "signals", "browsing signals: when a visitor is invited to talk")
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
