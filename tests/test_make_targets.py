"""What `make clean` and `make lab` run, read from `make -n` (nothing is started or removed)."""

from __future__ import annotations

import subprocess

from helpers import config


def planned(*args: str) -> list[str]:
    """The commands `make -n ARGS` would run, one a line."""
    return subprocess.run(["make", "-n", *args], capture_output=True, text=True, check=True,
                          cwd=config.PROJECT_ROOT).stdout.splitlines()


def test_make_clean_stops_the_cluster_then_the_stack_then_removes_state() -> None:
    lines = planned("clean")
    steps = [next(i for i, line in enumerate(lines) if line.endswith(command))
             for command in ("tooling.stack down --cluster all", "tooling.stack down", "rm -rf .stack .data results")]
    assert steps == sorted(steps) and len(set(steps)) == 3, lines


def test_make_lab_allows_root_only_for_root_and_takes_more_options() -> None:
    def lab_command(*args: str) -> str:
        return next(line for line in planned("lab", *args) if "jupyter lab" in line)

    assert "--allow-root" in lab_command("USER_ID=0")  # Jupyter refuses root without it
    assert "--allow-root" not in lab_command("USER_ID=1000")
    assert lab_command("LAB_ARGS=--port=8899").split()[2:] == ["--port=8899", "notebooks/00_start_here.ipynb"]
