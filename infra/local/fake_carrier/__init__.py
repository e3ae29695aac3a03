"""A fake Correios for the local stack: the token and API Rastro endpoints, answering from scripted journeys
(on time, late, stalled, lost, damaged, returned, awaiting pickup) on the stack's virtual clock, with a
configurable latency, and SIGEP Web's Pedido de Informação operations (SOAP, as `proativo.tracking.sigep` documents
them). The Correios adapter talks to it exactly as it talks to the real services."""

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import yaml
from defusedxml import ElementTree
from pydantic import TypeAdapter

JOURNEYS = Path(__file__).with_name("journeys.yaml")
BRASILIA = ZoneInfo("America/Sao_Paulo")
USER, ACCESS_CODE, POSTAGE_CARD = "lojademo", "demo-access-code", "0076543210"
SIGEP_USER, SIGEP_PASSWORD, CNPJ = "lojademo-sigep", "demo-sigep-password", "12345678000195"
SIGEP_PATH = "/SigepMasterJPA/AtendeClienteService/AtendeCliente"
_DURATION = TypeAdapter(timedelta)
# The PI reasons the fake's contract accepts (obterMotivosPI), and what it pays when it upholds one: the postage for a
# delay, a declared value for loss or damage.
REASONS = {135: "Objeto entregue com atraso", 211: "Objeto não entregue", 134: "Objeto avariado"}
CLAIM_AMOUNTS = {135: "25,90", 211: "189,90", 134: "189,90"}
_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass
class Scripted:
    """What every scripted fake carrier shares: parcels travelling on named journeys (a YAML file's `journeys`,
    `codes` and `estimate`) on the stack's clock `now`, a latency before each answer, the requests counted (and the
    most ever answered at once: what the carrier would see of our limits)."""

    now: Callable[[], datetime]
    latency_seconds: float = 0.0
    journeys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    estimate: timedelta = timedelta(days=3)
    started: dict[str, datetime] = field(default_factory=dict)
    requests: int = 0
    most_in_flight: int = 0
    _in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    journeys_file: ClassVar[Path] = JOURNEYS

    @classmethod
    def from_file(cls, now: Callable[[], datetime], path: Path | None = None, latency_seconds: float = 0.0) -> Self:
        """The journeys of `path` (the fake's own file by default)."""
        data = yaml.safe_load((path or cls.journeys_file).read_text(encoding="utf-8"))
        return cls(
            now=now,
            latency_seconds=latency_seconds,
            journeys=data["journeys"],
            codes={str(k): v for k, v in (data.get("codes") or {}).items()},
            estimate=duration(data.get("estimate", "P3D")),
        )

    def assign(self, code: str, journey: str) -> None:
        """Make `code` travel on `journey` (tests and benchmarks)."""
        if journey not in self.journeys:
            raise KeyError(f"no journey {journey!r}; known: {', '.join(self.journeys)}")
        self.codes[code] = journey

    def counted(self) -> None:
        """Count a request, and take the fake's time to answer it."""
        with self._lock:
            self.requests += 1
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
        try:
            if self.latency_seconds:
                time.sleep(self.latency_seconds)
        finally:
            with self._lock:
                self._in_flight -= 1

    def happened(self, code: str) -> tuple[datetime, list[dict[str, Any]]]:
        """When `code`'s journey started (the first question about it) and its steps so far."""
        now = self.now()
        with self._lock:
            start = self.started.setdefault(code, now)
        steps = self.journeys[self.codes.get(code, "on_time")]
        return start, [s for s in steps if when(start, s) <= now]


@dataclass
class FakeCorreios(Scripted):
    """Answers Correios' token, tracking and SIGEP Web requests."""

    claims: dict[str, dict[str, Any]] = field(default_factory=dict)
    claim_answer_after: timedelta = timedelta(days=5)

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any = None
    ) -> tuple[int, Any]:
        """(status, JSON) for one request to the fake API, as Correios would answer it."""
        self.counted()
        if method == "POST" and path.endswith("/token/v1/autentica/cartaopostagem"):
            return self._token(headers)
        if method == "POST" and path.endswith(SIGEP_PATH):
            return self._sigep(body if isinstance(body, bytes) else b"")
        if headers.get("authorization", "") != "Bearer fake-correios-token":
            return 401, {"msgs": ["Token inválido ou expirado"]}
        if method == "GET" and path.endswith("/srorastro/v1/objetos"):
            return 200, self._objects(query.get("codigosObjetos", []))
        return 404, {"msgs": [f"no such resource {path}"]}

    def _sigep(self, raw: bytes) -> tuple[int, bytes]:
        """One SIGEP Web SOAP call: the PI operations; a fault for bad credentials or an unknown operation."""
        try:
            body = next(ElementTree.fromstring(raw).iter(f"{{{_SOAP}}}Body"))
            call = body[0]
        except (ElementTree.ParseError, StopIteration, IndexError):
            return 500, _fault("Requisição SOAP inválida")
        operation = call.tag.rsplit("}", 1)[-1]
        if operation == "obterMotivosPI":
            return 200, _response(operation, [{"codigo": k, "descricao": v} for k, v in REASONS.items()])
        if (call.findtext("usuario"), call.findtext("senha")) != (SIGEP_USER, SIGEP_PASSWORD):
            return 500, _fault("AutenticacaoException: usuário ou senha inválidos")
        request = call.find("pedidosInformacao")
        asked = {child.tag: (child.text or "") for child in (request if request is not None else ())}
        if operation == "registrarPedidosInformacao":
            return 200, _response(operation, [self._register(asked)])
        if operation == "consultarPedidosInformacao":
            return 200, _response(operation, [self._consult(asked.get("numero", ""))])
        return 500, _fault(f"Operação {operation} não suportada")

    def _register(self, asked: dict[str, str]) -> dict[str, Any]:
        code, reason = asked.get("codigoRegistro", ""), asked.get("motivo", "")
        if not code or not reason.isdigit() or int(reason) not in REASONS:
            return {"codigoRegistro": code, "codigoRetorno": "1", "mensagemRetorno": "Motivo ou objeto inválido"}
        if any(c["code"] == code for c in self.claims.values()):
            return {"codigoRegistro": code, "codigoRetorno": "2", "mensagemRetorno": "Já existe PI para o objeto"}
        with self._lock:
            number = f"{len(self.claims) + 1:09d}"
            self.claims[number] = {"opened": self.now(), "reason": int(reason), "code": code}
        return {
            "codigoPI": number,
            "codigoRegistro": code,
            "codigoRetorno": "0",
            "dataRegistro": _local(self.now()),
            "dataPrazoResposta": _local(self.now() + self.claim_answer_after),
        }

    def _consult(self, number: str) -> dict[str, Any]:
        claim = self.claims.get(number)
        if claim is None:
            return {"codigoRetorno": "3", "mensagemRetorno": f"PI {number} não encontrado"}
        found = {"codigoPI": number, "codigoRegistro": claim["code"], "codigoRetorno": "0"}
        if self.now() < claim["opened"] + self.claim_answer_after:
            return found
        amount = CLAIM_AMOUNTS[claim["reason"]]
        words = f"Pedido de informação procedente. Indenização de R$ {amount} creditada ao contrato."
        return {**found, "dataResposta": _local(self.now()), "resposta": words}

    def _token(self, headers: dict[str, str]) -> tuple[int, Any]:
        expected = "Basic " + base64.b64encode(f"{USER}:{ACCESS_CODE}".encode()).decode()
        if headers.get("authorization", "") != expected:
            return 401, {"msgs": ["Usuário ou código de acesso inválido"]}
        expires = (self.now() + timedelta(hours=24)).astimezone(BRASILIA)
        return 201, {
            "ambiente": "PRODUCAO",
            "id": USER,
            "perfil": "PJ",
            "cartaoPostagem": {"numero": POSTAGE_CARD, "contrato": "9912345678", "dr": 72},
            "emissao": self.now().astimezone(BRASILIA).strftime("%Y-%m-%dT%H:%M:%S"),
            "expiraEm": expires.strftime("%Y-%m-%dT%H:%M:%S"),
            "zoneOffset": "-03:00",
            "token": "fake-correios-token",
        }

    def _objects(self, codes: list[str]) -> dict[str, Any]:
        objects: list[dict[str, Any]] = []
        for code in codes:
            start, happened = self.happened(code)
            if not happened:
                objects.append(
                    {"codObjeto": code, "mensagem": "SRO-020: Objeto não encontrado na base de dados dos Correios."}
                )
                continue
            events = [
                {
                    "codigo": s["code"],
                    "tipo": s["tipo"],
                    "dtHrCriado": when(start, s).astimezone(BRASILIA).strftime("%Y-%m-%dT%H:%M:%S"),
                    "descricao": s["description"],
                    "unidade": {"tipo": "Unidade de Tratamento", "endereco": {"cidade": s["city"], "uf": s["uf"]}},
                }
                for s in reversed(happened)
            ]
            objects.append(
                {
                    "codObjeto": code,
                    "tipoPostal": {"sigla": code[:2], "descricao": "ETIQUETA LOGICA SEDEX", "categoria": "SEDEX"},
                    "dtPrevista": (start + self.estimate).astimezone(BRASILIA).strftime("%Y-%m-%dT23:59:59"),
                    "eventos": events,
                    "modalidade": "F",
                }
            )
        return {"objetos": objects, "quantidade": len(objects), "resultado": "Todos os Eventos", "versao": "3.0.0"}


def _local(at: datetime) -> str:
    return at.astimezone(BRASILIA).strftime("%d/%m/%Y %H:%M:%S")


def _response(operation: str, returns: list[dict[str, Any]]) -> bytes:
    items = "".join(
        "<return>" + "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in r.items()) + "</return>" for r in returns
    )
    return (
        f'<soap:Envelope xmlns:soap="{_SOAP}"><soap:Body><ns2:{operation}Response '
        f'xmlns:ns2="http://cliente.bean.master.sigep.bsb.correios.com.br/">{items}</ns2:{operation}Response>'
        "</soap:Body></soap:Envelope>"
    ).encode()


def _fault(text: str) -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{_SOAP}"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode>'
        f"<faultstring>{escape(text)}</faultstring></soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def when(start: datetime, step: dict[str, Any]) -> datetime:
    """When a journey's step happens: `after` an offset from the start, or on `day` N after it at a local time
    `at` (carriers scan by day: out for delivery in the morning, not at 1 a.m.)."""
    if "at" in step:
        local = start.astimezone(BRASILIA)
        hour, minute = (int(part) for part in str(step["at"]).split(":"))
        day = local.date() + timedelta(days=int(step.get("day", 0)))
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRASILIA)
    return start + duration(step["after"])


def duration(text: str) -> timedelta:
    """An ISO-8601 duration (`PT2H`, `-PT2H`, `P3D`)."""
    return _DURATION.validate_python(text)


def credentials(api_url: str) -> dict[str, str]:
    """The demo store's Correios contract (API Rastro and SIGEP Web), pointing at the fake served under `api_url`."""
    return {
        "user": USER,
        "access_code": ACCESS_CODE,
        "postage_card": POSTAGE_CARD,
        "api_url": api_url,
        "sigep_user": SIGEP_USER,
        "sigep_password": SIGEP_PASSWORD,
        "cnpj": CNPJ,
        "sigep_url": f"{api_url}{SIGEP_PATH}",
    }


def parse_query(query: str) -> dict[str, list[str]]:
    """A query string as lists of values (codigosObjetos repeats)."""
    return parse_qs(query)


class Fake(Protocol):
    """Any fake service: answers one request with (status, JSON or raw bytes)."""

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any = None
    ) -> tuple[int, Any]: ...


def serve(fake: Fake, port: int = 0) -> ThreadingHTTPServer:
    """Serve `fake` on 127.0.0.1 (`port` 0: a free one), on a daemon thread (the server's address says where)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real API: a connection per request would measure TCP
        # Headers and body go out in two writes; with Nagle's algorithm on, the second waits for the client's
        # delayed ACK (40 ms) on a kept-alive connection.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            sent: Any = raw
            if "json" in (self.headers.get("content-type") or ""):
                try:
                    sent = json.loads(raw) if raw else None
                except ValueError:
                    sent = None
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = fake.answer(self.command, url.path, parse_query(url.query), headers, sent)
            xml = isinstance(answer, bytes)
            body = answer if xml else json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("content-type", "text/xml; charset=utf-8" if xml else "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _handle

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    # A shutdown is noticed within 50 ms (the default half second, per server, per stack stopped, adds up in a suite).
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    """Serve one fake carrier alone, in its own process (the benchmarks: its work is not ours to count)."""
    import argparse

    from infra.local.fake_carrier.aftership import FakeAfterShip
    from infra.local.fake_carrier.jadlog import FakeJadlog

    parser = argparse.ArgumentParser(prog="python -m infra.local.fake_carrier", description=__doc__)
    parser.add_argument("--carrier", choices=["correios", "jadlog", "aftership"], default="correios")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--now", required=True, help="the fake's clock, ISO-8601 (it does not move)")
    args = parser.parse_args(argv)
    at = datetime.fromisoformat(args.now)
    fake: Any
    if args.carrier == "jadlog":
        fake = FakeJadlog.from_file(lambda: at, latency_seconds=args.latency)
    elif args.carrier == "aftership":
        fake = FakeAfterShip(latency_seconds=args.latency)
    else:
        fake = FakeCorreios.from_file(lambda: at, latency_seconds=args.latency)
    server = serve(fake, port=args.port)
    print(f"fake {args.carrier} on http://127.0.0.1:{server.server_address[1]}", flush=True)
    threading.Event().wait()
    return 0
