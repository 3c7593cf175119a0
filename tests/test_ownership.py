"""helpers.ownership: one kernel per notebook, refused with the fix for a second one, kept on a re-run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ownership

CLAIM = "from helpers import ownership; print(ownership.claim('{nb}', 'its nb{nb}- topics'))"


def claim_elsewhere(notebook: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Another process (a second kernel) claims the notebook, with the same data folder."""
    return subprocess.run([sys.executable, "-c", CLAIM.format(nb=notebook)], capture_output=True, text=True,
                          env={**os.environ, "COURSE_DATA_DIR": str(data_dir)}, timeout=60, check=False)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(ownership, "_HELD", {})
    yield tmp_path
    for lock in ownership._HELD.values():
        lock.close()


def test_a_second_kernel_is_refused_with_the_fix_and_the_first_keeps_its_claim(data_dir: Path) -> None:
    held = ownership.claim("98", "its nb98- topics")
    assert held == data_dir / "nb98.lock"
    refused = claim_elsewhere("98", data_dir)
    assert refused.returncode != 0
    assert ("another kernel is running notebook 98 and owns its nb98- topics: shut that kernel down "
            "(Kernel > Shut Down Kernel in its tab), then re-run this cell") in refused.stderr
    assert ownership.claim("98", "its nb98- topics") == held  # a re-run of this kernel's Setup keeps it


def test_another_notebook_or_a_released_claim_is_free(data_dir: Path) -> None:
    ownership.claim("98", "its nb98- topics")
    assert claim_elsewhere("97", data_dir).returncode == 0
    ownership._HELD.pop("98").close()  # what the kernel's end does
    freed = claim_elsewhere("98", data_dir)
    assert freed.returncode == 0 and freed.stdout.strip() == str(data_dir / "nb98.lock")
