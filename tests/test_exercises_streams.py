"""Notebook 04's checkers accept hand-worked answers and reject wrong ones and the stubs."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from verdicts import assert_verdicts, worked

from helpers import banking
from helpers.exercises import streams as checks

# --- withdrawal burst (the window is always 10 minutes) ---

BURSTS = {  # (minutes after the first withdrawal, limit) -> does one 10-minute window hold `limit` of them?
    ((), 3): False,
    ((0, 1, 2), 3): True,
    ((0, 6, 12, 18), 3): False,             # never three within 10 minutes
    ((0, 5, 10), 3): True,                   # both ends of the window count
    ((0, 5, 10.5), 3): False,                # 10.5 minutes apart: too far
    ((0, 30, 31, 32, 33, 34), 5): True,      # the burst comes late
    ((0, 1, 2, 3), 5): False,
}


def burst_key(times: list[datetime], window: timedelta, limit: int) -> tuple:
    return tuple((t - times[0]).total_seconds() / 60 for t in times), limit


def test_withdrawal_burst(capsys) -> None:
    assert_verdicts(capsys, checks.check_withdrawal_burst, worked(BURSTS, burst_key),
                    worked({**BURSTS, ((0, 5, 10), 3): False}, burst_key),  # the window's end left out
                    lambda times, window, limit: len(times) >= limit)       # counts the whole history


# --- large outflow (window 1 h, limit 1000.00) ---

OUTFLOWS = {  # number of events in the checker's history -> accounts flagged
    18: {"ACC-001", "ACC-002"},  # ACC-001: 400 + 700 in 20 min; ACC-002: 10 x 99.99 + 0.10 = 1000.00 in 59 min
    17: {"ACC-001"},             # without the 0.10: ACC-002 stays at 999.90; ACC-003's 600s are 61 min apart
    0: set(),
}


def outflow_key(events: list[banking.Event], window: timedelta, limit: Decimal) -> int:
    return len(events)


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


def outflow_whole_history(events: Iterable[banking.Event], window: timedelta, limit: Decimal) -> set[str]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for event in events:
        if isinstance(event, (banking.MoneyWithdrawn, banking.TransferSent)):
            totals[event.account_id] += event.amount
    return {account for account, total in totals.items() if total >= limit}


def test_large_outflow(capsys) -> None:
    assert_verdicts(capsys, checks.check_large_outflow, worked(OUTFLOWS, outflow_key), outflow_counting_deposits,
                    worked({**OUTFLOWS, 18: {"ACC-001"}}, outflow_key),  # strictly above: misses exactly 1000.00
                    outflow_whole_history)
