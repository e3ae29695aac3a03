"""`GET /s/{store_id}.js`: the snippet the stores' pages load, static and the same for every store. Apart from the
signals' routes, so that serving it needs none of their code."""

from functools import cache
from importlib import resources

from aws_lambda_powertools.event_handler import Response

from proativo.errors import NotFound
from proativo.ids import STORE_ID


@cache
def snippet() -> str:
    """The snippet the store's pages load."""
    return resources.files("proativo.signals").joinpath("snippet.js").read_text(encoding="utf-8")


def snippet_answer(name: str) -> Response[str]:
    """`GET /s/{store_id}.js`: the snippet, the same for every store (it reads its store from its own address), cached
    an hour by browsers and CDNs."""
    if not name.endswith(".js") or not STORE_ID.match(name.removesuffix(".js")):
        raise NotFound(f"no script '{name}'")
    headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(200, "application/javascript; charset=utf-8", snippet(), headers)
