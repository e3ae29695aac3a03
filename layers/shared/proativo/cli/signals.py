"""`proativo signals rules set|show|reset`: when a store's visitors are invited to talk, and with what words."""

import argparse
from pathlib import Path
from typing import Any

import yaml

from proativo import clock
from proativo.cli.common import group, table
from proativo.errors import InvalidPayload
from proativo.signals import rules


def rules_set(args: argparse.Namespace) -> dict[str, Any]:
    try:
        document = yaml.safe_load(Path(args.file).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SystemExit(f"rules refused: {args.file} is not YAML ({exc.__class__.__name__})") from None
    try:
        saved = rules.save(table(args), args.store_id, document, clock.now())
    except InvalidPayload as exc:
        raise SystemExit(f"rules refused at {exc.field}: {exc.reason}") from None
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
