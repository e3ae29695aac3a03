"""How every HTTP route answers what the domain raises, in one table: a typed refusal is a 4xx with its reason; a
dependency's hiccup (SSM or DynamoDB throttled, a timeout) is a 503 the caller retries, never "unknown store" or
"bad signature"; anything else is a bug and stays a 500."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from proativo.aws import error_code, transient
from proativo.errors import (
    Conflict,
    Forbidden,
    InvalidPayload,
    NotFound,
    PayloadTooLarge,
    ProativoError,
    Unauthorized,
    Unavailable,
)

REFUSALS: dict[type[ProativoError], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    Unauthorized: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    Conflict: (409, "conflict"),
    InvalidPayload: (400, "invalid_payload"),
    PayloadTooLarge: (413, "payload_too_large"),
    Unavailable: (503, "unavailable"),
}
# How long a caller should wait before it tries again after a 503.
RETRY_AFTER_SECONDS = 30
REFUSAL_SCHEMA = {
    "type": "object",
    "required": ["error", "reason"],
    "properties": {"error": {"type": "string"}, "reason": {"type": "string"}, "field": {"type": "string"}},
}

logger = Logger(child=True)


def json_answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    """A JSON answer."""
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def refusal(exc: ProativoError) -> tuple[int, dict[str, Any]]:
    """The status and body that answer a typed refusal."""
    status, error = REFUSALS.get(type(exc), (400, "bad_request"))
    if isinstance(exc, InvalidPayload):
        body = {"error": error, "reason": exc.reason, **({"field": exc.field} if exc.field else {})}
    else:
        body = {"error": error, "reason": str(exc)}
    return status, body


def answer_refusals(app: APIGatewayHttpResolver, metrics: Metrics, prefix: str) -> None:
    """Register on `app` the answers to typed refusals and to AWS failures (counted as `<prefix>Refused<status>`)."""

    def answer(exc: ProativoError) -> Response[dict[str, Any]]:
        status, body = refusal(exc)
        metrics.add_metric(name=f"{prefix}Refused{status}", unit=MetricUnit.Count, value=1)
        if status == 401:
            logger.warning("signature rejected", extra={"reason": str(exc)})
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
        return json_answer(status, body, retry)

    @app.exception_handler(ProativoError)  # type: ignore[untyped-decorator]
    def refused(exc: ProativoError) -> Response[dict[str, Any]]:
        return answer(exc)

    @app.exception_handler([ClientError, BotoCoreError])  # type: ignore[untyped-decorator]
    def aws_failed(exc: ClientError | BotoCoreError) -> Response[dict[str, Any]]:
        if not transient(exc):
            raise exc
        name = error_code(exc) or type(exc).__name__
        logger.warning("dependency unavailable", extra={"error": name})
        return answer(Unavailable(f"a dependency is unavailable ({name}); retry"))
