"""The command line's entry point: the groups' grammars in one parser, one command run, its result printed."""

import argparse
import json
import sys

import proativo.cli
from proativo.cli import cases, customers, messaging, operations, pages, signals, stores, tracking
from proativo.cli.common import where

# Each group registers its commands; the modules sit by the domain they drive.
GROUPS = (stores, messaging, pages, signals, tracking, customers, cases, operations)


def parser() -> argparse.ArgumentParser:
    """The command line's grammar."""
    top = argparse.ArgumentParser(
        prog="proativo", description=proativo.cli.__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = top.add_subparsers(dest="area", required=True)
    options = where()
    for module in GROUPS:
        module.register(commands, options)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run one command; prints its result as JSON."""
    args = parser().parse_args(argv)
    try:
        result = args.run(args)
    except ValueError as exc:  # FlowError and pydantic's ValidationError included: a bad flow, store id, e-mail
        print(f"proativo: {exc}", file=sys.stderr)
        return 2
    print(
        result if isinstance(result, str) else json.dumps(result, indent=2, ensure_ascii=False),
        end="" if isinstance(result, str) else "\n",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
