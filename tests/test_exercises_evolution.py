"""Notebook 15's checkers accept the reference answers and reject wrong ones, boundary cases and the stubs."""

from __future__ import annotations

import copy
import uuid

import pytest

from helpers import kafka_io
from helpers.exercises import evolution as checks


def stub(*args, **kwargs):
    """The learner's untouched cell."""
    raise NotImplementedError("your turn")


def v3(channel: dict | None) -> dict:
    """V2 plus an optional channel field."""
    schema = copy.deepcopy(checks.V2)
    if channel is not None:
        schema["fields"].append(channel)
    return schema


def without_currency_default(schema: dict) -> dict:
    """The schema with currency required: compatible with v2 both ways, but a v3 reader cannot read v1 events."""
    return {**schema, "fields": [{"name": "currency", "type": "string"} if f["name"] == "currency" else f
                                 for f in schema["fields"]]}


# --- a FULL_TRANSITIVE-compatible v3 ---

@pytest.mark.parametrize("channel", [
    {"name": "channel", "type": "string", "default": "unknown"},
    {"name": "channel", "type": ["null", "string"], "default": None},
])
def test_full_v3_accepts_a_channel_with_a_default(capsys, channel) -> None:
    assert checks.check_full_v3(lambda: v3(channel))
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize(("answer", "says"), [
    (lambda: v3({"name": "channel", "type": "string"}), "refused"),                       # no default: not backward
    (lambda: v3({"name": "channel", "type": "string", "default": 3}), "refused"),         # default of the wrong type
    (lambda: v3(None), "'channel'"),                                                       # no new field
    (lambda: v3({"name": "Channel", "type": "string", "default": ""}), "'channel'"),      # wrong name
    (lambda: {**v3({"name": "channel", "type": "string", "default": ""}), "name": "Deposit"}, "refused"),
    (lambda: [f for f in v3({"name": "channel", "type": "string", "default": ""})["fields"]], "dict"),
    (lambda: {**v3({"name": "channel", "type": "string", "default": ""}),
              "fields": [f for f in v3({"name": "channel", "type": "string", "default": ""})["fields"]
                         if f["name"] != "amount"]}, "refused"),                           # drops a required field
    (lambda: without_currency_default(v3({"name": "channel", "type": "string", "default": ""})),
     "refused under FULL_TRANSITIVE compatibility: a reader of the new schema cannot read v1 events"),  # FULL passes it
])
def test_full_v3_rejects_wrong_answers(capsys, answer, says) -> None:
    assert not checks.check_full_v3(answer)
    out = capsys.readouterr().out
    assert "❌" in out and says in out


def test_full_v3_stub_is_not_attempted(capsys) -> None:
    assert not checks.check_full_v3(stub)
    assert "Not attempted" in capsys.readouterr().out


# --- the tombstone topic, judged from configs and records ---

BALANCE = b'{"balance": "10.00"}'
GOOD = [(b"ACC-001", BALANCE), (b"ACC-007", BALANCE), (b"ACC-007", None)]


def test_judge_accepts_a_compacted_topic_with_a_tombstone(capsys) -> None:
    assert checks.judge_tombstone_topic({"cleanup.policy": "compact"}, 1, GOOD)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize(("configs", "partitions", "records", "says"), [
    ({}, 1, GOOD, "cleanup.policy"),                                              # default policy: delete
    ({"cleanup.policy": "delete"}, 1, GOOD, "only a compacted topic"),
    ({"cleanup.policy": "compact,delete"}, 1, GOOD, "idle account would vanish"),
    ({"cleanup.policy": "compact"}, 3, GOOD, "one partition"),
    ({"cleanup.policy": "compact"}, 1, GOOD[1:], "ACC-001 should still have a balance"),
    ({"cleanup.policy": "compact"}, 1, [*GOOD[:2], (b"ACC-007", b"")], "not a tombstone"),   # b"" is a value
    ({"cleanup.policy": "compact"}, 1, [*GOOD, (b"ACC-007", BALANCE)], "not a tombstone"),  # re-opened after
    ({"cleanup.policy": "compact"}, 1, [GOOD[0], (b"ACC-007", None)], "balance for ACC-007 first"),
    ({"cleanup.policy": "compact"}, 1, [GOOD[0], (b"acc-007", BALANCE), (b"acc-007", None)], "nothing keyed"),
    ({"cleanup.policy": "compact"}, 1, [], "ACC-001 should still have a balance"),
])
def test_judge_rejects_wrong_topics(capsys, configs, partitions, records, says) -> None:
    assert not checks.judge_tombstone_topic(configs, partitions, records)
    out = capsys.readouterr().out
    assert "❌" in out and says in out


# --- live: the checker reads the broker ---

def reference(topic: str) -> None:
    """The notebook's reference solution."""
    with kafka_io.admin() as admin:
        admin.create_topics({topic: {"num_partitions": 1, "replication_factor": 1,
                                     "configs": {"cleanup.policy": "compact"}}})
        admin.wait_for_topics([topic], timeout_ms=30_000)
    with kafka_io.producer() as producer:
        producer.send(topic, key=b"ACC-001", value=BALANCE)
        producer.send(topic, key=b"ACC-007", value=BALANCE)
        producer.send(topic, key=b"ACC-007", value=None)
        producer.flush(timeout=10)


def not_compacted(topic: str) -> None:
    """Right records, wrong topic: the default cleanup.policy."""
    kafka_io.reset_topics({topic: 1})
    with kafka_io.producer() as producer:
        for key, value in GOOD:
            producer.send(topic, key=key, value=value)
        producer.flush(timeout=10)


@pytest.mark.live
def test_tombstone_checker_on_the_live_broker(capsys) -> None:
    topic = f"test-ex15-{uuid.uuid4().hex[:8]}"
    try:
        assert checks.check_tombstone_topic(reference, topic)
        assert "✅" in capsys.readouterr().out
        assert checks.check_tombstone_topic(reference, topic)  # the checker resets the topic: re-runnable
        assert not checks.check_tombstone_topic(not_compacted, topic)
        assert "cleanup.policy" in capsys.readouterr().out
        assert not checks.check_tombstone_topic(lambda name: None, topic)
        assert f"no topic {topic!r}" in capsys.readouterr().out
        assert not checks.check_tombstone_topic(stub, topic)
        assert "Not attempted" in capsys.readouterr().out
    finally:
        kafka_io.delete_topics([topic])
