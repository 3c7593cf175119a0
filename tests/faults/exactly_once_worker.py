"""A service, an outbox relay or a transactional fraud detector as its own process, for test_exactly_once.py.

    python exactly_once_worker.py MODE DB TOPIC START [PAUSE_POINT]     (DB is unused by `detector`: pass -)

MODE is `db-first` or `kafka-first` (the dual write: handle the commands from index START on), `relay` (publish
the outbox after its recorded position) or `detector` (consume-transform-produce from TOPIC to TOPIC-alerts in
Kafka transactions of CHUNK records). At PAUSE_POINT (on the first command with index % 10 == 9, the relay's 7th row, or the
detector's first chunk that holds alerts) the process prints `paused <point> <index>` and waits to be killed with
SIGKILL; otherwise it prints `done` at the end. The commands are notebook 13's: the seeded bank's first money movements.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time

from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from helpers import banking, kafka_io, workload

COMMANDS = 60
CHUNK = 250
DETECTOR_GROUP = "faults-eo-detector"


def movements() -> list[banking.Event]:
    """The commands: the seeded bank's first money movements."""
    bank = workload.build(accounts=20, days=60, seed=42)
    return [e for e in bank.events if isinstance(e, (banking.MoneyDeposited, banking.MoneyWithdrawn))][:COMMANDS]


def night_alert(e: banking.Event) -> dict | None:
    """Notebook 13's rule: money leaving an account between 00:00 and 05:00."""
    if isinstance(e, (banking.MoneyWithdrawn, banking.TransferSent)) and e.occurred_at.hour < 5:
        return {"alert_id": f"alert-{e.event_id}", "account_id": e.account_id}
    return None


def pause(point: str, wanted: str | None, index: int) -> None:
    """Stop dead at the wanted point: say so, then wait for SIGKILL."""
    if point == wanted:
        print(f"paused {point} {index}", flush=True)
        time.sleep(600)
        raise SystemExit("never killed")


def dual_write(mode: str, db: sqlite3.Connection, topic: str, start: int, wanted: str | None) -> None:
    """Handle the commands from `start`: the ledger row and the event, in the mode's order."""
    with kafka_io.producer() as producer:
        for index, e in enumerate(movements()[start:], start=start):
            row, value = (e.event_id, e.account_id, str(banking.signed_amount(e))), banking.to_json(e).encode()
            with db:
                db.execute("INSERT INTO ledger VALUES (?, ?, ?)", row)
                if mode == "kafka-first":
                    producer.send(topic, key=e.account_id.encode(), value=value).get(timeout=10)
                    pause("after send, before commit", wanted if index % 10 == 9 else None, index)
            if mode == "db-first":
                pause("after commit, before send", wanted if index % 10 == 9 else None, index)
                producer.send(topic, key=e.account_id.encode(), value=value).get(timeout=10)


def relay(db: sqlite3.Connection, wanted: str | None, every: int = 7) -> None:
    """Publish the outbox after the recorded position, pausing at `wanted` on the `every`-th row."""
    (position,) = db.execute("SELECT position FROM relay_position").fetchone()
    rows = db.execute("SELECT position, topic, key, payload FROM outbox WHERE position > ? ORDER BY position",
                      (position,)).fetchall()
    with kafka_io.producer() as producer:
        for n, (row_position, topic, key, payload) in enumerate(rows, start=1):
            point = wanted if n == every else None
            pause("before send", point, row_position)
            producer.send(topic, key=key.encode(), value=payload.encode()).get(timeout=10)
            pause("after send, before recording", point, row_position)
            with db:
                db.execute("UPDATE relay_position SET position = ?", (row_position,))
            pause("after recording", point, row_position)


def detector(topic: str, wanted: str | None) -> None:
    """Alerts from `topic` to `topic`-alerts with the input offsets, one transaction per CHUNK records."""
    end = kafka_io.end_offsets(topic)
    with (kafka_io.consumer(topic, group_id=DETECTOR_GROUP, enable_auto_commit=False,
                            isolation_level="read_committed") as consumer,
          kafka_io.producer(transactional_id="faults-eo-detector") as producer):
        producer.init_transactions()
        pending, done, deadline = [], False, time.monotonic() + 120
        while not done and time.monotonic() < deadline:
            pending += [r for rs in consumer.poll(timeout_ms=500, max_records=CHUNK).values() for r in rs]
            owned = consumer.assignment()
            done = len(owned) == len(end) and all(consumer.position(tp) >= end[tp.partition] for tp in owned)
            while len(pending) >= CHUNK or (done and pending):
                chunk, pending = pending[:CHUNK], pending[CHUNK:]
                producer.begin_transaction()
                alerts = [a for r in chunk if (a := night_alert(banking.from_json(r.value)))]
                for a in alerts:
                    producer.send(f"{topic}-alerts", key=a["account_id"].encode(), value=json.dumps(a).encode())
                producer.send_offsets_to_transaction(
                    {TopicPartition(r.topic, r.partition): OffsetAndMetadata(r.offset + 1, "", -1) for r in chunk},
                    consumer.group_metadata())
                if alerts:
                    producer.flush()
                    pause("before commit", wanted, len(alerts))
                producer.commit_transaction()
        if not done:
            raise SystemExit("the detector did not catch up")


def main(mode: str, db_path: str, topic: str, start: str, wanted: str | None = None) -> None:
    """Run one mode until done, or until paused and killed."""
    if mode in ("db-first", "kafka-first"):
        dual_write(mode, sqlite3.connect(db_path), topic, int(start), wanted)
    elif mode == "relay":
        relay(sqlite3.connect(db_path), wanted)
    elif mode == "detector":
        detector(topic, wanted)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print("done", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
