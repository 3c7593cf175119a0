"""Launch the course as Binder would: a non-root user, a fresh copy, postBuild, then start + a first session.

repo2docker builds an environment from binder/environment.yml, runs binder/postBuild as the notebook user,
and at every launch runs `binder/start <server command>`. Here the server command is JupyterLab, and while it
serves, notebooks 00, 05 and 07 under strict nbval, on ports of its own so that the brokers are really started by
`start`. The launch user's peak resident memory must fit Binder's 2 GB with headroom. Run with `make test-launch`.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from helpers import clients, config
from tests.launch.memory import PeakMemory
from tooling.notebooks import NBVAL_ARGS
from tooling.stack import process

USER = os.environ.get("COURSE_CI_USER", "course-ci")
# Below Linux's ephemeral range (32768-60999), so no client socket can be sitting on them when the brokers bind.
PORTS = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:31092", "KAFKA_CONTROLLER_PORT": "31093",
         "RABBITMQ_URL": "amqp://guest:guest@127.0.0.1:31672/%2F", "RABBITMQ_DIST_PORT": "31673",
         "RABBITMQ_MANAGEMENT_PORT": "31674", "RABBITMQ_MQTT_PORT": "31675", "RABBITMQ_STOMP_PORT": "31676",
         "REDIS_URL": "redis://127.0.0.1:31679/0"}
KEPT_LOGS = config.PROJECT_ROOT / "results" / "launch"
#: mybinder.org gives a session 2 GB; the launch must leave a fifth of it free for the learner's own cells.
BINDER_MEMORY = 2 * 10**9
MEMORY_BUDGET = int(0.8 * BINDER_MEMORY)
#: What a learner's first session runs: the landing notebook, then one Kafka and one RabbitMQ lesson.
LAUNCH_NOTEBOOKS = ("notebooks/00_start_here.ipynb", "notebooks/05_kafka_fundamentals.ipynb",
                    "notebooks/07_rabbitmq_fundamentals.ipynb")
LAB_PORT = 31888
READY_LINE = re.compile(r"binder/start: Kafka, RabbitMQ and Redis ready, ([\d.]+) s after launch")


def port_of(value: str) -> int:
    """The port in one of PORTS' values: a bare port, host:port, or a URL."""
    return int(value) if value.isdigit() else urlsplit(value if "://" in value else f"//{value}").port


@dataclass(frozen=True)
class Launcher:
    """Runs commands in the fresh copy as the launch user, with a clean environment like Binder's."""

    repo: Path
    env: dict[str, str]
    as_root: bool

    def run(self, *command: str, timeout_s: float, extra: dict[str, str] | None = None) -> tuple[int, str]:
        """Run one command (bounded; its whole process group is killed on timeout); return code and output."""
        env = [f"{key}={value}" for key, value in {**self.env, **(extra or {})}.items()]
        prefix = ["runuser", "-u", USER, "--"] if self.as_root else []
        child = subprocess.Popen([*prefix, "env", "-i", *env, *command], cwd=self.repo, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            output, _ = child.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            output, _ = child.communicate()
            return -1, f"{output}\n(timed out after {timeout_s:.0f} s: {' '.join(command)})"
        return child.returncode, output


def launch_account() -> tuple[pwd.struct_passwd, bool]:
    """The unprivileged account to launch as: USER when we are root, else ourselves."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()), False
    try:
        return pwd.getpwnam(USER), True
    except KeyError:
        pytest.fail(f"no user {USER!r}: create it with `useradd --system --create-home {USER}` (.ci/run does)")


def copy_tracked_files(destination: Path) -> None:
    """Copy the repository's tracked files (as they are in the working tree), like a fresh clone."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=config.PROJECT_ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = config.PROJECT_ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def binder_requirements(repo: Path) -> list[str]:
    """The pip requirements repo2docker would install from binder/environment.yml."""
    environment = yaml.safe_load((repo / "binder" / "environment.yml").read_text())
    return next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))


def build_environment(launcher: Launcher, workdir: Path, home: Path) -> None:
    """A venv from binder/environment.yml, installed offline from a wheelhouse kept in the user's cache.

    The wheelhouse holds the locked versions (postBuild pins to them), so postBuild then finds them installed.
    """
    python = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")
    assert python, "a system python3 (3.11+) readable by the launch user is needed"
    minor = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True,
                           text=True, check=True).stdout.strip()
    lock = launcher.repo / "locks" / f"py{minor}.txt"
    assert lock.exists(), f"no lock for the system Python {minor}: {lock}"
    requirements = workdir / "requirements.txt"
    requirements.write_text("\n".join(binder_requirements(launcher.repo)) + "\n")
    digest = hashlib.sha256(requirements.read_bytes() + lock.read_bytes()).hexdigest()[:16]
    wheelhouse = home / ".cache" / "course-launch" / f"wheels-{digest}"
    pins = ["-r", str(requirements), "--constraint", str(lock)]
    steps = [[python, "-m", "venv", str(workdir / "env")]]
    if not (wheelhouse / ".complete").exists():
        steps.append(["pip", "wheel", "--quiet", "--prefer-binary", "-w", str(wheelhouse), *pins])
        steps.append(["touch", str(wheelhouse / ".complete")])
    steps.append(["pip", "install", "--quiet", "--no-index", "--find-links", str(wheelhouse), *pins])
    for step in steps:
        code, output = launcher.run(*step, timeout_s=900)
        assert code == 0, f"{' '.join(step)} failed:\n{output[-3000:]}"


@dataclass(frozen=True)
class Launch:
    """What the launch produced."""

    launcher: Launcher
    post_build: str
    code: int
    output: str
    seconds_to_exec: float
    memory: PeakMemory


def lab_and_notebooks(mark: Path) -> str:
    """The server command: JupyterLab as Binder runs it, and, while it serves, the first session's notebooks."""
    probe = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{LAB_PORT}/api/status', timeout=2)"
    return (f"date +%s.%N > {mark}; "
            f"python -m jupyter lab --no-browser --ip=127.0.0.1 --port={LAB_PORT} --IdentityProvider.token= "
            "> .stack/jupyter-lab.log 2>&1 & lab=$!; "
            f'for _ in $(seq 240); do python -c "{probe}" 2>/dev/null && break; sleep 0.5; done; '
            f'python -m pytest -p no:cacheprovider {" ".join(NBVAL_ARGS)} {" ".join(LAUNCH_NOTEBOOKS)}; '
            "code=$?; kill $lab; wait $lab; exit $code")


@pytest.fixture(scope="module")
def launch() -> Iterator[Launch]:
    """postBuild, then `binder/start` + notebook 00 under nbval, then `tooling.stack down` (even on failure)."""
    account, as_root = launch_account()
    workdir = Path(tempfile.mkdtemp(prefix="course-launch-"))
    repo = workdir / "repo"
    copy_tracked_files(repo)
    if as_root:
        subprocess.run(["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", str(workdir)], check=True)
    env = {"HOME": account.pw_dir, "USER": account.pw_name, "LANG": "C.UTF-8", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "PATH": f"{workdir / 'env' / 'bin'}:/usr/local/bin:/usr/bin:/bin", **PORTS}
    launcher = Launcher(repo, env, as_root)
    try:
        build_environment(launcher, workdir, Path(account.pw_dir))
        code, post_build = launcher.run("binder/postBuild", timeout_s=900)
        assert code == 0, f"binder/postBuild failed:\n{post_build[-3000:]}"
        busy = [port for port in [*map(port_of, PORTS.values()), LAB_PORT] if clients.port_open("127.0.0.1", port, 0.5)]
        assert not busy, f"ports {busy} are taken: the launch test must start its own brokers there"
        mark = workdir / "exec.mark"
        server = lab_and_notebooks(mark)
        invoked = time.time()
        # start's own bound is short (Binder's hub waits ~30 s); here it waits until both brokers answer
        with PeakMemory(uid=account.pw_uid if as_root else os.getuid()) as memory:
            code, output = launcher.run("binder/start", "bash", "-c", server, timeout_s=900,
                                        extra={"COURSE_LAUNCH_TIMEOUT_S": "240"})
        seconds_to_exec = float(mark.read_text()) - invoked if mark.exists() else float("nan")
        yield Launch(launcher, post_build, code, output, seconds_to_exec, memory)
    finally:
        _, stopped = launcher.run("python", "-m", "tooling.stack", "down", timeout_s=120)
        print(f"\ntooling.stack down (as {account.pw_name}):\n{stopped}")
        keep_logs(repo / ".stack")
        shutil.rmtree(workdir, ignore_errors=True)


def keep_logs(state: Path) -> None:
    """Copy the launch's and the brokers' logs to results/launch/ before the fresh copy is removed."""
    shutil.rmtree(KEPT_LOGS, ignore_errors=True)
    for log in [state / "launch.log", *state.glob("*/logs/*.log")]:
        if log.is_file():
            target = KEPT_LOGS / log.relative_to(state)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(log, target)


def test_post_build_fetched_the_kafka_jars(launch: Launch) -> None:
    jars = config.pinned_versions()["KAFKA_VERSION"]
    assert (launch.launcher.repo / ".stack" / "cache" / f"kafka-{jars}" / ".complete").exists(), launch.post_build


def test_start_brought_both_brokers_up_and_handed_over(launch: Launch) -> None:
    found = READY_LINE.search(launch.output)
    assert found, launch.output[-4000:]
    print(f"\nbinder/start → Kafka, RabbitMQ and Redis ready: {found.group(1)} s "
          f"(server command started {launch.seconds_to_exec:.1f} s after `binder/start` was invoked)")


def test_the_first_sessions_notebooks_passed_under_strict_nbval(launch: Launch) -> None:
    assert launch.code == 0, launch.output[-4000:]
    assert re.search(r"\b\d+ passed\b", launch.output) and " failed" not in launch.output, launch.output[-4000:]


def test_start_logged_that_it_started_every_service_natively(launch: Launch) -> None:
    log = (launch.launcher.repo / ".stack" / "launch.log").read_text()
    assert "kafka     127.0.0.1:31092        started (native)" in log, log
    assert "rabbitmq  127.0.0.1:31672        started (native)" in log, log
    assert "redis     127.0.0.1:31679        started (native)" in log, log
    state = json.loads((launch.launcher.repo / ".stack" / "state.json").read_text())
    assert state == {"kafka": "native", "rabbitmq": "native", "redis": "native"}, state


def test_status_says_native_and_both_answer(launch: Launch) -> None:
    code, output = launch.launcher.run("python", "-m", "tooling.stack", "status", timeout_s=60)
    assert code == 0, output
    lines = {line.split()[0]: line for line in output.splitlines()[1:] if line.strip()}
    assert "native" in lines["kafka"] and "ok, produce + consume" in lines["kafka"], output
    assert "native" in lines["rabbitmq"] and "ok, publish + consume + ack" in lines["rabbitmq"], output


def test_the_brokers_run_as_the_launch_user(launch: Launch) -> None:
    uid = os.stat(launch.launcher.repo).st_uid
    for pid_file in ("kafka/kafka.pid", "rabbitmq/rabbitmq.pid"):
        pid = process.read_pid(launch.launcher.repo / ".stack" / pid_file)  # the pid, if it is still that process
        assert pid is not None, f"{pid_file}: no running process the stack started"
        owner = os.stat(f"/proc/{pid}").st_uid
        assert owner == uid != 0, f"{pid_file}: pid {pid} runs as uid {owner}, expected {uid}"


def test_the_first_session_fits_in_binders_memory(launch: Launch) -> None:
    print(f"\nBinder-style launch, JupyterLab + {len(LAUNCH_NOTEBOOKS)} notebooks: {launch.memory.table()}")
    assert launch.memory.peak_bytes > 0, "the sampler saw none of the launch user's processes"
    assert launch.memory.peak_bytes < MEMORY_BUDGET, (
        f"the launch peaked at {launch.memory.peak_bytes / 2**20:.0f} MiB, over the {MEMORY_BUDGET / 2**20:.0f} MiB "
        f"budget (80% of Binder's 2 GB):\n{launch.memory.table()}")
