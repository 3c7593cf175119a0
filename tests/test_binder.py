"""binder/ follows repo2docker's conventions, and `binder/start` never holds a launch hostage.

The full launch (postBuild, start, notebook 00, as a non-root user) is tests/launch/test_binder_launch.py,
run by `make test-launch`; these checks are cheap and run with every `make test`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from helpers.config import PROJECT_ROOT

BINDER = PROJECT_ROOT / "binder"


def test_binder_environment_is_the_root_environment() -> None:
    assert (BINDER / "environment.yml").read_bytes() == (PROJECT_ROOT / "environment.yml").read_bytes(), \
        "binder/environment.yml must stay a copy of environment.yml: cp environment.yml binder/"


def test_apt_txt_names_the_native_stack_packages() -> None:
    lines = (BINDER / "apt.txt").read_text().splitlines()
    packages = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert packages == {"default-jre-headless", "maven", "rabbitmq-server", "redis-server", "postgresql"}


@pytest.mark.parametrize("script", ["postBuild", "start"])
def test_scripts_are_executable_bash(script: str) -> None:
    path = BINDER / script
    assert os.access(path, os.X_OK)
    assert path.read_text().startswith("#!/usr/bin/env bash\n")
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0


def test_post_build_fails_on_any_error_and_fetches_the_jars() -> None:
    text = (BINDER / "postBuild").read_text()
    assert "set -euo pipefail" in text and "-m tooling.stack fetch" in text


def test_post_build_installs_the_locked_versions() -> None:
    text = (BINDER / "postBuild").read_text()
    assert 'pip install --quiet --constraint "locks/py$(python -c' in text, text
    python = re.search(r"python=(3\.\d+)", (BINDER / "environment.yml").read_text())
    assert python and (PROJECT_ROOT / "locks" / f"py{python.group(1)}.txt").exists(), "Binder's Python needs a lock"


def test_start_hands_over_to_the_server_command() -> None:
    lines = [line for line in (BINDER / "start").read_text().splitlines() if line.strip()]
    assert lines[-1] == 'exec "$@"'
    assert "COURSE_STACK=native" in (BINDER / "start").read_text()


def fake_python(folder: Path, body: str) -> dict[str, str]:
    """An environment whose `python` is a stand-in script, so start's broker step fails or hangs on demand."""
    folder.mkdir()
    (folder / "python").write_text(f"#!/usr/bin/env bash\n{body}\n")
    (folder / "python").chmod(0o755)
    return {**os.environ, "PATH": f"{folder}:{os.environ['PATH']}", "COURSE_STATE_DIR": str(folder.parent / "state"),
            "COURSE_LAUNCH_TIMEOUT_S": "3"}


def run_start(env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run `binder/start echo handed-over` and time it."""
    started = time.monotonic()
    result = subprocess.run([str(BINDER / "start"), "echo", "handed-over"], capture_output=True, text=True,
                            env=env, timeout=60, check=False)
    return result, time.monotonic() - started


def test_start_goes_on_when_a_broker_fails(tmp_path: Path) -> None:
    result, _ = run_start(fake_python(tmp_path / "bin", "echo 'kafka failed' >&2; exit 1"))
    assert result.returncode == 0 and result.stdout.endswith("handed-over\n"), result.stdout + result.stderr
    assert "a broker failed to start" in result.stdout, "the failure is seen before the 3 s bound runs out"
    assert "kafka failed" in (tmp_path / "state" / "launch.log").read_text()


def test_start_goes_on_when_brokers_hang_past_the_bound(tmp_path: Path) -> None:
    pid_file = tmp_path / "hung.pid"
    env = fake_python(tmp_path / "bin", f"echo $$ > {pid_file}; exec sleep 60")
    try:
        result, seconds = run_start(env)
        assert result.returncode == 0 and result.stdout.endswith("handed-over\n"), result.stdout + result.stderr
        assert "still starting after 3 s" in result.stdout and 3 <= seconds < 40, "not the hung 60 s"
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_start_hands_over_before_jupyterhub_gives_up() -> None:
    found = re.search(r'COURSE_LAUNCH_TIMEOUT_S:-(\d+)', (BINDER / "start").read_text())
    assert found and int(found.group(1)) <= 25, "JupyterHub waits about 30 s for a started server to answer"
