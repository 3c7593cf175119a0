"""Background processes tracked by pid files: start, check, and stop only what we started.

A pid alone names whatever process holds that number now: after a reboot (or a wrap of the pid counter) it can be an
unrelated process, which `down` would SIGTERM then SIGKILL and `up` would wait on as "still starting". So `spawn`
writes the process's start (`identity`) under its pid, and `read_pid` trusts the pid only while the process holding
it started at that same moment. A pid file a broker writes itself (RabbitMQ's rabbitmq.pid) has no such line: its
pid is trusted only if that process was already running when the file was written (`started_at` <= the file's mtime).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

# The children this process started, kept so that their handles live as long as they do (a handle dropped
# while its child runs is a ResourceWarning) and so that stopping one collects its exit status.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def spawn(command: list[str], log_file: Path, pid_file: Path, env: Mapping[str, str] | None = None) -> int:
    """Start a detached process logging to a file, write its pid file, and return the pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 env=dict(env) if env is not None else None, start_new_session=True)
    _CHILDREN[child.pid] = child
    pid_file.write_text(f"{child.pid}\n{identity(child.pid)}\n")
    return child.pid


def read_pid(pid_file: Path) -> int | None:
    """The pid in a pid file, or None when the file is missing, the process is gone, or the pid now names another
    process (its start differs from the one recorded, or it started after the file was written)."""
    try:
        text = pid_file.read_text()
        mtime = pid_file.stat().st_mtime
        pid = int(text.split("\n", 1)[0].strip())
    except (FileNotFoundError, ValueError):
        return None
    recorded = text.split("\n", 1)[1].strip() if "\n" in text.strip() else ""
    if not alive(pid):
        return None
    if recorded:
        return pid if identity(pid) == recorded else None
    started = started_at(pid)
    return pid if started is not None and started <= mtime + CLOCK_SLACK_S else None


#: How far a process's start (from /proc or ps, to about a second) may seem to follow the pid file its process wrote.
CLOCK_SLACK_S = 1.0


def _proc_stat(pid: int) -> list[str] | None:
    """/proc/PID/stat's fields from the state on (field 3 first), or None without /proc or once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def _ps_start(pid: int) -> str | None:
    """`ps -o lstart= -p PID` (where there is no /proc, as on macOS), or None once the process is gone."""
    result = subprocess.run(["ps", "-o", "lstart=", "-p", str(pid)], capture_output=True, text=True, check=False,
                            env={**os.environ, "LC_ALL": "C"}, timeout=10)
    return result.stdout.strip() or None


def identity(pid: int) -> str:
    """When this process started, as a token no other process given the same pid can share: on Linux the boot's id
    and the start in clock ticks since boot (/proc/PID/stat field 22); elsewhere `ps -o lstart=`. "" if gone."""
    fields = _proc_stat(pid)
    if fields is not None:
        return f"{Path('/proc/sys/kernel/random/boot_id').read_text().strip()} {fields[19]}"
    if sys.platform.startswith("linux"):
        return ""
    return _ps_start(pid) or ""


def started_at(pid: int) -> float | None:
    """When this process started, in seconds since the epoch (to about a second), or None if it is gone."""
    fields = _proc_stat(pid)
    if fields is not None:
        with open("/proc/stat") as stat:
            boot = next(float(line.split()[1]) for line in stat if line.startswith("btime "))
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    text = None if sys.platform.startswith("linux") else _ps_start(pid)
    return time.mktime(time.strptime(text, "%a %b %d %H:%M:%S %Y")) if text else None


def alive(pid: int) -> bool:
    """True while a process with this pid exists and is not a zombie."""
    if pid in _CHILDREN:
        return _CHILDREN[pid].poll() is None  # our own child: poll collects its exit status if it ended
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = _proc_stat(pid)
    return fields is None or fields[0] != "Z"  # no /proc (macOS): kill(pid, 0) succeeded, so it exists


def _signal(pid: int, sig: signal.Signals) -> None:
    """Send `sig` to `pid`; a process that has just exited (and been reaped by its parent) is no error."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def terminate(pid_file: Path, grace_s: float, first: signal.Signals = signal.SIGTERM) -> bool:
    """Send `first` (SIGTERM unless told) to the pid-file's process, SIGKILL it after grace_s; True if it ran."""
    pid = read_pid(pid_file)
    pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    _signal(pid, first)
    deadline = time.monotonic() + grace_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if alive(pid):
        _signal(pid, signal.SIGKILL)
    _reap(pid)
    return True


def _reap(pid: int) -> None:
    """Collect the exit status if the process is our own child (harmless otherwise)."""
    if pid in _CHILDREN:
        with contextlib.suppress(subprocess.TimeoutExpired):
            _CHILDREN[pid].wait(timeout=5)
        return
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file, or a note that it does not exist."""
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def tails(logs: Sequence[Path], lines: int = 15) -> str:
    """The last lines of each of `logs` that has something in it, or a line naming them when none was written."""
    written = [log for log in logs if log.exists() and log.stat().st_size]
    if not written:
        return f"No log was written at {', '.join(map(str, logs))}.\n"
    return "".join(f"Last lines of {log}:\n{tail(log, lines)}\n" for log in written)


def run_quietly(command: list[str], timeout_s: float = 10) -> int:
    """Run a short command, discarding its output; return its exit code."""
    return subprocess.run(command, capture_output=True, timeout=timeout_s).returncode


def executable(candidates: tuple[str, ...], name: str, install_hint: str) -> str:
    """The first runnable path of `candidates`, else `name` on PATH; RuntimeError with the install hint if neither."""
    found = next((path for path in candidates if os.access(path, os.X_OK)), None) or shutil.which(name)
    if found is None:
        raise RuntimeError(install_hint)
    return found


def kill_hard(pid_file: Path) -> bool:
    """SIGKILL the process in pid_file, as a crash or a pulled plug would, and reap it; True if it ran."""
    pid = read_pid(pid_file)
    if pid is None:
        return False
    _signal(pid, signal.SIGKILL)
    terminate(pid_file, grace_s=5)  # reaps it; by then its parent may have reaped it already
    return True
