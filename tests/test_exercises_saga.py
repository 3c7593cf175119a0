"""Notebook 14's checkers accept the reference answers and reject wrong ones, the stubs and the boundary cases."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pika
import pytest
from verdicts import assert_verdicts

from helpers import rabbit_io
from helpers.exercises import saga as checks

# --- must_refund ---


def refund_reference(event_types: list[str]) -> bool:
    failed = "CreditRefused" in event_types or "CreditCancelled" in event_types
    return "FundsReserved" in event_types and failed and "FundsRefunded" not in event_types


def refund_on_timeout(event_types: list[str]) -> bool:
    """Refunds as soon as the timer fires: the late credit would create money."""
    failed = {"CreditRefused", "CreditCancelled", "CreditTimedOut"} & set(event_types)
    return "FundsReserved" in event_types and bool(failed) and "FundsRefunded" not in event_types


def refund_twice(event_types: list[str]) -> bool:
    return "FundsReserved" in event_types and bool({"CreditRefused", "CreditCancelled"} & set(event_types))


def refund_without_reserve(event_types: list[str]) -> bool:
    """Refunds a rejected transfer, which never reserved anything."""
    return refund_reference(event_types) or "TransferRejected" in event_types


def refund_truthy(event_types: list[str]) -> object:
    """Returns a truthy list instead of True."""
    return [1] if refund_reference(event_types) else []


def test_must_refund(capsys) -> None:
    assert_verdicts(capsys, checks.check_must_refund, refund_reference, refund_on_timeout, refund_twice,
                    refund_without_reserve, refund_truthy, lambda events: False)


def test_must_refund_explains_the_timeout(capsys) -> None:
    assert not checks.check_must_refund(refund_on_timeout)
    assert "wait until the partner confirms the cancel" in capsys.readouterr().out


# --- the timer's judge, without a broker ---


def message(body: object, reasons: list[str] | None = ("expired",), expiration: str | None = "1000") -> rabbit_io.Message:
    """A message as the inbox would hold it, with an x-death history of the given reasons (and TTL, if expired)."""
    def death(reason: str) -> dict[str, str]:
        entry = {"reason": reason, "queue": checks.EX_TIMERS}
        return entry | {"original-expiration": expiration} if reason == "expired" and expiration is not None else entry

    headers = None if reasons is None else {"x-death": [death(reason) for reason in reasons]}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return rabbit_io.Message(pika.spec.Basic.Deliver(), pika.BasicProperties(headers=headers), raw)


GOOD = {"type": "timeout", "transfer_id": "tx-1"}


@pytest.mark.parametrize(("at_once", "arrived", "says"), [
    (1, [message(GOOD, None)], "at once"),                                      # published straight to the inbox
    (0, [], "nothing reached the inbox"),                                       # no expiration: never fires
    (0, [message(GOOD), message(GOOD)], "one timer"),                           # two timers
    (0, [message(GOOD, None)], "by expiring"),                                  # no x-death at all
    (0, [message(GOOD, ["rejected"])], "by expiring"),                          # dead-lettered by a reject
    (0, [message(b"timeout tx-1")], "not JSON"),                                # not JSON
    (0, [message({"type": "timeout", "transfer_id": "tx-2"})], "wrong thing"),  # another transfer
    (0, [message({"type": "timeout"})], "wrong thing"),                         # no transfer id
    (0, [message(GOOD, expiration="999")], "armed for 999 ms, not the 1000 ms"),    # one millisecond short
    (0, [message(GOOD, expiration="1001")], "armed for 1001 ms, not the 1000 ms"),  # one millisecond long
    (0, [message(GOOD, expiration="0")], "armed for 0 ms, not the 1000 ms"),        # expires at once
    (0, [message(GOOD, expiration="15000")], "armed for 15000 ms"),                 # the checker's whole wait
    (0, [message(GOOD, expiration=None)], "armed for None ms"),                     # no expiration of its own
])
def test_judge_timer_rejects(capsys, at_once: int, arrived: list, says: str) -> None:
    assert not checks.judge_timer("tx-1", 1000, at_once, arrived)
    out = capsys.readouterr().out
    assert "❌" in out and says in out


def test_judge_timer_accepts_an_expired_timer(capsys) -> None:
    assert checks.judge_timer("tx-1", 1000, 0, [message(GOOD)])
    assert "✅" in capsys.readouterr().out


# --- the timer, on the live broker ---


def timer_reference(channel, timer_queue: str, transfer_id: str, ttl_ms: int) -> None:
    body = json.dumps({"type": "timeout", "transfer_id": transfer_id}).encode()
    channel.basic_publish("", timer_queue, body, pika.BasicProperties(
        expiration=str(ttl_ms), delivery_mode=pika.DeliveryMode.Persistent))


def timer_to_the_inbox(channel, timer_queue: str, transfer_id: str, ttl_ms: int) -> None:
    body = json.dumps({"type": "timeout", "transfer_id": transfer_id}).encode()
    channel.basic_publish("", checks.EX_INBOX, body, pika.BasicProperties(expiration=str(ttl_ms)))


def timer_for(ttl_ms: int) -> Callable[[Any, str, str, int], None]:
    """An answer that arms its timer for a fixed `ttl_ms`, whatever it is asked."""
    def arm(channel, timer_queue: str, transfer_id: str, asked_ms: int) -> None:
        timer_reference(channel, timer_queue, transfer_id, ttl_ms)

    return arm


@pytest.mark.live
def test_arm_timer_on_the_broker(capsys) -> None:
    assert_verdicts(capsys, checks.check_arm_timer, timer_reference, timer_to_the_inbox)


@pytest.mark.live
@pytest.mark.parametrize("ttl_ms", [checks.EX_TTL_MS - 1, checks.EX_TTL_MS + 1, 3 * checks.EX_TTL_MS])
def test_arm_timer_refuses_another_ttl(capsys, ttl_ms: int) -> None:
    """A TTL other than the one asked fails, however close, even one that expires well within the checker's wait."""
    assert not checks.check_arm_timer(timer_for(ttl_ms))
    assert f"armed for {ttl_ms} ms, not the {checks.EX_TTL_MS} ms asked" in capsys.readouterr().out
