"""The layout keeps its promises: every package says what it may import, and does no more; no
module imports another in a cycle; only the solver packages (the Z3 engine, the all-sizes prover, the certificate kernel) import z3; no module reaches the project's
folders under their bare names (``model``, ``properties``, ``checker``) instead of through
``leasecheck``."""

from __future__ import annotations

import ast
import os
import re
from functools import cache
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "leasecheck"
BARE = ("model", "properties", "checker")


@cache
def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name (the links to the top-level folders followed)."""
    out: dict[str, Path] = {}
    found = [Path(d) / f for d, _, files in os.walk(PACKAGE, followlinks=True) for f in files if f.endswith(".py")]
    for path in sorted(found):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def package_of(name: str) -> str:
    """The package whose rules a module follows: its own when it is a package, else its parent's."""
    return name if modules()[name].name == "__init__.py" else name.rpartition(".")[0]


def _type_checking_only(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


@cache
def imports_of(name: str) -> tuple[str, ...]:
    """The leasecheck modules ``name`` imports at run time, at the top or inside functions
    (imports under ``if TYPE_CHECKING:`` only name types, and are left out)."""
    tree = ast.parse(modules()[name].read_text())
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking_only(node)
            for child in node.body for n in ast.walk(child)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{name}: relative import of {node.module}; write leasecheck.... in full"
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return tuple(sorted(m for m in found if m in modules()))


@cache
def allowed(package: str) -> tuple[str, ...]:
    doc = ast.get_docstring(ast.parse(modules()[package].read_text())) or ""
    match = re.search(r"^May import: (.*?)\.\s*$", doc, flags=re.M | re.S)
    assert match, f"the docstring of {package} does not say what it may import ('May import: ...')"
    return tuple(m.strip() for m in match.group(1).replace("\n", " ").split(",") if m.strip())


PACKAGES = sorted({package_of(m) for m in modules()} - {"leasecheck"})


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_what_its_docstring_allows(package: str) -> None:
    may = allowed(package)
    for name in modules():
        if package_of(name) != package:
            continue
        for target in imports_of(name):
            own = target == package or target.startswith(package + ".")
            ok = own or any(target == m or target.startswith(m + ".") for m in may)
            assert ok, f"{name} imports {target}, which {package} may not import (its docstring: {', '.join(may)})"


def test_no_module_imports_another_in_a_cycle() -> None:
    graph = nx.DiGraph()
    for name in modules():
        for target in imports_of(name):
            # a package's import of its own sub-modules is how Python loads it, not a dependency
            if not (target.startswith(name + ".") and modules()[name].name == "__init__.py"):
                graph.add_edge(name, target)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c + c[:1]) for c in cycles[:5])


def test_the_lowest_layers_import_no_engine() -> None:
    for name in modules():
        if name.startswith(("leasecheck.errors", "leasecheck.model", "leasecheck.properties")):
            assert not [t for t in imports_of(name) if t.startswith("leasecheck.checker")], name


def _external(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and not n.level}
    return names


SOLVER_PACKAGES = ("leasecheck.checker.z3", "leasecheck.checker.allsizes", "leasecheck.checker.kernel")


def test_only_the_solver_packages_import_z3() -> None:
    users = {name for name, path in modules().items() if "z3" in _external(path)}
    assert users and all(u.startswith(SOLVER_PACKAGES) for u in users), sorted(users)


def test_nothing_imports_the_folders_under_their_bare_names() -> None:
    sources = [*modules().values(), *(ROOT / "tests").rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py")]
    for path in sources:
        bad = _external(path) & set(BARE)
        assert not bad, f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}: import leasecheck.{sorted(bad)[0]}"
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        assert not re.search(r"(^|\\n|\")\s*(from|import) (model|properties|checker)\b", nb.read_text()), nb.name


def test_the_package_folders_are_links_to_the_top_level_folders() -> None:
    for name in BARE:
        link = PACKAGE / name
        assert link.is_symlink() and link.resolve() == (ROOT / name).resolve(), link
