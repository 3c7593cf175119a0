"""The capstone's checkers accept the reference answers and reject wrong ones and the stubs."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from verdicts import assert_verdicts

from helpers import banking
from helpers.exercises import capstone as checks

# --- relay plan ---

def plan_reference(ids: list[int], checkpoint: int, already: set[int]) -> list[int]:
    return [n for n in ids if n > checkpoint and n not in already]


def plan_trusts_the_checkpoint_only(ids: list[int], checkpoint: int, already: set[int]) -> list[int]:
    return [n for n in ids if n > checkpoint]


def plan_skips_past_the_highest_published(ids: list[int], checkpoint: int, already: set[int]) -> list[int]:
    start = max([checkpoint, *already])
    return [n for n in ids if n > start]


def test_relay_plan(capsys) -> None:
    assert_verdicts(capsys, checks.check_relay_plan, plan_reference, plan_trusts_the_checkpoint_only,
                    plan_skips_past_the_highest_published, lambda ids, c, a: sorted(set(ids) - a, reverse=True))


def test_relay_plan_reports_a_crash_kindly(capsys) -> None:
    assert not checks.check_relay_plan(lambda ids, c, a: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


# --- velocity alerts ---

def velocity_reference(events: list[banking.Event], limit: Decimal, window: timedelta) -> list[str]:
    recent, alerts = defaultdict(list), []
    for e in events:
        if not isinstance(e, banking.MoneyWithdrawn):
            continue
        kept = [p for p in recent[e.account_id] if p.occurred_at > e.occurred_at - window]
        spent = sum((p.amount for p in kept), Decimal("0"))
        if spent <= limit < spent + e.amount:
            alerts.append(e.event_id)
        recent[e.account_id] = [*kept, e]
    return alerts


def velocity_every_payment_over(events: list[banking.Event], limit: Decimal, window: timedelta) -> list[str]:
    """Alerts on every payment while over the limit, not only on the crossing."""
    recent, alerts = defaultdict(list), []
    for e in events:
        if isinstance(e, banking.MoneyWithdrawn):
            recent[e.account_id] = [p for p in recent[e.account_id] if p.occurred_at > e.occurred_at - window] + [e]
            if sum(p.amount for p in recent[e.account_id]) > limit:
                alerts.append(e.event_id)
    return alerts


def velocity_all_accounts_together(events: list[banking.Event], limit: Decimal, window: timedelta) -> list[str]:
    """Forgets that the window is per account."""
    recent, alerts = [], []
    for e in events:
        if isinstance(e, banking.MoneyWithdrawn):
            recent = [p for p in recent if p.occurred_at > e.occurred_at - window]
            spent = sum((p.amount for p in recent), Decimal("0"))
            if spent <= limit < spent + e.amount:
                alerts.append(e.event_id)
            recent.append(e)
    return alerts


def test_velocity_alerts(capsys) -> None:
    assert_verdicts(capsys, checks.check_velocity_alerts, velocity_reference, velocity_every_payment_over,
                    velocity_all_accounts_together, lambda events, limit, window: [])


# --- read-model mismatches ---

def mismatches_reference(read_model: dict[str, Decimal], events: list[banking.Event]) -> dict:
    replayed = {a: s.balance for a, s in banking.replay_all(events).items()}
    return {a: (read_model.get(a), replayed.get(a)) for a in sorted(set(read_model) | set(replayed))
            if read_model.get(a) != replayed.get(a)}


def mismatches_ignoring_extra_accounts(read_model: dict[str, Decimal], events: list[banking.Event]) -> dict:
    replayed = {a: s.balance for a, s in banking.replay_all(events).items()}
    return {a: (read_model.get(a), b) for a, b in replayed.items() if read_model.get(a) != b}


def mismatches_only_shared_accounts(read_model: dict[str, Decimal], events: list[banking.Event]) -> dict:
    replayed = {a: s.balance for a, s in banking.replay_all(events).items()}
    return {a: (v, replayed[a]) for a, v in read_model.items() if a in replayed and replayed[a] != v}


def test_read_model_mismatches(capsys) -> None:
    assert_verdicts(capsys, checks.check_read_model_mismatches, mismatches_reference,
                    mismatches_ignoring_extra_accounts, mismatches_only_shared_accounts, lambda rm, events: {})
