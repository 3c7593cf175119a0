"""Checkers for notebook 15 (evolving events): a FULL_TRANSITIVE-compatible schema change, and a tombstone on a
compacted topic checked against the live broker."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from helpers import banking, compaction, envelopes, kafka_io
from helpers.exercises import Verdict, attempt, failed, passed

# --- a third version of MoneyDeposited, FULL_TRANSITIVE compatible (with v1 and v2) --------------

V1 = envelopes.record_schema(banking.MoneyDeposited)
V2 = {**V1, "fields": [*V1["fields"], {"name": "currency", "type": "string", "default": "EUR"}]}


def check_full_v3(answer: Callable[[], Mapping[str, Any]]) -> Verdict:
    """Check make_v3() -> a MoneyDeposited schema with a `channel` field that FULL_TRANSITIVE registers after v1, v2."""
    ok, schema = attempt(answer, hint="start from copy.deepcopy(V2) and append a 'channel' field with a default")
    if not ok:
        return Verdict(False)
    if not isinstance(schema, Mapping):
        return failed("make_v3() should return the schema as a dict", "a dict like V2", schema)
    names = [f.get("name") for f in schema.get("fields", []) if isinstance(f, Mapping)]
    if "channel" not in names:
        return failed("the new version needs a field named 'channel'", [*(f["name"] for f in V2["fields"]), "channel"],
                      names)
    registry = envelopes.Registry(mode="FULL_TRANSITIVE")
    registry.register("MoneyDeposited", V1)
    registry.register("MoneyDeposited", V2)
    try:
        version = registry.register("MoneyDeposited", copy.deepcopy(dict(schema)))
    except envelopes.SchemaRefused as error:
        return failed(f"the registry refused it: {error}")
    if version != 3:
        return failed("that is v1 or v2 again, not a new version", 3, version)
    return passed("v3 adds channel with a default: new readers fill it in for old events and old readers "
                  "skip it, so FULL_TRANSITIVE compatibility (with v1 and v2, not only the latest) holds.")


# --- a tombstone on a compacted topic (live) --------------------------------------------------------

CLOSED_ACCOUNT, OPEN_ACCOUNT = "ACC-007", "ACC-001"


def judge_tombstone_topic(configs: Mapping[str, str], partitions: int,
                          records: Sequence[tuple[bytes | None, bytes | None]]) -> Verdict:
    """Judge a topic from its configs, partition count and (key, value) records, oldest first."""
    policy = {part.strip() for part in configs.get("cleanup.policy", "delete").split(",")}
    if policy != {"compact"}:
        why = ("compact,delete also deletes keys older than retention.ms: an idle account would vanish"
               if "compact" in policy else "only a compacted topic keeps the latest value of every key")
        return failed(f"cleanup.policy should be exactly compact ({why})", "compact", configs.get("cleanup.policy"))
    if partitions != 1:
        return failed("create the topic with one partition", 1, partitions)
    latest: dict[bytes | None, bytes | None] = {}
    for key, value in records:
        latest[key] = value
    if latest.get(OPEN_ACCOUNT.encode()) is None:
        return failed(f"{OPEN_ACCOUNT} should still have a balance (a non-null value keyed {OPEN_ACCOUNT!r}; "
                      "did you flush the producer?)",
                      "a balance", latest.get(OPEN_ACCOUNT.encode(), "no record"))
    key = CLOSED_ACCOUNT.encode()
    if key not in latest:
        return failed(f"nothing keyed {CLOSED_ACCOUNT!r} arrived (did you flush the producer?)",
                      "a balance, then a tombstone", "no record")
    values = [value for k, value in records if k == key]
    if latest[key] is not None:
        return failed(f"the last record for {CLOSED_ACCOUNT} is not a tombstone (value=None; b'' is a value, "
                      "not a deletion)", None, latest[key])
    if all(value is None for value in values):
        return failed(f"write a balance for {CLOSED_ACCOUNT} first, then its tombstone", "a balance, then None",
                      values)
    return passed(f"a compacted topic, {OPEN_ACCOUNT} still has a balance and {CLOSED_ACCOUNT}'s last record "
                  "is a tombstone: once the cleaner runs, its balances are gone and a table rebuilt from "
                  "the topic no longer has the account.")


def check_tombstone_topic(answer: Callable[[str], Any], topic: str) -> Verdict:
    """Delete `topic`, let answer(topic) create and fill it, then judge it through the admin and consumer APIs."""
    kafka_io.delete_topics([topic])
    ok, _ = attempt(answer, topic, hint="admin.create_topics({topic: {'num_partitions': 1, 'replication_factor': 1, "
                                        "'configs': {'cleanup.policy': 'compact'}}}), then send, then send value=None")
    if not ok:
        return Verdict(False)
    with kafka_io.admin() as client:
        if topic not in client.list_topics():
            return failed(f"there is no topic {topic!r}: create it inside your function")
        partitions = len(client.describe_topics([topic])[0]["partitions"])
    records = compaction.read_all(topic)
    return judge_tombstone_topic(compaction.topic_configs(topic), partitions,
                                 [(record.key, record.value) for record in records])
