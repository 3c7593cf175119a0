"""helpers.projection.ApplyOnce: each event id applied once, whatever delivered it."""

from __future__ import annotations

from datetime import UTC, datetime

from helpers import banking
from helpers.projection import ApplyOnce

AT = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
HISTORY = [
    banking.AccountCreated("e1", "ACC-001", AT, "Asha Patel"),
    banking.MoneyDeposited("e2", "ACC-001", AT, banking.money("100.00")),
    banking.AccountCreated("e3", "ACC-002", AT, "Ben Okafor"),
    banking.TransferSent("e4-out", "ACC-001", AT, banking.money("30.00"), "ACC-002", "e4"),
    banking.TransferReceived("e4-in", "ACC-002", AT, banking.money("30.00"), "ACC-001", "e4"),
    banking.MoneyWithdrawn("e5", "ACC-002", AT, banking.money("5.50")),
]


def test_apply_once_ignores_redelivered_events() -> None:
    books = ApplyOnce()
    delivered = HISTORY[:4] + HISTORY[1:4] + HISTORY[4:] + HISTORY[-1:]  # a crashed batch, then one more copy
    applied = [books.apply(event) for event in delivered]
    assert applied == [True] * 4 + [False] * 3 + [True, True, False]
    assert (books.applied, books.duplicates) == (6, 4)
    assert books.balances() == {"ACC-001": banking.money("70.00"), "ACC-002": banking.money("24.50")}


def test_apply_once_sorts_the_balances_by_account() -> None:
    books = ApplyOnce()
    for event in [HISTORY[2], HISTORY[0]]:
        books.apply(event)
    assert list(books.balances()) == ["ACC-001", "ACC-002"]
