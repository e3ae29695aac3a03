"""Correios SIGEP Web (the `AtendeCliente` SOAP service): the Pedido de Informação (PI) operations, spoken with httpx
and the envelopes below.

Why not a SOAP library: we use four operations of one service whose types are a handful of flat elements; zeep would
bring lxml (a compiled dependency) into every function's layer and its cold start, for nothing the envelopes below
do not say plainly. The answers are parsed with defusedxml (a carrier's XML is input we did not write).

What public material shows (the service's WSDL as generated into client libraries' types, namespace
`http://cliente.bean.master.sigep.bsb.correios.com.br/`):
- `registrarPedidosInformacao(pedidosInformacao: pedidoInformacaoRegistro[], usuario, senha) → retorno[]`, a
  `pedidoInformacaoRegistro` being, in this order: cliente, codigoRegistro, conta, conteudoObjeto, cpfCnpj,
  destinatario, embalagem, motivo (int), observacao, postagem, remetente, servico (int), tipoDocumento — all optional
  in the schema;
- `consultarPedidosInformacao(pedidosInformacao: pedidoInformacaoConsulta[] {numero: long}, usuario, senha) →
  retorno[]`;
- `retorno`: codigoPI (long), codigoRegistro, codigoRetorno, dataPrazoResposta, dataRegistro, dataResposta,
  dataUltimaRecorrencia, id, mensagemRetorno, resposta;
- `obterMotivosPI()` and `obterAssuntosPI()`: the codes a PI may name.

What public material does NOT settle, and how we read it (the one place that says so; README "Carriers"):
1. success: a `retorno` carrying a `codigoPI` is a filed PI (its protocol); one without is a refusal, whose
   `mensagemRetorno` we keep and hand to the store's team (no `codigoRetorno` table was found);
2. the outcome: an answered PI has a `dataResposta`; whether Correios upheld it is read from the words of `resposta`
   (`UPHELD` / `REJECTED` below) and the indemnity from an "R$ …" amount in it — when neither is clear the claim is
   left to the team as `answered` with Correios' words;
3. the motivo codes for delay, loss and damage are data (`claims.yaml`), checked against `obterMotivosPI` by
   `proativo claims reasons <store>`, not assumed.
(The answer elements of `obterMotivosPI` are read generically: each `return` as its child elements.)
"""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from defusedxml import ElementTree

if TYPE_CHECKING:
    import httpx

NAMESPACE = "http://cliente.bean.master.sigep.bsb.correios.com.br/"
PRODUCTION_URL = "https://apps.correios.com.br/SigepMasterJPA/AtendeClienteService/AtendeCliente"
REGISTRATION_FIELDS = (
    "codigoRegistro",
    "conteudoObjeto",
    "cpfCnpj",
    "embalagem",
    "motivo",
    "observacao",
    "servico",
    "tipoDocumento",
)
UPHELD = re.compile(r"\b(procedente|deferid[oa]|indeniza\w*|ressarci\w*)", re.IGNORECASE)
REJECTED = re.compile(r"\b(improcedente|indeferid[oa]|n[aã]o\s+procede)", re.IGNORECASE)
_AMOUNT = re.compile(r"R\$\s*([\d.]+,\d{2})")


class SigepFault(RuntimeError):
    """SIGEP Web answered with a SOAP fault (e.g. AutenticacaoException: the store's SIGEP user or password)."""


def envelope(operation: str, parts: str) -> bytes:
    """A SOAP 1.1 request for one operation (parameters unqualified, as the WSDL declares them)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:cli="{NAMESPACE}"><soapenv:Body><cli:{operation}>{parts}</cli:{operation}>'
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


def element(name: str, value: Any) -> str:
    """`<name>value</name>`, escaped; nothing for an absent value."""
    return "" if value is None or value == "" else f"<{name}>{escape(str(value))}</{name}>"


def answers(body: bytes) -> list[dict[str, str]]:
    """The `return` elements of a SOAP answer, each as {child: text}; a fault raises SigepFault."""
    root = ElementTree.fromstring(body)
    for fault in root.iter("{http://schemas.xmlsoap.org/soap/envelope/}Fault"):
        text = fault.findtext("faultstring") or "SOAP fault"
        raise SigepFault(text.strip())
    return [
        {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in found}
        for found in root.iter()
        if found.tag.rsplit("}", 1)[-1] == "return"
    ]


def outcome(answer: dict[str, str]) -> dict[str, Any] | None:
    """What an answered PI says: won (with the indemnity when stated), lost, or answered (words unclear, for the
    team); None while Correios has not answered (see the module's notes)."""
    if not answer.get("dataResposta"):
        return None
    words = answer.get("resposta", "")
    amount = _AMOUNT.search(words)
    value = amount.group(1).replace(".", "").replace(",", ".") if amount else None
    if REJECTED.search(words):
        return {"status": "lost", "amount": None, "answer": words[:500]}
    if UPHELD.search(words):
        return {"status": "won", "amount": value, "answer": words[:500]}
    return {"status": "answered", "amount": None, "answer": words[:500]}


@dataclass(frozen=True)
class SigepWeb:
    """One store's SIGEP Web access (its contract's user and password)."""

    user: str
    password: str
    url: str = PRODUCTION_URL

    async def call(self, http: "httpx.AsyncClient", operation: str, parts: str) -> list[dict[str, str]]:
        """One operation; its `return` elements. A 5xx or a network failure raises (the queue retries the claim)."""
        answer = await http.post(
            self.url,
            content=envelope(operation, parts),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        )
        if answer.status_code >= 500 and b"Fault>" not in answer.content:
            answer.raise_for_status()
        return answers(answer.content)

    def _login(self) -> str:
        return element("usuario", self.user) + element("senha", self.password)

    async def register(self, http: "httpx.AsyncClient", request: dict[str, Any]) -> dict[str, str]:
        """`registrarPedidosInformacao` for one PI: its `retorno`."""
        fields = "".join(element(name, request.get(name)) for name in REGISTRATION_FIELDS)
        parts = f"<pedidosInformacao>{fields}</pedidosInformacao>{self._login()}"
        found = await self.call(http, "registrarPedidosInformacao", parts)
        return found[0] if found else {}

    async def consult(self, http: "httpx.AsyncClient", number: str) -> dict[str, str]:
        """`consultarPedidosInformacao` for one PI number: its `retorno`."""
        parts = f"<pedidosInformacao>{element('numero', number)}</pedidosInformacao>{self._login()}"
        found = await self.call(http, "consultarPedidosInformacao", parts)
        return next((f for f in found if f.get("codigoPI") in (None, "", number)), found[0] if found else {})

    async def reasons(self, http: "httpx.AsyncClient") -> list[dict[str, str]]:
        """`obterMotivosPI`: the reasons (motivos) a PI may name."""
        return await self.call(http, "obterMotivosPI", "")
