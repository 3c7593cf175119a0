"""The Docker path: `docker compose up -d --wait` with the repository's docker-compose.yml."""

from __future__ import annotations

import shutil
import subprocess

from helpers import config

COMPOSE_FILE = config.PROJECT_ROOT / "docker-compose.yml"
SERVICES = {"kafka": "kafka", "rabbitmq": "rabbitmq", "redis": "redis"}


def engine_answers(timeout_s: float = 5.0) -> bool:
    """True when a Docker engine answers (the client alone is not enough)."""
    if not shutil.which("docker"):
        return False
    try:
        result = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"],
                                capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0 and bool(result.stdout.strip())


def _compose(*args: str, timeout_s: float) -> subprocess.CompletedProcess[str]:
    """Run one docker compose command against the repository's compose file."""
    command = ["docker", "compose", "-f", str(COMPOSE_FILE), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                          cwd=config.PROJECT_ROOT)


def up(brokers: list[str]) -> None:
    """Start the named brokers' services and wait for their healthchecks."""
    result = _compose("up", "-d", "--wait", *(SERVICES[b] for b in brokers), timeout_s=300)
    if result.returncode != 0:
        raise RuntimeError("docker compose up failed:\n" + (result.stdout + result.stderr)[-2000:])


def down(brokers: list[str]) -> None:
    """Stop and remove the named brokers' containers (named volumes are kept)."""
    _compose("rm", "--stop", "--force", *(SERVICES[b] for b in brokers), timeout_s=120)
