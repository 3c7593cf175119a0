"""The locks in locks/ cover pyproject.toml, and this environment holds exactly the locked versions.

`make install` pins every package to locks/py<major>.<minor>.txt; `make lock` refreshes the locks. `make test-latest`
runs the suite on the newest releases instead, without this file.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from helpers.config import PROJECT_ROOT
from tooling import locks

LOCKS = sorted((PROJECT_ROOT / "locks").glob("py3.*.txt"))
THIS_LOCK = PROJECT_ROOT / "locks" / f"py{sys.version_info.major}.{sys.version_info.minor}.txt"
no_lock_here = pytest.mark.skipif(not THIS_LOCK.exists(), reason=f"no lock for this Python ({THIS_LOCK.name})")


def declared() -> list[Requirement]:
    """pyproject's dependencies, extras included."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    texts = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    return [Requirement(text) for text in texts]


def test_there_is_a_lock_for_every_tested_python() -> None:
    classifiers = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["classifiers"]
    tested = sorted(c.rpartition(" :: ")[2] for c in classifiers if c.count(".") == 1 and "Python :: 3." in c)
    assert [lock.stem.removeprefix("py") for lock in LOCKS] == tested


@pytest.mark.parametrize("lock", LOCKS, ids=[lock.name for lock in LOCKS])
def test_each_lock_pins_every_declared_dependency_within_its_range(lock: Path) -> None:
    pins = locks.read_lock(lock, only_this_interpreter=False)  # a lock is made for one Python, on Linux
    outside = {str(r): pins.get(canonicalize_name(r.name)) for r in declared()
               if pins.get(canonicalize_name(r.name)) not in r.specifier}
    assert not outside, f"{lock.name} misses or contradicts pyproject.toml: {outside}; run `make lock`"


def test_the_lock_reader_keeps_only_the_pins_for_this_interpreter(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("# header\nalpha==1.0\n    # via beta\nwin-only==2.0 ; sys_platform == 'win32'\n"
                    "Other_Name==3.1 ; python_version >= '3'\n")
    assert locks.read_lock(lock) == {"alpha": "1.0", "other-name": "3.1"}


def test_moves_lists_changed_new_and_dropped_packages_but_not_the_tools() -> None:
    pins = {"pandas": "3.1.0", "numpy": "2.4.6", "gone": "1.0"}
    have = {"pandas": "3.1.2", "numpy": "2.4.6", "fresh": "0.1", "pip": "26.3"}
    assert locks.moves(pins, have) == [("fresh", "-", "0.1"), ("gone", "1.0", "-"), ("pandas", "3.1.0", "3.1.2")]


@no_lock_here
def test_every_installed_package_has_its_locked_version() -> None:
    pins, have = locks.read_lock(THIS_LOCK), locks.installed()
    drift = {name: f"locked {pins[name]}, installed {have[name]}" for name in pins.keys() & have.keys()
             if pins[name] != have[name]}
    assert not drift, f"{drift}: `make install` installs the lock ({THIS_LOCK.name})"


@no_lock_here
def test_everything_the_course_needs_is_installed_and_locked() -> None:
    needed, pins, have = locks.needed(), locks.read_lock(THIS_LOCK), locks.installed()
    assert needed - have.keys() == set(), "not installed: run `make install`"
    assert needed - pins.keys() == set(), f"not in {THIS_LOCK.name}: run `make lock`"
