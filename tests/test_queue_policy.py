"""No queue in the course is transient and shared: each `queue_declare` is durable, exclusive, or passive.

RabbitMQ 4.0 deprecates transient non-exclusive queues and 4.3+ refuses them by default, and notebook 07 tells
the learner that every queue in this course is durable (or exclusive). This reads every declaration in the
helpers, the tooling, the tests and the notebooks' code cells.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.config import PROJECT_ROOT

SAFE = {"durable", "exclusive", "passive"}
SOURCES = [path for folder in ("helpers", "tooling", "tests") for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))]
NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def code_of(path: Path) -> Iterator[tuple[str, str]]:
    """(where, source) for a Python file, or for each code cell of a notebook (magics and shell lines dropped)."""
    if path.suffix == ".py":
        yield str(path.relative_to(PROJECT_ROOT)), path.read_text()
        return
    for number, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] == "code":
            lines = "".join(cell["source"]).splitlines()
            yield f"{path.name} cell {number}", "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))


def transient_declarations(source: str) -> list[int]:
    """Line numbers of `queue_declare(...)` calls that do not say durable=True, exclusive=True or passive=True."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "queue_declare":
            safe = [k for k in node.keywords if k.arg in SAFE and isinstance(k.value, ast.Constant) and k.value.value]
            if not safe:
                lines.append(node.lineno)
    return lines


def test_the_check_sees_a_transient_queue_and_accepts_the_safe_ones() -> None:
    source = ('ch.queue_declare("a")\nch.queue_declare("b", durable=False)\nch.queue_declare("c", durable=True)\n'
              'ch.queue_declare("", exclusive=True)\nch.queue_declare("d", passive=True)\nch.queue_declare(**kw)\n')
    assert transient_declarations(source) == [1, 2, 6]


@pytest.mark.parametrize("path", SOURCES + NOTEBOOKS, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_queue_is_durable_or_exclusive(path: Path) -> None:
    found = {where: lines for where, source in code_of(path) if (lines := transient_declarations(source))}
    assert not found, f"queue_declare without durable=True or exclusive=True (line numbers): {found}"
