"""The package's shape: no import cycle between modules, no layer importing a higher one,
and no module over 400 lines. Every import counts: top-level, lazy (inside a function)
and ``if TYPE_CHECKING:`` ones."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "pedall"
MAX_LINES = 400

# Low to high. A layer may import the layers below it; the parts of one layer (a name and
# everything under it) may import themselves but not each other. "pedall" alone is the
# package's __init__.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("pedall", "pedall.errors", "pedall.namespaces", "pedall.atomic_files"),
    ("pedall.shacl",),  # the shape compiler and the one call of pyshacl: no data files
    ("pedall.knowledge",),
    ("pedall.query",),  # the SPARQL library, export and checks read the knowledge graph only
    ("pedall.patients",),
    ("pedall.classify", "pedall.validate"),
    ("pedall.toolkit",),
    ("pedall.writers",),
    ("pedall.api",),
    ("pedall.cohort",),
    ("pedall.service",),
    ("pedall.cli", "pedall.spark"),  # the adapters: the command line and Spark
    ("pedall.testing",),  # synthetic cohorts for the tests and benchmarks: nothing imports it
)


def module_files() -> dict[str, tuple[Path, bool]]:
    """Every module of the package by dotted name, with its file and whether it is a
    package's ``__init__``."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ["pedall", *path.relative_to(PACKAGE).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def imported_modules(name: str, source: str, is_package: bool, known: set[str]) -> set[str]:
    """The package's modules that ``source`` (module ``name``) imports, wherever the import
    statement is (``ast.walk`` reaches function bodies and ``if TYPE_CHECKING:`` blocks)."""
    package = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                out.add(submodule if submodule in known else module)
    return {m for m in out if m in known and m != name}


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    known = set(files)
    return {
        name: imported_modules(name, path.read_text(encoding="utf-8"), is_package, known)
        for name, (path, is_package) in files.items()
    }


def part_of(module: str) -> tuple[int, str] | None:
    """The layer (its index) and the part of it that ``module`` belongs to."""
    for index, parts in enumerate(LAYERS):
        for part in parts:
            if module == part or (part != "pedall" and module.startswith(part + ".")):
                return index, part
    return None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, targets in sorted(graph.items()):
        where = part_of(module)
        for target in sorted(targets):
            there = part_of(target)
            if where is None or there is None:
                continue  # reported by test_every_module_is_in_a_layer
            if there[0] > where[0]:
                out.append(f"{module} (layer {where[1]}) imports the higher {target}")
            elif there[0] == where[0] and there[1] != where[1]:
                out.append(f"{module} imports {target}, a peer in the same layer")
    return out


def test_the_import_reader_sees_lazy_type_checking_and_relative_imports() -> None:
    source = """
from typing import TYPE_CHECKING
from . import sparql
if TYPE_CHECKING:
    from pedall.cli.main import main
def later():
    import pedall.service.app
"""
    known = {"pedall.query.sparql", "pedall.cli.main", "pedall.service.app", "pedall.query.x"}
    found = imported_modules("pedall.query.x", source, False, known)
    assert found == {"pedall.query.sparql", "pedall.cli.main", "pedall.service.app"}
    graph = {"pedall.query.x": found, "pedall.cli.main": {"pedall.query.x"}}
    assert cycles(graph) == [["pedall.cli.main", "pedall.query.x"]]
    assert layer_violations(graph) == [
        "pedall.query.x (layer pedall.query) imports the higher pedall.cli.main",
        "pedall.query.x (layer pedall.query) imports the higher pedall.service.app",
    ]


def test_every_module_is_in_a_layer() -> None:
    unplaced = [m for m in module_files() if part_of(m) is None]
    assert unplaced == [], f"add these modules to LAYERS in {__file__}: {unplaced}"


def test_no_import_cycle_between_modules() -> None:
    assert cycles(import_graph()) == []


def test_no_layer_imports_a_higher_one_or_a_peer() -> None:
    assert layer_violations(import_graph()) == []


def test_no_module_is_over_400_lines() -> None:
    too_long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path, _ in module_files().values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"modules over {MAX_LINES} lines (split them by concept): {too_long}"
