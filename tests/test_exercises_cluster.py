"""Checkers of notebooks 11-12 (cluster): references pass, wrong answers and boundary cases fail."""

from __future__ import annotations

import pytest

from helpers import rabbit_io
from helpers.exercises import cluster as checks
from tests.verdicts import assert_verdicts, worked

LEADERS = {0: "kafka-2", 1: "kafka-3", 2: "kafka-1"}


def truth(_topic: str, partition: int) -> str:
    """A cluster's leaders, as the live check would read them."""
    return LEADERS[partition]


def test_partition_leaders(capsys: pytest.CaptureFixture[str]) -> None:
    def check(answer):  # noqa: ANN001, ANN202
        return checks.check_partition_leaders(answer, "t", 3, truth=truth)

    assert_verdicts(capsys, check, lambda t, p: LEADERS[p],
                    lambda t, p: LEADERS[p].replace("kafka-", ""),  # a broker id, not a name
                    lambda t, p: "kafka-2",  # the same leader for every partition
                    lambda t, p: LEADERS[(p + 1) % 3])


def test_acks_all_writable(capsys: pytest.CaptureFixture[str]) -> None:
    assert_verdicts(capsys, checks.check_acks_all_writable, lambda rf, isr, lost: rf - lost >= isr,
                    lambda rf, isr, lost: rf - lost > isr,  # off by one at the boundary
                    lambda rf, isr, lost: lost == 0,  # no loss tolerated
                    lambda rf, isr, lost: lost < rf)  # ignores min.insync.replicas


def test_quorum_available(capsys: pytest.CaptureFixture[str]) -> None:
    by_hand = worked({(3, 0): True, (3, 1): True, (3, 2): False, (1, 0): True, (1, 1): False, (2, 1): False,
                      (4, 1): True, (4, 2): False, (5, 2): True, (5, 3): False, (6, 3): False, (7, 3): True})
    assert_verdicts(capsys, checks.check_quorum_available, by_hand,
                    lambda members, lost: lost < members,  # any survivor will do
                    lambda members, lost: members - lost >= members / 2,  # half is enough (4 with 2 lost)
                    lambda members, lost: lost <= members // 2,  # off by one: 2 of 4 lost
                    lambda members, lost: lost <= 1,  # "a cluster survives one node", whatever its size
                    lambda members, lost: members - lost >= 2)  # two replicas left is enough (1 of 1, 3 of 5)


def reject(channel, delivery_tag: int) -> None:  # noqa: ANN001
    """A failed delivery, put back: counts toward x-delivery-limit on every RabbitMQ version."""
    channel.basic_reject(delivery_tag, requeue=True)


def nack(channel, delivery_tag: int) -> None:  # noqa: ANN001
    """'Not now': counts on 3.10 and 4.0, not from 4.3, so the checker must refuse it on every version."""
    channel.basic_nack(delivery_tag, requeue=True)


def drop(channel, delivery_tag: int) -> None:  # noqa: ANN001
    """Dead-letters at once, with reason `rejected`: no delivery limit involved."""
    channel.basic_reject(delivery_tag, requeue=False)


@pytest.mark.live
def test_delivery_limit_on_a_live_broker(capsys: pytest.CaptureFixture[str]) -> None:
    channel = rabbit_io.open_channel()

    def check(answer):  # noqa: ANN001, ANN202
        declare, fail = answer if isinstance(answer, tuple) else (answer, answer)
        return checks.check_delivery_limit(declare, fail, channel, "tests.cluster-ex.q", "tests.cluster-ex.dead")

    def declare(limit: int | None, dead: bool = True):  # noqa: ANN202
        def answer(ch, queue: str, dead_letters: str) -> None:  # noqa: ANN001
            arguments = {"x-queue-type": "quorum"}
            if limit is not None:
                arguments["x-delivery-limit"] = limit
            if dead:
                arguments.update({"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead_letters})
            ch.queue_declare(queue, durable=True, arguments=arguments)
        return answer

    try:
        assert_verdicts(capsys, check, (declare(2), reject), (declare(3), reject), (declare(1), reject),
                        (declare(2, dead=False), reject), (declare(None), reject),
                        (declare(2), nack), (declare(2), drop))
        checks.check_delivery_limit(declare(2), nack, channel, "tests.cluster-ex.q", "tests.cluster-ex.dead")
        assert checks.NOT_NOW in capsys.readouterr().out, "a nacking answer is told why, on every version"
    finally:
        for name in ("tests.cluster-ex.q", "tests.cluster-ex.dead"):
            channel.queue_delete(name)
        channel.connection.close()
