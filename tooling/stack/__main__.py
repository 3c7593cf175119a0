"""Bring the course's brokers up, down, or report their status.

    python -m tooling.stack up       reuse running brokers; else docker compose; else native
    python -m tooling.stack down     stop only what `up` started
    python -m tooling.stack status   each broker, its address, how it was started, a live round trip
    python -m tooling.stack fetch    download native Kafka's jars now (Binder's postBuild), start nothing
    python -m tooling.stack up|down|status --cluster kafka|rabbitmq|all   the three-node cluster (tooling.stack.cluster)

COURSE_STACK=native|compose forces one way of starting (default: auto).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from helpers import clients, config
from tooling.stack import compose, native_kafka, native_rabbitmq, probe, process

BROKERS = ("kafka", "rabbitmq")
NATIVE = {"kafka": native_kafka, "rabbitmq": native_rabbitmq}
ROUND_TRIPS: dict[str, Callable[[config.Settings], probe.RoundTrip]] = {
    "kafka": probe.kafka_round_trip, "rabbitmq": probe.rabbitmq_round_trip}
READY_TIMEOUT_S = {"kafka": 120.0, "rabbitmq": 90.0}
STARTED_BY = {"native": "native (make up)", "compose": "docker compose (make up)",
              "reused": "already running (left alone)"}


def address(broker: str, settings: config.Settings) -> str:
    """The host:port the course uses for a broker."""
    if broker == "kafka":
        return settings.kafka_bootstrap_servers
    return f"{settings.rabbitmq_host}:{settings.rabbitmq_port}"


def state_file(settings: config.Settings) -> Path:
    """Where `up` records how it started each broker."""
    return settings.state_dir / "state.json"


def read_state(settings: config.Settings) -> dict[str, str]:
    """How each broker was started by the last `up` (empty when nothing was)."""
    try:
        return json.loads(state_file(settings).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def write_state(settings: config.Settings, state: dict[str, str]) -> None:
    """Record how each broker was started."""
    state_file(settings).parent.mkdir(parents=True, exist_ok=True)
    state_file(settings).write_text(json.dumps(state, indent=2, sort_keys=True))


def answering(broker: str, settings: config.Settings) -> bool:
    """True when a broker completes a real protocol round trip at the configured address."""
    return ROUND_TRIPS[broker](settings).ok


def wait_ready(brokers: list[str], settings: config.Settings, mode: str, started: float) -> dict[str, float]:
    """Wait (bounded) until every broker answers; return each one's seconds since `started`."""
    ready: dict[str, float] = {}
    while True:
        for broker in (b for b in brokers if b not in ready):
            if mode == "native" and not NATIVE[broker].running(settings):
                raise RuntimeError(failure_message(broker, settings, "the process exited during start-up"))
            if clients.port_open(*host_port(broker, settings)) and answering(broker, settings):
                ready[broker] = time.monotonic() - started
                print(f"{broker:<9} {address(broker, settings):<22} started ({mode}), ready in {ready[broker]:.1f} s")
            elif time.monotonic() - started > READY_TIMEOUT_S[broker]:
                raise RuntimeError(failure_message(broker, settings, f"not ready within {READY_TIMEOUT_S[broker]:.0f} s"))
        if len(ready) == len(brokers):
            return ready
        time.sleep(0.25)


def host_port(broker: str, settings: config.Settings) -> tuple[str, int]:
    """The host and port a broker's clients connect to."""
    if broker == "kafka":
        return settings.kafka_host, settings.kafka_port
    return settings.rabbitmq_host, settings.rabbitmq_port


def failure_message(broker: str, settings: config.Settings, reason: str) -> str:
    """What failed, where, the last lines of the broker's log, and what to do."""
    log = NATIVE[broker].log_file(settings)
    return (f"{broker} at {address(broker, settings)}: {reason}.\n"
            f"Last lines of {log}:\n{process.tail(log)}\n"
            f"Fix the cause above, then run `make down && make up` (details: `make status`).")


def choose_mode(settings: config.Settings) -> str:
    """native or compose, from COURSE_STACK or by asking whether a Docker engine answers."""
    if settings.stack_mode in ("native", "compose"):
        return settings.stack_mode
    return "compose" if compose.engine_answers() else "native"


def up(settings: config.Settings) -> int:
    """Make both brokers answer, starting only the ones that do not already."""
    state = read_state(settings)
    missing = []
    for broker in BROKERS:
        if answering(broker, settings):
            state.setdefault(broker, "reused")
            print(f"{broker:<9} {address(broker, settings):<22} already answering ({STARTED_BY[state[broker]]})")
        else:
            missing.append(broker)
    if missing:
        mode = choose_mode(settings)
        started = time.monotonic()
        if mode == "compose":
            compose.up(missing)
        else:
            for broker in missing:
                NATIVE[broker].start(settings)
        state.update(dict.fromkeys(missing, mode))
        write_state(settings, state)
        wait_ready(missing, settings, mode, started)
    write_state(settings, state)
    return 0


def down(settings: config.Settings) -> int:
    """Stop what `up` started; leave alone brokers it found already running."""
    state = read_state(settings)
    for broker in BROKERS:
        how = state.pop(broker, None)
        if how == "compose":
            compose.down([broker])
            print(f"{broker:<9} stopped (docker compose)")
        elif NATIVE[broker].stop(settings):
            print(f"{broker:<9} stopped (native)")
        elif how == "reused":
            print(f"{broker:<9} left running: `make up` did not start it")
        else:
            print(f"{broker:<9} was not running from `make up`")
    write_state(settings, state)
    return 0


def status(settings: config.Settings) -> int:
    """Print each broker, its address, how it was started, and a live round trip; 0 if both answer."""
    state = read_state(settings)
    print(f"{'broker':<9} {'address':<22} {'started by':<30} round trip")
    all_ok = True
    for broker in BROKERS:
        result = ROUND_TRIPS[broker](settings)
        all_ok &= result.ok
        started_by = STARTED_BY.get(state.get(broker, ""), "-") if result.ok else "-"
        outcome = f"ok, {result.detail}" if result.ok else f"DOWN: {result.detail}"
        print(f"{broker:<9} {address(broker, settings):<22} {started_by:<30} {outcome}")
    return 0 if all_ok else 1


def fetch(settings: config.Settings) -> int:
    """Resolve native Kafka's jars into the cache so a later `up` downloads nothing."""
    print(f"kafka     jars in {native_kafka.resolve_jars(settings)}")
    return 0


def main(argv: list[str]) -> int:
    """Dispatch up|down|status|fetch."""
    if any(arg.startswith("--cluster") for arg in argv):
        from tooling.stack import cluster

        return cluster.main(argv)
    commands = {"up": up, "down": down, "status": status, "fetch": fetch}
    if len(argv) != 1 or argv[0] not in commands:
        print(__doc__)
        return 2
    try:
        return commands[argv[0]](config.load())
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
