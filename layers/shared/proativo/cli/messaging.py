"""`proativo flows …`, `proativo templates …`, `proativo preview` and `proativo coupons …`: what a store's messages
say, when they go, and the coupons they carry."""

import argparse
import csv
from pathlib import Path
from typing import Any

from proativo import clock
from proativo.cli.common import group, table
from proativo.messaging import store_templates
from proativo.messaging.coupons import Coupons
from proativo.sequences import overrides


def flows_set(args: argparse.Namespace) -> dict[str, Any]:
    path = Path(args.file)
    flows = overrides.save(table(args), args.store_id, path.read_text(encoding="utf-8"), str(path), clock.now())
    return {"store_id": args.store_id, "flows": {f.id: f.version for f in flows}}


def flows_show(args: argparse.Namespace) -> dict[str, Any]:
    flows = overrides.load(table(args), args.store_id)
    return {"store_id": args.store_id, "flows": [f.model_dump(mode="json") for f in flows]}


def flows_reset(args: argparse.Namespace) -> dict[str, Any]:
    overrides.reset(table(args), args.store_id)
    return {"store_id": args.store_id, "flows": "built-in"}


def templates_set(args: argparse.Namespace) -> dict[str, Any]:
    """Save a store's own version of a template, after rendering every template of its locale with sample data."""
    source = Path(args.file).read_text(encoding="utf-8")
    store_templates.save(table(args), args.store_id, args.name, source, clock.now())
    return {"store_id": args.store_id, "template": args.name, "status": "saved"}


def templates_reset(args: argparse.Namespace) -> dict[str, Any]:
    store_templates.reset(table(args), args.store_id, args.name)
    return {"store_id": args.store_id, "template": args.name, "status": "built-in"}


def preview(args: argparse.Namespace) -> dict[str, Any]:
    """Every template rendered with sample data, to files (a store's own included with --store)."""
    own = store_templates.load(table(args), args.store_id) if args.store_id else {}
    files = store_templates.preview(Path(args.out), own)
    return {"index": str(files[0]), "files": len(files), "store_templates": sorted(own)}


def coupons_add(args: argparse.Namespace) -> dict[str, Any]:
    """Stock a pool from a CSV (the first column of each row is a code; a header row `code` is skipped)."""
    with Path(args.file).open(newline="", encoding="utf-8") as handle:
        codes = [row[0] for row in csv.reader(handle) if row and row[0].strip() and row[0].strip().lower() != "code"]
    coupons = Coupons(table(args))
    added = coupons.add_to_pool(args.store_id, args.pool, codes)
    return {
        "store_id": args.store_id,
        "pool": args.pool,
        "added": added,
        "free": coupons.free_count(args.store_id, args.pool),
    }


def coupons_count(args: argparse.Namespace) -> dict[str, Any]:
    coupons = Coupons(table(args))
    return {"store_id": args.store_id, "pool": args.pool, "free": coupons.free_count(args.store_id, args.pool)}


def register(commands: Any, where: argparse.ArgumentParser) -> None:
    """`proativo flows …`, `proativo templates …`, `proativo preview`, `proativo coupons …`."""
    flows = group(commands, "flows", "a store's sequences (flows)")
    set_flows = flows.add_parser("set", parents=[where], help="validate and save a store's flows YAML")
    set_flows.add_argument("store_id")
    set_flows.add_argument("file")
    set_flows.set_defaults(run=flows_set)
    show = flows.add_parser("show", parents=[where], help="the flows in force for a store")
    show.add_argument("store_id")
    show.set_defaults(run=flows_show)
    reset = flows.add_parser("reset", parents=[where], help="back to the built-in flows")
    reset.add_argument("store_id")
    reset.set_defaults(run=flows_reset)
    templates = group(commands, "templates", "a store's own message templates")
    set_template = templates.add_parser(
        "set", parents=[where], help="validate (sandbox, sample data of every flow) and save a store's template"
    )
    set_template.add_argument("store_id")
    set_template.add_argument("name", help="e.g. pt-BR/order_thanks.html.j2")
    set_template.add_argument("file")
    set_template.set_defaults(run=templates_set)
    reset_template = templates.add_parser("reset", parents=[where], help="back to the built-in template")
    reset_template.add_argument("store_id")
    reset_template.add_argument("name")
    reset_template.set_defaults(run=templates_reset)
    rendered = commands.add_parser(
        "preview", parents=[where], help="render every template with sample data to files a person can open"
    )
    rendered.add_argument("--out", default="template-preview")
    rendered.add_argument("--store", dest="store_id", help="with this store's own templates in place")
    rendered.set_defaults(run=preview)
    coupons = group(commands, "coupons", "a store's coupon pools")
    stock = coupons.add_parser("add", parents=[where], help="stock a pool with the codes of a CSV file")
    stock.add_argument("store_id")
    stock.add_argument("--pool", required=True)
    stock.add_argument("file")
    stock.set_defaults(run=coupons_add)
    count = coupons.add_parser("count", parents=[where], help="how many codes a pool has left")
    count.add_argument("store_id")
    count.add_argument("--pool", required=True)
    count.set_defaults(run=coupons_count)
