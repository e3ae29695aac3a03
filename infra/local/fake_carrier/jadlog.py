"""A fake Jadlog tracking API for the local stack: `POST …/embarcador/api/tracking/consultar` with the store's
Bearer token, answering from scripted journeys (`jadlog.yaml`) on the stack's virtual clock, in the shape Jadlog's
integration document gives (see `proativo.tracking.jadlog`)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from infra.local.fake_carrier import BRASILIA, Scripted, when

JOURNEYS = Path(__file__).with_name("jadlog.yaml")
TOKEN = "fake-jadlog-token-demo"  # noqa: S105 - the local fake's own token


@dataclass
class FakeJadlog(Scripted):
    """Answers Jadlog tracking requests."""

    journeys_file: ClassVar[Path] = JOURNEYS

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any = None
    ) -> tuple[int, Any]:
        """(status, JSON) for one request, as Jadlog would answer it."""
        self.counted()
        if method != "POST" or not path.endswith("/tracking/consultar"):
            return 404, {"erro": f"recurso {path} inexistente"}
        if headers.get("authorization", "") != f"Bearer {TOKEN}":
            return 401, {"erro": "Token inválido"}
        asked = body.get("consulta") if isinstance(body, dict) else None
        if not isinstance(asked, list):
            return 400, {"erro": "informe consulta: [{shipmentId}]"}
        return 200, {"consulta": [self._one(str(a.get("shipmentId") or a.get("cte") or "")) for a in asked]}

    def _one(self, code: str) -> dict[str, Any]:
        start, happened = self.happened(code)
        if not happened:
            return {"shipmentId": code, "error": {"id": -1, "descricao": "Nao localizado."}}
        return {
            "shipmentId": code,
            "tracking": {
                "codigo": f"18{code[-11:]}",
                "shipmentId": code,
                "dtEmissao": start.astimezone(BRASILIA).strftime("%d/%m/%Y"),
                "status": happened[-1]["status"],
                "previsaoEntrega": (start + self.estimate).astimezone(BRASILIA).strftime("%Y-%m-%d 23:59:59"),
                "eventos": [
                    {
                        "data": when(start, s).astimezone(BRASILIA).strftime("%Y-%m-%d %H:%M:%S"),
                        "status": s["status"],
                        "unidade": s["unit"],
                    }
                    for s in happened
                ],
            },
        }


def credentials(api_url: str) -> dict[str, str]:
    """The demo store's Jadlog contract, pointing at the fake served under `api_url`."""
    return {"token": TOKEN, "api_url": f"{api_url}/embarcador/api"}
