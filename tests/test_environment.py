"""environment.yml (conda, Binder) must declare exactly what pyproject.toml declares."""

from __future__ import annotations

import tomllib

import yaml
from packaging.requirements import Requirement

from helpers.config import PROJECT_ROOT


def pyproject_requirements() -> dict[str, str]:
    """pyproject's runtime dependencies as {name: specifier}."""
    data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    return {Requirement(d).name: str(Requirement(d).specifier) for d in data["project"]["dependencies"]}


def environment_requirements() -> dict[str, str]:
    """environment.yml's pip dependencies as {name: specifier}."""
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    return {Requirement(d).name: str(Requirement(d).specifier) for d in pip_section}


def test_environment_yml_mirrors_pyproject() -> None:
    assert environment_requirements() == pyproject_requirements()


def test_environment_yml_pins_a_supported_python() -> None:
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    pythons = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert pythons == ["python=3.11"]


def test_the_course_packages_are_all_declared() -> None:
    needed = {"jupyterlab", "pandas", "matplotlib", "kafka-python", "pika", "eventsourcing", "nbval", "pytest", "tqdm"}
    assert needed <= set(pyproject_requirements())
