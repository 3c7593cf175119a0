"""Peak resident memory of every process one user runs, sampled in the background (Linux /proc)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")


def resident_by_process(uid: int, proc: Path = PROC) -> Counter[str]:
    """Resident set size in bytes of each of uid's processes, summed by command name."""
    usage: Counter[str] = Counter()
    for status in proc.glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:  # the process ended while we looked
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid and "VmRSS" in fields:
            usage[fields["Name"].strip()] += int(fields["VmRSS"].split()[0]) * 1024
    return usage


@dataclass
class PeakMemory:
    """Samples uid's total resident memory every interval_s while running; keeps the peak and its breakdown."""

    uid: int
    interval_s: float = 0.5
    proc: Path = PROC
    peak_bytes: int = 0
    breakdown: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        """Take one sample; remember it if it is the highest so far."""
        usage = resident_by_process(self.uid, self.proc)
        total = sum(usage.values())
        if total > self.peak_bytes:
            self.peak_bytes, self.breakdown = total, usage

    def _run(self) -> None:
        """Sample until stopped."""
        while not self._stop.wait(self.interval_s):
            self.sample()

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self.sample()

    def table(self) -> str:
        """The peak's breakdown, largest first, in MiB."""
        rows = [f"  {name:<18} {size / 2**20:7.0f} MiB" for name, size in self.breakdown.most_common()]
        return "\n".join([f"peak {self.peak_bytes / 2**20:.0f} MiB", *rows])
