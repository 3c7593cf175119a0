"""Redis from the local redis-server, as the current user, on 127.0.0.1, with all state in .stack/redis."""

from __future__ import annotations

from pathlib import Path

from helpers import config
from tooling.stack import process

SERVER_CANDIDATES = ("/usr/bin/redis-server", "/opt/homebrew/bin/redis-server", "/usr/local/bin/redis-server")
INSTALL_HINT = ("Redis is needed for the native stack: sudo apt-get install -y redis-server "
                "(macOS: brew install redis), or install Docker and rerun `make up`.")


def home(settings: config.Settings) -> Path:
    """The folder holding this server's config, data, log and pid file."""
    return settings.state_dir / "redis"


def server_binary() -> str:
    """The redis-server executable (run directly, never through a system service)."""
    return process.executable(SERVER_CANDIDATES, "redis-server", INSTALL_HINT)


def conf(settings: config.Settings) -> str:
    """redis.conf: loopback only, protected mode, an append-only file fsynced every second."""
    root = home(settings)
    return (f"bind {settings.redis_host}\n"
            f"port {settings.redis_port}\n"
            "protected-mode yes\n"
            "daemonize no\n"
            f"dir {root / 'data'}\n"
            f"logfile {log_file(settings)}\n"
            f"pidfile {root / 'redis.pid'}\n"
            "appendonly yes\n"
            "appendfsync everysec\n"
            'save ""\n'
            "maxmemory 256mb\n")


def start(settings: config.Settings) -> int:
    """Start the server in the background; return its pid (readiness is the caller's)."""
    binary = server_binary()
    root = home(settings)
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "redis.conf").write_text(conf(settings))
    return process.spawn([binary, str(root / "redis.conf")], log_file=root / "stdout.log",
                         pid_file=root / "launcher.pid")


def log_file(settings: config.Settings) -> Path:
    """The server's log."""
    return home(settings) / "redis.log"


def startup_logs(settings: config.Settings) -> list[Path]:
    """Where a failed start says why: the server's log, then its own output (a bad config line, a taken port)."""
    return [log_file(settings), home(settings) / "stdout.log"]


def stop(settings: config.Settings) -> bool:
    """Stop the server this module started (SIGTERM: it flushes its append-only file); True if it ran."""
    return process.terminate(home(settings) / "launcher.pid", grace_s=15)


def running(settings: config.Settings) -> bool:
    """True while the server started by this module is alive."""
    return process.read_pid(home(settings) / "launcher.pid") is not None
