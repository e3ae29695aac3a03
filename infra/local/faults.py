"""Faults on purpose, local only: the Nth call of a named AWS operation made by the functions fails (throttled, a 5xx,
a timeout), or a named function crashes. Tests and a person at `make serve` (`POST /_local/faults`) use it to see
that after the fault clears every accepted event has its one outcome: nothing lost, nothing twice.

The embedded AWS is called in-process, so the switch sits where every boto3 call passes (`BaseClient._make_api_call`)
and fires only while a function runs: the local stack's own machinery (queue pollers, the outbox) never trips it.
"""

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from botocore.client import BaseClient
from botocore.exceptions import ClientError, ReadTimeoutError
from pydantic import BaseModel, ConfigDict, Field

type Kind = Literal["throttle", "server", "timeout", "crash"]


class FaultSpec(BaseModel):
    """One fault, as `POST /_local/faults` takes it. `target`: `<service>:<Operation>` (`dynamodb:TransactWriteItems`,
    `sesv2:SendEmail`, `sqs:SendMessageBatch`) or `function:<LogicalId>` (`function:DispatcherFunction`)."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(pattern=r"^(function:[A-Za-z0-9]+|[a-z0-9-]+:[A-Za-z0-9]+)$")
    kind: Kind = "throttle"
    nth: int = Field(default=1, ge=1, le=10_000, description="the Nth matching call from now fails first")
    times: int = Field(default=1, ge=1, le=10_000, description="and so many matching calls in a row")
    function: str | None = Field(default=None, description="only calls made by this function (default: any)")


@dataclass
class Fault:
    """A fault armed on the stack, with its counts."""

    target: str
    kind: Kind
    nth: int
    times: int
    function: str | None
    seen: int = 0
    fired: int = 0

    def trips(self, target: str, function: str) -> bool:
        """Count one matching call; True when this one must fail."""
        if target != self.target or (self.function and function != self.function):
            return False
        self.seen += 1
        if self.seen >= self.nth and self.fired < self.times:
            self.fired += 1
            return True
        return False


def _error(kind: Kind, service: str, operation: str) -> Exception:
    if kind == "timeout":
        return ReadTimeoutError(endpoint_url=f"https://{service}.local (injected fault)")
    if kind == "crash":
        return RuntimeError(f"injected crash in {operation}")
    throttled = "ProvisionedThroughputExceededException" if service == "dynamodb" else "ThrottlingException"
    code, status = (throttled, 400) if kind == "throttle" else ("InternalServerError", 500)
    response: Any = {
        "Error": {"Code": code, "Message": "injected fault"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


class Faults:
    """The faults armed on one local stack. `running` says which function runs now (None: the stack itself)."""

    def __init__(self, running: Callable[[], str | None]) -> None:
        self._running = running
        self._armed: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, spec: FaultSpec) -> Fault:
        """Arm a fault."""
        fault = Fault(spec.target, spec.kind, spec.nth, spec.times, spec.function)
        with self._lock:
            self._armed.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._armed.clear()

    def as_json(self) -> list[dict[str, Any]]:
        """Every fault armed, with how many matching calls it saw and failed."""
        with self._lock:
            return [asdict(f) for f in self._armed]

    def check(self, target: str, service: str = "function", operation: str = "") -> None:
        """Raise the armed fault's error if this call (by the function running now) must fail."""
        function = self._running()
        if function is None:
            return
        with self._lock:
            fault = next((f for f in self._armed if f.trips(target, function)), None)
        if fault is not None:
            raise _error(fault.kind, service, operation or target)


_active: list[Faults] = []
_original = BaseClient._make_api_call  # type: ignore[attr-defined]


def _make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
    if _active:
        service = client.meta.service_model.service_name
        _active[-1].check(f"{service}:{operation}", service, operation)
    return _original(client, operation, params)


def activate(faults: Faults) -> None:
    """Route every boto3 call of this process through `faults` (the stack that started last)."""
    _active.append(faults)
    BaseClient._make_api_call = _make_api_call  # type: ignore[attr-defined]


def deactivate(faults: Faults) -> None:
    """Stop routing through `faults`; the last stack restores boto3 as it was."""
    if faults in _active:
        _active.remove(faults)
    if not _active:
        BaseClient._make_api_call = _original  # type: ignore[attr-defined]
