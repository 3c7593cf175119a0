"""The capstone's checkers accept hand-worked answers and reject wrong ones and the stubs."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from verdicts import assert_verdicts, worked

from helpers import banking
from helpers.exercises import capstone as checks

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

ALERTS = {  # (limit, window in minutes, events) -> payments that lift the window's spend over the limit
    ("200.00", 10, 8): ["p04"],           # ACC-001 pays 60 every 30 s: 180 <= 200 < 240 at the fourth
    ("200.00", 10, 12): ["p04"],          # ACC-002's 150s are 20 minutes apart: never two in one window
    ("250.00", 45, 12): ["p05", "p12"],   # 240 -> 300 at p05; ACC-002: 150 -> 300 at p12 (p13, p14 stay over)
    ("500.00", 10, 5): ["p21", "p24"],    # 300 -> 600, then the window empties; 350 -> 650 later
    ("10.00", 10, 2): [],                 # no payments at all
}


def alerts_key(events: list[banking.Event], limit: Decimal, window: timedelta) -> tuple:
    return str(limit), int(window.total_seconds() // 60), len(events)


def velocity_every_payment_over(events: list[banking.Event], limit: Decimal, window: timedelta) -> list[str]:
    """Alerts on every payment while over the limit, not only on the crossing."""
    recent, alerts = defaultdict(list), []
    for e in events:
        if isinstance(e, banking.MoneyWithdrawn):
            recent[e.account_id] = [p for p in recent[e.account_id] if p.occurred_at > e.occurred_at - window] + [e]
            if sum(p.amount for p in recent[e.account_id]) > limit:
                alerts.append(e.event_id)
    return alerts


def test_velocity_alerts(capsys) -> None:
    assert_verdicts(capsys, checks.check_velocity_alerts, worked(ALERTS, alerts_key), velocity_every_payment_over,
                    worked({**ALERTS, ("250.00", 45, 12): ["p05", "p12", "p13"]}, alerts_key),  # p13 is not a crossing
                    worked({**ALERTS, ("500.00", 10, 5): ["p21"]}, alerts_key),  # forgets the second crossing
                    lambda events, limit, window: [])


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
