"""`proativo cases …`: the store's team works its cases from a terminal — the inbox, one case whole, and every action
(assign, note, wait, resolve, escalate, reopen), checked like the store API's and applied by the engine within
seconds; `proativo cases settings`: where the team hears of them (digest e-mail, webhook) and the ouvidoria;
`proativo cases rules show|set|reset`: the kinds, deadlines and escalation a store works by; `proativo cases sources
connect|disconnect`: a complaint site's API the store's complaints are polled from (Reclame Aqui's HugMe)."""

import argparse
import json
from typing import Any

from pydantic import ValidationError

from proativo import aws, clock, stores
from proativo.aws import queues
from proativo.cases import desk, kinds, notices, sources
from proativo.cli.common import change_profile, group, problems, put_secure, saved_from_yaml, stdin_json, table, target
from proativo.errors import Conflict, InvalidPayload, NotFound
from proativo.events import dump_event


def inbox(args: argparse.Namespace) -> list[dict[str, Any]]:
    return desk.inbox(table(args), args.store_id, clock.now(), args.status, args.limit)


def show(args: argparse.Namespace) -> dict[str, Any]:
    try:
        return desk.show(table(args), args.store_id, args.protocol)
    except NotFound as exc:
        raise SystemExit(f"proativo: {exc}") from None


def act(args: argparse.Namespace) -> dict[str, Any]:
    """One action on a case, as the store API takes it; sent straight to the events queue (the engine applies it
    once: its id repeats for a repeated --request-id)."""
    body: dict[str, Any] = {"action": args.action}
    for name in ("owner", "note", "by", "request_id"):
        if getattr(args, name, None):
            body[name] = getattr(args, name)
    if getattr(args, "tell", False):
        body["tell_customer"] = True
    try:
        event = desk.acting(table(args), args.store_id, args.protocol, body, clock.now())
    except (NotFound, Conflict) as exc:
        raise SystemExit(f"proativo: {exc}") from None
    except InvalidPayload as exc:
        raise SystemExit(f"proativo: {exc.reason}") from None
    queues.enqueue_events(aws.sqs(), target(args).events_queue_url, (dump_event(event),), args.store_id)
    return {"store_id": args.store_id, "protocol": args.protocol, "action": args.action, "queued": True}


def settings(args: argparse.Namespace) -> dict[str, Any]:
    """Change only the settings given; the daily digest is scheduled while the store has a team e-mail."""
    names = ("team_email", "cases_webhook_url", "ouvidoria_name", "ouvidoria_email", "digest_hour")
    given = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    changed = change_profile(args, {k: (v or None) if k != "digest_hour" else v for k, v in given.items()}, "cases")
    where = table(args)
    profile = stores.get_profile(where, args.store_id)
    if profile.team_email:
        # Shard 0 of the due index: every deployment reads it, whatever its number of shards.
        where.put_item(Item=notices.digest_item(profile, clock.now(), shards=1))
    else:
        where.delete_item(Key={"pk": notices.team_pk(args.store_id), "sk": notices.DIGEST_SK})
    return changed


def connect(args: argparse.Namespace) -> dict[str, Any]:
    """Keep the store's access to a complaint site (JSON on stdin, checked) and connect it: the team function's next
    turn (every 30 minutes) polls it."""
    adapter = sources.PULLED[args.site]
    given = stdin_json(f"{args.site} credentials")
    try:
        adapter.credentials.model_validate(given)
    except ValidationError as exc:
        raise SystemExit(f"{args.site} credentials refused: {problems(exc)}") from None
    where = target(args)
    put_secure(sources.credentials_name(where.prefix, args.store_id, args.site), given)
    table(args).put_item(Item=sources.site_item(args.store_id, args.site, clock.now()))
    return {"store_id": args.store_id, "site": args.site, "connected": True, "keys": sorted(given)}


def disconnect(args: argparse.Namespace) -> dict[str, Any]:
    """Stop polling the site for the store and forget its access (its cases stay)."""
    where = target(args)
    table(args).delete_item(Key=sources.site_key(args.store_id, args.site))
    try:
        aws.ssm().delete_parameter(Name=sources.credentials_name(where.prefix, args.store_id, args.site))
    except aws.ssm().exceptions.ParameterNotFound:
        pass
    return {"store_id": args.store_id, "site": args.site, "connected": False}


def rules_show(args: argparse.Namespace) -> dict[str, Any]:
    item = table(args).get_item(Key=kinds.rules_key(args.store_id)).get("Item")
    own = json.loads(str(item["document"])) if item else None
    return {"store_id": args.store_id, "own": own, "in_force": kinds.rules_from(own).model_dump(mode="json")}


def rules_set(args: argparse.Namespace) -> dict[str, Any]:
    where = table(args)
    saved = saved_from_yaml(args.file, "case rules", lambda d: kinds.save(where, args.store_id, d, clock.now()))
    return {"store_id": args.store_id, "in_force": saved.model_dump(mode="json")}


def rules_reset(args: argparse.Namespace) -> dict[str, Any]:
    kinds.reset(table(args), args.store_id)
    return {"store_id": args.store_id, "rules": "built-in"}


def register(commands: Any, where: argparse.ArgumentParser) -> None:
    """`proativo cases list|show|assign|note|wait|resolve|escalate|reopen`, `proativo cases rules …`."""
    cases = group(commands, "cases", "the cases the store's team works")
    listing = cases.add_parser("list", parents=[where], help="the store's cases, newest first")
    listing.add_argument("store_id")
    statuses = ("open", "waiting_customer", "waiting_carrier", "escalated", "resolved", "overdue", "all")
    listing.add_argument("--status", choices=statuses, default="open")
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(run=inbox)
    showing = cases.add_parser("show", parents=[where], help="one case whole: its history, the customer's words")
    showing.add_argument("store_id")
    showing.add_argument("protocol")
    showing.set_defaults(run=show)
    actions = {
        "assign": ("give the case to someone", "owner"),
        "note": ("note something (--tell: the customer hears it)", "note"),
        "resolve": ("resolve the case (--note: what the customer is told)", None),
        "escalate": ("send the case to the store's ouvidoria now", None),
        "reopen": ("reopen a resolved case", None),
        "wait-customer": ("wait on the customer (--note: what is needed; they are told)", None),
        "wait-carrier": ("wait on the carrier (the customer is told)", None),
        "draft-answer": ("draft the public answer to a complaint (posted only once someone approves it)", "note"),
        "approve-answer": ("approve the drafted public answer (--by: who approves); it is posted on the site", None),
    }
    for name, (text, positional) in actions.items():
        acting = cases.add_parser(name, parents=[where], help=text)
        acting.add_argument("store_id")
        acting.add_argument("protocol")
        if positional:
            acting.add_argument(positional)
        else:
            acting.add_argument("--note")
        if name == "note":
            acting.add_argument("--tell", action="store_true", help="the customer hears this note")
        acting.add_argument("--by", help="who acts (shown in the case's history)")
        acting.add_argument("--request-id", dest="request_id", help="a retry with the same id changes nothing")
        acting.set_defaults(run=act, action=name.replace("-", "_"))
    tune = cases.add_parser("settings", parents=[where], help="where the team hears of cases; the ouvidoria")
    tune.add_argument("store_id")
    tune.add_argument("--team-email", dest="team_email", help="the daily digest's address ('' to stop it)")
    tune.add_argument("--webhook-url", dest="cases_webhook_url", help="a Slack-compatible incoming webhook, any URL")
    tune.add_argument("--ouvidoria-name", dest="ouvidoria_name", help="how customers are told of the second instance")
    tune.add_argument("--ouvidoria-email", dest="ouvidoria_email", help="gets escalated cases with their history")
    tune.add_argument("--digest-hour", dest="digest_hour", type=int, help="the digest's local hour (0-23)")
    tune.set_defaults(run=settings)
    rules = cases.add_parser("rules", help="the kinds, deadlines and escalation a store works by")
    commands_of_rules = rules.add_subparsers(dest="rules_command", required=True)
    showing_rules = commands_of_rules.add_parser("show", parents=[where], help="the store's own and those in force")
    showing_rules.add_argument("store_id")
    showing_rules.set_defaults(run=rules_show)
    setting = commands_of_rules.add_parser("set", parents=[where], help="keep a store's own rules (YAML), checked")
    setting.add_argument("store_id")
    setting.add_argument("file")
    setting.set_defaults(run=rules_set)
    resetting = commands_of_rules.add_parser("reset", parents=[where], help="back to the built-in rules")
    resetting.add_argument("store_id")
    resetting.set_defaults(run=rules_reset)
    sites = cases.add_parser("sources", help="complaint sites whose API the store's complaints are polled from")
    commands_of_sites = sites.add_subparsers(dest="sources_command", required=True)
    connecting = commands_of_sites.add_parser(
        "connect", parents=[where], help="keep the store's access (JSON on stdin) and poll the site"
    )
    connecting.add_argument("store_id")
    connecting.add_argument("site", choices=sorted(sources.PULLED))
    connecting.set_defaults(run=connect)
    disconnecting = commands_of_sites.add_parser("disconnect", parents=[where], help="stop polling; forget the access")
    disconnecting.add_argument("store_id")
    disconnecting.add_argument("site", choices=sorted(sources.PULLED))
    disconnecting.set_defaults(run=disconnect)
