"""Checkers for notebook 14 (A transfer between banks, as a saga): when to compensate, and a durable timer
armed on the live RabbitMQ broker (a per-message TTL on a quorum queue that dead-letters, at least once, into an
inbox)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from helpers import rabbit_io
from helpers.exercises import Verdict, attempt, failed, passed

# --- 14.1: when must the coordinator refund? ----------------------------------------------------

REFUND_CASES: list[tuple[list[str], bool]] = [
    ([], False),                                                                         # nothing yet
    (["TransferRequested"], False),                                                      # not reserved yet
    (["TransferRequested", "TransferRejected"], False),                                  # nothing was reserved
    (["TransferRequested", "FundsReserved"], False),                                     # credit not asked yet
    (["TransferRequested", "FundsReserved", "CreditRequested"], False),                  # waiting for the partner
    (["TransferRequested", "FundsReserved", "CreditRequested", "CreditRefused"], True),  # refused: refund
    (["TransferRequested", "FundsReserved", "CreditRequested", "CreditTimedOut"], False),  # wait for the cancel
    (["TransferRequested", "FundsReserved", "CreditRequested", "CreditTimedOut", "CreditCancelled"], True),
    (["TransferRequested", "FundsReserved", "CreditRequested", "CreditRefused", "FundsRefunded"], False),  # done
    (["TransferRequested", "FundsReserved", "CreditRequested", "CreditConfirmed"], False),  # credited: confirm
    (["TransferRequested", "FundsReserved", "CreditRequested", "CreditConfirmed", "TransferCompleted"], False),
]


def check_must_refund(answer: Callable[[list[str]], bool]) -> Verdict:
    """Check must_refund(event_types) -> True exactly when a refund is due now."""
    for events, expected in REFUND_CASES:
        ok, actual = attempt(answer, list(events),
                             hint="a refund needs a reservation, a credit known not to have happened, and no refund yet")
        if not ok:
            return Verdict(False)
        if actual is not expected:
            why = " (after a timeout, wait until the partner confirms the cancel)" if events[-1:] == ["CreditTimedOut"] else ""
            return failed(f"must_refund({events}) is wrong{why}", expected, actual)
    return passed("refund only what was reserved, only once the credit surely did not happen, and only once: "
                  "a timeout alone is not proof, the partner's cancel is.")


# --- 14.2: a timer on the live broker ------------------------------------------------------------

EX_TIMERS, EX_INBOX, EX_TTL_MS, EX_WAIT_S = "nb14.ex.timers", "nb14.ex.inbox", 1000, 15.0


def judge_timer(transfer_id: str, ttl_ms: int, at_once: int, arrived: Sequence[rabbit_io.Message]) -> Verdict:
    """The verdict from what the inbox held right after the publish, and what arrived later."""
    if at_once:
        return failed("the message was in the inbox at once: publish to the timer queue, not to the inbox")
    if not arrived:
        return failed(f"nothing reached the inbox within {EX_WAIT_S:g} s: set the message's expiration "
                      "(pika.BasicProperties(expiration=str(ttl_ms)))")
    if len(arrived) > 1:
        return failed("publish one timer", 1, len(arrived))
    message = arrived[0]
    deaths = (message.properties.headers or {}).get("x-death", [])
    reasons = [entry.get("reason") for entry in deaths]
    if reasons[:1] != ["expired"]:
        return failed("the message did not arrive by expiring", ["expired"], reasons)
    expiration = deaths[0].get("original-expiration")  # the broker's record of the expiration it was published with
    if expiration != str(ttl_ms):
        return failed(f"the timer was armed for {expiration} ms, not the {ttl_ms} ms asked: "
                      "expiration=str(ttl_ms)", str(ttl_ms), expiration)
    try:
        body = json.loads(message.body)
    except ValueError:
        return failed("the body is not JSON", {"type": "timeout", "transfer_id": transfer_id}, message.body)
    if body != {"type": "timeout", "transfer_id": transfer_id}:
        return failed("the timer says the wrong thing", {"type": "timeout", "transfer_id": transfer_id}, body)
    return passed("the broker kept the timer and handed it back when it expired: a timeout that survives "
                  "the coordinator's own crash.")


def check_arm_timer(answer: Callable[[Any, str, str, int], None]) -> Verdict:
    """Call arm_timer(channel, timer_queue, transfer_id, ttl_ms) against the live broker, then judge it."""
    channel = rabbit_io.open_channel()
    try:
        rabbit_io.reset(channel, queues=[EX_TIMERS, EX_INBOX])
        channel.queue_declare(EX_INBOX, durable=True)
        channel.queue_declare(EX_TIMERS, durable=True, arguments={  # notebook 14's timer queue: quorum, at-least-once
            "x-queue-type": "quorum", "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish",
            "x-dead-letter-exchange": "", "x-dead-letter-routing-key": EX_INBOX})
        channel.confirm_delivery()  # the answer's publish returns once the message is routed
        transfer_id = "tx-ex-0001"
        ok, _ = attempt(answer, channel, EX_TIMERS, transfer_id, EX_TTL_MS,
                        hint="basic_publish to the timer queue with pika.BasicProperties(expiration=...)")
        if not ok:
            return Verdict(False)
        at_once = rabbit_io.depth(channel, EX_INBOX)
        deadline = time.monotonic() + EX_WAIT_S
        while rabbit_io.depth(channel, EX_TIMERS) and time.monotonic() < deadline:
            channel.connection.sleep(0.1)
        arrived = rabbit_io.drain(channel, EX_INBOX, max_messages=10, inactivity_timeout_s=0.5)
        return judge_timer(transfer_id, EX_TTL_MS, at_once, arrived)
    finally:
        channel.connection.close()
