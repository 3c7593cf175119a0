"""The append-only SQLite event store that notebook 01 builds in plain sight, as a reusable class.

    store = EventStore(config.data_path("03_write_side.sqlite"))
    store.append("ACC-001", [event, ...], expected_version=0)   # ConcurrencyError if stale
    store.read_stream("ACC-001")                                 # one account's events, in order
    store.read_all(after=0)                                      # every event, in global order
    store.append_batch([("ACC-001", 3, [sent]), ("ACC-002", 5, [received])])   # all or nothing
    store.append_many(bank.events)                               # a time-ordered history, one commit

Durability (notebook 01, section 6, measures it): the file is in WAL mode and, by default,
`synchronous="FULL"`: every commit waits for an fsync, so a committed event survives a power cut, and one
event per commit runs at the disk's fsync rate (a few hundred per second). `synchronous="NORMAL"` skips
that fsync: still safe against a process crash, but a power cut may lose the last commits. Group commit
(`append_batch`, `append_many`: many events, one transaction) keeps FULL's guarantee at a fraction of the
cost per event.

One row per event: a global `position` (the order of the whole store, what projections track), the
`stream_id` and its `version` inside the stream (1, 2, 3, ...; unique together: the optimistic
concurrency check), and the event as JSON (`helpers.banking.to_json`). Triggers refuse UPDATE and
DELETE, so the table really is append-only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from helpers import banking
from helpers.banking import Event

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id   TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    event_id    TEXT    NOT NULL UNIQUE,
    event_type  TEXT    NOT NULL,
    occurred_at TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    UNIQUE (stream_id, version)
);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only: record a new event instead'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only: record a new event instead'); END;
"""


SYNCHRONOUS = ("FULL", "NORMAL")


class ConcurrencyError(Exception):
    """The stream moved on since it was read: reload, decide again, retry."""


@dataclass(frozen=True)
class StoredEvent:
    """An event with its place in the store."""

    position: int
    stream_id: str
    version: int
    event: Event


class EventStore:
    """Append-only events in one SQLite file, with per-stream optimistic concurrency."""

    def __init__(self, path: str | Path, synchronous: str = "FULL") -> None:
        """Open (or create) the store at `path`; `synchronous` is "FULL" (fsync per commit) or "NORMAL"."""
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}, not {synchronous!r}")
        self.connection = sqlite3.connect(path, isolation_level=None)  # transactions are explicit
        self.connection.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
        self.connection.execute(f"PRAGMA synchronous = {synchronous}")
        self.connection.executescript(SCHEMA)

    def version(self, stream_id: str) -> int:
        """How many events the stream holds (0 for a new stream)."""
        row = self.connection.execute("SELECT MAX(version) FROM events WHERE stream_id = ?", (stream_id,)).fetchone()
        return row[0] or 0

    def append(self, stream_id: str, events: Sequence[Event], expected_version: int) -> int:
        """Append events to a stream that must be at `expected_version`; return its new version."""
        self.append_batch([(stream_id, expected_version, events)])
        return expected_version + len(events)

    def append_batch(self, writes: Iterable[tuple[str, int, Sequence[Event]]]) -> None:
        """Append to several streams in one transaction: every write lands, or none does."""
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            for stream_id, expected_version, events in writes:
                current = self.version(stream_id)
                if current != expected_version:
                    raise ConcurrencyError(
                        f"stream {stream_id} is at version {current}, not {expected_version}: "
                        "reload it, decide again and retry"
                    )
                cursor.executemany(
                    "INSERT INTO events (stream_id, version, event_id, event_type, occurred_at, data)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (stream_id, expected_version + offset, e.event_id, banking.event_type(e),
                         e.occurred_at.isoformat(), banking.to_json(e))
                        for offset, e in enumerate(events, start=1)
                    ],
                )
        except sqlite3.IntegrityError as error:
            cursor.execute("ROLLBACK")
            raise ConcurrencyError(f"conflicting append: {error}") from None
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    def append_many(self, events: Iterable[Event], expected_versions: Mapping[str, int] | None = None,
                    ) -> dict[str, int]:
        """Append time-ordered events of any accounts in one transaction (group commit); return new versions.

        Each account's stream must be at `expected_versions[account]` (0, a new stream, when not given).
        """
        versions = dict(expected_versions or {})
        writes = []
        for e in events:
            version = versions.get(e.account_id, 0)
            writes.append((e.account_id, version, [e]))
            versions[e.account_id] = version + 1
        self.append_batch(writes)
        return versions

    def read_stream(self, stream_id: str) -> list[Event]:
        """One stream's events, oldest first."""
        rows = self.connection.execute(
            "SELECT data FROM events WHERE stream_id = ? ORDER BY version", (stream_id,)
        )
        return [banking.from_json(data) for (data,) in rows]

    def read_all(self, after: int = 0, limit: int | None = None) -> list[StoredEvent]:
        """Every event after a global position, in the order they were stored."""
        rows = self.connection.execute(
            "SELECT position, stream_id, version, data FROM events WHERE position > ? ORDER BY position LIMIT ?",
            (after, -1 if limit is None else limit),
        )
        return [StoredEvent(position, stream, version, banking.from_json(data)) for position, stream, version, data in rows]

    def last_position(self) -> int:
        """The global position of the newest event (0 when empty)."""
        return self.connection.execute("SELECT COALESCE(MAX(position), 0) FROM events").fetchone()[0]

    def close(self) -> None:
        """Close the SQLite connection."""
        self.connection.close()
