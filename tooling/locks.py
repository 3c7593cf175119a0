"""The pinned environments in locks/: read a lock, and compare what an interpreter has installed with it.

    python -m tooling.locks moves LOCK    what this interpreter has that differs from LOCK (make test-latest)

A lock is a pip constraints file made by `uv pip compile` (`make lock`), one per Python the course is tested on.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

COURSE = "event-driven-course"
TOOLS = {"pip", "setuptools", "wheel", "uv", COURSE}  # installed beside the course, never locked


def read_lock(path: Path, only_this_interpreter: bool = True) -> dict[str, str]:
    """{canonical name: pinned version} for every pin in the lock (that applies to this interpreter)."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if not text or text.startswith("-"):
            continue
        requirement = Requirement(text)
        if requirement.marker is None or not only_this_interpreter or requirement.marker.evaluate():
            (pin,) = requirement.specifier
            pins[canonicalize_name(requirement.name)] = pin.version
    return pins


def installed() -> dict[str, str]:
    """{canonical name: version} of every distribution this interpreter has installed."""
    return {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}


def needed(root: str = COURSE) -> set[str]:
    """The canonical names of everything `root` needs at run time (no extras), following each dependency."""
    seen: set[str] = set()
    pending = [root]
    while pending:
        for text in metadata.requires(pending.pop()) or []:
            requirement = Requirement(text)
            name = canonicalize_name(requirement.name)
            if name not in seen and (requirement.marker is None or requirement.marker.evaluate({"extra": ""})):
                seen.add(name)
                pending.append(name)
    return seen


def moves(pins: dict[str, str], have: dict[str, str]) -> list[tuple[str, str, str]]:
    """(package, locked version, installed version) for each package whose version differs; '-' for absent."""
    names = (pins.keys() | have.keys()) - TOOLS
    return sorted((name, pins.get(name, "-"), have.get(name, "-")) for name in names if pins.get(name) != have.get(name))


def main(argv: list[str]) -> int:
    """`moves LOCK`: print what this interpreter's packages would move against the lock."""
    if len(argv) != 2 or argv[0] != "moves":
        print(__doc__)
        return 2
    lock = Path(argv[1])
    changes = moves(read_lock(lock), installed())
    if not changes:
        print(f"nothing would move: this environment has exactly the versions in {lock}")
        return 0
    print(f"{len(changes)} packages would move against {lock} (`make lock` adopts them):")
    print(f"  {'package':<32} {'locked':<14} now")
    for name, locked, now in changes:
        print(f"  {name:<32} {locked:<14} {now}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
