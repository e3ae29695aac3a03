"""A fake Correios API for the local stack: the token and API Rastro endpoints, answering from scripted journeys
(on time, late, stalled, lost, damaged, returned, awaiting pickup) on the stack's virtual clock, with a
configurable latency. The Correios adapter talks to it exactly as it talks to the real API."""

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import yaml
from pydantic import TypeAdapter

JOURNEYS = Path(__file__).with_name("journeys.yaml")
BRASILIA = ZoneInfo("America/Sao_Paulo")
USER, ACCESS_CODE, POSTAGE_CARD = "lojademo", "demo-access-code", "0076543210"
_DURATION = TypeAdapter(timedelta)
# What the fake pays when a claim is upheld: the postage for a delay, a declared value for loss or damage.
CLAIM_AMOUNTS = {"ATRASO": "25.90", "EXTRAVIO": "189.90", "AVARIA": "189.90"}


@dataclass
class FakeCorreios:
    """Answers Correios' token and tracking requests; `now` is the local stack's clock."""

    now: Callable[[], datetime]
    latency_seconds: float = 0.0
    journeys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    estimate: timedelta = timedelta(days=3)
    started: dict[str, datetime] = field(default_factory=dict)
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)
    claim_answer_after: timedelta = timedelta(days=5)
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_file(
        cls, now: Callable[[], datetime], path: Path = JOURNEYS, latency_seconds: float = 0.0
    ) -> "FakeCorreios":
        """The journeys of `path`."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            now=now,
            latency_seconds=latency_seconds,
            journeys=data["journeys"],
            codes=dict(data.get("codes") or {}),
            estimate=_DURATION.validate_python(data.get("estimate", "P3D")),
        )

    def assign(self, code: str, journey: str) -> None:
        """Make `code` travel on `journey` (tests and benchmarks)."""
        if journey not in self.journeys:
            raise KeyError(f"no journey {journey!r}; known: {', '.join(self.journeys)}")
        self.codes[code] = journey

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any = None
    ) -> tuple[int, Any]:
        """(status, JSON) for one request to the fake API, as Correios would answer it."""
        with self._lock:
            self.requests += 1
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        if method == "POST" and path.endswith("/token/v1/autentica/cartaopostagem"):
            return self._token(headers)
        if headers.get("authorization", "") != "Bearer fake-correios-token":
            return 401, {"msgs": ["Token inválido ou expirado"]}
        if method == "GET" and path.endswith("/srorastro/v1/objetos"):
            return 200, self._objects(query.get("codigosObjetos", []))
        if method == "POST" and path.endswith("/pi/v1/pedidos"):
            return self._open_claim(body or {})
        if method == "GET" and "/pi/v1/pedidos/" in path:
            return self._claim(path.rsplit("/", 1)[1])
        return 404, {"msgs": [f"no such resource {path}"]}

    def _open_claim(self, body: dict[str, Any]) -> tuple[int, Any]:
        kind = str(body.get("tipoManifestacao", ""))
        if not body.get("codigoObjeto") or kind not in CLAIM_AMOUNTS:
            return 400, {"msgs": ["codigoObjeto e tipoManifestacao (ATRASO, EXTRAVIO, AVARIA) são obrigatórios"]}
        with self._lock:
            number = f"{len(self.claims) + 1:09d}"
            self.claims[number] = {"opened": self.now(), "kind": kind, "code": body["codigoObjeto"]}
        due = (self.now() + self.claim_answer_after).astimezone(BRASILIA).strftime("%Y-%m-%d")
        return 201, {"numeroPedido": number, "situacao": "ABERTO", "prazoResposta": due}

    def _claim(self, number: str) -> tuple[int, Any]:
        claim = self.claims.get(number)
        if claim is None:
            return 404, {"msgs": [f"Pedido {number} não encontrado"]}
        if self.now() < claim["opened"] + self.claim_answer_after:
            return 200, {"numeroPedido": number, "situacao": "ABERTO", "codigoObjeto": claim["code"]}
        return 200, {
            "numeroPedido": number,
            "situacao": "RESPONDIDO",
            "codigoObjeto": claim["code"],
            "resultado": "PROCEDENTE",
            "valorIndenizacao": CLAIM_AMOUNTS[claim["kind"]],
            "dataResposta": self.now().astimezone(BRASILIA).strftime("%Y-%m-%dT%H:%M:%S"),
        }

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
        now = self.now()
        objects: list[dict[str, Any]] = []
        for code in codes:
            with self._lock:
                start = self.started.setdefault(code, now)
            steps = self.journeys[self.codes.get(code, "on_time")]
            happened = [s for s in steps if _when(start, s) <= now]
            if not happened:
                objects.append(
                    {"codObjeto": code, "mensagem": "SRO-020: Objeto não encontrado na base de dados dos Correios."}
                )
                continue
            events = [
                {
                    "codigo": s["code"],
                    "tipo": s["tipo"],
                    "dtHrCriado": _when(start, s).astimezone(BRASILIA).strftime("%Y-%m-%dT%H:%M:%S"),
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


def _when(start: datetime, step: dict[str, Any]) -> datetime:
    """When a journey's step happens: `after` an offset from the start, or on `day` N after it at a local time
    `at` (carriers scan by day: out for delivery in the morning, not at 1 a.m.)."""
    if "at" in step:
        local = start.astimezone(BRASILIA)
        hour, minute = (int(part) for part in str(step["at"]).split(":"))
        day = local.date() + timedelta(days=int(step.get("day", 0)))
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRASILIA)
    return start + _DURATION.validate_python(step["after"])


def credentials(api_url: str) -> dict[str, str]:
    """The demo store's Correios contract, pointing at the fake served under `api_url`."""
    return {"user": USER, "access_code": ACCESS_CODE, "postage_card": POSTAGE_CARD, "api_url": api_url}


def parse_query(query: str) -> dict[str, list[str]]:
    """A query string as lists of values (codigosObjetos repeats)."""
    return parse_qs(query)


def serve(fake: FakeCorreios, port: int = 0) -> ThreadingHTTPServer:
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
            try:
                sent = json.loads(raw) if raw else None
            except ValueError:
                sent = None
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = fake.answer(self.command, url.path, parse_query(url.query), headers, sent)
            body = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _handle

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    """Serve the fake Correios alone, in its own process (the benchmarks: its work is not ours to count)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m infra.local.fake_carrier", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--now", required=True, help="the fake's clock, ISO-8601 (it does not move)")
    args = parser.parse_args(argv)
    at = datetime.fromisoformat(args.now)
    fake = FakeCorreios.from_file(lambda: at, latency_seconds=args.latency)
    server = serve(fake, port=args.port)
    print(f"fake Correios on http://127.0.0.1:{server.server_address[1]}", flush=True)
    threading.Event().wait()
    return 0
