"""`proativo stores …`: registering a store, its webhook secrets, the credentials it gives us (platform APIs,
carriers, WhatsApp) and its tracking thresholds."""

import argparse
import secrets
import sys
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from proativo import aws, clock, stores
from proativo.aws import keys
from proativo.cli.common import group, problems, put_secure, stdin_json, target
from proativo.intake.webhooks import carrier_secret_name
from proativo.platforms.readback import READERS, check_credentials
from proativo.platforms.readback import credentials_name as api_credentials_name
from proativo.platforms.registry import PLATFORMS
from proativo.tracking.carriers import PLUGINS, credentials_name
from proativo.tracking.detection import TrackingPolicy
from proativo.tracking.policy import POLICY_FIELD

_POLICY_OPTIONS = (
    "stalled_business_days",
    "lost_business_days",
    "pickup_hold_days",
    "expire_after_days",
    "incident_rate_alert",
    "incident_min_parcels",
    "country",
)


def _secret(args: argparse.Namespace) -> str:
    if getattr(args, "secret_stdin", False):
        value = sys.stdin.readline().strip()
        if len(value) < 16:
            raise SystemExit("a webhook secret needs at least 16 characters")
        return value
    return secrets.token_hex(32)


def add(args: argparse.Namespace) -> dict[str, Any]:
    where = target(args)
    profile = stores.StoreProfile(
        store_id=args.store_id,
        name=args.name or args.store_id,
        sender_email=args.sender_email,
        site_url=args.site_url,
        locale=args.locale,
        timezone=args.timezone,
        currency=args.currency,
    )
    secret = _secret(args)
    stores.put_webhook_secret(aws.ssm(), where.prefix, args.store_id, args.platform, secret)
    stores.register(where.table, profile, [args.platform], clock.now())
    return {
        "store_id": args.store_id,
        "platform": args.platform,
        "webhook_path": f"/webhooks/{args.platform}/{args.store_id}",
        "secret": None if args.secret_stdin else secret,
    }


def rotate(args: argparse.Namespace) -> dict[str, Any]:
    where = target(args)
    known = {s["store_id"]: s for s in stores.registered(where.table)}
    if args.platform not in known.get(args.store_id, {}).get("platforms", []):
        raise SystemExit(f"store {args.store_id!r} has no {args.platform} connection; add it first")
    secret = _secret(args)
    stores.put_webhook_secret(aws.ssm(), where.prefix, args.store_id, args.platform, secret)
    return {"store_id": args.store_id, "platform": args.platform, "secret": None if args.secret_stdin else secret}


def api_credentials(args: argparse.Namespace) -> dict[str, Any]:
    where = target(args)
    credentials = stdin_json("API credentials")
    check_credentials(args.platform, credentials)
    put_secure(api_credentials_name(where.prefix, args.store_id, args.platform), credentials)
    return {"store_id": args.store_id, "platform": args.platform, "keys": sorted(credentials)}


def carrier_credentials(args: argparse.Namespace) -> dict[str, Any]:
    where = target(args)
    credentials = stdin_json("carrier credentials")
    model = PLUGINS[args.carrier].credentials
    try:
        if model is not None:
            model.model_validate(credentials)
    except ValidationError as exc:
        raise SystemExit(f"{args.carrier} credentials refused: {problems(exc)}") from None
    put_secure(credentials_name(where.prefix, args.store_id, args.carrier), credentials)
    return {"store_id": args.store_id, "carrier": args.carrier, "keys": sorted(credentials)}


def carrier_push_secret(args: argparse.Namespace) -> dict[str, Any]:
    """The secret a carrier (or an aggregator) signs its pushes to the store's carrier route with."""
    where = target(args)
    secret = _secret(args)
    stores.put_webhook_secret(aws.ssm(), where.prefix, args.store_id, carrier_secret_name(args.carrier), secret)
    return {"store_id": args.store_id, "carrier": args.carrier, "secret": None if args.secret_stdin else secret}


def whatsapp_credentials(args: argparse.Namespace) -> dict[str, Any]:
    where = target(args)
    credentials = stdin_json("WhatsApp credentials")
    missing = {"phone_number_id", "access_token"} - set(credentials)
    if missing:
        raise SystemExit(f"WhatsApp credentials refused: missing {', '.join(sorted(missing))}")
    put_secure(stores.whatsapp_name(where.prefix, args.store_id), credentials)
    return {"store_id": args.store_id, "whatsapp": "connected", "phone_number_id": credentials["phone_number_id"]}


def tracking_policy(args: argparse.Namespace) -> dict[str, Any]:
    where = target(args)
    given = {name: getattr(args, name) for name in _POLICY_OPTIONS if getattr(args, name) is not None}
    if args.late_grace is not None:
        given["late_grace"] = args.late_grace
    try:
        policy = TrackingPolicy.model_validate(given)
    except ValidationError as exc:
        raise SystemExit(f"tracking policy refused: {problems(exc)}") from None
    # DynamoDB stores numbers as Decimal, never float.
    stored = {
        k: Decimal(str(v)) if isinstance(v, float) else v
        for k, v in policy.model_dump(mode="json", include=set(given)).items()
    }
    where.table.update_item(
        Key={"pk": keys.store_pk(args.store_id), "sk": "PROFILE"},
        UpdateExpression="SET #p = :p",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeNames={"#p": POLICY_FIELD},
        ExpressionAttributeValues={":p": stored},
    )
    return {"store_id": args.store_id, POLICY_FIELD: policy.model_dump(mode="json")}


def listing(args: argparse.Namespace) -> list[dict[str, Any]]:
    return stores.registered(target(args).table)


def register(commands: Any, where: argparse.ArgumentParser) -> None:
    """`proativo stores …`."""
    cmds = group(commands, "stores", "stores and their webhook secrets")
    new = cmds.add_parser("add", parents=[where], help="register a store on a platform and set its secret")
    new.add_argument("store_id")
    new.add_argument("--platform", required=True, choices=sorted(PLATFORMS))
    new.add_argument("--name")
    new.add_argument("--sender-email")
    new.add_argument("--site-url")
    new.add_argument("--locale", default="pt-BR")
    new.add_argument("--timezone", default="America/Sao_Paulo")
    new.add_argument("--currency", default="BRL")
    new.add_argument("--secret-stdin", action="store_true", help="read the platform's secret from stdin")
    new.set_defaults(run=add)
    again = cmds.add_parser("rotate-secret", parents=[where], help="replace a store's secret for a platform")
    again.add_argument("store_id")
    again.add_argument("--platform", required=True, choices=sorted(PLATFORMS))
    again.add_argument("--secret-stdin", action="store_true")
    again.set_defaults(run=rotate)
    needs = "; ".join(
        f"{name}: {{{', '.join(f'"{k}"' for k in r.credentials)}}}" for name, r in sorted(READERS.items())
    )
    api = cmds.add_parser(
        "set-api-credentials",
        parents=[where],
        help=f"a store's API credentials for a notify-only platform, as JSON on stdin ({needs})",
    )
    api.add_argument("store_id")
    api.add_argument("--platform", required=True, choices=sorted(READERS))
    api.set_defaults(run=api_credentials)
    contracts = "; ".join(f"{p.name}: {p.credentials_example}" for p in PLUGINS.values() if p.credentials)
    carrier = cmds.add_parser(
        "set-carrier-credentials", parents=[where], help=f"a store's carrier contract, as JSON on stdin ({contracts})"
    )
    carrier.add_argument("store_id")
    carrier.add_argument("--carrier", required=True, choices=sorted(n for n, p in PLUGINS.items() if p.credentials))
    carrier.set_defaults(run=carrier_credentials)
    pushes = cmds.add_parser(
        "set-carrier-push-secret",
        parents=[where],
        help="the secret a carrier signs its pushes with (generated, or its own on stdin: AfterShip's webhook secret)",
    )
    pushes.add_argument("store_id")
    pushes.add_argument("--carrier", required=True, help="the carrier's name in the push route")
    pushes.add_argument("--secret-stdin", action="store_true")
    pushes.set_defaults(run=carrier_push_secret)
    whatsapp = cmds.add_parser(
        "set-whatsapp-credentials",
        parents=[where],
        help='a store\'s WhatsApp Business number, as JSON on stdin: {"phone_number_id", "access_token"}',
    )
    whatsapp.add_argument("store_id")
    whatsapp.set_defaults(run=whatsapp_credentials)
    policy = cmds.add_parser(
        "set-tracking-policy", parents=[where], help="a store's parcel thresholds (only the ones given change)"
    )
    policy.add_argument("store_id")
    policy.add_argument("--stalled-business-days", type=int)
    policy.add_argument("--lost-business-days", type=int)
    policy.add_argument("--pickup-hold-days", type=int)
    policy.add_argument("--expire-after-days", type=int)
    policy.add_argument("--late-grace", help="ISO-8601 duration, e.g. PT12H")
    policy.add_argument("--incident-rate-alert", type=float, help="a carrier's monthly incident rate that alerts")
    policy.add_argument("--incident-min-parcels", type=int, help="parcels a month before that rate counts")
    policy.add_argument("--country", help="ISO country whose holidays are not business days, e.g. BR")
    policy.set_defaults(run=tracking_policy)
    every = cmds.add_parser("list", parents=[where], help="every registered store")
    every.set_defaults(run=listing)
