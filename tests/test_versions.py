"""The README says which versions are tested and how to move the ports, in step with the files that set them."""

from __future__ import annotations

import re
import tomllib

from helpers import config
from helpers.config import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()
# The ports the test suites start brokers on: tests/launch (31xxx), tests/faults (32xxx), tests/test_stack.py.
SUITE_PORTS = set(range(31_000, 33_000)) | set(range(10_000, 20_000))


def readme_section(title: str) -> str:
    """The README's text under a heading, up to the next heading of the same or a higher level."""
    found = re.search(rf"^(#+) {re.escape(title)}\n(.*?)(?=^#{{1,{3}}} |\Z)", README, re.M | re.S)
    assert found, f"README has no section {title!r}"
    return found.group(2)


def readme_row(section: str, label: str) -> list[str]:
    """The cells of the table row whose first cell is `label`."""
    row = next(line for line in section.splitlines() if line.startswith(f"| {label} |"))
    return [cell.strip() for cell in row.strip("|").split("|")][1:]


def address_variables() -> set[str]:
    """Every address variable of the single-node stack that helpers.config reads (ports, URLs, bootstrap servers)."""
    source = (PROJECT_ROOT / "helpers" / "config.py").read_text()
    return {name for name in re.findall(r'"([A-Z_]+(?:_PORT|_URL|_SERVERS))"', source) if not name.startswith("CLUSTER_")}


def cluster_variables() -> set[str]:
    """Every address variable of the three-node cluster (notebooks 11-12) that helpers.config reads."""
    return set(re.findall(r'"(CLUSTER_[A-Z_]+)"', (PROJECT_ROOT / "helpers" / "config.py").read_text()))


def test_the_tested_pythons_are_the_classifiers() -> None:
    classifiers = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["classifiers"]
    declared = [c.rpartition(" :: ")[2] for c in classifiers if re.fullmatch(r".*Python :: 3\.\d+", c)]
    legs = " ".join(readme_row(readme_section("Tested versions"), "Python")[:2])
    assert sorted(set(re.findall(r"\b3\.\d+\b", legs))) == declared == ["3.11", "3.13", "3.14"], legs


def test_the_tested_brokers_are_the_pinned_ones() -> None:
    pins, section = config.pinned_versions(), readme_section("Tested versions")
    assert all(pins["KAFKA_VERSION"] in cell for cell in readme_row(section, "Kafka"))
    tag = pins["RABBITMQ_IMAGE_TAG"]
    assert re.fullmatch(r"4\.\d+-management", tag), "compose runs a RabbitMQ 4.x"
    assert f"`rabbitmq:{tag}`" in readme_row(section, "RabbitMQ")[2]
    assert "every deprecated feature denied" in readme_row(section, "RabbitMQ")[1]


def test_the_readme_names_every_address_variable_with_its_default() -> None:
    for variable in address_variables():
        default = getattr(config, f"DEFAULT_{variable.removesuffix('_SERVERS')}", None) or getattr(
            config, f"DEFAULT_{variable}")
        assert f"| `{variable}` | `{default}` |" in README, variable


def test_the_readme_names_every_cluster_variable_with_its_default() -> None:
    assert len(cluster_variables()) == 4, cluster_variables()
    for variable in cluster_variables():
        assert f"| `{variable}` | `{getattr(config, f'DEFAULT_{variable}')}` |" in README, variable


def test_the_readme_port_advice_moves_every_address_and_meets_no_test_suite() -> None:
    advice = re.search(r"```bash\n\s*(export KAFKA_BOOTSTRAP_SERVERS=.*?)```", README, re.S)
    assert advice, "README shows no export of alternate ports"
    variables = dict(re.findall(r"([A-Z_]+)=(\S+)", advice.group(1)))
    assert set(variables) == address_variables()
    ports = {int(port) for value in variables.values() for port in re.findall(r"(?::|^)(\d{4,5})\b", value)}
    assert len(ports) == len(variables), variables
    assert not ports & SUITE_PORTS, sorted(ports & SUITE_PORTS)
