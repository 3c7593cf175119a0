"""The Docker path: `docker compose up -d --wait` with the repository's docker-compose.yml."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

from helpers import config

COMPOSE_FILE = config.PROJECT_ROOT / "docker-compose.yml"
SERVICES = {"kafka": "kafka", "rabbitmq": "rabbitmq", "redis": "redis", "postgres": "postgres", "connect": "connect"}
#: The oldest Compose that reads the file: its top-level `configs.*.content` arrived in 2.23.1.
MINIMUM_VERSION = (2, 23, 1)
UP_TIMEOUT_S = 300


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


def environment(settings: config.Settings) -> dict[str, str]:
    """The caller's environment plus the host ports docker-compose.yml publishes, from the course's settings.

    So the address variables (KAFKA_BOOTSTRAP_SERVERS, CLUSTER_RABBITMQ_PORTS, ...) move the containers too.
    """
    ports = {
        "COURSE_KAFKA_PORT": settings.kafka_port,
        "COURSE_RABBITMQ_PORT": settings.rabbitmq_port,
        "COURSE_RABBITMQ_MANAGEMENT_PORT": settings.rabbitmq_management_port,
        "COURSE_RABBITMQ_MQTT_PORT": settings.rabbitmq_mqtt_port,
        "COURSE_RABBITMQ_STOMP_PORT": settings.rabbitmq_stomp_port,
        "COURSE_REDIS_PORT": settings.redis_port,
        "COURSE_POSTGRES_PORT": settings.postgres_port,
        "COURSE_CONNECT_PORT": settings.connect_port,
    }
    for i, address in enumerate(settings.cluster_kafka_addresses, start=1):
        ports[f"COURSE_CLUSTER_KAFKA_PORT_{i}"] = config.split_host_port(address)[1]
    for i, port in enumerate(settings.cluster_rabbitmq_ports, start=1):
        ports[f"COURSE_CLUSTER_RABBITMQ_PORT_{i}"] = port
    return {**os.environ, **{name: str(value) for name, value in ports.items()}}


def run(*args: str, timeout_s: float | None, profile: str | None = None,
        capture: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one docker compose command against the repository's compose file (the result is not checked)."""
    command = ["docker", "compose", "-f", str(COMPOSE_FILE), *(["--profile", profile] if profile else []), *args]
    return subprocess.run(command, capture_output=capture, text=True, timeout=timeout_s, cwd=config.PROJECT_ROOT,
                          env=environment(config.load()))


def checked(*args: str, timeout_s: float | None, profile: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run one docker compose command; RuntimeError with its output when it fails or outlasts its bound."""
    try:
        result = run(*args, timeout_s=timeout_s, profile=profile)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"docker compose {' '.join(args)} did not finish within {timeout_s:.0f} s "
                           f"(details: `docker compose ps -a` and `docker compose logs`)") from None
    if result.returncode != 0:
        raise RuntimeError(f"docker compose {' '.join(args)} failed:\n" + (result.stdout + result.stderr)[-2000:])
    return result


def version() -> str:
    """The Compose version as `docker compose version --short` prints it (e.g. 2.29.7, v5.6.0 or dev)."""
    try:
        result = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True, text=True,
                                timeout=30)
    except subprocess.TimeoutExpired:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def check_version(found: str) -> str | None:
    """Why this Compose cannot run the file (None when it can); a `dev` build passes with a note."""
    numbers = re.match(r"v?(\d+)\.(\d+)\.(\d+)", found)
    minimum = ".".join(map(str, MINIMUM_VERSION))
    if not found:
        return (f"`docker compose` (the Compose plugin, {minimum} or newer) is not installed: install Docker "
                f"Desktop or the docker-compose-plugin package, or run the brokers natively (COURSE_STACK=native).")
    if numbers is None:  # a build from source says `dev`: its version cannot be told, so it is tried
        print(f"note: docker compose reports version {found!r}; the course needs {minimum} or newer")
        return None
    if tuple(map(int, numbers.groups())) < MINIMUM_VERSION:
        return (f"docker compose {found} is too old: docker-compose.yml needs Compose {minimum} or newer "
                f"(top-level `configs` with `content`). Update Docker Desktop or the docker-compose-plugin package, "
                f"or run the brokers natively (COURSE_STACK=native).")
    return None


def pull_missing(services: list[str], profile: str | None = None) -> None:
    """Pull the images the services need that this engine lacks, showing Docker's progress (no time bound)."""
    images = json.loads(checked("config", "--format", "json", timeout_s=60, profile=profile).stdout)["services"]
    missing = sorted({images[s]["image"] for s in services
                      if subprocess.run(["docker", "image", "inspect", images[s]["image"]],
                                        capture_output=True, timeout=60).returncode != 0})
    if not missing:
        return
    print(f"pulling {', '.join(missing)} (first run only; a few hundred MB)...", flush=True)
    if run("pull", *services, timeout_s=None, profile=profile, capture=False).returncode != 0:
        raise RuntimeError(f"docker compose could not pull {', '.join(missing)}: check the network and "
                           f"`docker compose pull`, then run `make up` again.")


def up(brokers: list[str], profile: str | None = None) -> None:
    """Start the named brokers' services (of `profile`, if they are in one) and wait for their healthchecks."""
    start([SERVICES[b] for b in brokers], profile)


def start(services: list[str], profile: str | None = None) -> None:
    """Check Compose, pull what is missing, then `up -d --wait` the services (bounded)."""
    problem = check_version(version())
    if problem:
        raise RuntimeError(problem)
    pull_missing(services, profile)
    checked("up", "-d", "--wait", *services, timeout_s=UP_TIMEOUT_S, profile=profile)


def down(brokers: list[str], profile: str | None = None) -> None:
    """Stop and remove the named brokers' containers (named volumes are kept)."""
    run("rm", "--stop", "--force", *(SERVICES[b] for b in brokers), timeout_s=120, profile=profile)


def running(profile: str | None = None) -> set[str]:
    """The services whose containers run now."""
    result = run("ps", "--status", "running", "--services", timeout_s=60, profile=profile)
    return set(result.stdout.split()) if result.returncode == 0 else set()


def execute(service: str, *command: str, timeout_s: float, profile: str | None = None,
            user_input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command inside a service's container (`docker compose exec -T`); the result is not checked."""
    args = ["docker", "compose", "-f", str(COMPOSE_FILE), *(["--profile", profile] if profile else []),
            "exec", "-T", service, *command]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout_s, cwd=config.PROJECT_ROOT,
                          env=environment(config.load()), input=user_input)


def cluster_mode(settings: config.Settings) -> str:
    """How the cluster runs: what `up --cluster` recorded, else what it would choose now (native or compose)."""
    try:
        return json.loads((settings.state_dir / "cluster" / "state.json").read_text())["mode"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        if settings.stack_mode in ("native", "compose"):
            return settings.stack_mode
        return "compose" if engine_answers() else "native"
