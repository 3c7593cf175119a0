"""Notebook 04's checkers accept the reference answers and reject wrong ones and the stubs."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from helpers import banking
from helpers.exercises import streams as checks


def stub(*args, **kwargs):
    """The learner's untouched cell."""
    raise NotImplementedError("your turn")


def burst_reference(times: list[datetime], window: timedelta, limit: int) -> bool:
    return any(times[i + limit - 1] - times[i] <= window for i in range(len(times) - limit + 1))


def burst_exclusive_end(times: list[datetime], window: timedelta, limit: int) -> bool:
    return any(times[i + limit - 1] - times[i] < window for i in range(len(times) - limit + 1))


def burst_total_count(times: list[datetime], window: timedelta, limit: int) -> bool:
    return len(times) >= limit


def test_withdrawal_burst(capsys) -> None:
    assert checks.check_withdrawal_burst(burst_reference)
    assert "✅" in capsys.readouterr().out
    assert not checks.check_withdrawal_burst(burst_exclusive_end)
    assert not checks.check_withdrawal_burst(burst_total_count)
    assert "❌" in capsys.readouterr().out
    assert not checks.check_withdrawal_burst(stub)
    assert "Not attempted" in capsys.readouterr().out


OUTGOING = (banking.MoneyWithdrawn, banking.TransferSent)


def outflow_reference(events: Iterable[banking.Event], window: timedelta, limit: Decimal) -> set[str]:
    recent: dict[str, deque] = defaultdict(deque)
    flagged = set()
    for event in events:
        if not isinstance(event, OUTGOING):
            continue
        pairs = recent[event.account_id]
        pairs.append((event.occurred_at, event.amount))
        while event.occurred_at - pairs[0][0] > window:
            pairs.popleft()
        if sum(amount for _, amount in pairs) >= limit:
            flagged.add(event.account_id)
    return flagged


def outflow_counting_deposits(events: Iterable[banking.Event], window: timedelta, limit: Decimal) -> set[str]:
    recent: dict[str, deque] = defaultdict(deque)
    flagged = set()
    for event in events:
        pairs = recent[event.account_id]
        pairs.append((event.occurred_at, getattr(event, "amount", Decimal("0"))))
        while event.occurred_at - pairs[0][0] > window:
            pairs.popleft()
        if sum(amount for _, amount in pairs) >= limit:
            flagged.add(event.account_id)
    return flagged


def outflow_strictly_above(events: Iterable[banking.Event], window: timedelta, limit: Decimal) -> set[str]:
    return outflow_reference(events, window, limit + Decimal("0.01"))


def outflow_whole_history(events: Iterable[banking.Event], window: timedelta, limit: Decimal) -> set[str]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for event in events:
        if isinstance(event, OUTGOING):
            totals[event.account_id] += event.amount
    return {account for account, total in totals.items() if total >= limit}


def test_large_outflow(capsys) -> None:
    assert checks.check_large_outflow(outflow_reference)
    assert "✅" in capsys.readouterr().out
    assert not checks.check_large_outflow(outflow_counting_deposits)
    assert not checks.check_large_outflow(outflow_strictly_above)
    assert not checks.check_large_outflow(outflow_whole_history)
    assert "❌" in capsys.readouterr().out
    assert not checks.check_large_outflow(stub)
    assert "Not attempted" in capsys.readouterr().out
