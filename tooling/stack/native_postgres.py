"""PostgreSQL from the local server binaries (Debian's postgresql package), on 127.0.0.1, state in .stack/postgres.

Set up for change data capture: `wal_level=logical` with room for replication slots and WAL senders, and the
URL's role (the cluster's bootstrap superuser, so it has REPLICATION) with a password for TCP logins. PostgreSQL
refuses to run as root: when the stack runs as root (a container, CI), the server runs as the `postgres` system
user that Debian's package creates, its folder owned by that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
from collections.abc import Iterable
from pathlib import Path

from helpers import config
from tooling.stack import process

#: Where Debian/Ubuntu (one folder per major version) and Homebrew keep the server binaries.
BIN_PATTERNS = ("/usr/lib/postgresql/*/bin", "/opt/homebrew/opt/postgresql@*/bin", "/usr/local/opt/postgresql@*/bin")
INSTALL_HINT = ("PostgreSQL is needed for the change-data-capture profile: sudo apt-get install -y postgresql "
                "(macOS: brew install postgresql@17), or install Docker and rerun `make up-cdc`.")
#: The system user the server runs as when the stack runs as root.
ROOT_RUNS_AS = "postgres"
#: Server settings the native server and the compose service share (docker-compose.yml's `command` lists them).
SHARED_SETTINGS = ("wal_level=logical", "max_wal_senders=10", "max_replication_slots=10", "max_connections=50",
                   "shared_buffers=32MB")


def home(settings: config.Settings) -> Path:
    """The folder holding the cluster's data, its socket, logs and pid file."""
    return settings.state_dir / "postgres"


def major(bin_dir: str) -> int:
    """The major version a binary folder belongs to (15 for /usr/lib/postgresql/15/bin), 0 if none is named."""
    found = re.search(r"postgresql(?:@|/)(\d+)", bin_dir)
    return int(found.group(1)) if found else 0


def bin_dir() -> Path:
    """The newest installed server's binary folder (postgres and initdb), else the one on PATH."""
    folders = sorted((d for pattern in BIN_PATTERNS for d in glob.glob(pattern)
                      if os.access(os.path.join(d, "postgres"), os.X_OK)), key=major)
    if folders:
        return Path(folders[-1])
    on_path = shutil.which("postgres")
    if on_path is None or not shutil.which("initdb"):
        raise RuntimeError(INSTALL_HINT)
    return Path(on_path).parent


def run_as() -> pwd.struct_passwd | None:
    """The account the server must run as: None for the caller's own, the `postgres` user when the caller is root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(ROOT_RUNS_AS)
    except KeyError:
        raise RuntimeError(f"PostgreSQL refuses to run as root and there is no {ROOT_RUNS_AS!r} user to run it as: "
                           f"install Debian's postgresql package (it creates one), or run the course as a "
                           f"non-root user.") from None


def as_user(command: list[str], account: pwd.struct_passwd | None) -> list[str]:
    """The command, run as `account` (setpriv execs it, so its pid is the server's) or as is for None."""
    if account is None:
        return command
    return ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups", *command]


def server_settings(settings: config.Settings) -> list[str]:
    """The server's `-c` options: the shared ones, then loopback only, the URL's port, the socket in its folder."""
    options = [*SHARED_SETTINGS, f"listen_addresses={settings.postgres_host}", f"port={settings.postgres_port}",
               f"unix_socket_directories={home(settings) / 'run'}"]
    return [part for option in options for part in ("-c", option)]


def _give(path: Path, account: pwd.struct_passwd | None) -> None:
    """Make the server's account own a folder it writes (no-op when it runs as the caller)."""
    if account is not None:
        os.chown(path, account.pw_uid, account.pw_gid)


def first_closed(folders: Iterable[Path], account: pwd.struct_passwd) -> Path | None:
    """The first of `folders` that `account` may not enter (not its own, no execute bit for others), else None."""
    for folder in folders:
        status = folder.stat()
        if status.st_uid != account.pw_uid and not status.st_mode & 0o001:
            return folder
    return None


def _check_reachable(root: Path, account: pwd.struct_passwd) -> None:
    """RuntimeError naming the fix when the server's account cannot reach its folder (e.g. a project under /root)."""
    closed = first_closed(reversed(root.parents), account)
    if closed is not None:
        raise RuntimeError(f"PostgreSQL runs as the {account.pw_name!r} user (it refuses root), which cannot "
                           f"enter {closed}: set COURSE_STATE_DIR to a folder outside it (e.g. "
                           f"/var/tmp/course-stack), or run the course as a non-root user.")


def initialise(settings: config.Settings, binaries: Path, account: pwd.struct_passwd | None) -> None:
    """initdb once: the URL's role as superuser with its password (scram for TCP), then the URL's database."""
    root, data = home(settings), home(settings) / "data"
    if (data / "PG_VERSION").exists():
        return
    shutil.rmtree(data, ignore_errors=True)  # a half-made cluster from an interrupted initdb
    password_file = root / "password"
    password_file.write_text(settings.postgres_password + "\n")
    _give(password_file, account)
    try:
        # --no-sync: a course database need not survive an OS crash during its own creation (saves seconds).
        result = subprocess.run(as_user([str(binaries / "initdb"), "-D", str(data), "-U", settings.postgres_user,
                                         f"--pwfile={password_file}", "--auth-local=trust",
                                         "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
                                         "--no-instructions"], account),
                                capture_output=True, text=True, timeout=300, check=False)
    finally:
        password_file.unlink(missing_ok=True)
    if result.returncode != 0:
        raise RuntimeError("initdb failed:\n" + (result.stdout + result.stderr)[-2000:])
    if settings.postgres_database != "postgres":
        single = subprocess.run(as_user([str(binaries / "postgres"), "--single", "-D", str(data), "postgres"], account),
                                input=f'CREATE DATABASE "{settings.postgres_database}";\n', capture_output=True,
                                text=True, timeout=120, check=False)
        if single.returncode != 0 or "ERROR" in single.stdout + single.stderr:
            raise RuntimeError("creating the course database failed:\n" + (single.stdout + single.stderr)[-2000:])


def start(settings: config.Settings) -> int:
    """initdb on the first start, then start the server in the background; return its pid (readiness: caller)."""
    binaries = bin_dir()
    account = run_as()
    root = home(settings)
    for folder in (root, root / "run", root / "logs"):
        folder.mkdir(parents=True, exist_ok=True)
        _give(folder, account)
    if account is not None:
        _check_reachable(root, account)
    initialise(settings, binaries, account)
    command = as_user([str(binaries / "postgres"), "-D", str(root / "data"), *server_settings(settings)], account)
    return process.spawn(command, log_file=log_file(settings), pid_file=root / "launcher.pid")


def log_file(settings: config.Settings) -> Path:
    """The server's log (its standard error)."""
    return home(settings) / "logs" / "postgres.log"


def startup_logs(settings: config.Settings) -> list[Path]:
    """Where a failed start says why: the server's log (a taken port, a bad setting, a locked data folder)."""
    return [log_file(settings)]


def stop(settings: config.Settings) -> bool:
    """Stop the server this module started (SIGINT: a fast shutdown that ends open sessions, replication ones
    included, and checkpoints); True if it ran."""
    return process.terminate(home(settings) / "launcher.pid", grace_s=30, first=signal.SIGINT)


def running(settings: config.Settings) -> bool:
    """True while the server started by this module is alive."""
    return process.read_pid(home(settings) / "launcher.pid") is not None
