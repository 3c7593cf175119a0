"""The learner-play suite's stack and report: a native stack of its own on the 28xxx block, a scenario table.

Not part of `pytest tests` (slow, stops brokers; see norecursedirs in pyproject.toml): run it with
`make test-learner`, i.e. `pytest tests/learner`. Ports: the block 28xxx of tooling.stack.spare
(LEARNER_KAFKA_PORT 28092, LEARNER_KAFKA_CONTROLLER_PORT 28093, LEARNER_RABBITMQ_PORT 28672, ...
LEARNER_REDIS_PORT 28679), below Linux's ephemeral range because brokers are restarted mid-run.
At the end it prints scenario x notebook (ok / clear error / FAILED) and writes it to .stack/learner-report.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from play import HANG_BOUND_S, Execution, Verdict

from helpers.config import PROJECT_ROOT
from tooling.stack.spare import SpareStack, busy_ports, environment

SCENARIOS = ("top to bottom", "re-run each broker cell", "Run All again", "interrupt consuming cells",
             "broker restart", "two kernels")
MORE_CELLS = 8  # bad cells listed under each scenario that is not ok
REPORT = PROJECT_ROOT / ".stack" / "learner-report.md"


@dataclass
class Report:
    """Each scenario's verdict per notebook, and the longest any re-run cell took."""

    verdicts: dict[tuple[str, str], Verdict] = field(default_factory=dict, repr=False)
    reruns: list[Execution] = field(default_factory=list, repr=False)
    seconds: dict[str, float] = field(default_factory=dict, repr=False)

    def add(self, notebook: str, scenario: str, result: Verdict, seconds: float) -> None:
        """Record a scenario's verdict and time, and rewrite the report file (a long run shows its progress)."""
        self.verdicts[(notebook, scenario)] = result
        self.seconds[notebook] = self.seconds.get(notebook, 0.0) + seconds
        self.write()

    def write(self) -> None:
        """Write the table to .stack/learner-report.md."""
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text("# The learner plays every single-node notebook\n\n" + self.table())

    def table(self) -> str:
        """The scenario table (markdown), each FAILED or clear error explained below it, then the longest wait."""
        notebooks = sorted({notebook for notebook, _ in self.verdicts})
        lines = ["| notebook | " + " | ".join(SCENARIOS) + " | seconds |", "|---" * (len(SCENARIOS) + 2) + "|"]
        for notebook in notebooks:
            marks = [self.verdicts[(notebook, s)].outcome if (notebook, s) in self.verdicts else "-" for s in SCENARIOS]
            lines.append(f"| {notebook} | " + " | ".join(marks) + f" | {self.seconds.get(notebook, 0):.0f} |")
        notes = []
        for (notebook, scenario), verdict in sorted(self.verdicts.items()):
            if verdict.outcome != "ok":
                notes.append(f"- {notebook} / {scenario}: {verdict}")
                notes.extend(f"  - {cell}" for cell in verdict.cells[1:MORE_CELLS])
        if self.reruns:
            longest = max(self.reruns, key=lambda run: run.seconds)
            notes.append(f"- longest wait of a re-run cell: {longest.seconds:.1f} s, {longest.label} "
                         f"(hang bound {HANG_BOUND_S:.0f} s)")
        return "\n".join(lines + [""] + notes) + "\n"


REPORT_KEY = pytest.StashKey[Report]()


@pytest.fixture(scope="session")
def learner_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpareStack]:
    """Bring up a native stack on the 28xxx block, point this process (and so its kernels) at it, bring it down."""
    state_dir = tmp_path_factory.mktemp("learner-stack")
    env = environment("LEARNER", 28000, state_dir, tmp_path_factory.mktemp("learner-data"))
    busy = busy_ports(env)
    if busy:  # `up` would reuse whatever answers there, and the restarts would stop someone else's broker
        pytest.exit(f"learner-stack ports {busy} are in use: set LEARNER_KAFKA_PORT, LEARNER_RABBITMQ_PORT, ... "
                    "(tooling/stack/spare.py) to free ports below 32768", returncode=2)
    with SpareStack(env, state_dir).serving() as stack:
        yield stack


@pytest.fixture(scope="session")
def report(request: pytest.FixtureRequest) -> Report:
    """The scenario table this run fills in, printed and written at the end."""
    return request.config.stash.setdefault(REPORT_KEY, Report())


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Print the scenario table and write it to .stack/learner-report.md."""
    report = config.stash.get(REPORT_KEY, None)
    if report is None or not report.verdicts:
        return
    text = report.table()
    report.write()
    terminalreporter.section("learner report")
    for line in text.splitlines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"(written to {REPORT.relative_to(config.rootpath)})")
