"""The website's source: what `make site` does to each notebook's copy (pure, no browser, no broker)."""

from __future__ import annotations

import json

from helpers import config
from tooling import site


def page(name: str) -> dict:
    """The site's copy of a stored notebook."""
    path = config.PROJECT_ROOT / "notebooks" / f"{name}.ipynb"
    lessons = [other.stem for other in site.lesson_paths() if other.stem != site.LANDING]
    return site.prepare_page(json.loads(path.read_text()), name, lessons)


def test_solution_cells_are_collapsed_and_others_are_not() -> None:
    cells = page("05_kafka_fundamentals")["cells"]
    solutions = [cell for cell in cells if site.SOLUTION_TAG in cell["metadata"].get("tags", [])]
    collapsed = [cell for cell in cells if "hide-input" in cell["metadata"].get("tags", [])]
    assert solutions, "notebook 05 has no solution cell to collapse"
    assert collapsed == solutions, "only solution cells are collapsed"


def test_every_page_says_how_to_run_it_and_keeps_its_title_first() -> None:
    cells = page("07_rabbitmq_fundamentals")["cells"]
    assert "".join(cells[0]["source"]).startswith("# 07 ·"), "the title stays the first cell"
    note = "".join(cells[1]["source"])
    assert "make lab" in note and "notebooks/07_rabbitmq_fundamentals.ipynb" in note, note


def test_landing_page_lists_every_other_lesson_once() -> None:
    toctree = "".join(page(site.LANDING)["cells"][-1]["source"])
    lessons = [path.stem for path in site.lesson_paths() if path.stem != site.LANDING]
    listed = [line for line in toctree.splitlines() if line[:2].isdigit()]
    assert listed == lessons, f"the landing page's table of contents lists {listed}"


def test_the_original_notebook_is_not_changed_on_disk() -> None:
    path = config.PROJECT_ROOT / "notebooks" / "05_kafka_fundamentals.ipynb"
    before = path.read_text()
    page("05_kafka_fundamentals")
    assert path.read_text() == before, "building a page must not touch the stored notebook"


def test_site_names_the_readme_repository() -> None:
    readme = (config.PROJECT_ROOT / "README.md").read_text()
    assert f"mybinder.org/v2/gh/{site.REPOSITORY}/" in readme, "README's Binder badge names another repository"
