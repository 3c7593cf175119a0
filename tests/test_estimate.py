"""`make estimate`'s rule, worked by hand on a small notebook: parts, words, code lines, exercises and waits."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tooling import estimate


def write(tmp_path: Path, cells: list[nbformat.NotebookNode]) -> Path:
    path = tmp_path / "99_sample.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def waited(seconds: int, bound: int) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("with waiting.shown('a new leader', 60):\n    wait()")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr",
                                           text=f"\ra new leader: 1 s (at most {bound} s)\ra new leader: {seconds} s "
                                                f"(at most {bound} s)\n")]
    return cell


def sample(tmp_path: Path, marker: bool = True) -> Path:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    solution = code("# Reference solution\nanswer = 42\nprint(answer)")
    solution.metadata["tags"] = ["solution"]
    cells = [md("# 99 · Sample\n\n" + "word " * 128),  # 2 + 128 = 130 words: 1 minute
             code("a = 1\n\n# a comment is read too\nb = 2\n"),  # 3 non-blank lines
             waited(90, 135),  # 2 lines and a 90 s wait
             *([md(f"{estimate.END_OF_CORE} What follows is the recap.")] if marker else []),
             md("## Recap\n\n- one\n\n## Exercises\n\n**1. First.** Do it."),
             code("x = 0\nx += 1\nx += 2\nx += 3\nx += 4\nx += 5\nx += 6\nx += 7\nx += 8\nx += 9"),  # 10 lines
             solution,
             md("### Exercise 2: second\nDo more."),
             md("## Going deeper: more\n\nextra"),
             code("y = 1")]
    return write(tmp_path, cells)


def test_the_parts_are_split_at_exercises_and_going_deeper(tmp_path: Path) -> None:
    result = estimate.estimate(sample(tmp_path))
    assert result.has_marker
    assert (result.core.code_cells, result.exercises.code_cells, result.deeper.code_cells) == (2, 1, 1)
    assert (result.core.code_lines, result.exercises.code_lines, result.deeper.code_lines) == (5, 10, 1)
    assert result.exercises.exercises == 2  # a bold number and an "### Exercise" heading both count
    assert result.core.exercises == 0 and result.deeper.exercises == 0
    assert result.code_cells == 4  # the reference solution is not counted


def test_minutes_follow_the_stated_rule(tmp_path: Path) -> None:
    result = estimate.estimate(sample(tmp_path))
    core_words = result.core.words
    assert result.core.minutes == pytest.approx(core_words / 130 + 5 / 10 + 90 / 60)
    assert result.core.wait_s == 90  # the last tick, not the bound of 135 s
    assert result.exercises.minutes == pytest.approx(result.exercises.words / 130 + 10 / 10 + 2 * 10)
    assert result.deeper.minutes == pytest.approx(result.deeper.words / 130 + 1 / 10)


def test_words_skip_link_targets_and_html() -> None:
    assert estimate.words("See [notebook 05](05_kafka_fundamentals.ipynb#section-3) <b>now</b>.") == 4  # See, notebook, 05, now
    assert estimate.words("") == 0


def test_a_notebook_without_the_marker_is_flagged_and_its_long_core_too(tmp_path: Path) -> None:
    result = estimate.estimate(sample(tmp_path, marker=False))
    assert not result.has_marker
    long = estimate.Estimate("99_long", estimate.Part(words=130 * 46), estimate.Part(exercises=3),
                             estimate.Part(), has_marker=True)
    text = estimate.table([result, long])
    assert "no end-of-core marker" in text.splitlines()[1]
    assert "core over 45 min" in text.splitlines()[2] and "exercises" not in text.splitlines()[2]
    assert text.splitlines()[-1].startswith("the course: 0.8 h of core")


def test_every_stored_notebook_can_be_estimated() -> None:
    notebooks = sorted(estimate.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert notebooks, "no notebooks found"
    for path in notebooks:
        result = estimate.estimate(path)
        assert result.core.minutes > 0, f"{path.name}: an empty core"
