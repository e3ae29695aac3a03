"""AWS clients and resources: created once per container, lazily, never at import time."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient


@cache
def _session() -> boto3.Session:
    return boto3.Session()


@cache
def table(name: str) -> "Table":
    """The DynamoDB table `name` (high-level resource: native Python types in and out)."""
    return _session().resource("dynamodb").Table(name)


@cache
def dynamodb() -> "DynamoDBClient":
    """The low-level DynamoDB client (for the request path: no type conversion layer)."""
    return _session().client("dynamodb")


@cache
def sqs() -> "SQSClient":
    """The SQS client."""
    return _session().client("sqs")


@cache
def sesv2() -> "SESV2Client":
    """The SES v2 client."""
    return _session().client("sesv2")


@cache
def sns() -> "SNSClient":
    """The SNS client."""
    return _session().client("sns")


@cache
def ssm() -> "SSMClient":
    """The SSM client."""
    return _session().client("ssm")


@cache
def cloudformation() -> Any:
    """The CloudFormation client (the CLI reads a deployment's outputs and resources with it)."""
    return _session().client("cloudformation")


def reset() -> None:
    """Forget every client (the local stack and tests call this after pointing AWS elsewhere)."""
    for fn in (_session, table, dynamodb, sqs, sesv2, sns, ssm, cloudformation):
        fn.cache_clear()


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response: Any = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


# Errors that say "not now" rather than "no": throttling, a service's own failure, a lost connection.
_TRANSIENT = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "LimitExceededException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalServerError",
    "InternalError",
}


def transient(exc: BaseException) -> bool:
    """Whether an AWS call failed for now (throttled, timed out, the service's 5xx): worth retrying later, never a
    verdict on the request."""
    if isinstance(exc, BotoCoreError):  # connect and read timeouts, a connection closed early
        return True
    if not isinstance(exc, ClientError):
        return False
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return error_code(exc) in _TRANSIENT or status >= 500 or status == 429


def query_pages(table: "Table", limit: int | None = None, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every page a Query returns, one request after another; with `limit`, at most that many items in all (each
    request asks only for what is still missing)."""
    seen = 0
    while limit is None or seen < limit:
        if limit is not None:
            kwargs["Limit"] = limit - seen
        page: Any = table.query(**kwargs)
        seen += int(page.get("Count", len(page.get("Items", []))))
        yield page
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def query_items(table: "Table", **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item a Query returns, page after page."""
    for page in query_pages(table, **kwargs):
        yield from (dict(item) for item in page.get("Items", []))


@dataclass(frozen=True)
class BatchRead:
    """What a BatchGetItem brought, by (pk, sk), and the keys DynamoDB left unprocessed (throttling)."""

    found: dict[tuple[str, str], dict[str, Any]]
    unprocessed: list[dict[str, Any]]


def batch_get(table: "Table", keys: Sequence[Mapping[str, Any]], consistent: bool = True) -> BatchRead:
    """Read items by key, 100 keys a request, through the resource's client (thread-safe, plain Python values).
    What to do with unprocessed keys is the caller's choice: read them alone, or retry the whole later."""
    client: Any = table.meta.client
    read = BatchRead({}, [])
    wanted = list({(str(k["pk"]), str(k["sk"])): dict(k) for k in keys}.values())
    for start in range(0, len(wanted), 100):
        answer: Any = client.batch_get_item(
            RequestItems={table.name: {"Keys": wanted[start : start + 100], "ConsistentRead": consistent}}
        )
        for item in answer.get("Responses", {}).get(table.name, []):
            read.found[(str(item["pk"]), str(item["sk"]))] = dict(item)
        read.unprocessed.extend(answer.get("UnprocessedKeys", {}).get(table.name, {}).get("Keys", []))
    return read


def failed_conditions(exc: ClientError) -> list[bool] | None:
    """For a transaction cancelled because conditions failed: which of its items failed, in order. None for any
    other error (throttling, a conflicting transaction): the caller lets it raise."""
    reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
    if error_code(exc) != "TransactionCanceledException" or "ConditionalCheckFailed" not in reasons:
        return None
    return [reason == "ConditionalCheckFailed" for reason in reasons]


def written(write: Callable[[], object]) -> bool:
    """Run one conditional write (a put, an update, a transaction): True if it wrote, False if its condition did not
    hold. A transaction cancelled for anything else (throttling, a conflicting transaction) raises, so the queue
    retries it rather than take it for "somebody wrote first"."""
    try:
        write()
    except ClientError as exc:
        code = error_code(exc)
        if code == "ConditionalCheckFailedException" or failed_conditions(exc) is not None:
            return False
        raise
    return True


def json_ready(value: Any) -> Any:
    """A value read from DynamoDB, ready for JSON: numbers as int or float, sets as sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, set):
        return sorted(json_ready(v) for v in value)
    return value
