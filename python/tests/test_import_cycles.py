"""No import cycle in the package: the modules of python/crm_metrics, read with `ast`, import one
another in one direction only (an import inside a function counts too: it only defers the cycle).

Each module's imports of the package's own modules are collected (`import crm_metrics.x`,
`from crm_metrics.x import y`, `from crm_metrics import x`, relative imports), and the graph is
searched for a cycle (a depth-first walk); the test names the modules of the first one found.
The checker is itself checked on hand-written packages with and without a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "crm_metrics"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Module → the package's modules it imports (anywhere in its body)."""
    modules = {_module_name(path, package_dir): path for path in package_dir.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    # relative: from the module's package, one level up per extra dot
                    package = name.split(".") if is_package else name.split(".")[:-1]
                    package = package[: len(package) - (node.level - 1)]
                    base = ".".join(package + ([base] if base else []))
                # `from package import module` imports the module, `from module import name`
                # the module
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            else:
                continue
            for target in targets:
                # the longest prefix that is a module of the package
                parts = target.split(".")
                while parts and ".".join(parts) not in modules:
                    parts.pop()
                if parts and ".".join(parts) != name:
                    imported.add(".".join(parts))
        graph[name] = imported
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph as [a, b, ..., a], or [] when there is none."""
    state: dict[str, str] = {}  # visiting / done
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "visiting"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "visiting":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE_DIR)
    assert "crm_metrics.contract_render" in graph, "the package was not read"
    assert "crm_metrics.contract" in graph["crm_metrics.contract_sql"]
    cycle = find_cycle(graph)
    assert cycle == [], "import cycle: " + " -> ".join(cycle)


def _package(root: Path, files: dict[str, str]) -> Path:
    package = root / "pkg"
    for rel, text in files.items():
        path = package / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "__init__.py": "",
            "model.py": "def files():\n    from pkg.sql import render\n    return render\n",
            "sql.py": "from pkg.model import files\n",
            "cli.py": "from pkg import model, sql\n",
        },
    )
    graph = import_graph(package)
    assert graph["pkg.cli"] == {"pkg.model", "pkg.sql"}
    assert find_cycle(graph) in (
        ["pkg.model", "pkg.sql", "pkg.model"],
        ["pkg.sql", "pkg.model", "pkg.sql"],
    )


def test_relative_and_package_imports_are_followed(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from .sub import b\n",
            "sub/__init__.py": "from . import b\n",
            "sub/b.py": "from ..c import thing\n",
            "c.py": "import pkg.a\nthing = 1\n",
        },
    )
    graph = import_graph(package)
    assert graph["pkg.a"] == {"pkg.sub.b"}
    assert graph["pkg.sub"] == {"pkg.sub.b"}
    assert graph["pkg.sub.b"] == {"pkg.c"}
    assert find_cycle(graph) == ["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]


def test_a_package_without_a_cycle_passes(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "__init__.py": "",
            "model.py": "import json\n",
            "sql.py": "from pkg.model import x\n",
            "render.py": "from pkg import model, sql\n",
        },
    )
    assert find_cycle(import_graph(package)) == []
