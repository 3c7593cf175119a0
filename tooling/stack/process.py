"""Background processes tracked by pid files: start, check, and stop only what we started."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
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
    pid_file.write_text(str(child.pid))
    return child.pid


def read_pid(pid_file: Path) -> int | None:
    """The pid in a pid file, or None when the file is missing or the process is gone."""
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if alive(pid) else None


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
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return True  # no /proc (macOS): kill(pid, 0) succeeded, so it exists


def _signal(pid: int, sig: signal.Signals) -> None:
    """Send `sig` to `pid`; a process that has just exited (and been reaped by its parent) is no error."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def terminate(pid_file: Path, grace_s: float) -> bool:
    """SIGTERM the pid-file's process, SIGKILL it after grace_s; True if it was running."""
    pid = read_pid(pid_file)
    pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    _signal(pid, signal.SIGTERM)
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
