"""The local stack: an in-process moto server as AWS, resources created from template.yaml, the real handlers
invoked with real event shapes, SQS queues polled in batches, schedules fired on a virtual clock."""

import base64
import contextlib
import importlib.util
import io
import json
import os
import re
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from infra.local.clock import VirtualClock
from infra.local.fake_carrier import FakeCorreios
from infra.local.fake_carrier import credentials as fake_correios_credentials
from infra.local.fake_carrier import serve as serve_fake_carrier
from infra.local.fake_carrier.aftership import FakeAfterShip
from infra.local.fake_carrier.jadlog import FakeJadlog
from infra.local.fake_carrier.jadlog import credentials as fake_jadlog_credentials
from infra.local.fake_carrier.melhorenvio import FakeMelhorEnvio
from infra.local.fake_hugme import FakeHugMe
from infra.local.fake_whatsapp import DEMO_PHONE_NUMBER_ID, DEMO_TOKEN, FakeWhatsApp
from infra.local.faults import Faults
from infra.local.faults import activate as activate_faults
from infra.local.faults import deactivate as deactivate_faults
from infra.local.template import Function, Stack, read_stack

REGION = "us-east-1"
ACCOUNT = "123456789012"
LOCAL_STAGE = "local"
DEMO_STORE = "demo"
LOCAL_LINK_KEY = "local-link-signing-key-not-a-secret"  # the local stack only; the cloud generates its own
DEMO_SECRET = "demo-secret"  # noqa: S105 - the documented secret of the local demo store
DEMO_SENDER = "contato@lojademo.com.br"
DEMO_CARRIER = "expressa"  # a regional carrier that pushes its scans to /webhooks/carrier/expressa/demo


_SINK: "_Sink | None" = None


def _sink() -> "_Sink":
    global _SINK
    if _SINK is None:
        _SINK = _Sink()
    return _SINK


@cache
def _quick_moto_server() -> type:
    """moto's threaded server, looking for a shutdown every 50 ms instead of 500: the suite starts and stops a stack
    per test, and each stop waited up to half a second on every server it ran."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    class QuickMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = DomainDispatcherApplication(create_backend_app)
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever(poll_interval=0.05)

    return QuickMotoServer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LogLine:
    """One structured log line a function printed, stamped with the virtual time."""

    at: datetime
    function: str
    data: dict[str, Any]


class _Sink(io.TextIOBase):
    """Where the functions' stdout goes: JSON lines kept for the timeline and the log file.

    One per process: Powertools binds a logger's handler to the stdout of the first import of its service, so every
    stack in the process (tests start many) must share the same sink.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._partial = ""

    def write(self, text: str) -> int:
        self._partial += text
        *complete, self._partial = self._partial.split("\n")
        self.lines.extend(line for line in complete if line.strip())
        return len(text)

    def take(self) -> list[str]:
        taken, self.lines = self.lines, []
        return taken


@dataclass
class LambdaContext:
    """Enough of Lambda's context object for Powertools."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    """One handler call: what went in, what came out, what it logged."""

    at: datetime
    function: str
    event: dict[str, Any]
    result: Any
    error: str | None
    logs: list[dict[str, Any]]
    ms: float = 0.0  # the handler's wall time


class LocalStack:
    """Runs the template's functions on this machine. Use as a context manager."""

    def __init__(
        self,
        start: datetime | None = None,
        follow_wall: bool = False,
        log_level: str = "INFO",
        parameters: dict[str, str] | None = None,
        template: Path | None = None,
        public_url: str = "http://127.0.0.1:3000",
        keep_invocations: int | None = None,
    ) -> None:
        self.stack: Stack = read_stack(template) if template else read_stack()
        self.clock = VirtualClock(start, follow_wall)
        self.log_level = log_level
        # One machine needs no more than two partitions of the due index (the cloud default is 8).
        self.parameters = {
            **self.stack.parameter_defaults(),
            "Stage": LOCAL_STAGE,
            "DueShards": "2",
            **(parameters or {}),
        }
        self.physical: dict[str, str] = {}
        self.arns: dict[str, str] = {}
        # Where links in messages point: where `make serve` listens.
        self.public_url = public_url
        self.modules: dict[str, ModuleType] = {}
        # Every handler call, newest last: all of them for a test or the demo, the last `keep_invocations` for a
        # long-running `make serve` (its memory stays bounded).
        self.invocations: deque[Invocation] = deque(maxlen=keep_invocations)
        # What went wrong outside the functions (a listener such as the outbox failing): reported, never fatal.
        self.incidents: deque[str] = deque(maxlen=100)
        # Faults on purpose (`infra.local.faults`): armed by tests and `POST /_local/faults`, tripped only by the
        # functions' own AWS calls (the function running now, if any, is `_running`).
        self._running: str | None = None
        self.faults = Faults(lambda: self._running)
        self.listeners: list[Callable[[Invocation], None]] = []
        self._sink = _sink()
        self._lock = threading.RLock()
        self._next_fire: dict[tuple[str, str], datetime] = {}
        self._server: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._clients: dict[str, Any] = {}
        self._mock: Any = None
        self._carrier_server: Any = None
        self._jadlog_server: Any = None
        self._aftership_server: Any = None
        self._melhorenvio_server: Any = None
        self._hugme_server: Any = None
        self._whatsapp_server: Any = None
        # Per stream trigger: the shard iterator to read on from, and the records read but not yet processed.
        self._stream_iterators: dict[int, str] = {}
        self._stream_pending: dict[int, list[dict[str, Any]]] = {}
        self._stream_attempts: dict[int, int] = {}
        self._stream_seen: dict[int, int] = {}

    # ---- lifecycle -------------------------------------------------------------------------------------------
    def __enter__(self) -> "LocalStack":
        try:
            self.start()
        except BaseException:
            # Half started (moto's patching up, resources half made): undo it, or every later stack in this process
            # would find moto still counted as started and its tables already there.
            with contextlib.suppress(Exception):
                self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start moto, create the template's resources, load the functions, seed the demo store.

        The functions reach moto in-process (no HTTP hop: about 3x faster, which is what lets a day replay in
        seconds); the same state is served over HTTP at `self.endpoint` for the CLI and any other tool.
        """
        import logging

        from moto import mock_aws

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._set_process_env(
            {
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_SAM_LOCAL": "true",
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_DEV": "false",
            }
        )
        os.environ.pop("AWS_ENDPOINT_URL", None)
        from infra.local import moto_patches

        moto_patches.install()
        self._mock = mock_aws()
        self._mock.start(reset=True)
        activate_faults(self.faults)
        port = _free_port()
        self._server = _quick_moto_server()(ip_address="127.0.0.1", port=port, verbose=False)
        self._server.start()
        self.endpoint = f"http://127.0.0.1:{port}"
        from aws_lambda_powertools.utilities.parameters import clear_caches
        from proativo import aws, clock, wiring

        aws.reset()
        wiring.reset()
        # A stack before this one in the process may have cached its own secrets and credentials.
        clear_caches()  # type: ignore[no-untyped-call]
        clock.use(self.clock.now)
        self._create_resources()
        # The sender reads where WhatsApp is when it loads: the fake Graph API must be up first.
        self.fake_whatsapp = FakeWhatsApp()
        self._whatsapp_server = serve_fake_carrier(self.fake_whatsapp)  # type: ignore[arg-type]
        for name in self.stack.functions:
            self._load(name)
        self.fake_correios = FakeCorreios.from_file(self.clock.now)
        self._carrier_server = serve_fake_carrier(self.fake_correios)
        self.fake_jadlog = FakeJadlog.from_file(self.clock.now)
        self._jadlog_server = serve_fake_carrier(self.fake_jadlog)
        self.fake_aftership = FakeAfterShip()
        self._aftership_server = serve_fake_carrier(self.fake_aftership)
        self.fake_melhorenvio = FakeMelhorEnvio(self.clock.now)
        self._melhorenvio_server = serve_fake_carrier(self.fake_melhorenvio)
        self.fake_hugme = FakeHugMe(self.clock.now)
        self._hugme_server = serve_fake_carrier(self.fake_hugme)  # type: ignore[arg-type]
        self.seed_demo_store()
        now = self.clock.now()
        for trigger in self.stack.schedules:
            self._next_fire[(trigger.function, trigger.name)] = _next_multiple(now, trigger.every_seconds)

    @property
    def aftership_url(self) -> str:
        """Where the fake AfterShip this stack serves answers."""
        host, port = self._aftership_server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def hugme_url(self) -> str:
        """Where the fake Reclame Aqui company API (HugMe) this stack serves answers."""
        host, port = self._hugme_server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def melhorenvio_url(self) -> str:
        """Where the fake Melhor Envio this stack serves answers."""
        host, port = self._melhorenvio_server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop moto and restore the process environment."""
        from proativo import clock

        clock.use(clock.system_clock)
        servers = (self._carrier_server, self._jadlog_server, self._aftership_server, self._melhorenvio_server)
        for server in (*servers, self._hugme_server, self._whatsapp_server):
            if server:
                server.shutdown()
                server.server_close()
        if self._server:
            self._server.stop()
        deactivate_faults(self.faults)
        self._mock.stop()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def take_logs(self) -> list[str]:
        """The lines the functions printed since the last call."""
        return self._sink.take()

    def wiring_reset(self) -> None:
        """Forget every function's built objects, as a new Lambda container would."""
        from proativo import wiring

        wiring.reset()

    def _set_process_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def client(self, service: str) -> Any:
        """A boto3 client on the embedded AWS (one per service: creating clients is slow)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=REGION)  # type: ignore[call-overload]
        return self._clients[service]

    # ---- resources -------------------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """Resolve CloudFormation intrinsics against the local resources."""
        if isinstance(value, dict):
            if "Ref" in value:
                return self._ref(str(value["Ref"]))
            if "Fn::GetAtt" in value:
                logical, attribute = value["Fn::GetAtt"]
                return self._get_att(logical, attribute)
            if "Fn::Sub" in value:
                text = value["Fn::Sub"]
                return re.sub(
                    r"\$\{([^}]+)\}",
                    lambda m: str(
                        self._get_att(*m.group(1).split(".", 1)) if "." in m.group(1) else self._ref(m.group(1))
                    ),
                    text,
                )
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def _ref(self, name: str) -> str:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical:
            return self.physical[name]
        raise KeyError(f"the local stack does not know {name!r}")

    def _get_att(self, logical: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arns[logical]
        if attribute == "QueueName":
            return self.arns[logical].rsplit(":", 1)[1]
        if attribute == "StreamArn":
            return self.arns[f"{logical}.StreamArn"]
        raise KeyError(f"the local stack does not resolve {logical}.{attribute}")

    def _create_resources(self) -> None:
        dynamodb = self.client("dynamodb")
        for logical, resource in self.stack.resources("AWS::DynamoDB::Table").items():
            props = resource["Properties"]
            name = f"proativo-{LOCAL_STAGE}-{logical}"
            kwargs: dict[str, Any] = {
                "TableName": name,
                "AttributeDefinitions": props["AttributeDefinitions"],
                "KeySchema": props["KeySchema"],
                "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
            }
            if props.get("GlobalSecondaryIndexes"):
                kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
            if props.get("StreamSpecification"):
                kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
            created = dynamodb.create_table(**kwargs)["TableDescription"]
            if "LatestStreamArn" in created:
                self.arns[f"{logical}.StreamArn"] = created["LatestStreamArn"]
            ttl = props.get("TimeToLiveSpecification")
            if ttl:
                dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
            self.physical[logical] = name
            self.arns[logical] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
        sqs = self.client("sqs")
        queues = self.stack.resources("AWS::SQS::Queue")
        # Dead-letter queues first: the others name them in their redrive policy.
        for logical, resource in sorted(queues.items(), key=lambda kv: "RedrivePolicy" in kv[1]["Properties"]):
            props = resource["Properties"]
            name = f"proativo-{LOCAL_STAGE}-{logical}"
            attributes = {
                k: str(props[k]) for k in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds") if k in props
            }
            if "RedrivePolicy" in props:
                attributes["RedrivePolicy"] = json.dumps(self.resolve(props["RedrivePolicy"]))
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
            self.physical[logical] = url
            self.arns[logical] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        sns = self.client("sns")
        for logical in self.stack.resources("AWS::SNS::Topic"):
            arn = sns.create_topic(Name=f"proativo-{LOCAL_STAGE}-{logical}")["TopicArn"]
            self.physical[logical] = arn
            self.arns[logical] = arn
        secrets = self.client("secretsmanager")
        for logical in self.stack.resources("AWS::SecretsManager::Secret"):
            # In the cloud, generated by CloudFormation and never seen; here a fixed local value, so the samples in
            # events/ carry links that verify (events/links/).
            name = f"proativo-{LOCAL_STAGE}-{logical}"
            arn = secrets.create_secret(Name=name, SecretString=LOCAL_LINK_KEY)["ARN"]
            self.physical[logical] = arn
            self.arns[logical] = arn
        # The API's id: its URL is where the links in messages point (the local HTTP server when serving).
        self.physical.setdefault("HttpApi", "local")
        sesv2 = self.client("sesv2")
        for logical in self.stack.resources("AWS::SES::ConfigurationSet"):
            name = f"proativo-{LOCAL_STAGE}-{logical}"
            sesv2.create_configuration_set(ConfigurationSetName=name)
            self.physical[logical] = name
        # In a real account the operator verifies the sending domains; here we verify the ones the stack uses.
        ses = self.client("ses")
        for address in (self.parameters.get("DefaultSender", ""), DEMO_SENDER):
            if "@" in address:
                ses.verify_domain_identity(Domain=address.split("@", 1)[1])

    # ---- functions -------------------------------------------------------------------------------------------
    def function_env(self, name: str) -> dict[str, str]:
        """The environment the template gives a function, resolved, plus what Lambda itself sets."""
        fn = self.stack.functions[name]
        env = {k: str(self.resolve(v)) for k, v in fn.environment.items()}
        if "PUBLIC_URL" in env:  # the sender: links point here, WhatsApp is the fake Graph API
            env["PUBLIC_URL"] = self.public_url
            host, port = self._whatsapp_server.server_address[:2]
            env["WHATSAPP_API_URL"] = f"http://{host}:{port}"
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory),
                "POWERTOOLS_LOG_LEVEL": self.log_level,
            }
        )
        return env

    @contextlib.contextmanager
    def running_as(self, name: str) -> Iterator[None]:
        """Within: the process has function `name`'s environment and its stdout goes to the stack's log sink."""
        env = self.function_env(name)
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        outer, self._running = self._running, name
        try:
            with contextlib.redirect_stdout(self._sink):
                yield
        finally:
            self._running = outer
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def _load(self, name: str) -> ModuleType:
        fn: Function = self.stack.functions[name]
        module_name, _, _ = fn.handler.rpartition(".")
        path = fn.code_uri / f"{module_name}.py"
        spec = importlib.util.spec_from_file_location(f"proativo_local_{name}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        with self.running_as(name):
            spec.loader.exec_module(module)
        # A Powertools logger of a service already seen keeps its first level: set ours explicitly.
        from aws_lambda_powertools import Logger

        for value in vars(module).values():
            if isinstance(value, Logger):
                value.setLevel(self.log_level)
        self.modules[name] = module
        self._sink.take()
        return module

    def invoke(self, name: str, event: dict[str, Any]) -> Invocation:
        """Call a function's handler with `event`, as Lambda would (one at a time)."""
        with self._lock:
            fn = self.stack.functions[name]
            handler = getattr(self.modules[name], fn.handler.rpartition(".")[2])
            context = LambdaContext(function_name=name, memory_limit_in_mb=fn.memory, timeout_seconds=fn.timeout)
            result: Any = None
            error: str | None = None
            with self.running_as(name):
                started = time.perf_counter()
                try:
                    self.faults.check(f"function:{name}")
                    result = handler(event, context)
                except Exception as exc:  # a crashing handler is what Lambda reports as a function error
                    error = f"{type(exc).__name__}: {exc}"
                ms = (time.perf_counter() - started) * 1000
            logs = []
            for line in self._sink.take():
                try:
                    logs.append(json.loads(line))
                except ValueError:
                    logs.append({"message": line})
            invocation = Invocation(self.clock.now(), name, event, result, error, logs, ms)
            self.invocations.append(invocation)
            for listener in self.listeners:
                try:
                    listener(invocation)
                except Exception as exc:  # the outbox's disk full must not stop the clock or lose the invocation
                    incident = f"{getattr(listener, '__qualname__', listener)} failed after {name}: {exc!r}"
                    self.incidents.append(incident)
                    print(f"local stack: {incident}", file=sys.stderr)
            return invocation

    # ---- triggers --------------------------------------------------------------------------------------------
    def http(
        self, method: str, path: str, headers: dict[str, str], body: bytes, query: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        """Serve one HTTP request through the template's routes, as API Gateway (HTTP API, payload 2.0) would."""
        from infra.local.shapes import http_api_event

        for route in self.stack.routes:
            params = route.match(method, path)
            if params is not None:
                event = http_api_event(route.method, route.path, path, params, headers, body, query, self.clock.now())
                invocation = self.invoke(route.function, event)
                if invocation.error:
                    return 500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}'
                result = invocation.result
                out = result.get("body", "") or ""
                raw = base64.b64decode(out) if result.get("isBase64Encoded") else out.encode()
                return int(result.get("statusCode", 200)), dict(result.get("headers") or {}), raw
        return 404, {"content-type": "application/json"}, b'{"message":"Not Found"}'

    def drain(self, max_rounds: int = 10_000) -> int:
        """Deliver queued messages to their functions until every triggered queue is empty. One drain at a time (the
        clock's thread and the gateway's request threads both drain): two pollers reading one stream iterator would
        hand the same records on twice, as Lambda's single poller per shard never does."""
        with self._lock:
            return self._drain(max_rounds)

    def _drain(self, max_rounds: int) -> int:
        from infra.local.shapes import sqs_event

        sqs = self.client("sqs")
        delivered = 0
        for _ in range(max_rounds):
            moved = 0
            for trigger in self.stack.queue_triggers:
                url = self.physical[trigger.queue]
                if not self._may_have_messages(url):
                    continue
                answer = sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=min(trigger.batch_size, 10),
                    MessageAttributeNames=["All"],
                    AttributeNames=["All"],
                )
                messages = answer.get("Messages", [])
                if not messages:
                    continue
                moved += len(messages)
                invocation = self.invoke(trigger.function, sqs_event(messages, self.arns[trigger.queue]))
                failed: set[str] = set()
                if invocation.error:
                    failed = {m["MessageId"] for m in messages}
                elif trigger.partial_failures and isinstance(invocation.result, dict):
                    failed = {f["itemIdentifier"] for f in invocation.result.get("batchItemFailures", [])}
                for message in messages:
                    if message["MessageId"] in failed:
                        # Visible again at once: the retry happens on the next round (moto applies the redrive).
                        sqs.change_message_visibility(
                            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                        )
                    else:
                        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                        delivered += 1
            windowed = []
            for index, stream in enumerate(self.stack.stream_triggers):
                if stream.batching_window:
                    windowed.append(index)
                else:
                    moved += self._stream_round(index)
            # A stream trigger with a batching window gathers records for up to that many seconds before it invokes
            # its function. A drain happens at one instant of the virtual clock, so its window closes when nothing
            # else is moving: everything the drain wrote reaches the function together (up to its batch size), as
            # Lambda would gather records written within the same few seconds.
            if not moved:
                moved += sum(self._stream_round(index) for index in windowed)
            if not moved:
                return delivered
        raise RuntimeError("queues did not drain: a message keeps failing without reaching its DLQ")

    def _stream_round(self, index: int) -> int:
        """Deliver one batch of a table stream's new records to its function, as Lambda's stream poller would: in
        order, resuming from the first record the function reports failed; past the retry limit, the batch's
        description goes to the on-failure queue and the stream moves on."""
        from infra.local.shapes import dynamodb_stream_event

        trigger = self.stack.stream_triggers[index]
        arn = self.arns[f"{trigger.table}.StreamArn"]
        pending = self._stream_pending.setdefault(index, [])
        streams = self.client("dynamodbstreams")
        if index not in self._stream_iterators:
            (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            self._stream_iterators[index] = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        if self._stream_may_have_records(index, trigger.table):
            answer = streams.get_records(ShardIterator=self._stream_iterators[index])
            self._stream_iterators[index] = answer["NextShardIterator"]
            # Stamped with the virtual clock as it is read (the stack reads the stream as it is written): what
            # Lambda passes as the record's creation time, the same on every retry of its batch.
            created = self.clock.now().timestamp()
            pending.extend(
                {**r, "dynamodb": {**r["dynamodb"], "ApproximateCreationDateTime": created}}
                for r in answer["Records"]
                if trigger.accepts(r)
            )
        if not pending:
            return 0
        batch = pending[: trigger.batch_size]
        invocation = self.invoke(trigger.function, dynamodb_stream_event(batch, arn))
        done = len(batch)
        if invocation.error:
            done = 0
        elif trigger.partial_failures and isinstance(invocation.result, dict):
            failed = {f["itemIdentifier"] for f in invocation.result.get("batchItemFailures", [])}
            done = next((n for n, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed), done)
        if done < len(batch):
            attempts = self._stream_attempts.get(index, 0) + 1
            if 0 <= trigger.max_retries < attempts:
                if trigger.on_failure:
                    self.client("sqs").send_message(
                        QueueUrl=self.physical[trigger.on_failure],
                        MessageBody=json.dumps(
                            {
                                "requestContext": {"condition": "RetryAttemptsExhausted"},
                                "DDBStreamBatchInfo": {"streamArn": arn, "batchSize": len(batch)},
                            }
                        ),
                    )
                done, attempts = len(batch), 0
            self._stream_attempts[index] = attempts
        else:
            self._stream_attempts[index] = 0
        del pending[:done]
        return len(batch)

    def _stream_may_have_records(self, index: int, table_logical: str) -> bool:
        """A peek at moto's own stream, in memory: lets an idle tick skip a GetRecords call."""
        try:
            from moto.dynamodb.models import dynamodb_backends

            shard = dynamodb_backends[ACCOUNT][REGION].tables[self.physical[table_logical]].stream_shard
        except (ImportError, KeyError, AttributeError):
            return True
        if shard is None:
            return True
        written = len(shard.items)
        seen, self._stream_seen[index] = self._stream_seen.get(index, 0), written
        return written > seen

    @staticmethod
    def _may_have_messages(url: str) -> bool:
        """A peek at moto's own queue, in memory: lets an idle tick skip three ReceiveMessage calls."""
        try:
            from moto.sqs.models import sqs_backends

            queue = sqs_backends[ACCOUNT][REGION].queues[url.rsplit("/", 1)[1]]
            return bool(queue.approximate_number_of_messages)
        except (ImportError, KeyError, AttributeError):
            return True

    def fire(self, function: str, schedule: str) -> Invocation:
        """Fire one schedule now, with EventBridge's Scheduled Event shape."""
        from infra.local.shapes import scheduled_event

        rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{function}-{schedule}"
        return self.invoke(function, scheduled_event(rule_arn, self.clock.now()))

    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward, firing every schedule that falls due on the way and draining queues."""
        target = self.clock.now() + timedelta(seconds=seconds)
        self.run_until(target)

    def jump(self, seconds: float, settle: float = 300) -> None:
        """Move the clock forward at once to `settle` seconds before the target, then tick normally to it.

        For long horizons (days, months) in tests: the functions catch up on everything due, as they would after
        an outage, without the thousands of idle ticks in between; the settling ticks let work that one run
        schedules in the past (a flow's next step) go out too. Use `advance` when the minute matters.
        """
        target = self.clock.now() + timedelta(seconds=seconds)
        self.drain()
        skip_to = target - timedelta(seconds=min(settle, seconds))
        self.clock.set(skip_to)
        for trigger in self.stack.schedules:
            key = (trigger.function, trigger.name)
            self._next_fire[key] = max(self._next_fire[key], skip_to)
        self.run_until(target)

    def next_due(self) -> datetime | None:
        """The earliest moment anything on the table's `due` index falls due (a step, a parcel check, a claim, a
        postponed message); None when nothing waits. Read from the embedded table directly: a test's table is
        small, and this asks no Lambda anything."""
        from moto.dynamodb.models import dynamodb_backends

        table = dynamodb_backends[ACCOUNT][REGION].get_table(self.physical["Table"])
        earliest: str | None = None
        for item in table.all_items():
            due = item.attrs.get("due_at")
            if due is not None and "due_shard" in item.attrs and (earliest is None or due.value < earliest):
                earliest = due.value
        return datetime.fromisoformat(earliest.replace("Z", "+00:00")) if earliest else None

    def quiet_hours(self, limit: datetime | None = None) -> int:
        """How many whole hours pass from now before anything on the due index falls due (or `limit` comes): hours
        the schedules would find nothing in, which a replay may pass at once (at least 1)."""
        self.drain()  # what is queued now (a redriven check) may put something on the index
        now = self.clock.now()
        ends = [t for t in (self.next_due(), limit) if t is not None]
        return max(1, int((min(ends) - now) / timedelta(hours=1))) if ends else 1 << 20

    def expire(self) -> int:
        """Remove every item whose TTL time has passed on the virtual clock, as DynamoDB's TTL does (AWS within a
        few days of that time; tests call this when they want it done, nothing calls it on its own). Returns how
        many items went. A removal reaches a table's stream like AWS's (a REMOVE record)."""
        dynamodb, now, removed = self.client("dynamodb"), int(self.clock.now().timestamp()), 0
        for logical, resource in self.stack.resources("AWS::DynamoDB::Table").items():
            spec = resource.get("Properties", {}).get("TimeToLiveSpecification") or {}
            if not spec.get("Enabled"):
                continue
            name, attribute = self.physical[logical], spec["AttributeName"]
            keys = [k["AttributeName"] for k in resource["Properties"]["KeySchema"]]
            pages = dynamodb.get_paginator("scan").paginate(
                TableName=name,
                FilterExpression="#t <= :now",
                ExpressionAttributeNames={"#t": attribute},
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
            for page in pages:
                for item in page["Items"]:
                    dynamodb.delete_item(TableName=name, Key={k: item[k] for k in keys})
                    removed += 1
        self.drain()
        return removed

    def run_until(self, target: datetime) -> None:
        """Move the virtual clock to `target`, firing schedules at their times and draining queues after each."""
        with self._lock:
            self._run_until(target)

    def _run_until(self, target: datetime) -> None:
        self.drain()
        while True:
            due = [(at, key) for key, at in self._next_fire.items() if at <= target]
            if not due:
                break
            at = min(a for a, _ in due)
            self.clock.set(at)
            for trigger in self.stack.schedules:
                key = (trigger.function, trigger.name)
                if self._next_fire[key] <= at:
                    self.fire(*key)
                    self._next_fire[key] = at + timedelta(seconds=trigger.every_seconds)
            self.drain()
        self.clock.set(target)
        self.drain()

    # ---- seed ------------------------------------------------------------------------------------------------
    def seed_platform_credentials(self, credentials: dict[str, dict[str, str]]) -> None:
        """The demo store's API credentials for the notify-only platforms (the gateway's fake APIs)."""
        from proativo import aws
        from proativo.platforms.readback import credentials_name

        prefix = str(self.resolve({"Fn::Sub": "/proativo/${Stage}"}))
        for platform, value in credentials.items():
            aws.ssm().put_parameter(
                Name=credentials_name(prefix, DEMO_STORE, platform),
                Value=json.dumps(value),
                Type="SecureString",
                Overwrite=True,
            )

    def seed_demo_store(self) -> None:
        """The store `demo`, whose webhook secret for every platform is `demo-secret`."""
        from proativo import aws, stores
        from proativo.intake.webhooks import carrier_secret_name
        from proativo.platforms.registry import PLATFORMS
        from proativo.tracking.carriers import credentials_name

        prefix = str(self.resolve({"Fn::Sub": "/proativo/${Stage}"}))
        for platform in PLATFORMS:
            stores.put_webhook_secret(aws.ssm(), prefix, DEMO_STORE, platform, DEMO_SECRET)
        # A carrier that pushes its scans (the generic carrier's format), and the aggregator's webhooks (AfterShip's
        # format), with the same secret.
        for pusher in (DEMO_CARRIER, "aftership"):
            stores.put_webhook_secret(aws.ssm(), prefix, DEMO_STORE, carrier_secret_name(pusher), DEMO_SECRET)
        # The demo store's Correios and Jadlog contracts, pointing at the fakes this stack serves.
        contracts = (
            ("correios", self._carrier_server, fake_correios_credentials),
            ("jadlog", self._jadlog_server, fake_jadlog_credentials),
        )
        for carrier, server, contract in contracts:
            host, port = server.server_address[:2]
            aws.ssm().put_parameter(
                Name=credentials_name(prefix, DEMO_STORE, carrier),
                Value=json.dumps(contract(f"http://{host}:{port}")),
                Type="SecureString",
                Overwrite=True,
            )
        # (Its AfterShip account is not set: a test or an operator sets it, `proativo stores set-carrier-credentials
        # --carrier aftership`, with `infra.local.fake_carrier.aftership.credentials(stack.aftership_url)`.)
        # Its WhatsApp Business number, on the fake Graph API.
        aws.ssm().put_parameter(
            Name=stores.whatsapp_name(prefix, DEMO_STORE),
            Value=json.dumps({"phone_number_id": DEMO_PHONE_NUMBER_ID, "access_token": DEMO_TOKEN}),
            Type="SecureString",
            Overwrite=True,
        )
        stores.register(
            aws.table(self.physical["Table"]),
            stores.StoreProfile(
                store_id=DEMO_STORE,
                name="Loja Demo",
                sender_email=DEMO_SENDER,
                site_url="https://lojademo.com.br",
            ),
            list(PLATFORMS),
            self.clock.now(),
        )


def _next_multiple(now: datetime, every: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp((epoch // every + 1) * every, UTC)
