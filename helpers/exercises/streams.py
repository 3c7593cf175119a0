"""Checkers for notebook 04's exercises (event streams and windowed fraud rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from helpers import banking
from helpers.exercises import Verdict, attempt, failed, passed

_T0 = datetime(2026, 2, 7, 2, 0, tzinfo=UTC)


def _at(*minutes: float) -> list[datetime]:
    """Times that many minutes after 02:00."""
    return [_T0 + timedelta(minutes=m) for m in minutes]


# (times, window, limit, expected): is there a window of that length holding `limit` or more?
BURST_CASES: list[tuple[list[datetime], timedelta, int, bool]] = [
    ([], timedelta(minutes=10), 3, False),
    (_at(0, 1, 2), timedelta(minutes=10), 3, True),
    (_at(0, 6, 12, 18), timedelta(minutes=10), 3, False),      # never three within 10 minutes
    (_at(0, 5, 10), timedelta(minutes=10), 3, True),           # both ends of the window count
    (_at(0, 5, 10.5), timedelta(minutes=10), 3, False),        # 10.5 minutes apart: too far
    (_at(0, 30, 31, 32, 33, 34), timedelta(minutes=10), 5, True),  # the burst comes late
    (_at(0, 1, 2, 3), timedelta(minutes=10), 5, False),
]


def check_withdrawal_burst(answer: Callable[[list[datetime], timedelta, int], bool]) -> Verdict:
    """Check burst(times, window, limit): True when `limit` or more times fit in one window (ends inclusive)."""
    for times, window, limit, expected in BURST_CASES:
        ok, actual = attempt(answer, list(times), window, limit,
                             hint="slide over the sorted times: is times[i + limit - 1] - times[i] <= window?")
        if not ok:
            return Verdict(False)
        if actual is not expected:
            minutes = [round((t - _T0).total_seconds() / 60, 1) for t in times]
            return failed(f"burst(minutes {minutes}, window {window}, limit {limit}) is wrong", expected, actual)
    return passed("a window that holds `limit` withdrawals anywhere in the history raises the flag, "
                  "including one whose ends fall exactly on the window's length.")


def _outflow_events() -> list[banking.Event]:
    """Three accounts: one drained by a night transfer, one by many small payments, one just busy."""
    money = banking.money
    return [
        banking.MoneyWithdrawn("o1", "ACC-001", _T0, money("400.00")),
        banking.MoneyWithdrawn("o2", "ACC-002", _T0, money("50.00")),
        banking.TransferSent("o3-out", "ACC-001", _T0 + timedelta(minutes=20), money("700.00"), "ACC-009", "o3"),
        banking.TransferReceived("o3-in", "ACC-009", _T0 + timedelta(minutes=20), money("700.00"), "ACC-001", "o3"),
        banking.MoneyDeposited("o4", "ACC-002", _T0 + timedelta(minutes=30), money("5000.00")),
        banking.MoneyWithdrawn("o5", "ACC-003", _T0 + timedelta(minutes=0), money("600.00")),
        banking.MoneyWithdrawn("o6", "ACC-003", _T0 + timedelta(minutes=61), money("600.00")),  # an hour apart
        *[banking.MoneyWithdrawn(f"o7-{i}", "ACC-002", _T0 + timedelta(hours=3, minutes=i), money("99.99"))
          for i in range(10)],  # 999.90: just under
        banking.MoneyWithdrawn("o8", "ACC-002", _T0 + timedelta(hours=3, minutes=59), money("0.10")),  # 1000.00
    ]


OUTFLOW_CASES: list[tuple[str, Callable[[list[banking.Event]], list[banking.Event]], set[str]]] = [
    ("all events", lambda events: events, {"ACC-001", "ACC-002"}),
    ("without the last 0.10 payment", lambda events: [e for e in events if e.event_id != "o8"], {"ACC-001"}),
    ("no events", lambda events: [], set()),
]


def check_large_outflow(answer: Callable[[Iterable[banking.Event], timedelta, Decimal], set[str]]) -> Verdict:
    """Check outflow(events, window, limit) -> accounts whose money out within one window reaches `limit`."""
    window, limit = timedelta(hours=1), Decimal("1000.00")
    for label, pick, expected in OUTFLOW_CASES:
        events = pick(_outflow_events())
        ok, actual = attempt(answer, list(events), window, limit,
                             hint="per account, keep the outgoing (time, amount) pairs of the last `window` "
                                  "and compare their sum with `limit`")
        if not ok:
            return Verdict(False)
        if set(actual or ()) != expected:
            return failed(f"flagged accounts for {label} (window 1 h, limit 1000.00)", sorted(expected),
                          sorted(actual or ()))
    return passed("withdrawals and sent transfers count as money out, deposits and received transfers do "
                  "not, and reaching the limit exactly is enough.")
