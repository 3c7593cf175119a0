"""Notebook 13's checkers accept the reference answers and reject wrong ones, the stubs and the boundary cases."""

from __future__ import annotations

import os

import pytest
from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata
from verdicts import assert_verdicts

from helpers import kafka_io
from helpers.exercises import exactly_once as checks

# --- dual-write damage ---


#: The answer to each of the checker's cases, worked out by hand (not computed: the checker computes its own).
BY_HAND: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, list[str]]] = {
    (("e1", "e2", "e3"), ("e1", "e2", "e3")): {"lost": [], "phantom": [], "duplicated": []},
    (("e1", "e2", "e3", "e4"), ("e1", "e3")): {"lost": ["e2", "e4"], "phantom": [], "duplicated": []},
    (("e1", "e2"), ("e1", "e9", "e2", "e8")): {"lost": [], "phantom": ["e8", "e9"], "duplicated": []},
    (("e3", "e1", "e2"), ("e2", "e1", "e2", "e3", "e2", "e1")): {"lost": [], "phantom": [], "duplicated": ["e1", "e2"]},
    (("e5", "e6"), ("e7", "e7", "e5")): {"lost": ["e6"], "phantom": ["e7"], "duplicated": ["e7"]},
    ((), ()): {"lost": [], "phantom": [], "duplicated": []},
    (("e1",), ()): {"lost": ["e1"], "phantom": [], "duplicated": []},
}


def damage_reference(committed: list[str], published: list[str]) -> dict[str, list[str]]:
    """The hand-worked answer to one of the checker's cases."""
    return BY_HAND[tuple(committed), tuple(published)]


def test_the_checker_asks_exactly_the_hand_worked_cases() -> None:
    assert {(tuple(c), tuple(p)) for c, p in checks.DAMAGE_CASES} == set(BY_HAND)


def damage_lists_every_repeat(committed: list[str], published: list[str]) -> dict[str, list[str]]:
    """A duplicate id appearing three times is listed twice."""
    seen, repeats = set(), []
    for event_id in published:
        if event_id in seen:
            repeats.append(event_id)
        seen.add(event_id)
    return damage_reference(committed, published) | {"duplicated": sorted(repeats)}


def damage_swaps_lost_and_phantom(committed: list[str], published: list[str]) -> dict[str, list[str]]:
    right = damage_reference(committed, published)
    return right | {"lost": right["phantom"], "phantom": right["lost"]}


def damage_unsorted(committed: list[str], published: list[str]) -> dict[str, list[str]]:
    return {"lost": [e for e in committed if e not in published],
            "phantom": list(dict.fromkeys(e for e in published if e not in committed)),
            "duplicated": list(dict.fromkeys(e for e in published if published.count(e) > 1))}


def damage_ignores_phantom_duplicates(committed: list[str], published: list[str]) -> dict[str, list[str]]:
    """Counts duplicates only among committed ids (misses a phantom sent twice)."""
    right = damage_reference(committed, published)
    return right | {"duplicated": [e for e in right["duplicated"] if e in committed]}


def test_dual_write_damage(capsys) -> None:
    assert_verdicts(capsys, checks.check_dual_write_damage, damage_reference, damage_lists_every_repeat,
                    damage_swaps_lost_and_phantom, damage_unsorted, damage_ignores_phantom_duplicates,
                    lambda committed, published: {"lost": [], "phantom": [], "duplicated": []})


def test_dual_write_damage_reports_a_crash_kindly(capsys) -> None:
    assert not checks.check_dual_write_damage(lambda committed, published: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


# --- the transactional step (the judge, without a broker) ---

VALUES = [f"v{n}".encode() for n in range(10)]
END = {0: 6, 1: 4}


@pytest.mark.parametrize(("output", "committed", "says"), [
    ([], {}, "nothing was committed"),                                  # aborted, or never committed
    ([], END, "no record is visible"),                                  # offsets only
    (VALUES[:9], END, "not the input"),                                 # a record missing
    (VALUES + VALUES[:1], END, "appear twice"),                         # a record sent twice
    ([v + b"!" for v in VALUES], END, "not the input"),                 # transformed the values
    (VALUES, {}, "committed offsets"),                                  # forgot send_offsets_to_transaction
    (VALUES, {0: 5, 1: 3}, "one short"),                                # committed the last offset, not offset + 1
    (VALUES, {0: 6}, "committed offsets"),                              # one partition's offsets only
    (VALUES, {0: 7, 1: 4}, "committed offsets"),                        # past the end
])
def test_judge_step_rejects(capsys, output: list[bytes], committed: dict[int, int], says: str) -> None:
    verdict = checks.judge_step(VALUES, output, committed, END)
    assert not verdict
    out = capsys.readouterr().out
    assert "❌" in out and says in out


@pytest.mark.parametrize("committed", [{}, END])
def test_judge_step_rejects_offsets_committed_by_the_consumer(capsys, committed: dict[int, int]) -> None:
    """commit_transaction() then consumer.commit(): the broker's state looks right, the dual write is still there."""
    assert not checks.judge_step(VALUES, VALUES, committed, END, direct_commits=1)
    out = capsys.readouterr().out
    assert "❌ Not yet: consumer.commit() was called 1 time(s): offsets committed by the consumer are a second write " \
           "outside the transaction" in out and "send_offsets_to_transaction" in out


def test_judge_step_accepts_any_order(capsys) -> None:
    assert checks.judge_step(VALUES, list(reversed(VALUES)), dict(END), END)
    assert "✅" in capsys.readouterr().out


# --- covered or not ---

TRUTH = {effect: truth for effect, (truth, _) in checks.COVERAGE.items()}


def test_coverage(capsys) -> None:
    assert checks.check_coverage(TRUTH)
    assert "✅" in capsys.readouterr().out
    assert not checks.check_coverage(dict.fromkeys(TRUTH))
    assert "Not attempted" in capsys.readouterr().out
    for wrong in ({effect: True for effect in TRUTH}, {effect: False for effect in TRUTH},
                  {effect: not truth for effect, truth in TRUTH.items()},
                  TRUTH | {"a message published to a RabbitMQ exchange": True},
                  TRUTH | {"alert records written to an output topic": None},
                  {k: v for k, v in TRUTH.items() if "SMS" not in k}, {}):
        assert not checks.check_coverage(wrong)
        assert "❌" in capsys.readouterr().out


def test_coverage_refuses_truthy_strings(capsys) -> None:
    assert not checks.check_coverage({effect: "yes" if truth else "" for effect, truth in TRUTH.items()})
    assert "❌" in capsys.readouterr().out


# --- the transactional step, on the live broker ---


def step_reference(producer, consumer, records, out_topic: str) -> None:
    producer.begin_transaction()
    for r in records:
        producer.send(out_topic, key=r.key, value=r.value)
    producer.send_offsets_to_transaction(
        {TopicPartition(r.topic, r.partition): OffsetAndMetadata(r.offset + 1, "", -1) for r in records},
        consumer.group_metadata())
    producer.commit_transaction()


def step_without_offsets(producer, consumer, records, out_topic: str) -> None:
    producer.begin_transaction()
    for r in records:
        producer.send(out_topic, key=r.key, value=r.value)
    producer.commit_transaction()


def step_aborts(producer, consumer, records, out_topic: str) -> None:
    producer.begin_transaction()
    for r in records:
        producer.send(out_topic, key=r.key, value=r.value)
    producer.abort_transaction()


def step_never_commits(producer, consumer, records, out_topic: str) -> None:
    producer.begin_transaction()
    for r in records:
        producer.send(out_topic, key=r.key, value=r.value)


def step_commits_offsets_outside(producer, consumer, records, out_topic: str) -> None:
    """The dual write: the output in the transaction, the offsets by the consumer after it."""
    producer.begin_transaction()
    for r in records:
        producer.send(out_topic, key=r.key, value=r.value)
    producer.commit_transaction()
    consumer.commit()


@pytest.mark.live
def test_transactional_step_on_the_broker(capsys) -> None:
    assert_verdicts(capsys, checks.check_transactional_step, step_reference, step_without_offsets, step_aborts,
                    step_never_commits, step_commits_offsets_outside)


@pytest.mark.live
def test_transactional_step_names_offsets_committed_outside_the_transaction(capsys) -> None:
    assert not checks.check_transactional_step(step_commits_offsets_outside)
    assert "❌ Not yet: consumer.commit() was called 1 time(s)" in capsys.readouterr().out


@pytest.mark.live
def test_transactional_step_uses_this_process_names_and_leaves_nothing_behind(capsys) -> None:
    assert all(str(os.getpid()) in name for name in (checks.EX_IN, checks.EX_OUT, checks.EX_GROUP))
    assert checks.check_transactional_step(step_reference)
    with kafka_io.admin() as admin:
        left = set(admin.list_topics()) & {checks.EX_IN, checks.EX_OUT}
        groups = {g["group_id"] for g in admin.list_groups()} & {checks.EX_GROUP}
    assert not left and not groups, f"the check left {sorted(left | groups)} behind"
