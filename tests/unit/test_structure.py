"""The package's shape, held: modules import one another in one direction (no cycle), at the top (a function-level
import only where laziness is the point), and every handler is a table of contents."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "shared" / "proativo"
# The composition root builds each function's objects on first use, so a function loads only its own part of the
# package at cold start. The OpenAPI description shares the webhook function: the models it alone describes load
# when `GET /openapi.json` is asked, never for a webhook.
LAZY_MODULES = {"proativo/wiring.py", "proativo/edge/openapi.py"}
# Heavy third-party modules a rarely taken path needs (import time on a cold start, measured by `make bench`).
LAZY_LIBRARIES = {"phonenumbers", "holidays"}
HANDLER_MAX_LINES = 40


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _top_imports(module: str, tree: ast.Module) -> set[str]:
    """The proativo modules a module imports when it is imported (TYPE_CHECKING blocks excluded)."""
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and _is_type_checking(node):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.module and inner.module.startswith("proativo"):
                found.add(inner.module)
                found.update(f"{inner.module}.{a.name}" for a in inner.names)
            elif isinstance(inner, ast.Import):
                found.update(a.name for a in inner.names if a.name.startswith("proativo"))
    return found


def test_the_package_imports_in_one_direction() -> None:
    modules = dict(_modules())
    graph = {
        name: {m for m in _top_imports(name, ast.parse(path.read_text())) if m in modules and m != name}
        for name, path in modules.items()
    }
    # A package's __init__ runs before its modules: importing proativo.tracking.x imports proativo.tracking first.
    for name in modules:
        parent = name.rpartition(".")[0]
        if parent in modules and parent != "proativo":
            graph[name].add(parent)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in sorted(graph[name]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt] if nxt in path else [name, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_imports_are_at_the_top_but_where_laziness_is_the_point() -> None:
    late: list[str] = []
    for _, path in _modules():
        where = str(path.relative_to(PACKAGE.parent))
        if where in LAZY_MODULES:
            continue
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                    if not all(str(n).split(".")[0] in LAZY_LIBRARIES for n in names):
                        late.append(f"{where}:{node.lineno} {ast.unparse(node)}")
    assert late == []


@pytest.mark.parametrize("handler", sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py")))
def test_each_handler_is_a_table_of_contents(handler: str) -> None:
    lines = (ROOT / "functions" / handler / "app.py").read_text().splitlines()
    assert len(lines) <= HANDLER_MAX_LINES, f"functions/{handler}/app.py has {len(lines)} lines"
