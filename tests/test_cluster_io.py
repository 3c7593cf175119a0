"""helpers.cluster_io without a cluster: a broker that has not heard of a new topic yet is asked again."""

from __future__ import annotations

import pytest

from helpers import cluster_io

UNKNOWN = {"name": "nb11-safe", "error_code": 3, "partitions": []}  # UNKNOWN_TOPIC_OR_PARTITION: not heard of yet
KNOWN = {"name": "nb11-safe", "error_code": 0,
         "partitions": [{"partition_index": 0, "leader_id": 2, "replica_nodes": [3, 1, 2], "isr_nodes": [2, 1]}]}


def answers(monkeypatch: pytest.MonkeyPatch, *described: dict) -> list[int]:
    """Make cluster_io.ask answer describe_topics with `described`, one per call; the calls are counted."""
    calls: list[int] = []

    def ask(query, timeout_s: float = 20.0):
        calls.append(1)
        return described[min(len(calls), len(described)) - 1]

    monkeypatch.setattr(cluster_io, "ask", ask)
    monkeypatch.setattr(cluster_io.time, "sleep", lambda _s: None)
    return calls


def test_a_broker_that_does_not_know_the_topic_yet_is_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = answers(monkeypatch, UNKNOWN, UNKNOWN, KNOWN)
    table = cluster_io.partitions_table("nb11-safe")
    assert len(calls) == 3
    assert table.to_dict("records") == [{"partition": 0, "leader": "kafka-2", "replicas": "kafka-1,kafka-2,kafka-3",
                                         "isr": "kafka-1,kafka-2"}]


def test_a_topic_no_broker_reports_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    answers(monkeypatch, UNKNOWN)
    with pytest.raises(LookupError, match=r"no broker reports topic nb11-safe after 0 s: run the cell that creates it"):
        cluster_io.partitions_table("nb11-safe", timeout_s=0)


def test_reset_topic_returns_the_table_that_showed_it_replicated(monkeypatch: pytest.MonkeyPatch) -> None:
    class Admin:
        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            return None

        def list_topics(self) -> list[str]:
            return []

        def create_topics(self, spec, timeout_ms: int, raise_errors: bool) -> dict:
            return {"topics": [{"name": name, "error_code": 0} for name in spec]}

    full = {**KNOWN, "partitions": [{**KNOWN["partitions"][0], "isr_nodes": [1, 2, 3]}]}
    answers(monkeypatch, UNKNOWN, KNOWN, full, UNKNOWN)  # a lagging broker answers last: it must not be returned
    monkeypatch.setattr(cluster_io, "admin", Admin)
    table = cluster_io.reset_topic("nb11-safe", partitions=1, replication_factor=3)
    assert table.loc[0, "isr"] == "kafka-1,kafka-2,kafka-3"
