"""`make profile`'s pure parts: a cell's first line, the slowest cells, the budget, the report (no timing asserted)."""

from __future__ import annotations

import nbformat
import pytest

from tooling import profile


def cells() -> list[profile.CellTime]:
    return [profile.CellTime(2, "import pandas", 1.5), profile.CellTime(5, "producer.send(...)", 4.0),
            profile.CellTime(7, "x = 1", 0.1), profile.CellTime(9, "consume()", 1.5)]


def test_first_line_skips_blank_lines_and_nbval_markers() -> None:
    assert profile.first_line("\n# NBVAL_IGNORE_OUTPUT\n  rates = measure()\nmore") == "rates = measure()"
    assert profile.first_line("") == ""


def test_a_waiting_lesson_is_found_by_the_line_it_shows_on_stderr() -> None:
    shown = {"output_type": "stream", "name": "stderr",
             "text": "\ra new leader: 0 s (at most 60 s)\ra new leader: 1 s (at most 60 s)"}
    assert profile.waits_for([{"output_type": "stream", "name": "stdout", "text": "3000"}, shown]) == "a new leader"
    assert profile.waits_for([{**shown, "name": "stdout"}]) == ""  # printed, not shown by waiting.shown
    assert profile.waits_for([{"output_type": "stream", "name": "stderr", "text": "UserWarning: 5 s"}]) == ""
    assert profile.waits_for([]) == ""


def test_slowest_are_sorted_slowest_first_ties_in_notebook_order() -> None:
    assert [c.index for c in profile.slowest(cells())] == [5, 2, 9]
    assert [c.index for c in profile.slowest(cells(), n=10)] == [5, 2, 9, 7]


def test_over_budget_is_strictly_longer_than_the_budget() -> None:
    assert [c.index for c in profile.over_budget(cells())] == [5]
    assert [c.index for c in profile.over_budget(cells(), budget_s=1.5)] == [5]
    assert profile.over_budget(cells(), budget_s=10) == []


def test_a_waiting_lesson_is_never_over_budget_but_is_named_in_the_report() -> None:
    timed = [*cells(), profile.CellTime(11, "with waiting.shown(...):", 18.4, "a new leader")]
    assert [c.index for c in profile.over_budget(timed)] == [5]
    lines = profile.format_profile(profile.Profile("11_x.ipynb", 30.0, tuple(timed))).splitlines()
    assert "cell  11" in lines[1] and "OVER BUDGET" not in lines[1]
    assert lines[4] == "  1 cell(s) over 3 s: 5"
    assert lines[5] == "  waiting lesson: cell 11 (18.4 s) waits for a new leader"
    quick = profile.CellTime(12, "with waiting.shown(...):", 0.5, "a new leader")
    assert "waiting lesson" not in profile.format_profile(profile.Profile("11_x.ipynb", 1.0, (quick,)))


def test_report_names_total_slowest_cells_budget_and_error() -> None:
    text = profile.format_profile(profile.Profile("05_x.ipynb", 12.34, tuple(cells()), "CellExecutionError: boom"))
    lines = text.splitlines()
    assert lines[0] == "05_x.ipynb: 12.3 s, 4 code cells"
    assert "cell   5" in lines[1] and "4.00 s" in lines[1] and lines[1].endswith("OVER BUDGET")
    assert "cell   2" in lines[2] and "OVER BUDGET" not in lines[2]
    assert lines[4] == "  1 cell(s) over 3 s: 5"
    assert lines[5] == "  ERROR: CellExecutionError: boom"


@pytest.mark.live  # a Jupyter kernel runs the notebook
def test_profile_runs_a_notebook_without_saving_it_and_reports_a_failing_one(tmp_path) -> None:
    path = tmp_path / "nb.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"),
                                               nbformat.v4.new_code_cell("x = 1"),
                                               nbformat.v4.new_code_cell("# NBVAL_SKIP\nraise ValueError('boom')")])
    nbformat.write(notebook, path)
    before = path.read_text()
    result = profile.profile(path)
    assert [(c.index, c.first_line) for c in result.cells] == [(1, "x = 1"), (2, "raise ValueError('boom')")]
    assert "ValueError" in result.error and "boom" in result.error
    assert path.read_text() == before
    assert profile.main([str(path)]) == 1


@pytest.mark.live  # a Jupyter kernel runs the notebook
def test_profile_finds_the_waiting_lesson_of_a_real_run(tmp_path) -> None:
    path = tmp_path / "nb.ipynb"
    shown = "from helpers import waiting\nwith waiting.shown('a timer to expire', limit_s=5, tick_s=0.01):\n    pass"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                                   nbformat.v4.new_code_cell(shown)]), path)
    assert [c.waits_for for c in profile.profile(path).cells] == ["", "a timer to expire"]


def test_an_nbval_run_records_each_cells_time_and_the_profile_prints_it_without_running(tmp_path, capsys) -> None:
    import json
    import subprocess
    import sys

    path = tmp_path / "03_x.ipynb"
    shown = "from helpers import waiting\nimport time\nwith waiting.shown('a timer to expire', limit_s=9, tick_s=0.01):\n" \
            "    time.sleep(3.2)"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x"),
                                                   nbformat.v4.new_code_cell("x = 1"),
                                                   nbformat.v4.new_code_cell(shown),
                                                   nbformat.v4.new_code_cell("import time\ntime.sleep(3.2)")]), path)
    times = tmp_path / "cell-times.json"
    times.write_text(json.dumps({"notebooks": {"01_other.ipynb": {"cells": [], "error": ""}}}))
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval-lax",
                          "--nbval-current-env", "-p", "tooling.cell_times", f"--cell-times={times}", str(path)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    recorded = json.loads(times.read_text())["notebooks"]
    assert list(recorded) == ["01_other.ipynb", "03_x.ipynb"]  # merged, not overwritten
    assert [(c["index"], c["waits_for"]) for c in recorded["03_x.ipynb"]["cells"]] == [
        (1, ""), (2, "a timer to expire"), (3, "")]
    assert recorded["03_x.ipynb"]["cells"][3 - 1]["seconds"] > 3
    capsys.readouterr()
    assert profile.main(["--from", str(times), "03_x.ipynb"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("03_x.ipynb: ") and lines[0].endswith("s, 3 code cells")
    slowest = {line.split()[1]: line for line in lines[1:4]}  # the order of the two slow cells is the machine's
    assert slowest["3"].endswith("import time  OVER BUDGET") and "OVER BUDGET" not in slowest["2"]
    assert lines[4] == "  1 cell(s) over 3 s: 3"
    assert lines[5].startswith("  waiting lesson: cell 2 (") and lines[5].endswith("waits for a timer to expire")
    assert lines[-1].startswith(f"(recorded by an nbval run in {times}) 1 notebooks in ")
    assert lines[-1].endswith("; 1 cell(s) over 3 s, 1 waiting lesson(s) over it")


def test_a_recorded_failure_fails_the_profile(tmp_path, capsys) -> None:
    import json

    times = tmp_path / "cell-times.json"
    cell = {"index": 4, "first_line": "producer.send(...)", "seconds": 0.5, "waits_for": ""}
    times.write_text(json.dumps({"notebooks": {"05_x.ipynb": {"cells": [cell], "error": "cell 4: Failed"}}}))
    assert profile.main(["--from", str(times)]) == 1
    assert "  ERROR: cell 4: Failed" in capsys.readouterr().out
