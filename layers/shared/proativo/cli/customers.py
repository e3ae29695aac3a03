"""`proativo customers …` and `proativo consent …`: a customer's data (LGPD export and erasure) and who may not be
contacted."""

import argparse
import csv
from pathlib import Path
from typing import Any

from proativo import clock
from proativo.cli.common import group, table
from proativo.customers import privacy
from proativo.customers.consent import import_dnc


def export(args: argparse.Namespace) -> dict[str, Any]:
    return privacy.export(table(args), args.store_id, args.customer_id)


def erase(args: argparse.Namespace) -> dict[str, Any]:
    erased = privacy.erase(table(args), args.store_id, args.customer_id, clock.now())
    return {"store_id": args.store_id, "erased_items": erased.items, "erased_lookups": erased.lookups}


def dnc(args: argparse.Namespace) -> dict[str, Any]:
    """A do-not-contact list (e.g. Brazil's "Não Me Perturbe") from CSV: the first column, phone or e-mail."""
    with Path(args.file).open(newline="", encoding="utf-8") as handle:
        entries = [row[0] for row in csv.reader(handle) if row and row[0].strip().lower() not in ("", "phone", "email")]
    done = import_dnc(table(args), args.store_id, entries, args.country, source=Path(args.file).name)
    return {"store_id": args.store_id, "added": done.added, "refused": done.refused}


def register(commands: Any, where: argparse.ArgumentParser) -> None:
    """`proativo customers …`, `proativo consent …`."""
    customers = group(commands, "customers", "a customer's data (LGPD)")
    exporting = customers.add_parser("export", parents=[where], help="everything held about a customer, as JSON")
    exporting.add_argument("store_id")
    exporting.add_argument("customer_id")
    exporting.set_defaults(run=export)
    erasing = customers.add_parser("erase", parents=[where], help="erase a customer's data")
    erasing.add_argument("store_id")
    erasing.add_argument("customer_id")
    erasing.set_defaults(run=erase)
    consent = group(commands, "consent", "who may not be contacted")
    listing = consent.add_parser(
        "import-dnc", parents=[where], help="add a CSV of phone numbers / e-mails to the store's do-not-contact list"
    )
    listing.add_argument("store_id")
    listing.add_argument("file")
    listing.add_argument("--country", default="BR", help="how to read numbers without +country (ISO 3166, default BR)")
    listing.set_defaults(run=dnc)
