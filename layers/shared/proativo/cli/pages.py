"""`proativo pages …` and `proativo answers …`: how a store's customers see their own order page (its colour, logo,
how long it stays open, how soon the team answers) and the answers it gives in each state."""

import argparse
import base64
import mimetypes
from pathlib import Path
from typing import Any

from proativo import clock
from proativo.cli.common import change_profile, group, saved_from_yaml, table
from proativo.selfservice import answers

MAX_LOGO_BYTES = 32_000
_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}


def _logo(path: str) -> str:
    """A logo file as the data: URI the page embeds (it fetches nothing from anyone)."""
    kind = mimetypes.guess_type(path)[0]
    if kind not in _IMAGES:
        raise SystemExit(f"logo: a PNG, JPEG, GIF, WebP or SVG file, not {kind or 'an unknown type'}")
    raw = Path(path).read_bytes()
    if len(raw) > MAX_LOGO_BYTES:
        raise SystemExit(
            f"logo: at most {MAX_LOGO_BYTES // 1000} KB (the page embeds it), this one is {len(raw)} bytes"
        )
    return f"data:{kind};base64,{base64.b64encode(raw).decode()}"


def brand(args: argparse.Namespace) -> dict[str, Any]:
    """Change only the settings given."""
    given: dict[str, Any] = {}
    if args.color is not None:
        given["brand_color"] = args.color
    if args.logo is not None:
        given["logo"] = _logo(args.logo)
    if args.page_days is not None:
        given["page_days_after_delivery"] = args.page_days
    if args.help_days is not None:
        given["help_answer_days"] = args.help_days
    if not given:
        raise SystemExit("nothing to change: --color, --logo, --page-days or --help-days")
    changed = change_profile(args, given, "page settings")
    return {k: (v if k != "logo" else f"{len(v)} characters") for k, v in changed.items()}


def answers_set(args: argparse.Namespace) -> dict[str, Any]:
    where = table(args)
    saved = saved_from_yaml(
        args.file, "answers", lambda document: answers.save(where, args.store_id, document, clock.now())
    )
    return {"store_id": args.store_id, "answers": {loc: sorted(states) for loc, states in saved.items()}}


def answers_show(args: argparse.Namespace) -> dict[str, Any]:
    own = answers.load(table(args), args.store_id)
    return {
        "store_id": args.store_id,
        "own": own or {},
        "built_in_states": sorted(answers.built_in().by_locale["pt-BR"]),
    }


def answers_reset(args: argparse.Namespace) -> dict[str, Any]:
    answers.reset(table(args), args.store_id)
    return {"store_id": args.store_id, "answers": "built-in"}


def register(commands: Any, where: argparse.ArgumentParser) -> None:
    """`proativo pages brand`, `proativo answers set|show|reset`."""
    pages = group(commands, "pages", "the customer's own order page")
    look = pages.add_parser("brand", parents=[where], help="a store's page colour, logo and times (given ones change)")
    look.add_argument("store_id")
    look.add_argument("--color", help="the store's colour, #rrggbb (text on it is chosen to contrast)")
    look.add_argument("--logo", help="a PNG, JPEG, GIF, WebP or SVG file of at most 32 KB (embedded in the page)")
    look.add_argument("--page-days", type=int, help="days the page stays open after delivery (default 30)")
    look.add_argument("--help-days", type=int, help="days within which the team answers a request for help (2)")
    look.set_defaults(run=brand)
    said = group(commands, "answers", "the answers a store's order page gives in each state")
    put = said.add_parser(
        "set", parents=[where], help="check and save a store's answers YAML (replaces the states it names)"
    )
    put.add_argument("store_id")
    put.add_argument("file")
    put.set_defaults(run=answers_set)
    show = said.add_parser("show", parents=[where], help="a store's own answers")
    show.add_argument("store_id")
    show.set_defaults(run=answers_show)
    reset = said.add_parser("reset", parents=[where], help="back to the built-in answers")
    reset.add_argument("store_id")
    reset.set_defaults(run=answers_reset)
