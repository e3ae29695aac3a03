"""Reading template.yaml itself: the resources, functions, routes, queues and schedules the local stack runs.

There is no second list of resources: whatever the template declares is what runs here.
"""

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns CloudFormation short tags (!Ref, !GetAtt, !Sub …) into their long form."""


def _construct(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as plain data (intrinsics in their long form): parsed once per version of the file in a process
    (a suite starts a stack per test; parsing took 0.7 s), a copy each time."""
    stat = path.stat()
    return copy.deepcopy(_parsed(path, stat.st_mtime_ns, stat.st_size))


@cache
def _parsed(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    del mtime_ns, size  # the cache's key: an edited template is read again
    data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506
    return data


@dataclass(frozen=True)
class Route:
    """An HTTP API route of a function."""

    method: str
    path: str
    function: str

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters when `method path` matches this route."""
        if method.upper() != self.method.upper() and self.method.upper() != "ANY":
            return None
        names = re.findall(r"{([^}/]+)}", self.path)
        pattern = "^" + re.sub(r"{[^}/]+}", "([^/]+)", self.path) + "$"
        found = re.match(pattern, path)
        return dict(zip(names, found.groups(), strict=True)) if found else None


@dataclass(frozen=True)
class QueueTrigger:
    """An SQS event source of a function."""

    queue: str
    function: str
    batch_size: int
    partial_failures: bool


@dataclass(frozen=True)
class StreamTrigger:
    """A DynamoDB stream event source of a function (only the records its filters accept reach it)."""

    table: str
    function: str
    batch_size: int
    partial_failures: bool
    filters: tuple[Any, ...]
    max_retries: int
    on_failure: str | None
    batching_window: int = 0  # MaximumBatchingWindowInSeconds

    def accepts(self, record: dict[str, Any]) -> bool:
        """Whether Lambda's event filtering lets `record` through (no filters: every record)."""
        return not self.filters or any(_matches(pattern, record, True) for pattern in self.filters)


def _matches(pattern: Any, value: Any, present: bool) -> bool:
    """Lambda event-filter matching, the subset the template uses: nested objects, lists of exact values, and
    `{"exists": true|false}` on leaves (a missing parent means a missing leaf)."""
    if isinstance(pattern, dict):
        fields = value if isinstance(value, dict) else {}
        return all(_matches(rule, fields.get(name), name in fields) for name, rule in pattern.items())
    for rule in pattern:
        if isinstance(rule, dict):
            if set(rule) != {"exists"}:
                raise ValueError(f"the local stack does not filter on {rule}")
            if rule["exists"] == present:
                return True
        elif present and value == rule:
            return True
    return False


@dataclass(frozen=True)
class ScheduleTrigger:
    """A rate schedule of a function."""

    function: str
    name: str
    every_seconds: int


@dataclass(frozen=True)
class TopicTrigger:
    """An SNS subscription of a function."""

    topic: str
    function: str


@dataclass(frozen=True)
class Function:
    """A function as the template declares it."""

    name: str
    code_uri: Path
    handler: str
    environment: dict[str, Any]
    timeout: int
    memory: int


@dataclass
class Stack:
    """Everything the local stack needs from the template."""

    template: dict[str, Any]
    functions: dict[str, Function] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    queue_triggers: list[QueueTrigger] = field(default_factory=list)
    stream_triggers: list[StreamTrigger] = field(default_factory=list)
    schedules: list[ScheduleTrigger] = field(default_factory=list)
    topic_triggers: list[TopicTrigger] = field(default_factory=list)

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        """Resources of one CloudFormation type, by logical id."""
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == kind}

    def parameter_defaults(self) -> dict[str, str]:
        """Each parameter's default value."""
        return {k: str(v.get("Default", "")) for k, v in self.template.get("Parameters", {}).items()}


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def rate_seconds(expression: str) -> int:
    """Seconds between firings of an EventBridge `rate(...)` expression."""
    found = _RATE.match(expression.strip())
    if not found:
        raise ValueError(f"the local stack runs rate() schedules only, not {expression!r}")
    return int(found.group(1)) * _UNIT[found.group(2)]


def _ref_name(value: Any) -> str:
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise ValueError(f"cannot tell which resource {value!r} names")


def _stream_trigger(function: str, props: dict[str, Any]) -> StreamTrigger:
    filters = tuple(json.loads(rule["Pattern"]) for rule in props.get("FilterCriteria", {}).get("Filters", []))
    on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    return StreamTrigger(
        table=_ref_name(props["Stream"]),
        function=function,
        batch_size=int(props.get("BatchSize", 100)),
        partial_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
        filters=filters,
        max_retries=int(props.get("MaximumRetryAttempts", -1)),
        on_failure=_ref_name(on_failure) if on_failure else None,
        batching_window=int(props.get("MaximumBatchingWindowInSeconds", 0)),
    )


def read_stack(path: Path = TEMPLATE) -> Stack:
    """Functions and their triggers, as the template declares them (Globals merged)."""
    template = load_template(path)
    stack = Stack(template)
    globals_ = template.get("Globals", {}).get("Function", {})
    for name, resource in stack.resources("AWS::Serverless::Function").items():
        props = resource["Properties"]
        env = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **props.get("Environment", {}).get("Variables", {}),
        }
        stack.functions[name] = Function(
            name=name,
            code_uri=path.parent / props["CodeUri"],
            handler=props["Handler"],
            environment=env,
            timeout=int(props.get("Timeout", globals_.get("Timeout", 3))),
            memory=int(props.get("MemorySize", globals_.get("MemorySize", 128))),
        )
        for event_name, event in props.get("Events", {}).items():
            kind, ep = event["Type"], event.get("Properties", {})
            if kind == "HttpApi":
                stack.routes.append(Route(ep["Method"], ep["Path"], name))
            elif kind == "SQS":
                stack.queue_triggers.append(
                    QueueTrigger(
                        queue=_ref_name(ep["Queue"]),
                        function=name,
                        batch_size=int(ep.get("BatchSize", 10)),
                        partial_failures="ReportBatchItemFailures" in ep.get("FunctionResponseTypes", []),
                    )
                )
            elif kind == "DynamoDB":
                stack.stream_triggers.append(_stream_trigger(name, ep))
            elif kind in ("Schedule", "ScheduleV2"):
                expression = ep.get("Schedule") or ep.get("ScheduleExpression")
                stack.schedules.append(ScheduleTrigger(name, event_name, rate_seconds(expression)))
            elif kind == "SNS":
                stack.topic_triggers.append(TopicTrigger(_ref_name(ep["Topic"]), name))
    return stack
