"""Re-runnability check: every notebook under strict nbval, twice on the same brokers, then again after a restart.

    python tests/rerun.py            # or: make test-rerun

With --after-make-test (what .ci/run passes, naming notebooks 11-12), the `make test` that just ran every notebook
on the same brokers counts as run 1, and only run 3 is made here: the brokers are restarted with everything run 1
left in them, so each notebook runs again on its own leftovers, after a restart. CI names only the cluster
notebooks: its learner suite plays every single-node notebook twice in one kernel on its own leftovers ("Run All
again") and restarts a broker under 06 and 08, so a run here would repeat work CI already does for those.

Run 1 and run 2 go back to back with no reset in between (whatever run 1 left in Kafka, RabbitMQ and the
data folder is still there for run 2). Then `python -m tooling.stack down` and `up` restart the brokers
this configuration started (brokers it found already running are left alone, exactly as `make down`
would), and run 3 follows. Strict nbval compares every cell with the stored outputs, so three green runs
mean three runs with identical compared outputs. The brokers are whatever the environment points at
(KAFKA_BOOTSTRAP_SERVERS, RABBITMQ_URL, COURSE_STATE_DIR, COURSE_DATA_DIR).

Prints one line per notebook and run, with the first failing cell of any failure (full pytest output in
results/rerun/runN-<notebook>.log), and exits non-zero if any run of any notebook failed. Each run records every
cell's time (tooling.cell_times) in .stack/cell-times.json, which then holds the last run's:
`python -m tooling.profile --from .stack/cell-times.json` prints `make profile`'s table from it, with no run of its own.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from tooling.notebooks import NBVAL_ARGS

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_S = 3600
LOG_DIR = ROOT / "results" / "rerun"
CELL_TIMES = ROOT / ".stack" / "cell-times.json"
ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*m")
EXCEPTION_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Unavailable|Timeout\w*|Refused|Event))\b.*")


@dataclass(frozen=True)
class Outcome:
    """One notebook in one run: how many cells passed and the first failing cell, if any."""

    passed: int
    failed: int
    first_failure: str

    @property
    def ok(self) -> bool:
        """True when no cell failed."""
        return self.failed == 0 and self.passed > 0


def notebooks() -> list[Path]:
    """Every course notebook, picked up by name: notebooks/NN_*.ipynb, sorted."""
    return sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"))


def summary(text: str) -> str:
    """The most telling line of a failure: the last exception line, else the first line."""
    lines = [line for line in ANSI.sub("", text).splitlines() if line.strip()]
    if any("Cell outputs differ" in line for line in lines):
        changed = [line.strip() for line in lines if line.lstrip().startswith(("- ", "+ "))]
        return ("outputs differ: " + " | ".join(changed[:2]))[:300]
    found = [line.strip() for line in lines if EXCEPTION_LINE.match(line)]
    return (found[-1] if found else lines[0] if lines else "?")[:300]


def run_nbval(path: Path, report: Path, log: Path) -> Outcome:
    """Run strict nbval over one notebook in a fresh pytest process; read its outcome from the JUnit report."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *NBVAL_ARGS,
               "-p", "tooling.cell_times", f"--cell-times={CELL_TIMES}", f"--junitxml={report}",
               str(path.relative_to(ROOT))]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as output:
        subprocess.run(command, cwd=ROOT, timeout=RUN_TIMEOUT_S, check=False, stdout=output,
                       stderr=subprocess.STDOUT)
    passed = failed = 0
    first_failure = ""
    if not report.exists():
        return Outcome(0, 1, "pytest wrote no report (crashed or timed out)")
    for case in ET.parse(report).iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            passed += case.find("skipped") is None
            continue
        failed += 1
        if not first_failure:
            first_failure = f"{case.get('name')}: {summary(problem.text or problem.get('message') or '')}"
    return Outcome(passed, failed, first_failure)


def stack(command: str) -> None:
    """`python -m tooling.stack up|down` with the current environment; stop on failure."""
    result = subprocess.run([sys.executable, "-m", "tooling.stack", command], cwd=ROOT, text=True,
                            capture_output=True, timeout=600, check=False)
    print(result.stdout.rstrip(), flush=True)
    if result.returncode != 0:
        raise SystemExit(f"`tooling.stack {command}` failed:\n{result.stderr}")


def main(argv: list[str]) -> int:
    """Three strict nbval runs (two back to back, one after a broker restart); 0 when all pass."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/[0-9][0-9]_*.ipynb")
    parser.add_argument("--after-make-test", action="store_true",
                        help="`make test` just ran every notebook once on these brokers: count that as run 1")
    args = parser.parse_args(argv)
    paths = [path.resolve() for path in args.notebooks] or notebooks()
    print(f"re-run check on Kafka {os.environ.get('KAFKA_BOOTSTRAP_SERVERS', '(default)')}, "
          f"RabbitMQ {os.environ.get('RABBITMQ_URL', '(default)').rpartition('@')[2]}", flush=True)
    results: list[dict[str, Outcome]] = []
    with tempfile.TemporaryDirectory(prefix="rerun-") as scratch:
        for run in (3,) if args.after_make_test else (1, 2, 3):
            if run == 3:
                stack("down")
                stack("up")
            if not args.after_make_test:
                CELL_TIMES.unlink(missing_ok=True)  # the file keeps the last run's times only (make test's, else)
            outcome = {path.name: run_nbval(path, Path(scratch) / f"run{run}-{path.stem}.xml",
                                            LOG_DIR / f"run{run}-{path.stem}.log") for path in paths}
            results.append(outcome)
            for name, result in outcome.items():
                verdict = f"pass ({result.passed} cells)" if result.ok else f"FAIL: {result.first_failure}"
                print(f"run {run}  {name:<45} {verdict}", flush=True)
    failures = sum(not result.ok for outcome in results for result in outcome.values())
    runs = "run 1 (make test)  run 2 (not made)" if args.after_make_test else "run 1  run 2"
    print(f"\n{'notebook':<45} {runs}  run 3 (after down + up)")
    for name in results[0]:
        marks = ["pass" if outcome[name].ok else "FAIL" for outcome in results]
        if args.after_make_test:
            marks[:0] = ["pass", "-"]  # make test stops CI before this script when a notebook fails
        print(f"{name:<45} {marks[0]:<6} {marks[1]:<6} {marks[2]}")
    print(f"\nrun 3's cell times: python -m tooling.profile --from {CELL_TIMES.relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
