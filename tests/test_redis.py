"""Redis in the stack, live: a native redis-server of the test's own on a spare port (started and stopped by pid),
the fail-fast checks, and a read-model projector that loses Redis mid-projection and resumes from its position.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from helpers import banking, clients, config, redis_io, workload
from helpers.eventstore import EventStore, StoredEvent
from tooling.stack import native_redis, probe, process

pytestmark = pytest.mark.live


def spare_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return probe_socket.getsockname()[1]


def start(settings: config.Settings) -> None:
    """native_redis.start in a child process, as `make up` runs it (the server outlives that process)."""
    env = {**os.environ, "COURSE_STATE_DIR": str(settings.state_dir), "REDIS_URL": settings.redis_url}
    subprocess.run([sys.executable, "-c", "from helpers import config; from tooling.stack import native_redis; "
                    "native_redis.start(config.load())"], env=env, cwd=config.PROJECT_ROOT, check=True, timeout=60)


def wait_answering(settings: config.Settings, timeout_s: float = 30.0) -> None:
    """Wait (bounded) until the Redis at REDIS_URL completes a round trip."""
    deadline = time.monotonic() + timeout_s
    while not probe.redis_round_trip(settings).ok:
        assert native_redis.running(settings), process.tail(native_redis.log_file(settings))
        assert time.monotonic() < deadline, f"Redis not ready in {timeout_s} s:\n{process.tail(native_redis.log_file(settings))}"
        time.sleep(0.05)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[config.Settings]:
    """A redis-server of this test on a spare port, state in tmp_path; always stopped by its pid."""
    settings = dataclasses.replace(config.load(), state_dir=tmp_path, redis_url=f"redis://127.0.0.1:{spare_port()}/0")
    start(settings)
    try:
        wait_answering(settings)
        yield settings
    finally:
        native_redis.stop(settings)


def test_native_redis_starts_on_loopback_answers_and_stops(own_redis: config.Settings) -> None:
    settings = own_redis
    assert probe.redis_round_trip(settings).ok
    assert probe.listening_addresses(settings.redis_port) == {"0100007F"}, "Redis must listen on 127.0.0.1 only"
    assert (native_redis.home(settings) / "redis.conf").read_text().startswith("bind 127.0.0.1\n")
    assert native_redis.stop(settings) is True
    assert not native_redis.running(settings) and not clients.port_open("127.0.0.1", settings.redis_port)
    assert native_redis.stop(settings) is False, "a second stop finds nothing of ours to stop"


def test_require_redis_fails_fast_naming_the_fix() -> None:
    settings = dataclasses.replace(config.load(), redis_url=f"redis://127.0.0.1:{spare_port()}/0", connect_timeout_s=2)
    started = time.monotonic()
    with pytest.raises(clients.BrokerUnavailable, match=r"Redis is not reachable at 127\.0\.0\.1:\d+ .*make up"):
        redis_io.connect(settings)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379/0", "127.0.0.1:6379"])
def test_a_bad_redis_url_names_the_variable(url: str) -> None:
    settings = dataclasses.replace(config.load(), redis_url=url)
    with pytest.raises(clients.BrokerUnavailable, match="REDIS_URL"):
        clients.require_redis(settings)


# ------------------------------------------------------------------ a projector that loses Redis mid-projection

# The read model of notebook 03, section 9: a hash per account, a stream of its history whose entry ids are
# event positions, and the position, all updated by one atomic script per event (skipped when already applied).
SCRIPT = """
local position = tonumber(ARGV[1])
if position <= tonumber(redis.call('GET', KEYS[1]) or '0') then return 0 end
if ARGV[2] == 'AccountCreated' then
  redis.call('HSET', KEYS[2], 'balance_cents', 0, 'movements', 0)
else
  local balance = redis.call('HINCRBY', KEYS[2], 'balance_cents', ARGV[3])
  redis.call('HINCRBY', KEYS[2], 'movements', 1)
  redis.call('XADD', KEYS[3], position .. '-1', 'balance_after_cents', balance)
end
redis.call('SET', KEYS[1], position)
return 1
"""


def project(client: redis.Redis, stored_events: Iterator[StoredEvent], batch: int = 50) -> int:
    """Apply events in pipelined batches of one script call each; return how many were applied."""
    script, applied, page = client.register_script(SCRIPT), 0, []
    for stored in stored_events:
        page.append(stored)
        if len(page) == batch:
            applied += _apply(client, script, page)
            page = []
    return applied + (_apply(client, script, page) if page else 0)


def _apply(client: redis.Redis, script, page: list[StoredEvent]) -> int:
    """One pipeline of script calls, one per event."""
    pipe = client.pipeline(transaction=False)
    for stored in page:
        e = stored.event
        amount = 0 if isinstance(e, banking.AccountCreated) else int(banking.signed_amount(e) * 100)
        script(keys=["rm:position", f"rm:account:{e.account_id}", f"rm:history:{e.account_id}"],
               args=[stored.position, banking.event_type(e), amount], client=pipe)
    return sum(pipe.execute())


def position(client: redis.Redis) -> int:
    """The read model's tracked position."""
    return int(client.get("rm:position") or 0)


def stops_redis_after(stored_events: list[StoredEvent], count: int, stop) -> Iterator[StoredEvent]:
    """Yield events, stopping Redis (mid-batch) after `count` of them."""
    for n, stored in enumerate(stored_events):
        if n == count:
            stop()
        yield stored


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_redis_down_mid_projection_then_resume_loses_nothing_and_applies_nothing_twice(
        own_redis: config.Settings, tmp_path: Path, how: str) -> None:
    settings = own_redis
    bank = workload.build(accounts=6, days=30, seed=5)
    store = EventStore(tmp_path / "write.sqlite")
    versions: dict[str, int] = {}
    writes = []
    for e in bank.events:
        writes.append((e.account_id, versions.get(e.account_id, 0), [e]))
        versions[e.account_id] = versions.get(e.account_id, 0) + 1
    store.append_batch(writes)
    events = store.read_all()
    pid = process.read_pid(native_redis.home(settings) / "launcher.pid")

    def stop() -> None:
        os.kill(pid, getattr(signal, how))
        while process.alive(pid):
            time.sleep(0.02)

    client = redis_io.connect(settings)
    with pytest.raises(redis.ConnectionError):
        project(client, stops_redis_after(events, count=120, stop=stop))  # batches of 50: dies inside the third
    client.close()
    with pytest.raises(clients.BrokerUnavailable, match="Redis is not reachable.*make up"):
        redis_io.connect(settings)  # the projector's restart, while Redis is down: a clear error with the fix

    start(settings)
    wait_answering(settings)
    with redis_io.connect(settings) as client:
        resumed_at = position(client)
        if how == "SIGTERM":  # a clean shutdown flushes the append-only file: both finished batches survive
            assert resumed_at == events[99].position, resumed_at
        else:  # a kill may lose the last second of writes, rows and position together
            assert resumed_at <= events[99].position, resumed_at
        applied = project(client, iter(store.read_all(after=resumed_at)))
        assert applied == len(events) - sum(1 for e in events if e.position <= resumed_at)
        assert project(client, iter(events)) == 0, "a full re-delivery applies nothing"
        truth = banking.replay_all(e.event for e in events)
        for account_id, state in truth.items():
            row = client.hgetall(f"rm:account:{account_id}")
            movements = [e.position for e in events
                         if e.event.account_id == account_id and not isinstance(e.event, banking.AccountCreated)]
            history = [int(entry_id.split("-")[0]) for entry_id, _ in client.xrange(f"rm:history:{account_id}")]
            assert int(row["balance_cents"]) == int(state.balance * 100), account_id
            assert int(row["movements"]) == len(movements) and history == movements, account_id
        assert position(client) == events[-1].position
    store.close()
