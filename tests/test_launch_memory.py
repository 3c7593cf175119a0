"""The launch test's memory sampler, on a fake /proc (pure)."""

from __future__ import annotations

from pathlib import Path

from tests.launch.memory import PeakMemory, resident_by_process


def fake_process(proc: Path, pid: int, name: str, uid: int, rss_kib: int | None) -> None:
    """Write a /proc/<pid>/status the way Linux does (only the fields the sampler reads)."""
    folder = proc / str(pid)
    folder.mkdir(parents=True)
    lines = [f"Name:\t{name}", f"Uid:\t{uid}\t{uid}\t{uid}\t{uid}"]
    if rss_kib is not None:
        lines.append(f"VmRSS:\t{rss_kib} kB")
    (folder / "status").write_text("\n".join(lines) + "\n")


def test_counts_only_the_users_processes_summed_by_name(tmp_path: Path) -> None:
    fake_process(tmp_path, 10, "java", 1000, 300 * 1024)
    fake_process(tmp_path, 11, "beam.smp", 1000, 100 * 1024)
    fake_process(tmp_path, 12, "python", 1000, 50 * 1024)
    fake_process(tmp_path, 13, "python", 1000, 70 * 1024)
    fake_process(tmp_path, 14, "java", 0, 900 * 1024)  # another user's
    fake_process(tmp_path, 15, "kthreadd", 1000, None)  # no resident memory line
    usage = resident_by_process(1000, tmp_path)
    assert usage == {"java": 300 * 2**20, "beam.smp": 100 * 2**20, "python": 120 * 2**20}


def test_keeps_the_highest_sample_and_its_breakdown(tmp_path: Path) -> None:
    fake_process(tmp_path, 10, "java", 1000, 300 * 1024)
    meter = PeakMemory(uid=1000, proc=tmp_path)
    meter.sample()
    fake_process(tmp_path, 11, "python", 1000, 200 * 1024)
    meter.sample()
    (tmp_path / "11" / "status").unlink()
    (tmp_path / "11").rmdir()
    meter.sample()
    assert meter.peak_bytes == 500 * 2**20
    assert meter.breakdown == {"java": 300 * 2**20, "python": 200 * 2**20}
    assert meter.table().splitlines()[0] == "peak 500 MiB"
