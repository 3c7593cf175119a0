"""An idempotent Kafka projection, run as its own process so a test can SIGKILL it mid-batch.

    python tests/faults/kafka_projection.py DB TOPIC GROUP

Each record is applied in one SQLite transaction that also records its event id, so an event is applied
once however often Kafka delivers it. Offsets are committed to Kafka only after a whole batch, so a kill
mid-batch makes Kafka deliver the batch's applied records again: the projection counts and skips them.
Prints `progress <index in batch> <batch size> <events applied so far>` every few records; exits after
IDLE_S seconds without records.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from decimal import Decimal

from helpers import banking, kafka_io

BATCH = 500
IDLE_S = 6.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS processed (event_id TEXT PRIMARY KEY, partition INTEGER, offset INTEGER);
CREATE TABLE IF NOT EXISTS balances (account_id TEXT PRIMARY KEY, balance TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stats (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO stats VALUES ('redelivered', 0), ('starts', 0);
"""


def open_db(path: str) -> sqlite3.Connection:
    """The projection's database (autocommit mode: transactions are explicit)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA)
    return db


def apply_once(db: sqlite3.Connection, event: banking.Event, partition: int, offset: int) -> bool:
    """Apply one event and remember its id, in one transaction; False (and counted) if seen before."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute("SELECT 1 FROM processed WHERE event_id = ?", (event.event_id,)).fetchone():
            db.execute("UPDATE stats SET value = value + 1 WHERE name = 'redelivered'")
            db.execute("COMMIT")
            return False
        db.execute("INSERT INTO processed VALUES (?, ?, ?)", (event.event_id, partition, offset))
        row = db.execute("SELECT balance FROM balances WHERE account_id = ?", (event.account_id,)).fetchone()
        balance = Decimal(row[0]) if row else Decimal("0.00")
        db.execute("INSERT OR REPLACE INTO balances VALUES (?, ?)",
                   (event.account_id, str(balance + banking.signed_amount(event))))
        db.execute("COMMIT")
        return True
    except BaseException:
        db.execute("ROLLBACK")
        raise


def main(path: str, topic: str, group: str) -> int:
    """Consume until idle, applying each event once and committing offsets after each batch."""
    db = open_db(path)
    db.execute("UPDATE stats SET value = value + 1 WHERE name = 'starts'")
    applied = db.execute("SELECT COUNT(*) FROM processed").fetchone()[0]
    consumer = kafka_io.consumer(topic, group_id=group, enable_auto_commit=False, max_poll_records=BATCH)
    last_record = time.monotonic()
    while True:
        batch = consumer.poll(timeout_ms=500)
        if not batch:
            if not consumer.assignment():
                last_record = time.monotonic()  # still joining the group
            elif time.monotonic() - last_record > IDLE_S:
                break
            continue
        last_record = time.monotonic()
        records = [record for tp in sorted(batch) for record in batch[tp]]
        for index, record in enumerate(records, start=1):
            applied += apply_once(db, banking.from_json(record.value), record.partition, record.offset)
            if index % 20 == 0:
                print(f"progress {index} {len(records)} {applied}", flush=True)
        consumer.commit()
        print(f"committed {len(records)} {applied}", flush=True)
    consumer.close()
    print(f"idle {applied}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
