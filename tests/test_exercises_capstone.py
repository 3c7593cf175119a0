"""The capstone's checkers accept hand-worked answers and reject wrong ones and the stubs."""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from verdicts import assert_verdicts, worked

from helpers import banking, exercises, rabbit_io
from helpers.exercises import capstone as checks
from helpers.exercises import capstone_live as checks_live

# --- relay plan ---

PLANS = {  # (notification ids, checkpoint, already in Kafka) -> what the restarted relay publishes
    ((1, 2, 3, 4, 5, 6), 3, frozenset()): [4, 5, 6],
    ((1, 2, 3, 4, 5, 6, 7, 8), 3, frozenset({4, 5, 6})): [7, 8],
    ((1, 2, 3, 4, 5), 5, frozenset()): [],
    ((1, 2, 3, 4, 5, 6), 0, frozenset({1, 3})): [2, 4, 5, 6],
    ((10, 11, 12, 13), 9, frozenset({12, 13, 14})): [10, 11],
}


def plan_key(ids: list[int], checkpoint: int, already: set[int]) -> tuple:
    return tuple(ids), checkpoint, frozenset(already)


def plan_trusts_the_checkpoint_only(ids: list[int], checkpoint: int, already: set[int]) -> list[int]:
    return [n for n in ids if n > checkpoint]


def plan_skips_past_the_highest_published(ids: list[int], checkpoint: int, already: set[int]) -> list[int]:
    start = max([checkpoint, *already])
    return [n for n in ids if n > start]


def test_relay_plan(capsys) -> None:
    assert_verdicts(capsys, checks.check_relay_plan, worked(PLANS, plan_key), plan_trusts_the_checkpoint_only,
                    plan_skips_past_the_highest_published, lambda ids, c, a: sorted(set(ids) - a, reverse=True))


def test_relay_plan_reports_a_crash_kindly(capsys) -> None:
    assert not checks.check_relay_plan(lambda ids, c, a: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


# --- velocity alerts ---

ALERTS = {  # (limit, window in minutes, events, first event) -> payments that lift the window's spend over the limit
    ("200.00", 10, 8, "c1"): ["p04"],          # ACC-001 pays 60 every 30 s: 180 <= 200 < 240 at the fourth
    ("200.00", 10, 12, "c1"): ["p04"],         # ACC-002's 150s are 20 minutes apart: never two in one window
    ("250.00", 45, 12, "c1"): ["p05", "p12"],  # 240 -> 300 at p05; ACC-002: 150 -> 300 at p12 (p13, p14 stay over)
    ("500.00", 10, 5, "p20"): ["p21", "p24"],  # 300 -> 600, then the window empties; 350 -> 650 later
    ("10.00", 10, 2, "c1"): [],                # no payments at all
    ("100.00", 10, 3, "p30"): ["p32"],         # p30 (80) is exactly 10 min before p31: outside, so 0 -> 50; 50 -> 110
    ("100.00", 10, 3, "p40"): ["p42"],         # 60 -> 100 is not over 100; 100 -> 100.01 is
    ("0.30", 10, 3, "p50"): ["p52"],           # 0.10 -> 0.30 is not over 0.30 (in Decimal); 0.30 -> 0.31 is
}


def alerts_key(events: list[banking.Event], limit: Decimal, window: timedelta) -> tuple:
    return str(limit), int(window.total_seconds() // 60), len(events), events[0].event_id if events else None


def velocity(inside, crosses, number=Decimal):
    """A velocity rule with its own window test, crossing test and number type (the reference uses >, <= <, Decimal)."""

    def answer(events: list[banking.Event], limit: Decimal, window: timedelta) -> list[str]:
        recent, alerts = defaultdict(list), []
        for e in events:
            if isinstance(e, banking.MoneyWithdrawn):
                kept = [p for p in recent[e.account_id] if inside(p.occurred_at, e.occurred_at - window)]
                spent = sum((number(p.amount) for p in kept), number(0))
                if crosses(spent, number(limit), spent + number(e.amount)):
                    alerts.append(e.event_id)
                recent[e.account_id] = [*kept, e]
        return alerts

    return answer


def velocity_every_payment_over(events: list[banking.Event], limit: Decimal, window: timedelta) -> list[str]:
    """Alerts on every payment while over the limit, not only on the crossing."""
    recent, alerts = defaultdict(list), []
    for e in events:
        if isinstance(e, banking.MoneyWithdrawn):
            recent[e.account_id] = [p for p in recent[e.account_id] if p.occurred_at > e.occurred_at - window] + [e]
            if sum(p.amount for p in recent[e.account_id]) > limit:
                alerts.append(e.event_id)
    return alerts


INSIDE, CROSSES = (lambda at, start: at > start), (lambda before, limit, after: before <= limit < after)


def test_velocity_alerts(capsys) -> None:
    assert velocity(INSIDE, CROSSES)(*_first_boundary_case()) == ["p32"]  # the parametrised rule is the reference
    assert_verdicts(capsys, checks.check_velocity_alerts, worked(ALERTS, alerts_key), velocity_every_payment_over,
                    worked({**ALERTS, ("250.00", 45, 12, "c1"): ["p05", "p12", "p13"]}, alerts_key),  # not a crossing
                    worked({**ALERTS, ("500.00", 10, 5, "p20"): ["p21"]}, alerts_key),  # forgets the second crossing
                    velocity(lambda at, start: at >= start, CROSSES),                  # window edge counted inside
                    velocity(INSIDE, lambda before, limit, after: before < limit <= after),  # exactly at the limit
                    velocity(INSIDE, CROSSES, number=float),                             # float arithmetic
                    lambda events, limit, window: [])


def _first_boundary_case() -> tuple:
    """The window-edge case, as the checker builds it."""
    return next(case for case in checks._velocity_cases() if case[0] and case[0][0].event_id == "p30")


def test_velocity_boundaries_are_named_in_the_feedback(capsys) -> None:
    assert not checks.check_velocity_alerts(velocity(lambda at, start: at >= start, CROSSES))
    assert "exactly `window` earlier is outside" in capsys.readouterr().out
    assert not checks.check_velocity_alerts(velocity(INSIDE, CROSSES, number=float))
    assert "0.10 + 0.20" in capsys.readouterr().out


def test_velocity_stops_an_endless_answer(capsys, monkeypatch) -> None:
    monkeypatch.setattr(exercises, "TIME_LIMIT_S", 1)

    def endless(events: list[banking.Event], limit: Decimal, window: timedelta) -> list[str]:
        while True:
            pass

    assert not checks.check_velocity_alerts(endless)
    assert "ran for more than 1 s" in capsys.readouterr().out


# --- read-model mismatches ---

MONEY = banking.money
MISMATCHES = {  # read model -> {account: (read model, replay)}; the replay is ACC-001 70.00, ACC-002 24.50
    (("ACC-001", MONEY("70.00")), ("ACC-002", MONEY("24.50"))): {},
    (("ACC-001", MONEY("70.00")), ("ACC-002", MONEY("30.00"))): {"ACC-002": (MONEY("30.00"), MONEY("24.50"))},
    (("ACC-001", MONEY("70.00")), ("ACC-002", MONEY("24.50")), ("ACC-009", MONEY("1.00"))):
        {"ACC-009": (MONEY("1.00"), None)},
    (("ACC-001", MONEY("70.00")),): {"ACC-002": (None, MONEY("24.50"))},
}


def mismatches_key(read_model: dict[str, Decimal], events: list[banking.Event]) -> tuple:
    return tuple(sorted(read_model.items()))


def test_read_model_mismatches(capsys) -> None:
    ignoring_extra = {**MISMATCHES, (("ACC-001", MONEY("70.00")), ("ACC-002", MONEY("24.50")),
                                     ("ACC-009", MONEY("1.00"))): {}}
    only_shared = {**MISMATCHES, (("ACC-001", MONEY("70.00")),): {}}
    assert_verdicts(capsys, checks.check_read_model_mismatches, worked(MISMATCHES, mismatches_key),
                    worked(ignoring_extra, mismatches_key), worked(only_shared, mismatches_key),
                    lambda rm, events: {})


# --- the live notification consumer (RabbitMQ) ---

LIVE_QUEUE = "nb10.test.notify"


def consumer(ack_repeats: bool = True, ack_new: bool = True, dedupe: bool = True, keep_seen: bool = True):
    """A notification consumer with one of the bugs switched on (all off: a correct one)."""

    def answer(channel, queue: str, seen: set[str]) -> list[str]:
        local, delivered = (seen if keep_seen else set(seen)), []
        with rabbit_io.consuming(channel, queue) as deliveries:
            for method, properties, _body in deliveries:
                if method is None:
                    break
                new = properties.message_id not in local or not dedupe
                if new:
                    local.add(properties.message_id)
                    delivered.append(properties.message_id)
                if (new and ack_new) or (not new and ack_repeats):
                    channel.basic_ack(method.delivery_tag)
        return delivered

    return answer


def one_message_only(channel, queue: str, seen: set[str]) -> list[str]:
    method, properties, _body = channel.basic_get(queue)
    channel.basic_ack(method.delivery_tag)
    return [properties.message_id]


@pytest.mark.live
def test_notify_once_on_the_broker(capsys) -> None:
    check = functools.partial(checks_live.check_notify_once, queue=LIVE_QUEUE)
    assert_verdicts(capsys, check, consumer(), consumer(ack_new=False, ack_repeats=False),
                    consumer(ack_repeats=False), consumer(dedupe=False), consumer(keep_seen=False), one_message_only)


@pytest.mark.live
def test_notify_once_names_what_the_broker_still_holds(capsys) -> None:
    assert not checks_live.check_notify_once(consumer(ack_repeats=False), queue=LIVE_QUEUE)
    assert "RabbitMQ still holds 3 of the 7 messages" in capsys.readouterr().out
    channel = rabbit_io.open_channel()
    try:
        assert not rabbit_io.exists(channel, queue=LIVE_QUEUE), "the checker leaves its queue behind"
    finally:
        channel.connection.close()
