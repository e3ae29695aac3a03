"""`proativo report` and `proativo dlq …`: what proactivity earned a store, and work sent back from a dead-letter
queue once its cause is fixed."""

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any

from proativo import aws
from proativo.aws.redrive import SOURCES, redrive
from proativo.cli.common import group, table
from proativo.reporting import reports


def report(args: argparse.Namespace) -> str:
    """The store's report as a table; --html FILE also writes the page with charts."""
    figures = reports.report(table(args), args.store_id, date.fromisoformat(args.since), date.fromisoformat(args.until))
    if args.html:
        Path(args.html).write_text(reports.as_html(figures), encoding="utf-8")
    if args.json:
        return json.dumps(figures, indent=2, ensure_ascii=False, default=str)
    return reports.as_table(figures)


def dlq_redrive(args: argparse.Namespace) -> dict[str, Any]:
    """Send a DLQ's messages back to their queue (after the cause is fixed)."""
    if args.stack:
        if args.dlq not in SOURCES:
            raise SystemExit(f"{args.dlq} holds failure notices, not work: see README, Runbook")
        dlq_url, target_url = _queue_url(args.stack, args.dlq), _queue_url(args.stack, SOURCES[args.dlq])
    elif args.dlq_url and args.target_url:
        dlq_url, target_url = args.dlq_url, args.target_url
    else:
        raise SystemExit("say which: --stack NAME with the DLQ's logical id, or --dlq-url and --target-url")
    done = redrive(aws.sqs(), dlq_url, target_url, args.max)
    return {"dlq": args.dlq, "moved": done.moved, "left": done.left}


def _queue_url(stack: str, logical: str) -> str:
    found = aws.cloudformation().describe_stack_resource(StackName=stack, LogicalResourceId=logical)
    return str(found["StackResourceDetail"]["PhysicalResourceId"])


def register(commands: Any, where: argparse.ArgumentParser) -> None:
    """`proativo report`, `proativo dlq …`."""
    reporting = commands.add_parser("report", parents=[where], help="what proactivity earned a store, per day")
    reporting.add_argument("--store", dest="store_id", required=True)
    reporting.add_argument("--from", dest="since", required=True, help="first day, YYYY-MM-DD")
    reporting.add_argument("--to", dest="until", required=True, help="last day, YYYY-MM-DD")
    reporting.add_argument("--html", help="also write a self-contained page with charts to this file")
    reporting.add_argument("--json", action="store_true", help="the figures as JSON instead of a table")
    reporting.set_defaults(run=report)
    dlqs = group(commands, "dlq", "dead-letter queues")
    move = dlqs.add_parser("redrive", help="send a DLQ's messages back to their queue (README, Runbook)")
    move.add_argument("dlq", help="the DLQ's logical id: EventsDLQ, SendDLQ or TrackingDLQ")
    move.add_argument("--stack", help="CloudFormation stack name of the deployment")
    move.add_argument("--dlq-url")
    move.add_argument("--target-url")
    move.add_argument("--max", type=int, default=10_000)
    move.set_defaults(run=dlq_redrive)
