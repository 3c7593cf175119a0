"""The package's floors: foundations import nothing of ours, the client layer only config, helpers never tooling.

Read from the source (every import, also those inside functions), so the rule holds without importing anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpers import config

ROOT = config.PROJECT_ROOT
OURS = ("helpers", "tooling")
#: Modules that import nothing else of ours.
FOUNDATIONS = ["helpers.config", "helpers.banking", "helpers.waiting", "helpers.stats"]


def module_name(path: Path) -> str:
    """helpers/exercises/kafka.py -> helpers.exercises.kafka; a package's __init__ is the package."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module of ours that a source file imports (`from helpers import kafka_io` -> helpers.kafka_io)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
    ours = {name for name in found if name.split(".")[0] in OURS}
    return {name for name in ours if name in MODULES} | {name.rsplit(".", 1)[0] for name in ours if name not in MODULES}


MODULES = {module_name(path) for package in OURS for path in (ROOT / package).rglob("*.py")}
IMPORTS = {module_name(path): imported(path) - {module_name(path)}
           for package in OURS for path in (ROOT / package).rglob("*.py")}


def without_packages(names: set[str]) -> set[str]:
    """The names minus the bare package names (`helpers`), which a `from helpers import x` also yields."""
    return names - set(OURS)


def test_the_tree_is_read() -> None:
    assert {"helpers.clients", "helpers.kafka_io", "tooling.stack.probe"} <= set(IMPORTS)
    assert "helpers.clients" in IMPORTS["helpers.kafka_io"] and "helpers.config" in IMPORTS["helpers.clients"]


@pytest.mark.parametrize("name", FOUNDATIONS)
def test_foundations_import_nothing_of_ours(name: str) -> None:
    assert without_packages(IMPORTS[name]) == set()


def test_the_client_layer_imports_only_config() -> None:
    assert without_packages(IMPORTS["helpers.clients"]) == {"helpers.config"}


def test_nothing_in_helpers_imports_tooling() -> None:
    upward = {name: sorted(i for i in targets if i.startswith("tooling"))
              for name, targets in IMPORTS.items() if name.startswith("helpers")}
    assert {name: targets for name, targets in upward.items() if targets} == {}


def test_no_import_cycles() -> None:
    def visit(name: str, path: tuple[str, ...]) -> None:
        for target in sorted(without_packages(IMPORTS.get(name, set()))):
            assert target not in path, " -> ".join((*path, target))
            visit(target, (*path, target))

    for name in sorted(IMPORTS):
        visit(name, (name,))
