"""The layering rules of the code base (``../shared/reference/architecture.md`` §1), enforced.

Every ``import`` of our own packages is read from the source with :mod:`ast`. Imports inside an
``if TYPE_CHECKING:`` block only name types for annotations and are exempt; function-local
imports count like module-level ones (they are how cycles used to hide).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("hive_gateway", "handlers", "kv", "schemas")

# layer -> prefixes it may import (its own prefix is always allowed)
ALLOWED: dict[str, tuple[str, ...]] = {
    "kv": (),
    "hive_gateway.core": ("kv", "hive_gateway.config"),
    "hive_gateway.hive": (
        "hive_gateway.core",
        "hive_gateway.config",
        "hive_gateway.api.protocol.models",
    ),
    "hive_gateway.catalogue": ("hive_gateway.config", "kv.records"),
    "hive_gateway.node": (
        "hive_gateway.hive",
        "hive_gateway.catalogue",
        "kv",
        "hive_gateway.config",
        "hive_gateway.core.ids",
    ),
    "hive_gateway.conformance": (),
    "hive_gateway.process": ("hive_gateway.config",),
    "hive_gateway.api": ("hive_gateway.core", "hive_gateway.config", "handlers", "kv"),
    "handlers": (
        "hive_gateway.core",
        "hive_gateway.hive",
        "hive_gateway.catalogue",
        "hive_gateway.config",
    ),
}

# Known violations being removed (each entry: "module -> imported"); must only shrink.
KNOWN: set[str] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[tuple[str, bool]]:
    """(imported module, is function-local) for every import of ours outside TYPE_CHECKING."""
    tree = ast.parse(path.read_text(), str(path))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    local: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            local.update(id(n) for n in ast.walk(node))
    package = (
        _module_name(path).rpartition(".")[0] if path.name != "__init__.py" else _module_name(path)
    )
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = (
                [f"{base}.{alias.name}" for alias in node.names] if base in _packages() else [base]
            )
        for name in names:
            if name.split(".")[0] in OURS:
                yield name, id(node) in local


_PACKAGES: set[str] = set()


def _packages() -> set[str]:
    if not _PACKAGES:
        for init in ROOT.glob("**/__init__.py"):
            if ".venv" not in init.parts and "tests" not in init.relative_to(ROOT).parts[:1]:
                _PACKAGES.add(_module_name(init))
    return _PACKAGES


def _sources() -> list[Path]:
    return sorted(
        p for top in OURS for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts
    )


def _layer(module: str) -> str | None:
    best = None
    for layer in ALLOWED:
        if (module == layer or module.startswith(layer + ".")) and (
            best is None or len(layer) > len(best)
        ):
            best = layer
    return best


def _family(module: str) -> str | None:
    """``handlers.instances.run`` → ``handlers.instances``; ``handlers.vpcs`` → ``handlers.vpcs``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "handlers" and len(parts) > 1 else None


def _violations() -> list[str]:
    found: list[str] = []
    for path in _sources():
        module = _module_name(path)
        layer = _layer(module)
        if layer is None:
            continue
        for imported, is_local in _imports(path):
            own = imported == layer or imported.startswith(layer + ".")
            if layer == "handlers":
                own = imported == "handlers"
                mine, theirs = _family(module), _family(imported)
                if theirs is not None:
                    if is_local and theirs != mine:
                        found.append(f"{module} -> {imported} (function-local sibling import)")
                    continue
            allowed = own or any(
                imported == p or imported.startswith(p + ".") for p in ALLOWED[layer]
            )
            if not allowed:
                found.append(f"{module} -> {imported}")
    return found


def test_layers_import_only_what_they_may() -> None:
    """No layer imports past its rule (kv nothing of ours; core kv and core; handlers never kv,
    api or protocol; conformance nothing of ours; ...)."""
    unexpected = sorted(set(_violations()) - KNOWN)
    assert not unexpected, "\n".join(unexpected)


def test_known_violations_are_still_real() -> None:
    """The allow-list only shrinks: an entry that no longer occurs must be removed."""
    gone = sorted(KNOWN - set(_violations()))
    assert not gone, "\n".join(gone)


def test_handler_families_have_no_import_cycles() -> None:
    """Family → family imports form a DAG (composition only); reverse effects use dependents."""
    graph: dict[str, set[str]] = {}
    for path in _sources():
        module = _module_name(path)
        mine = _family(module)
        if mine is None:
            continue
        for imported, is_local in _imports(path):
            theirs = _family(imported)
            if is_local and f"{module} -> {imported} (function-local sibling import)" in KNOWN:
                continue  # listed above; goes when the relation moves to core.dependents
            if theirs is not None and theirs != mine:
                graph.setdefault(mine, set()).add(theirs)
    seen: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, stack: list[str]) -> bool:
        seen[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if seen.get(nxt) == 1:
                cycle.extend(
                    stack[stack.index(nxt) :] + [node, nxt] if nxt in stack else [node, nxt]
                )
                return True
            if nxt not in seen and visit(nxt, stack + [node]):
                return True
        seen[node] = 2
        return False

    for start in sorted(graph):
        if start not in seen and visit(start, []):
            break
    assert not cycle, " -> ".join(cycle)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_every_layer_exists(layer: str) -> None:
    """The rules above name real packages (a renamed layer would silently pass)."""
    assert (ROOT / Path(*layer.split("."))).is_dir()
