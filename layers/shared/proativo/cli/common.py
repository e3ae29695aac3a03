"""What every command group shares: where the deployment is (`--stack`, or a table and a stage), its AWS clients
(the package's own, made once), the clock (the local stack's virtual one when it runs), and reading input."""

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from botocore.exceptions import ClientError
from pydantic import ValidationError

from proativo import aws, stores
from proativo.aws import keys
from proativo.errors import InvalidPayload

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


@dataclass(frozen=True)
class Target:
    """Where the stores live: the table and the SSM prefix of a deployment (and its events queue, when known)."""

    table_name: str
    prefix: str
    events_queue: str | None = None

    @property
    def table(self) -> "Table":
        """The deployment's table."""
        return aws.table(self.table_name)

    @property
    def events_queue_url(self) -> str:
        """The deployment's events queue: the stack's output, $PROATIVO_EVENTS_QUEUE, or the queue the local stack
        names after the stage."""
        found = self.events_queue or os.environ.get("PROATIVO_EVENTS_QUEUE")
        if found:
            return found
        stage = self.prefix.rsplit("/", 1)[-1]
        try:
            return str(aws.sqs().get_queue_url(QueueName=f"proativo-{stage}-EventsQueue")["QueueUrl"])
        except ClientError:
            raise SystemExit("say where the events queue is: --stack NAME, or $PROATIVO_EVENTS_QUEUE") from None


def where() -> argparse.ArgumentParser:
    """The options that say which deployment a command works on."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--stack", help="CloudFormation stack name of a deployment")
    options.add_argument("--table", help="the table (default: $PROATIVO_TABLE)")
    options.add_argument("--stage", help="the deployment's Stage (default: $PROATIVO_STAGE)")
    return options


def target(args: argparse.Namespace) -> Target:
    """The deployment the command names."""
    if args.stack:
        stack = aws.cloudformation().describe_stacks(StackName=args.stack)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
        return Target(
            outputs["TableName"], f"/proativo/{parameters.get('Stage', 'prod')}", outputs.get("EventsQueueUrl")
        )
    table = args.table or os.environ.get("PROATIVO_TABLE")
    stage = args.stage or os.environ.get("PROATIVO_STAGE")
    if not table or not stage:
        raise SystemExit("say where: --stack NAME, or --table and --stage (or PROATIVO_TABLE and PROATIVO_STAGE)")
    return Target(table, f"/proativo/{stage}")


def table(args: argparse.Namespace) -> "Table":
    """The table of the deployment the command names."""
    return target(args).table


def put_secure(name: str, value: dict[str, Any]) -> None:
    """Keep credentials as an SSM SecureString (replacing what was there)."""
    aws.ssm().put_parameter(Name=name, Value=json.dumps(value), Type="SecureString", Overwrite=True)


def problems(exc: ValidationError) -> str:
    """A pydantic ValidationError as "field: problem; …"."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))


def stdin_json(what: str) -> dict[str, Any]:
    """A JSON object read from stdin (credentials, mostly: never from a command line that shells keep)."""
    try:
        found = json.loads(sys.stdin.read())
    except ValueError:
        raise SystemExit(f"{what} are a JSON object on stdin") from None
    if not isinstance(found, dict):
        raise SystemExit(f"{what} are a JSON object on stdin")
    return found


def group(commands: Any, name: str, help_text: str) -> Any:
    """A command group (`proativo <name> <command>`)."""
    return commands.add_parser(name, help=help_text).add_subparsers(dest="command", required=True)


def saved_from_yaml[T](path: str, what: str, save: Callable[[Any], T]) -> T:
    """Read a store's YAML document from `path` and `save` it; a file that is not YAML, or a document `save` refuses
    (InvalidPayload), ends the command with the reason and the place."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SystemExit(f"{what} refused: {path} is not YAML ({exc.__class__.__name__})") from None
    try:
        return save(document)
    except InvalidPayload as exc:
        raise SystemExit(f"{what} refused at {exc.field}: {exc.reason}") from None


def change_profile(args: argparse.Namespace, given: dict[str, Any], what: str) -> dict[str, Any]:
    """Change only the store profile's settings `given`, checked against the whole profile first (a value refused
    ends the command naming it); what changed, as the command prints it."""
    where = table(args)
    current = stores.get_profile(where, args.store_id)
    try:
        profile = stores.StoreProfile.model_validate({**current.model_dump(), **given})
    except ValidationError as exc:
        raise SystemExit(f"{what} refused: {problems(exc)}") from None
    where.update_item(
        Key={"pk": keys.store_pk(args.store_id), "sk": "PROFILE"},
        UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in given),
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeNames={f"#{k}": k for k in given},
        ExpressionAttributeValues={f":{k}": _stored(getattr(profile, k)) for k in given},
    )
    return {"store_id": args.store_id, **{k: _shown(v) for k, v in given.items()}}


def _stored(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _shown(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else _stored(value)
