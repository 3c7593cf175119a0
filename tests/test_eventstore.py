"""The SQLite event store: append with expected version, read one stream, read all in order."""

from __future__ import annotations

import sqlite3

import pytest

from helpers import banking, workload
from helpers.eventstore import ConcurrencyError, EventStore


@pytest.fixture
def store(tmp_path):
    store = EventStore(tmp_path / "events.sqlite")
    yield store
    store.close()


def test_append_and_read_back_a_workload(store):
    events = workload.generate(accounts=5, days=20, seed=3)
    versions: dict[str, int] = {}
    for event in events:
        versions[event.account_id] = store.append(event.account_id, [event], versions.get(event.account_id, 0))
    assert [stored.event for stored in store.read_all()] == events
    assert [stored.position for stored in store.read_all()] == list(range(1, len(events) + 1))
    assert store.last_position() == len(events)
    assert store.read_stream("ACC-002") == [e for e in events if e.account_id == "ACC-002"]
    assert store.version("ACC-002") == versions["ACC-002"]
    assert [s.event for s in store.read_all(after=10, limit=5)] == events[10:15]


def test_stale_version_is_a_concurrency_error_and_nothing_is_written(store):
    first = workload.generate(accounts=1, days=3, seed=1)
    store.append("ACC-001", first[:2], 0)
    with pytest.raises(ConcurrencyError, match="version 2, not 1"):
        store.append("ACC-001", first[2:3], 1)
    assert store.version("ACC-001") == 2


def test_batch_is_all_or_nothing(store):
    events = workload.generate(accounts=2, days=1, seed=1)
    store.append_batch([("ACC-001", 0, [e for e in events if e.account_id == "ACC-001"])])
    before = store.last_position()
    with pytest.raises(ConcurrencyError):
        store.append_batch([("ACC-002", 0, [e for e in events if e.account_id == "ACC-002"]), ("ACC-001", 0, [])])
    assert store.last_position() == before and store.version("ACC-002") == 0


def test_rows_cannot_be_updated_or_deleted(store):
    store.append("ACC-001", workload.generate(accounts=1, days=1, seed=1)[:1], 0)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.connection.execute("UPDATE events SET data = '{}'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.connection.execute("DELETE FROM events")
    assert isinstance(store.read_stream("ACC-001")[0], banking.AccountCreated)


def test_append_many_keeps_global_order_and_numbers_each_stream(store):
    events = workload.generate(accounts=4, days=10, seed=5)
    versions = store.append_many(events)
    assert [stored.event for stored in store.read_all()] == events
    assert versions == {a: sum(e.account_id == a for e in events) for a in {e.account_id for e in events}}
    later = workload.generate(accounts=4, days=12, seed=5)[len(events):]
    assert later, "the longer workload adds events"
    expected = dict(versions)
    for e in later:
        expected[e.account_id] = expected.get(e.account_id, 0) + 1
    assert store.append_many(later, versions) == expected
    assert store.read_stream("ACC-001") == [e for e in events + later if e.account_id == "ACC-001"]


def test_append_many_is_one_transaction_refused_whole_when_a_stream_is_stale(store):
    events = workload.generate(accounts=3, days=5, seed=2)
    store.append("ACC-002", [e for e in events if e.account_id == "ACC-002"][:1], 0)
    with pytest.raises(ConcurrencyError, match="ACC-002 is at version 1, not 0"):
        store.append_many(events)
    assert store.last_position() == 1  # the accounts before ACC-002's first event were not written either


def test_synchronous_is_full_by_default_normal_on_request_and_nothing_else(tmp_path):
    full, normal = EventStore(tmp_path / "full.sqlite"), EventStore(tmp_path / "normal.sqlite", synchronous="NORMAL")
    assert full.connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert normal.connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert normal.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    full.close()
    normal.close()
    with pytest.raises(ValueError, match="FULL, NORMAL"):
        EventStore(tmp_path / "off.sqlite", synchronous="OFF")
    assert not (tmp_path / "off.sqlite").exists()
