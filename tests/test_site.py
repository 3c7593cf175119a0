"""The website's source: what `make site` does to each notebook's copy (pure, no browser, no broker)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import config
from tooling import site

#: The lessons as the notebooks folder holds them, read here and not through the code under test.
ON_DISK = sorted(path.stem for path in (config.PROJECT_ROOT / "notebooks").iterdir()
                 if path.suffix == ".ipynb" and path.stem[:2].isdigit() and path.stem[2] == "_")


@pytest.fixture(scope="module")
def assembled(tmp_path_factory) -> Path:
    """The Sphinx source folder `make site` writes, in a folder of its own."""
    source = tmp_path_factory.mktemp("site-src")
    site.assemble(source)
    return source


def page(source: Path, name: str) -> dict:
    """The site's copy of a stored notebook, as assemble() wrote it."""
    return json.loads((source / f"{name}.ipynb").read_text())


def test_solution_cells_are_collapsed_and_others_are_not(assembled: Path) -> None:
    cells = page(assembled, "05_kafka_fundamentals")["cells"]
    solutions = [cell for cell in cells if site.SOLUTION_TAG in cell["metadata"].get("tags", [])]
    collapsed = [cell for cell in cells if "hide-input" in cell["metadata"].get("tags", [])]
    assert solutions, "notebook 05 has no solution cell to collapse"
    assert collapsed == solutions, "only solution cells are collapsed"


def test_every_page_says_how_to_run_it_and_keeps_its_title_first(assembled: Path) -> None:
    cells = page(assembled, "07_rabbitmq_fundamentals")["cells"]
    assert "".join(cells[0]["source"]).startswith("# 07 ·"), "the title stays the first cell"
    note = "".join(cells[1]["source"])
    assert "make lab" in note and "notebooks/07_rabbitmq_fundamentals.ipynb" in note, note


def test_every_notebook_on_disk_becomes_one_page(assembled: Path) -> None:
    assert len(ON_DISK) >= 16 and ON_DISK[0] == site.LANDING, ON_DISK
    assert sorted(path.stem for path in assembled.glob("*.ipynb")) == ON_DISK


def test_landing_page_lists_every_other_lesson_once_in_course_order(assembled: Path) -> None:
    toctree = "".join(page(assembled, site.LANDING)["cells"][-1]["source"])
    listed = [line for line in toctree.splitlines() if line[:2].isdigit()]
    assert listed == ON_DISK[1:], f"the landing page's table of contents lists {listed}"


def test_a_page_keeps_every_cell_of_its_notebook_and_adds_one_note(assembled: Path) -> None:
    stored = json.loads((config.PROJECT_ROOT / "notebooks" / "05_kafka_fundamentals.ipynb").read_text())["cells"]
    cells = page(assembled, "05_kafka_fundamentals")["cells"]
    assert [cell["source"] for cell in cells[:1] + cells[2:]] == [cell["source"] for cell in stored]
    assert [cell.get("outputs") for cell in cells[:1] + cells[2:]] == [cell.get("outputs") for cell in stored]


def test_site_names_the_readme_repository() -> None:
    readme = (config.PROJECT_ROOT / "README.md").read_text()
    assert f"mybinder.org/v2/gh/{site.REPOSITORY}/" in readme, "README's Binder badge names another repository"
