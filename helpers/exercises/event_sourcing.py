"""Checkers for the exercises of notebooks 01-03 (event sourcing, the library, CQRS).

Each `check_*` takes the learner's function, runs it on known banking histories and prints one
line (✅, ⏳ for the untouched stub, or ❌ with what was expected); it returns a Verdict, truthy only when correct.
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.domain import event as domain_event

from helpers import banking, workload
from helpers.banking import Event
from helpers.exercises import Verdict, attempt, failed, passed

START = datetime(2026, 1, 1, tzinfo=UTC)
ZERO = banking.money("0")


def _history(seed: int = 11, accounts: int = 6, days: int = 90) -> list[Event]:
    """A small seeded history (the checkers' own, so answers cannot be hard-coded)."""
    return workload.generate(accounts=accounts, days=days, seed=seed, start=START)


def _stream(events: Sequence[Event], account_id: str) -> list[Event]:
    """One account's events."""
    return [event for event in events if event.account_id == account_id]


def _seed_example() -> list[Event]:
    """0 + 100 - 50: the syllabus's example."""
    at = START + timedelta(hours=9)
    return [
        banking.AccountCreated("ex-1", "ACC-900", at, "Asha Patel"),
        banking.MoneyDeposited("ex-2", "ACC-900", at + timedelta(minutes=5), banking.money("100")),
        banking.MoneyWithdrawn("ex-3", "ACC-900", at + timedelta(minutes=9), banking.money("50")),
    ]


def _balance(events: Sequence[Event]) -> Decimal:
    """Reference: the balance after some events of one account (0 before it exists)."""
    state = banking.replay(events)
    return state.balance if state else ZERO


def _same_money(actual: Any, expected: Decimal) -> bool:
    """True when actual is a Decimal equal to expected."""
    return isinstance(actual, Decimal) and actual == expected


# ---------------------------------------------------------------------------------------------
# Notebook 01


def check_balance_from_events(answer: Callable[[list[Event]], Decimal]) -> Verdict:
    """Exercise 01.1: fold one account's events into its balance."""
    history = _history()
    cases = [("the syllabus example", _seed_example())]
    cases += [(f"{account_id}'s {len(_stream(history, account_id))} events", _stream(history, account_id))
              for account_id in ("ACC-002", "ACC-005")]
    for name, events in cases:
        ok, result = attempt(answer, list(events), hint="start from Decimal('0.00') and add or subtract each amount")
        if not ok:
            return Verdict(False)
        if not _same_money(result, _balance(events)):
            return failed(f"wrong balance for {name} (deposits and received transfers add, "
                          "withdrawals and sent transfers subtract)", _balance(events), result)
    return passed(f"your fold gives the right balance for {len(cases)} histories, including transfers")


def check_balance_as_of(answer: Callable[[list[Event], datetime], Decimal]) -> Verdict:
    """Exercise 01.2: time travel, the balance at a past moment."""
    events = _stream(_history(), "ACC-003")
    moments = [START - timedelta(days=1), events[5].occurred_at, events[40].occurred_at - timedelta(seconds=1),
               START + timedelta(days=31), START + timedelta(days=400)]
    for when in moments:
        expected = _balance([event for event in events if event.occurred_at <= when])
        ok, result = attempt(answer, list(events), when, hint="keep the events with occurred_at <= when, then fold")
        if not ok:
            return Verdict(False)
        if not _same_money(result, expected):
            return failed(f"wrong balance as of {when.isoformat()} (events at exactly that moment count; "
                          "before the account exists the balance is 0.00)", expected, result)
    return passed(f"balances as of {len(moments)} moments match, before the first event and after the last")


def _spending(events: Sequence[Event]) -> dict[str, Decimal]:
    """Reference: money withdrawn per category (the description after "card: " or "atm: ")."""
    totals: dict[str, Decimal] = {}
    for event in events:
        if isinstance(event, banking.MoneyWithdrawn):
            category = event.description.split(": ", 1)[-1]
            totals[category] = totals.get(category, ZERO) + event.amount
    return totals


def check_spending_by_category(answer: Callable[[list[Event]], dict[str, Decimal]]) -> Verdict:
    """Exercise 01.3: a new report (spending per category) from events that were never designed for it."""
    history = _history()
    for account_id in ("ACC-001", "ACC-004", "ACC-006"):
        events = _stream(history, account_id)
        expected = _spending(events)
        ok, result = attempt(answer, list(events), hint="for each MoneyWithdrawn, the category is the description after ': '")
        if not ok:
            return Verdict(False)
        if not isinstance(result, dict) or set(result) != set(expected):
            return failed(f"wrong categories for {account_id}", sorted(expected),
                          sorted(result) if isinstance(result, dict) else result)
        if any(not _same_money(result[key], expected[key]) for key in expected):
            return failed(f"wrong totals for {account_id} (only MoneyWithdrawn counts)", expected, result)
    return passed("spending per category matches for 3 accounts: a new feature, no schema change")


# ---------------------------------------------------------------------------------------------
# Notebook 02


def check_upcast_v2_v3(answer: Callable[[dict[str, Any]], Any]) -> Verdict:
    """Exercise 02.1: upcast a stored v2 deposit to v3 by adding currency "EUR" in place."""
    stored = {"originator_id": "3f1c", "originator_version": 4, "timestamp": "2026-01-05T09:00:00+00:00",
              "amount": "120.00", "description": "cash deposit"}
    state = copy.deepcopy(stored)
    ok, _ = attempt(answer, state, hint='set state["currency"] = "EUR"; the library ignores the return value')
    if not ok:
        return Verdict(False)
    expected = {**stored, "currency": "EUR"}
    if state == stored:
        return failed("the state was not changed: the library ignores what you return, so change `state` in place")
    if state != expected:
        return failed("keep every stored field as it is and add currency 'EUR'", expected, state)
    return passed("old v2 deposits now read as v3, in euros, and nothing stored was lost")


class _PagedLog:
    """A notification log that serves at most `page_size` notifications per select (like a real feed)."""

    def __init__(self, log: Any, page_size: int) -> None:
        self.log, self.page_size, self.calls = log, page_size, 0

    def select(self, start: int, limit: int, *args: Any, **kwargs: Any) -> list[Any]:
        """Forward to the real log, capping the page size."""
        self.calls += 1
        return self.log.select(start, min(limit, self.page_size), *args, **kwargs)


class Wallet(Aggregate):
    """A tiny aggregate whose events feed the notification-log exercise."""

    @domain_event("Opened")
    def __init__(self, owner: str) -> None:
        self.owner, self.balance = owner, Decimal("0.00")

    @domain_event("Deposited")
    def deposit(self, amount: Decimal) -> None:
        """Add money."""
        self.balance += amount

    @domain_event("Withdrawn")
    def withdraw(self, amount: Decimal) -> None:
        """Take money out."""
        self.balance -= amount


def _feed_app() -> tuple[Application, dict[str, int]]:
    """An in-memory eventsourcing application with a known mix of events."""
    app = Application()
    for number, owner in enumerate(("Asha", "Ben", "Chloe")):
        wallet = Wallet(owner)
        for cents in range(5 + number * 2):
            wallet.deposit(banking.money(f"{10 + cents}.00"))
        for cents in range(number + 1):
            wallet.withdraw(banking.money(f"{1 + cents}.00"))
        app.save(wallet)
    return app, {"Opened": 3, "Deposited": 5 + 7 + 9, "Withdrawn": 1 + 2 + 3}


def check_feed_counts(answer: Callable[[Any], dict[str, int]]) -> Verdict:
    """Exercise 02.2: read the whole notification log page by page and count events by type."""
    app, expected = _feed_app()
    log = _PagedLog(app.notification_log, page_size=10)
    ok, result = attempt(answer, log, hint="loop: page = log.select(start=next_id, limit=10) until a page is empty")
    if not ok:
        return Verdict(False)
    if result != expected:
        hint = " (only the first page was read: keep selecting from the id after the last one)" if log.calls == 1 else ""
        return failed(f"wrong counts by event type{hint}", expected, result)
    return passed(f"{sum(expected.values())} notifications read in {log.calls} pages and counted by type")


# ---------------------------------------------------------------------------------------------
# Notebook 03


def _payments(events: Sequence[Event]) -> dict[str, dict[str, Any]]:
    """Reference payments read model."""
    model: dict[str, dict[str, Any]] = {}
    for event in events:
        if isinstance(event, banking.AccountCreated):
            model[event.account_id] = {"payments": 0, "money_out": ZERO}
        elif isinstance(event, (banking.MoneyWithdrawn, banking.TransferSent)):
            row = model[event.account_id]
            row["payments"] += 1
            row["money_out"] += event.amount
    return model


def check_payments_projector(answer: Callable[[dict[str, dict[str, Any]], Event], None]) -> Verdict:
    """Exercise 03.1: a new read model (payments and money out per account) from the same events."""
    events = _history(seed=5, accounts=4, days=30)
    model: dict[str, dict[str, Any]] = {}
    for event in events:
        ok, _ = attempt(answer, model, event, hint="AccountCreated adds a row; MoneyWithdrawn and TransferSent update it")
        if not ok:
            return Verdict(False)
    expected = _payments(events)
    if model != expected:
        wrong = sorted(set(model) ^ set(expected)) or sorted(k for k in expected if model.get(k) != expected[k])
        account_id = wrong[0]
        return failed(f"the read model differs for {account_id} (count withdrawals and sent transfers only)",
                      expected.get(account_id), model.get(account_id))
    return passed(f"your projector built the payments read model of {len(expected)} accounts from {len(events)} events")


EXACTLY_ONCE_SCHEMA = """
CREATE TABLE balances (account_id TEXT PRIMARY KEY, balance TEXT NOT NULL);
CREATE TABLE tracking (projection TEXT PRIMARY KEY, position INTEGER NOT NULL);
INSERT INTO tracking VALUES ('balances', 0);
"""


def check_project_once(answer: Callable[[sqlite3.Connection, int, Event], None]) -> Verdict:
    """Exercise 03.2: apply each event to the balances at most once, tracking the position."""
    with closing(sqlite3.connect(":memory:")) as connection:
        return _judge_project_once(answer, connection)


def _judge_project_once(answer: Callable[[sqlite3.Connection, int, Event], None],
                        connection: sqlite3.Connection) -> Verdict:
    """check_project_once's rounds, on a fresh in-memory database that the caller closes."""
    events = _history(seed=8, accounts=3, days=20)
    connection.executescript(EXACTLY_ONCE_SCHEMA)
    deliveries = list(enumerate(events, start=1))
    replayed = deliveries[len(deliveries) // 2:]  # a crash: the second half is delivered again
    for position, event in deliveries + replayed:
        ok, _ = attempt(answer, connection, position, event,
                        hint="skip when position <= the tracked one; otherwise update and track, in one `with conn:`")
        if not ok:
            return Verdict(False)
    balances = {account_id: Decimal(balance) for account_id, balance in connection.execute("SELECT * FROM balances")}
    expected = {account_id: account.balance for account_id, account in banking.replay_all(events).items()}
    tracked = connection.execute("SELECT position FROM tracking WHERE projection = 'balances'").fetchone()[0]
    if balances != expected:
        return failed(f"after re-delivering {len(replayed)} events the balances are off: some were applied twice",
                      expected, balances)
    if tracked != len(events):
        return failed("the tracked position should be the last position applied", len(events), tracked)
    return passed(f"{len(deliveries)} events applied once each; {len(replayed)} re-deliveries changed nothing")
