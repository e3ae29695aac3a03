"""`proativo`: the operator's command line. Works against a deployed stack (`--stack`, read from CloudFormation) or
any table and stage given directly, such as the local stack's (`AWS_ENDPOINT_URL` pointing at its embedded AWS).

    proativo stores add minha-loja --platform shopify --name "Minha Loja" --secret-stdin
    proativo stores rotate-secret minha-loja --platform woocommerce
    proativo stores set-api-credentials minha-loja --platform vtex < vtex-credentials.json
    proativo stores set-carrier-credentials minha-loja --carrier correios < correios-contract.json
    proativo stores set-tracking-policy minha-loja --stalled-business-days 2 --pickup-hold-days 7
    proativo stores list
    proativo flows set minha-loja my-flows.yaml
    proativo claims list minha-loja
    proativo carriers scorecard minha-loja --days 30
    proativo claims record minha-loja --carrier jadlog --tracking-code X --status open --protocol 123
"""

import argparse
import json
import os
import secrets
import sys
from dataclasses import dataclass
from typing import Any

import boto3

from proativo import clock, stores
from proativo.platforms.registry import PLATFORMS


@dataclass(frozen=True)
class Target:
    """Where the stores live: the table and the SSM prefix of a deployment."""

    table: str
    prefix: str


def _target(args: argparse.Namespace) -> Target:
    if args.stack:
        cloudformation = boto3.client("cloudformation")
        stack = cloudformation.describe_stacks(StackName=args.stack)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
        return Target(outputs["TableName"], f"/proativo/{parameters.get('Stage', 'prod')}")
    table = args.table or os.environ.get("PROATIVO_TABLE")
    stage = args.stage or os.environ.get("PROATIVO_STAGE")
    if not table or not stage:
        raise SystemExit("say where: --stack NAME, or --table and --stage (or PROATIVO_TABLE and PROATIVO_STAGE)")
    return Target(table, f"/proativo/{stage}")


def _secret(args: argparse.Namespace) -> str:
    if getattr(args, "secret_stdin", False):
        value = sys.stdin.readline().strip()
        if len(value) < 16:
            raise SystemExit("a webhook secret needs at least 16 characters")
        return value
    return secrets.token_hex(32)


def cmd_add(args: argparse.Namespace) -> dict[str, Any]:
    target = _target(args)
    table = boto3.resource("dynamodb").Table(target.table)
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
    stores.put_webhook_secret(boto3.client("ssm"), target.prefix, args.store_id, args.platform, secret)
    stores.register(table, profile, [args.platform], clock.now())
    return {
        "store_id": args.store_id,
        "platform": args.platform,
        "webhook_path": f"/webhooks/{args.platform}/{args.store_id}",
        "secret": None if args.secret_stdin else secret,
    }


def cmd_rotate(args: argparse.Namespace) -> dict[str, Any]:
    target = _target(args)
    table = boto3.resource("dynamodb").Table(target.table)
    known = {s["store_id"]: s for s in stores.registered(table)}
    if args.platform not in known.get(args.store_id, {}).get("platforms", []):
        raise SystemExit(f"store {args.store_id!r} has no {args.platform} connection; add it first")
    secret = _secret(args)
    stores.put_webhook_secret(boto3.client("ssm"), target.prefix, args.store_id, args.platform, secret)
    return {"store_id": args.store_id, "platform": args.platform, "secret": None if args.secret_stdin else secret}


def cmd_api_credentials(args: argparse.Namespace) -> dict[str, Any]:
    from proativo.platforms.readback import check_credentials, credentials_name

    target = _target(args)
    credentials = _stdin_json("API credentials")
    check_credentials(args.platform, credentials)
    _put_secure(credentials_name(target.prefix, args.store_id, args.platform), credentials)
    return {"store_id": args.store_id, "platform": args.platform, "keys": sorted(credentials)}


def _put_secure(name: str, value: dict[str, Any]) -> None:
    """Keep credentials as an SSM SecureString (replacing what was there)."""
    boto3.client("ssm").put_parameter(Name=name, Value=json.dumps(value), Type="SecureString", Overwrite=True)


def _problems(exc: Any) -> str:
    """A pydantic ValidationError as "field: problem; …"."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))


def _stdin_json(what: str) -> dict[str, Any]:
    try:
        found = json.loads(sys.stdin.read())
    except ValueError:
        raise SystemExit(f"{what} are a JSON object on stdin") from None
    if not isinstance(found, dict):
        raise SystemExit(f"{what} are a JSON object on stdin")
    return found


def cmd_carrier_credentials(args: argparse.Namespace) -> dict[str, Any]:
    from pydantic import ValidationError

    from proativo.tracking.carriers import credentials_name
    from proativo.tracking.correios import CorreiosCredentials

    target = _target(args)
    credentials = _stdin_json("carrier credentials")
    try:
        CorreiosCredentials.model_validate(credentials)
    except ValidationError as exc:
        raise SystemExit(f"{args.carrier} credentials refused: {_problems(exc)}") from None
    _put_secure(credentials_name(target.prefix, args.store_id, args.carrier), credentials)
    return {"store_id": args.store_id, "carrier": args.carrier, "keys": sorted(credentials)}


def cmd_whatsapp_credentials(args: argparse.Namespace) -> dict[str, Any]:
    target = _target(args)
    credentials = _stdin_json("WhatsApp credentials")
    missing = {"phone_number_id", "access_token"} - set(credentials)
    if missing:
        raise SystemExit(f"WhatsApp credentials refused: missing {', '.join(sorted(missing))}")
    _put_secure(stores.whatsapp_name(target.prefix, args.store_id), credentials)
    return {"store_id": args.store_id, "whatsapp": "connected", "phone_number_id": credentials["phone_number_id"]}


def cmd_tracking_policy(args: argparse.Namespace) -> dict[str, Any]:
    from pydantic import ValidationError

    from proativo.aws import keys
    from proativo.tracking.detection import TrackingPolicy
    from proativo.tracking.policy import POLICY_FIELD

    target = _target(args)
    given = {
        name: getattr(args, name)
        for name in (
            "stalled_business_days",
            "lost_business_days",
            "pickup_hold_days",
            "expire_after_days",
            "incident_rate_alert",
            "incident_min_parcels",
            "country",
        )
        if getattr(args, name) is not None
    }
    if args.late_grace is not None:
        given["late_grace"] = args.late_grace
    try:
        policy = TrackingPolicy.model_validate(given)
    except ValidationError as exc:
        raise SystemExit(f"tracking policy refused: {_problems(exc)}") from None
    from decimal import Decimal

    # DynamoDB stores numbers as Decimal, never float.
    stored = {
        k: Decimal(str(v)) if isinstance(v, float) else v
        for k, v in policy.model_dump(mode="json", include=set(given)).items()
    }
    boto3.resource("dynamodb").Table(target.table).update_item(
        Key={"pk": keys.store_pk(args.store_id), "sk": "PROFILE"},
        UpdateExpression="SET #p = :p",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeNames={"#p": POLICY_FIELD},
        ExpressionAttributeValues={":p": stored},
    )
    return {"store_id": args.store_id, POLICY_FIELD: policy.model_dump(mode="json")}


def cmd_flows_set(args: argparse.Namespace) -> dict[str, Any]:
    from pathlib import Path

    from proativo.sequences import overrides

    target = _target(args)
    path = Path(args.file)
    flows = overrides.save(
        boto3.resource("dynamodb").Table(target.table),
        args.store_id,
        path.read_text(encoding="utf-8"),
        str(path),
        clock.now(),
    )
    return {"store_id": args.store_id, "flows": {f.id: f.version for f in flows}}


def cmd_flows_show(args: argparse.Namespace) -> dict[str, Any]:
    from proativo.sequences import overrides

    flows = overrides.load(boto3.resource("dynamodb").Table(_target(args).table), args.store_id)
    return {"store_id": args.store_id, "flows": [f.model_dump(mode="json") for f in flows]}


def cmd_flows_reset(args: argparse.Namespace) -> dict[str, Any]:
    from proativo.sequences import overrides

    overrides.reset(boto3.resource("dynamodb").Table(_target(args).table), args.store_id)
    return {"store_id": args.store_id, "flows": "built-in"}


def cmd_list(args: argparse.Namespace) -> list[dict[str, Any]]:
    target = _target(args)
    return stores.registered(boto3.resource("dynamodb").Table(target.table))


_CLAIM_FIELDS = (
    "carrier",
    "tracking_code",
    "order_id",
    "claim_kind",
    "channel",
    "status",
    "protocol",
    "amount",
    "created_at",
    "deadline_at",
    "answered_at",
)


def cmd_claims_list(args: argparse.Namespace) -> list[dict[str, Any]]:
    from proativo.tracking.claims import ClaimBook

    target = _target(args)
    book = ClaimBook(boto3.resource("dynamodb").Table(target.table), due_shards=1)
    return [{k: str(c[k]) for k in _CLAIM_FIELDS if k in c} for c in book.listing(args.store_id)]


def cmd_claims_record(args: argparse.Namespace) -> dict[str, Any]:
    """A claim the store's team filed or got answered by hand (carriers without a claim API)."""
    from datetime import UTC, datetime

    from proativo.clock import as_utc
    from proativo.tracking.claims import ClaimBook, claim_sk

    target = _target(args)
    book = ClaimBook(boto3.resource("dynamodb").Table(target.table), due_shards=1)
    claim = book.load(args.store_id, claim_sk(args.carrier, args.tracking_code))
    if claim is None:
        raise SystemExit(f"no claim for {args.carrier} {args.tracking_code} in store '{args.store_id}'")
    now = as_utc(datetime.now(UTC))
    changes = {"status": args.status, "protocol": args.protocol, "amount": args.amount}
    changes["answered_at" if args.status in ("won", "lost") else "opened_at"] = now
    # Filed or answered by the team: nothing left for us to chase (no alert, no follow-up).
    if not book.save(claim, changes, None, datetime.now(UTC)):
        raise SystemExit("the claim changed meanwhile: list it again and retry")
    return {k: str(v) for k, v in {**claim, **changes}.items() if k in _CLAIM_FIELDS and v is not None}


def cmd_scorecard(args: argparse.Namespace) -> list[dict[str, Any]]:
    from datetime import UTC, datetime, timedelta

    from proativo.tracking.scorecard import scorecard

    target = _target(args)
    until = datetime.fromisoformat(args.until) if args.until else datetime.now(UTC)
    since = until - timedelta(days=args.days - 1)
    return scorecard(boto3.resource("dynamodb").Table(target.table), args.store_id, since, until)


def cmd_coupons_add(args: argparse.Namespace) -> dict[str, Any]:
    """Stock a pool from a CSV (the first column of each row is a code; a header row `code` is skipped)."""
    import csv
    from pathlib import Path

    from proativo.messaging.coupons import Coupons

    with Path(args.file).open(newline="", encoding="utf-8") as handle:
        codes = [row[0] for row in csv.reader(handle) if row and row[0].strip() and row[0].strip().lower() != "code"]
    coupons = Coupons(boto3.resource("dynamodb").Table(_target(args).table))
    added = coupons.add_to_pool(args.store_id, args.pool, codes)
    return {
        "store_id": args.store_id,
        "pool": args.pool,
        "added": added,
        "free": coupons.free_count(args.store_id, args.pool),
    }


def cmd_coupons_count(args: argparse.Namespace) -> dict[str, Any]:
    from proativo.messaging.coupons import Coupons

    coupons = Coupons(boto3.resource("dynamodb").Table(_target(args).table))
    return {"store_id": args.store_id, "pool": args.pool, "free": coupons.free_count(args.store_id, args.pool)}


def cmd_cases_list(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The store's open follow-up cases (a low satisfaction score), oldest first."""
    from proativo.aws import keys, query_items

    table = boto3.resource("dynamodb").Table(_target(args).table)
    pk = f"{keys.store_pk(args.store_id)}#CASES"
    cases = query_items(table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": pk})
    return [{k: str(v) for k, v in item.items() if k not in ("pk", "sk", "kind")} for item in cases]


def cmd_import_dnc(args: argparse.Namespace) -> dict[str, Any]:
    """A do-not-contact list (e.g. Brazil's "Não Me Perturbe") from CSV: the first column, phone or e-mail."""
    import csv
    from pathlib import Path

    from proativo.customers.consent import import_dnc

    with Path(args.file).open(newline="", encoding="utf-8") as handle:
        entries = [row[0] for row in csv.reader(handle) if row and row[0].strip().lower() not in ("", "phone", "email")]
    table = boto3.resource("dynamodb").Table(_target(args).table)
    done = import_dnc(table, args.store_id, entries, args.country, source=Path(args.file).name)
    return {"store_id": args.store_id, "added": done.added, "refused": done.refused}


def cmd_templates_set(args: argparse.Namespace) -> dict[str, Any]:
    """Save a store's own version of a template, after rendering every template of its locale with sample data."""
    from datetime import UTC, datetime
    from pathlib import Path

    from proativo.messaging import store_templates

    table = boto3.resource("dynamodb").Table(_target(args).table)
    source = Path(args.file).read_text(encoding="utf-8")
    store_templates.save(table, args.store_id, args.name, source, datetime.now(UTC))
    return {"store_id": args.store_id, "template": args.name, "status": "saved"}


def cmd_templates_reset(args: argparse.Namespace) -> dict[str, Any]:
    from proativo.messaging import store_templates

    store_templates.reset(boto3.resource("dynamodb").Table(_target(args).table), args.store_id, args.name)
    return {"store_id": args.store_id, "template": args.name, "status": "built-in"}


def cmd_preview(args: argparse.Namespace) -> dict[str, Any]:
    """Every template rendered with sample data, to files (a store's own included with --store)."""
    from pathlib import Path

    from proativo.messaging import store_templates

    overrides = {}
    if args.store_id:
        overrides = store_templates.load(boto3.resource("dynamodb").Table(_target(args).table), args.store_id)
    files = store_templates.preview(Path(args.out), overrides)
    return {"index": str(files[0]), "files": len(files), "store_templates": sorted(overrides)}


def cmd_report(args: argparse.Namespace) -> str:
    """The store's report as a table; --html FILE also writes the page with charts."""
    from datetime import date
    from pathlib import Path

    from proativo.reporting import reports

    table = boto3.resource("dynamodb").Table(_target(args).table)
    figures = reports.report(table, args.store_id, date.fromisoformat(args.since), date.fromisoformat(args.until))
    if args.html:
        Path(args.html).write_text(reports.as_html(figures), encoding="utf-8")
    if args.json:
        return json.dumps(figures, indent=2, ensure_ascii=False, default=str)
    return reports.as_table(figures)


def cmd_redrive(args: argparse.Namespace) -> dict[str, Any]:
    """Send a DLQ's messages back to their queue (after the cause is fixed)."""
    from proativo.aws.redrive import SOURCES, redrive

    if args.stack:
        cloudformation = boto3.client("cloudformation")

        def url(logical: str) -> str:
            found = cloudformation.describe_stack_resource(StackName=args.stack, LogicalResourceId=logical)
            return str(found["StackResourceDetail"]["PhysicalResourceId"])

        if args.dlq not in SOURCES:
            raise SystemExit(f"{args.dlq} holds failure notices, not work: see README, Runbook")
        dlq_url, target_url = url(args.dlq), url(SOURCES[args.dlq])
    elif args.dlq_url and args.target_url:
        dlq_url, target_url = args.dlq_url, args.target_url
    else:
        raise SystemExit("say which: --stack NAME with the DLQ's logical id, or --dlq-url and --target-url")
    done = redrive(boto3.client("sqs"), dlq_url, target_url, args.max)
    return {"dlq": args.dlq, "moved": done.moved, "left": done.left}


def cmd_customer_export(args: argparse.Namespace) -> dict[str, Any]:
    from proativo.customers import privacy

    return privacy.export(boto3.resource("dynamodb").Table(_target(args).table), args.store_id, args.customer_id)


def cmd_customer_erase(args: argparse.Namespace) -> dict[str, Any]:
    from datetime import UTC, datetime

    from proativo.customers import privacy

    table = boto3.resource("dynamodb").Table(_target(args).table)
    erased = privacy.erase(table, args.store_id, args.customer_id, datetime.now(UTC))
    return {"store_id": args.store_id, "erased_items": erased.items, "erased_lookups": erased.lookups}


def parser() -> argparse.ArgumentParser:
    """The command line's grammar."""
    top = argparse.ArgumentParser(prog="proativo", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--stack", help="CloudFormation stack name of a deployment")
    where.add_argument("--table", help="the table (default: $PROATIVO_TABLE)")
    where.add_argument("--stage", help="the deployment's Stage (default: $PROATIVO_STAGE)")
    commands = top.add_subparsers(dest="area", required=True)
    store_cmds = commands.add_parser("stores", help="stores and their webhook secrets").add_subparsers(
        dest="command", required=True
    )
    add = store_cmds.add_parser("add", parents=[where], help="register a store on a platform and set its secret")
    add.add_argument("store_id")
    add.add_argument("--platform", required=True, choices=sorted(PLATFORMS))
    add.add_argument("--name")
    add.add_argument("--sender-email")
    add.add_argument("--site-url")
    add.add_argument("--locale", default="pt-BR")
    add.add_argument("--timezone", default="America/Sao_Paulo")
    add.add_argument("--currency", default="BRL")
    add.add_argument("--secret-stdin", action="store_true", help="read the platform's secret from stdin")
    add.set_defaults(run=cmd_add)
    rotate = store_cmds.add_parser("rotate-secret", parents=[where], help="replace a store's secret for a platform")
    rotate.add_argument("store_id")
    rotate.add_argument("--platform", required=True, choices=sorted(PLATFORMS))
    rotate.add_argument("--secret-stdin", action="store_true")
    rotate.set_defaults(run=cmd_rotate)
    api = store_cmds.add_parser(
        "set-api-credentials",
        parents=[where],
        help="a store's API credentials for a notify-only platform, as JSON on stdin "
        '(nuvemshop: {"access_token"}; vtex: {"app_key", "app_token"})',
    )
    api.add_argument("store_id")
    api.add_argument("--platform", required=True, choices=["nuvemshop", "vtex"])
    api.set_defaults(run=cmd_api_credentials)
    carrier = store_cmds.add_parser(
        "set-carrier-credentials",
        parents=[where],
        help='a store\'s carrier contract, as JSON on stdin (correios: {"user", "access_code", "postage_card"})',
    )
    carrier.add_argument("store_id")
    carrier.add_argument("--carrier", required=True, choices=["correios"])
    carrier.set_defaults(run=cmd_carrier_credentials)
    whatsapp = store_cmds.add_parser(
        "set-whatsapp-credentials",
        parents=[where],
        help='a store\'s WhatsApp Business number, as JSON on stdin: {"phone_number_id", "access_token"}',
    )
    whatsapp.add_argument("store_id")
    whatsapp.set_defaults(run=cmd_whatsapp_credentials)
    policy = store_cmds.add_parser(
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
    policy.set_defaults(run=cmd_tracking_policy)
    listing = store_cmds.add_parser("list", parents=[where], help="every registered store")
    listing.set_defaults(run=cmd_list)
    claim_cmds = commands.add_parser("claims", help="claims against carriers").add_subparsers(
        dest="command", required=True
    )
    claims_list = claim_cmds.add_parser("list", parents=[where], help="a store's claims register")
    claims_list.add_argument("store_id")
    claims_list.set_defaults(run=cmd_claims_list)
    record = claim_cmds.add_parser(
        "record", parents=[where], help="a claim the store's team filed (open) or got answered (won, lost)"
    )
    record.add_argument("store_id")
    record.add_argument("--carrier", required=True)
    record.add_argument("--tracking-code", required=True)
    record.add_argument("--status", required=True, choices=["open", "won", "lost"])
    record.add_argument("--protocol")
    record.add_argument("--amount", help="the carrier's indemnity, e.g. 189.90")
    record.set_defaults(run=cmd_claims_record)
    carrier_cmds = commands.add_parser("carriers", help="how the carriers do").add_subparsers(
        dest="command", required=True
    )
    card = carrier_cmds.add_parser(
        "scorecard", parents=[where], help="per carrier and destination state: parcels, incidents, claims, rates"
    )
    card.add_argument("store_id")
    card.add_argument("--days", type=int, default=30)
    card.add_argument("--until", help="the last day, ISO-8601 (default: today)")
    card.set_defaults(run=cmd_scorecard)
    coupon_cmds = commands.add_parser("coupons", help="a store's coupon pools").add_subparsers(
        dest="command", required=True
    )
    stock = coupon_cmds.add_parser("add", parents=[where], help="stock a pool with the codes of a CSV file")
    stock.add_argument("store_id")
    stock.add_argument("--pool", required=True)
    stock.add_argument("file")
    stock.set_defaults(run=cmd_coupons_add)
    count = coupon_cmds.add_parser("count", parents=[where], help="how many codes a pool has left")
    count.add_argument("store_id")
    count.add_argument("--pool", required=True)
    count.set_defaults(run=cmd_coupons_count)
    consent_cmds = commands.add_parser("consent", help="who may not be contacted").add_subparsers(
        dest="command", required=True
    )
    dnc = consent_cmds.add_parser(
        "import-dnc", parents=[where], help="add a CSV of phone numbers / e-mails to the store's do-not-contact list"
    )
    dnc.add_argument("store_id")
    dnc.add_argument("file")
    dnc.add_argument("--country", default="BR", help="how to read numbers without +country (ISO 3166, default BR)")
    dnc.set_defaults(run=cmd_import_dnc)
    dlq_cmds = commands.add_parser("dlq", help="dead-letter queues").add_subparsers(dest="command", required=True)
    move = dlq_cmds.add_parser("redrive", help="send a DLQ's messages back to their queue (README, Runbook)")
    move.add_argument("dlq", help="the DLQ's logical id: EventsDLQ, SendDLQ or TrackingDLQ")
    move.add_argument("--stack", help="CloudFormation stack name of the deployment")
    move.add_argument("--dlq-url")
    move.add_argument("--target-url")
    move.add_argument("--max", type=int, default=10_000)
    move.set_defaults(run=cmd_redrive)
    reporting = commands.add_parser("report", parents=[where], help="what proactivity earned a store, per day")
    reporting.add_argument("--store", dest="store_id", required=True)
    reporting.add_argument("--from", dest="since", required=True, help="first day, YYYY-MM-DD")
    reporting.add_argument("--to", dest="until", required=True, help="last day, YYYY-MM-DD")
    reporting.add_argument("--html", help="also write a self-contained page with charts to this file")
    reporting.add_argument("--json", action="store_true", help="the figures as JSON instead of a table")
    reporting.set_defaults(run=cmd_report)
    template_cmds = commands.add_parser("templates", help="a store's own message templates").add_subparsers(
        dest="command", required=True
    )
    set_template = template_cmds.add_parser(
        "set", parents=[where], help="validate (sandbox, sample data of every flow) and save a store's template"
    )
    set_template.add_argument("store_id")
    set_template.add_argument("name", help="e.g. pt-BR/order_thanks.html.j2")
    set_template.add_argument("file")
    set_template.set_defaults(run=cmd_templates_set)
    reset_template = template_cmds.add_parser("reset", parents=[where], help="back to the built-in template")
    reset_template.add_argument("store_id")
    reset_template.add_argument("name")
    reset_template.set_defaults(run=cmd_templates_reset)
    preview = commands.add_parser(
        "preview", parents=[where], help="render every template with sample data to files a person can open"
    )
    preview.add_argument("--out", default="template-preview")
    preview.add_argument("--store", dest="store_id", help="with this store's own templates in place")
    preview.set_defaults(run=cmd_preview)
    customer_cmds = commands.add_parser("customers", help="a customer's data (LGPD)").add_subparsers(
        dest="command", required=True
    )
    exporting = customer_cmds.add_parser("export", parents=[where], help="everything held about a customer, as JSON")
    exporting.add_argument("store_id")
    exporting.add_argument("customer_id")
    exporting.set_defaults(run=cmd_customer_export)
    erasing = customer_cmds.add_parser("erase", parents=[where], help="erase a customer's data")
    erasing.add_argument("store_id")
    erasing.add_argument("customer_id")
    erasing.set_defaults(run=cmd_customer_erase)
    case_cmds = commands.add_parser("cases", help="follow-ups for the store's team").add_subparsers(
        dest="command", required=True
    )
    cases = case_cmds.add_parser("list", parents=[where], help="cases opened by low satisfaction scores")
    cases.add_argument("store_id")
    cases.set_defaults(run=cmd_cases_list)
    flow_cmds = commands.add_parser("flows", help="a store's sequences (flows)").add_subparsers(
        dest="command", required=True
    )
    set_flows = flow_cmds.add_parser("set", parents=[where], help="validate and save a store's flows YAML")
    set_flows.add_argument("store_id")
    set_flows.add_argument("file")
    set_flows.set_defaults(run=cmd_flows_set)
    show = flow_cmds.add_parser("show", parents=[where], help="the flows in force for a store")
    show.add_argument("store_id")
    show.set_defaults(run=cmd_flows_show)
    reset = flow_cmds.add_parser("reset", parents=[where], help="back to the built-in flows")
    reset.add_argument("store_id")
    reset.set_defaults(run=cmd_flows_reset)
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
