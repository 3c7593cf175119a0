"""Bring the course's services (Kafka, RabbitMQ, Redis) up, down, or report their status.

    python -m tooling.stack up       reuse running services; else docker compose; else native
    python -m tooling.stack down     stop only what `up` started
    python -m tooling.stack status   each service, its address, how it was started, a live round trip
    python -m tooling.stack fetch    download native Kafka's jars now (Binder's postBuild), start nothing
    python -m tooling.stack up|down|status --cluster kafka|rabbitmq|all   the three-node cluster (tooling.stack.cluster)
    python -m tooling.stack up|down|status --cdc    the change-data-capture profile: PostgreSQL and Kafka Connect
                                                    with Debezium (needs the single-node Kafka: `make up` first)

COURSE_STACK=native|compose forces one way of starting (default: auto).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

from helpers import clients, config
from tooling.stack import (
    compose,
    native_connect,
    native_kafka,
    native_postgres,
    native_rabbitmq,
    native_redis,
    probe,
    process,
)


@dataclass(frozen=True)
class Service:
    """One service of the stack: how to reach it, start it natively, check it, and how long it may take."""

    name: str
    host_port: Callable[[config.Settings], tuple[str, int]]
    native: ModuleType
    round_trip: Callable[[config.Settings], probe.RoundTrip]
    ready_timeout_s: float

    def address(self, settings: config.Settings) -> str:
        """The host:port the course's clients connect to."""
        return "{}:{}".format(*self.host_port(settings))


SERVICES = (
    Service("kafka", lambda s: (s.kafka_host, s.kafka_port), native_kafka, probe.kafka_round_trip, 120.0),
    Service("rabbitmq", lambda s: (s.rabbitmq_host, s.rabbitmq_port), native_rabbitmq, probe.rabbitmq_round_trip, 90.0),
    Service("redis", lambda s: (s.redis_host, s.redis_port), native_redis, probe.redis_round_trip, 30.0),
)
#: The change-data-capture profile (`make up-cdc`): on demand, as the cluster is; Connect needs the single-node Kafka.
CDC_SERVICES = (
    Service("postgres", lambda s: (s.postgres_host, s.postgres_port), native_postgres, probe.postgres_round_trip,
            60.0),
    Service("connect", lambda s: (s.connect_host, s.connect_port), native_connect, probe.connect_round_trip, 180.0),
)
STARTED_BY = {"native": "native (make up)", "compose": "docker compose (make up)",
              "reused": "already running (left alone)"}


def started_by(how: str, profile: str | None) -> str:
    """How a service was started, as `status` prints it: native (make up-cdc) for the CDC profile's."""
    label = STARTED_BY.get(how, "-")
    return label.replace("make up", f"make up-{profile}") if profile else label


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


def wait_ready(services: list[Service], settings: config.Settings, mode: str,
               started: dict[str, float], profile: str | None = None) -> dict[str, float]:
    """Wait (bounded) until every service answers; return each one's seconds since its own start."""
    ready: dict[str, float] = {}
    while True:
        for service in (s for s in services if s.name not in ready):
            if mode == "native" and not service.native.running(settings):
                raise RuntimeError(failure_message(service, settings, "the process exited during start-up", profile))
            waited = time.monotonic() - started[service.name]
            if clients.port_open(*service.host_port(settings)) and service.round_trip(settings).ok:
                ready[service.name] = waited
                print(f"{service.name:<9} {service.address(settings):<22} started ({mode}), ready in {waited:.1f} s")
            elif waited > service.ready_timeout_s:
                raise RuntimeError(failure_message(service, settings,
                                                   f"not ready within {service.ready_timeout_s:.0f} s", profile))
        if len(ready) == len(services):
            return ready
        time.sleep(0.25)


def failure_message(service: Service, settings: config.Settings, reason: str, profile: str | None = None) -> str:
    """What failed, where, the last lines of each log the service wrote while starting, and what to do."""
    tails = process.tails(service.native.startup_logs(settings))
    suffix = f"-{profile}" if profile else ""
    return (f"{service.name} at {service.address(settings)}: {reason}.\n{tails}"
            f"Fix the cause above, then run `make down{suffix} && make up{suffix}` (details: `make status{suffix}`).")


def choose_mode(settings: config.Settings) -> str:
    """native or compose, from COURSE_STACK or by asking whether a Docker engine answers."""
    if settings.stack_mode in ("native", "compose"):
        return settings.stack_mode
    return "compose" if compose.engine_answers() else "native"


def up(settings: config.Settings, services: tuple[Service, ...] | None = None, profile: str | None = None) -> int:
    """Make every service answer (SERVICES unless told), starting only the ones that do not already."""
    services = services or SERVICES
    state = read_state(settings)
    missing = []
    for service in services:
        if service.round_trip(settings).ok:
            state.setdefault(service.name, "reused")
            print(f"{service.name:<9} {service.address(settings):<22} already answering "
                  f"({started_by(state[service.name], profile)})")
        else:
            missing.append(service)
    if missing:
        mode = choose_mode(settings)
        if mode == "compose":
            compose.up([service.name for service in missing], profile)
            started = dict.fromkeys((service.name for service in missing), time.monotonic())
        else:
            started = {}
            for service in missing:
                if service.native.running(settings):  # an earlier `up` started it and gave up waiting: no second copy
                    print(f"{service.name:<9} still starting from an earlier `make up`: waiting for it")
                else:
                    service.native.start(settings)  # Kafka's first start resolves its jars: minutes, not counted
                started[service.name] = time.monotonic()  # each service's bound counts from its own start
        state.update(dict.fromkeys((service.name for service in missing), mode))
        write_state(settings, state)
        wait_ready(missing, settings, mode, started, profile)
    write_state(settings, state)
    return 0


def down(settings: config.Settings, services: tuple[Service, ...] | None = None, profile: str | None = None) -> int:
    """Stop what `up` started (of SERVICES unless told); leave alone services it found already running."""
    services = services or SERVICES
    state = read_state(settings)
    for service in services:
        how = state.pop(service.name, None)
        if how == "compose":
            compose.down([service.name], profile)
            print(f"{service.name:<9} stopped (docker compose)")
        elif service.native.stop(settings):
            print(f"{service.name:<9} stopped (native)")
        elif how == "reused":
            print(f"{service.name:<9} left running: `make up` did not start it")
        else:
            print(f"{service.name:<9} was not running from `make up`")
    write_state(settings, state)
    return 0


def status(settings: config.Settings, services: tuple[Service, ...] | None = None, profile: str | None = None) -> int:
    """Print each service (of SERVICES unless told), its address, how it was started, and a live round trip;
    0 if all answer."""
    services = services or SERVICES
    state = read_state(settings)
    print(f"{'service':<9} {'address':<22} {'started by':<30} round trip")
    all_ok = True
    for service in services:
        result = service.round_trip(settings)
        all_ok &= result.ok
        how = started_by(state.get(service.name, ""), profile) if result.ok else "-"
        outcome = f"ok, {result.detail}" if result.ok else f"DOWN: {result.detail}"
        print(f"{service.name:<9} {service.address(settings):<22} {how:<30} {outcome}")
    if profile == "cdc":
        return 0 if all_ok else 1
    management = "answering" if clients.port_open(settings.rabbitmq_host, settings.rabbitmq_management_port) \
        else "not answering"
    print(f"RabbitMQ management: http://{settings.rabbitmq_host}:{settings.rabbitmq_management_port}/ ({management}); "
          f"MQTT {settings.rabbitmq_host}:{settings.rabbitmq_mqtt_port}, "
          f"STOMP {settings.rabbitmq_host}:{settings.rabbitmq_stomp_port}")
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
    if "--cdc" in argv:
        return cdc(argv)
    commands = {"up": up, "down": down, "status": status, "fetch": fetch}
    if len(argv) != 1 or argv[0] not in commands:
        print(__doc__)
        return 2
    try:
        return commands[argv[0]](config.load())
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def cdc(argv: list[str]) -> int:
    """up|down|status --cdc: PostgreSQL and Kafka Connect with Debezium, beside the single-node stack."""
    commands = {"up": up_cdc, "down": down, "status": status}
    rest = [arg for arg in argv if arg != "--cdc"]
    if len(rest) != 1 or rest[0] not in commands:
        print(__doc__)
        return 2
    try:
        # Natively for now: the compose file has PostgreSQL's service but not yet Connect's (up_cdc says so).
        return commands[rest[0]](replace(config.load(), stack_mode="native"), CDC_SERVICES, "cdc")
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def up_cdc(settings: config.Settings, services: tuple[Service, ...], profile: str) -> int:
    """Start the CDC profile natively once the single-node Kafka its worker stores everything in answers."""
    try:
        clients.require_kafka(settings)
    except clients.BrokerUnavailable as error:
        raise RuntimeError(f"Kafka Connect keeps its configs, offsets and status in Kafka: {error}") from None
    if read_state(settings).get("kafka") == "compose":
        raise RuntimeError("Kafka runs under docker compose, and the CDC profile has no Kafka Connect service there "
                           "yet (`docker compose --profile cdc up -d postgres` starts its PostgreSQL only). Run the "
                           "course natively for notebook 17: `make down`, then `COURSE_STACK=native make up-cdc`.")
    for service in services:
        refuse_foreign(service, settings)
    if not all(service.round_trip(settings).ok for service in services):
        native_connect.resolve_jars(settings)  # before any start, so no start-up time counts a download
    return up(settings, services, profile)


#: What else commonly holds a CDC service's port, and how to free it or move the course's.
FOREIGN_HINTS = {
    "postgres": "Debian's and Ubuntu's postgresql package starts a server of its own on 5432: stop it "
                "(`sudo systemctl disable --now postgresql`), or move the course's with POSTGRES_URL "
                "(e.g. export POSTGRES_URL=postgresql://course:course@127.0.0.1:5433/course)",
    "connect": "move the course's worker with CONNECT_URL (e.g. export CONNECT_URL=http://127.0.0.1:8084)",
}


def refuse_foreign(service: Service, settings: config.Settings) -> None:
    """RuntimeError naming the fix when something that is not the course's service answers on its port."""
    host, port = service.host_port(settings)
    if service.native.running(settings) or not clients.port_open(host, port):
        return
    result = service.round_trip(settings)
    if not result.ok:
        raise RuntimeError(f"{service.name}: something that is not the course's {service.name} listens on "
                           f"{host}:{port} ({result.detail}). {FOREIGN_HINTS[service.name]}.")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
