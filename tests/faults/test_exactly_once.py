"""Notebook 13's crash points, with real processes killed by SIGKILL at each one, and exact counts.

The dual write loses (database first) or invents (Kafka first) one event per kill; the outbox relay, killed
before send, after send and after recording its position, loses nothing and duplicates exactly once per kill
after send; the transactional detector, killed before `commit_transaction`, leaves read_committed readers every
alert exactly once and its group's offsets at the input's end, while read_uncommitted readers see the aborted
alerts a second time.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import exactly_once_worker as worker
import pytest
from kafka import TopicPartition
from test_faults import Worker

from helpers import banking, kafka_io, workload

pytestmark = pytest.mark.live

LEDGER = "CREATE TABLE ledger (event_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, amount TEXT NOT NULL)"
OUTBOX = """
CREATE TABLE outbox (position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
                     topic TEXT NOT NULL, key TEXT NOT NULL, payload TEXT NOT NULL);
CREATE TABLE relay_position (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL);
INSERT INTO relay_position VALUES (1, 0);
"""


def ids_in(topic: str, isolation_level: str = "read_uncommitted", field: str = "event_id") -> list[str]:
    """Every id the topic holds, duplicates included, as a reader with that isolation sees them."""
    end = kafka_io.end_offsets(topic)
    with kafka_io.consumer(isolation_level=isolation_level) as reader:
        reader.assign([TopicPartition(topic, p) for p in end])
        reader.seek_to_beginning()
        return [json.loads(r.value)[field] for r in kafka_io.consume(reader, max_records=sum(end.values()), timeout_s=10)]


def run_until_done(*args: str, pause: str | None, restart_args=None) -> int:
    """Run the worker, SIGKILL it each time it pauses, restart it; return how many kills it took to finish."""
    kills, current = 0, list(args)
    while True:
        process = Worker("exactly_once_worker.py", *current, *([pause] if pause else []))
        line = process.lines.get(timeout=180)
        if line == "done":
            code = process.process.wait(timeout=60)
            errors = process.errors_and_close()
            assert code == 0, f"the worker failed:\n{errors}"
            return kills
        if not (line and line.startswith("paused")):
            process.process.kill()
            process.process.wait(timeout=30)
            raise AssertionError(f"unexpected worker output {line!r}: {process.errors_and_close()}")
        process.process.kill()
        process.process.wait(timeout=30)
        process.errors_and_close()
        kills += 1
        if restart_args:
            current = restart_args(current, line.split())


def next_command(args: list[str], fields: list[str]) -> list[str]:
    """The restarted service takes the command after the one it died on (the client gave up on that one)."""
    return [*args[:3], str(int(fields[-1]) + 1)]


def fresh_db(tmp_path: Path, name: str, schema: str) -> Path:
    """A new SQLite file with the schema."""
    path = tmp_path / name
    with sqlite3.connect(path) as db:
        db.executescript(schema)
    db.close()
    return path


def ledger_ids(path: Path) -> list[str]:
    """The event ids the service committed."""
    db = sqlite3.connect(path)
    ids = [event_id for (event_id,) in db.execute("SELECT event_id FROM ledger")]
    db.close()
    return ids


def row(fault: str, kills: int, committed: list[str], published: list[str]) -> dict[str, object]:
    """One row of the fault table, for a database-and-Kafka scenario."""
    return {"fault": fault, "injected": kills, "events in": len(committed),
            "processed": len(set(committed) & set(published)), "redelivered": len(published) - len(set(published)),
            "lost": len(set(committed) - set(published)), "duplicated": len(set(published) - set(committed))}


@pytest.mark.parametrize(("mode", "point"), [("db-first", "after commit, before send"),
                                             ("kafka-first", "after send, before commit")])
def test_dual_write_loses_or_invents_one_event_per_kill(spare_stack, fault_table, tmp_path, mode, point) -> None:
    topic = f"faults-eo-{mode}"
    kafka_io.reset_topics({topic: 1})
    path = fresh_db(tmp_path, f"{mode}.sqlite", LEDGER)
    kills = run_until_done(mode, str(path), topic, "0", pause=point, restart_args=next_command)
    committed, published = ledger_ids(path), ids_in(topic)
    fault_table.append(row(f"dual write {mode}: kill {point}", kills, committed, published)
                       | {"duplicated": f"{len(set(published) - set(committed))} phantom"})
    assert kills == worker.COMMANDS // 10
    lost, phantom = set(committed) - set(published), set(published) - set(committed)
    if mode == "db-first":
        assert (len(lost), len(phantom), len(committed)) == (kills, 0, worker.COMMANDS), "one lost event per kill"
    else:
        assert (len(lost), len(phantom), len(committed)) == (0, kills, worker.COMMANDS - kills), "one phantom per kill"
    assert len(published) == len(set(published)), "no duplicates: only losses and phantoms"


@pytest.mark.parametrize("point", ["before send", "after send, before recording", "after recording"])
def test_outbox_relay_loses_nothing_wherever_it_is_killed(spare_stack, fault_table, tmp_path, point) -> None:
    topic = "faults-eo-outbox"
    kafka_io.reset_topics({topic: 1})
    path = fresh_db(tmp_path, "outbox.sqlite", LEDGER + ";" + OUTBOX)
    with sqlite3.connect(path) as db:  # the service: the change and its event in one transaction
        for e in worker.movements():
            db.execute("INSERT INTO ledger VALUES (?, ?, ?)", (e.event_id, e.account_id, str(banking.signed_amount(e))))
            db.execute("INSERT INTO outbox (event_id, topic, key, payload) VALUES (?, ?, ?, ?)",
                       (e.event_id, topic, e.account_id, banking.to_json(e)))
    db.close()
    kills = run_until_done("relay", str(path), topic, "0", pause=point)
    committed, published = ledger_ids(path), ids_in(topic)
    fault_table.append(row(f"outbox relay: kill {point}", kills, committed, published))
    assert kills >= worker.COMMANDS // 7 - 1, f"the relay was killed only {kills} times"
    assert set(published) == set(committed) and len(committed) == worker.COMMANDS, "nothing lost, nothing invented"
    expected_duplicates = kills if point == "after send, before recording" else 0
    assert len(published) - len(set(published)) == expected_duplicates, "a duplicate per kill after send, else none"


def test_transactional_detector_killed_before_commit(spare_stack, fault_table) -> None:
    topic = "faults-eo-transactions"
    kafka_io.reset_topics({topic: 1, f"{topic}-alerts": 1})
    kafka_io.reset_group(worker.DETECTOR_GROUP)
    bank = workload.build(accounts=20, days=60, seed=42)
    with kafka_io.producer() as producer:
        for e in bank.events:
            producer.send(topic, key=e.account_id.encode(), value=banking.to_json(e).encode())
    expected = sorted(a["alert_id"] for e in bank.events if (a := worker.night_alert(e)))
    first = Worker("exactly_once_worker.py", "detector", "-", topic, "0", "before commit")
    paused = first.kill_when(lambda fields: fields[0] == "paused")
    in_flight = int(paused.split()[-1])
    kills = 1 + run_until_done("detector", "-", topic, "0", pause=None)
    committed_view = ids_in(f"{topic}-alerts", "read_committed", field="alert_id")
    uncommitted_view = ids_in(f"{topic}-alerts", "read_uncommitted", field="alert_id")
    fault_table.append({"fault": "transactional detector: kill before commit", "injected": kills,
                        "events in": len(bank.events), "processed": len(committed_view),
                        "redelivered": in_flight, "lost": len(set(expected) - set(committed_view)),
                        "duplicated": len(committed_view) - len(set(committed_view))})
    assert sorted(committed_view) == expected, "read_committed: every alert exactly once"
    assert len(uncommitted_view) == len(expected) + in_flight, "read_uncommitted also sees the aborted alerts"
    assert Counter(uncommitted_view) - Counter(expected), "the aborted alerts are duplicates of real ones"
    assert kafka_io.committed_offsets(worker.DETECTOR_GROUP, topic) == kafka_io.end_offsets(topic), \
        "the offsets committed with the alerts stand at the input's end"

