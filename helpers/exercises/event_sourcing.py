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
from helpers.exercises import Verdict, attempt, failed, passed, time_limit
from helpers.exercises.start import StrictDecimal

START = datetime(2026, 1, 1, tzinfo=UTC)
ZERO = banking.money("0")


def _strict(event: Event) -> Event:
    """The same event with its amount as a StrictDecimal, so float arithmetic on it fails loudly."""
    if not hasattr(event, "amount"):
        return event
    strict = copy.copy(event)
    object.__setattr__(strict, "amount", StrictDecimal(event.amount))  # frozen: set once, as __init__ does
    return strict


def _history(seed: int = 11, accounts: int = 6, days: int = 90) -> list[Event]:
    """A small seeded history (the checkers' own, so answers cannot be hard-coded), with strict amounts."""
    return [_strict(event) for event in workload.generate(accounts=accounts, days=days, seed=seed, start=START)]


def _stream(events: Sequence[Event], account_id: str) -> list[Event]:
    """One account's events."""
    return [event for event in events if event.account_id == account_id]


def _seed_example() -> list[Event]:
    """0 + 100 - 50: the syllabus's example, for the newcomer."""
    at = START + timedelta(hours=9)
    return [_strict(event) for event in (
        banking.AccountCreated("ex-1", workload.NEWCOMER_ID, at, workload.NEWCOMER),
        banking.MoneyDeposited("ex-2", workload.NEWCOMER_ID, at + timedelta(minutes=5), banking.money("100")),
        banking.MoneyWithdrawn("ex-3", workload.NEWCOMER_ID, at + timedelta(minutes=9), banking.money("50")),
    )]


def _boundary_histories() -> list[tuple[str, list[Event]]]:
    """Edge cases: an account with no money moved yet, and a migrated history that went below zero."""
    at = START + timedelta(hours=9)
    opened = banking.AccountCreated("ex-1", workload.NEWCOMER_ID, at, workload.NEWCOMER)
    overdrawn = [opened,
                 banking.MoneyDeposited("ex-2", workload.NEWCOMER_ID, at + timedelta(hours=1), banking.money("20.10")),
                 banking.TransferSent("ex-3", workload.NEWCOMER_ID, at + timedelta(hours=2), banking.money("30.25"),
                                      "ACC-001", "tr-1")]
    return [("a new account with nothing moved yet", [opened]),
            ("an overdrawn (migrated) history, which replay must accept", [_strict(e) for e in overdrawn])]


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
    cases = [("the syllabus example", _seed_example()), *_boundary_histories()]
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
    moments = [START - timedelta(days=1), events[0].occurred_at, events[5].occurred_at, events[40].occurred_at - timedelta(seconds=1),
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
    no_spending = [event for event in _stream(history, "ACC-002") if not isinstance(event, banking.MoneyWithdrawn)]
    for account_id, events in [(account_id, _stream(history, account_id)) for account_id in ("ACC-001", "ACC-004", "ACC-006")] \
            + [("ACC-002 without its card payments", no_spending)]:
        expected = _spending(events)
        ok, result = attempt(answer, list(events), hint="for each MoneyWithdrawn, the category is the description after ': '")
        if not ok:
            return Verdict(False)
        if not isinstance(result, dict) or set(result) != set(expected):
            return failed(f"wrong categories for {account_id}", sorted(expected),
                          sorted(result) if isinstance(result, dict) else result)
        if any(not _same_money(result[key], expected[key]) for key in expected):
            return failed(f"wrong totals for {account_id} (only MoneyWithdrawn counts)", expected, result)
    return passed("spending per category matches for 4 accounts (one spent nothing): a new feature, no schema change")


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


def _feed_app(owners: Sequence[str], extra_deposits: int = 0) -> tuple[Application, dict[str, int]]:
    """An in-memory eventsourcing application with a known mix of events (none for no owners)."""
    app = Application()
    expected: dict[str, int] = {}
    for number, owner in enumerate(owners):
        wallet = Wallet(owner)
        deposits = 5 + number * 2 + (extra_deposits if number == 0 else 0)
        for cents in range(deposits):
            wallet.deposit(banking.money(f"{10 + cents}.00"))
        for cents in range(number + 1):
            wallet.withdraw(banking.money(f"{1 + cents}.00"))
        app.save(wallet)
        for name, count in (("Opened", 1), ("Deposited", deposits), ("Withdrawn", number + 1)):
            expected[name] = expected.get(name, 0) + count
    return app, expected


def check_feed_counts(answer: Callable[[Any], dict[str, int]]) -> Verdict:
    """Exercise 02.2: read the whole notification log page by page and count events by type."""
    cases = [("an empty log", *_feed_app([])), ("30 notifications, three full pages", *_feed_app(("Asha", "Ben", "Chloe"))),
             ("31 notifications, a last page of one", *_feed_app(("Asha", "Ben", "Chloe"), extra_deposits=1))]
    for name, app, expected in cases:
        log = _PagedLog(app.notification_log, page_size=10)
        ok, result = attempt(answer, log, hint="loop: page = log.select(start=next_id, limit=10) until a page is empty")
        if not ok:
            return Verdict(False)
        if result != expected:
            hint = " (only the first page was read: keep selecting from the id after the last one)" if log.calls == 1 else ""
            return failed(f"wrong counts by event type for {name}{hint}", expected, result)
    return passed(f"{sum(expected.values())} notifications read in {log.calls} pages and counted by type; "
                  "an empty log and a short last page too")


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
    at = START + timedelta(days=31)
    newcomer = [_strict(event) for event in (  # money in only: a row with 0 payments and 0.00 out
        banking.AccountCreated("pm-1", workload.NEWCOMER_ID, at, workload.NEWCOMER),
        banking.MoneyDeposited("pm-2", workload.NEWCOMER_ID, at, banking.money("40.00")),
        banking.TransferReceived("pm-3", workload.NEWCOMER_ID, at, banking.money("12.50"), "ACC-001", "tr-pm"))]
    events = _history(seed=5, accounts=4, days=30) + newcomer
    model: dict[str, dict[str, Any]] = {}
    for event in events:
        ok, _ = attempt(answer, model, event, hint="AccountCreated adds a row; MoneyWithdrawn and TransferSent update it")
        if not ok:
            return Verdict(False)
    expected = _payments(events)
    if model != expected:
        wrong = sorted(set(model) ^ set(expected)) or sorted(k for k in expected if model.get(k) != expected[k])
        account_id = wrong[0]
        return failed(f"the read model differs for {account_id} (every account gets a row; count withdrawals and "
                      "sent transfers only)", expected.get(account_id), model.get(account_id))
    wrong_types = sorted(k for k, row in model.items()
                         if not isinstance(row["money_out"], Decimal) or type(row["payments"]) is not int)
    if wrong_types:
        row = model[wrong_types[0]]
        return failed(f"keep money_out a Decimal and payments an int ({wrong_types[0]})",
                      "Decimal, int", f"{type(row['money_out']).__name__}, {type(row['payments']).__name__}")
    return passed(f"your projector built the payments read model of {len(expected)} accounts from {len(events)} events")


ONCE_SCHEMA = """
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
    connection.executescript(ONCE_SCHEMA)
    deliveries = [(10 * n, event) for n, event in enumerate(events, start=1)]  # positions with gaps, as stores have
    retried = [delivery for n, delivery in enumerate(deliveries) for _ in range(1 + n % 2)]  # every other one twice
    replayed = deliveries[len(deliveries) // 2:]  # a crash: the second half is delivered again
    for position, event in retried + replayed:
        ok, _ = attempt(answer, connection, position, event,
                        hint="skip when position <= the tracked one; otherwise update and track, in one `with conn:`")
        if not ok:
            return Verdict(False)
    balances = {account_id: Decimal(balance) for account_id, balance in connection.execute("SELECT * FROM balances")}
    expected = {account_id: account.balance for account_id, account in banking.replay_all(events).items()}
    tracked = _tracked(connection)
    if balances != expected:
        return failed(f"after {len(retried) + len(replayed) - len(deliveries)} re-deliveries the balances are off: "
                      "an event was applied twice, or one was skipped (positions may have gaps)", expected, balances)
    if tracked != deliveries[-1][0]:
        return failed("the tracked position should be the last position applied", deliveries[-1][0], tracked)
    crash = _crash_mid_event(answer, connection, events[-1].account_id, tracked)
    if crash:
        return failed(crash)
    return passed(f"{len(deliveries)} events applied once each; {len(retried) + len(replayed) - len(deliveries)} "
                  "re-deliveries and a crash mid-event changed nothing")


def _tracked(connection: sqlite3.Connection) -> int:
    """The position the learner's tracking row holds."""
    return connection.execute("SELECT position FROM tracking WHERE projection = 'balances'").fetchone()[0]


def _crash_mid_event(answer: Callable[[sqlite3.Connection, int, Event], None], connection: sqlite3.Connection,
                     account_id: str, tracked: int) -> str:
    """Deliver one more deposit while every balance write fails; '' if the position did not move without it."""
    connection.executescript("""
        CREATE TEMP TRIGGER crash_update BEFORE UPDATE ON balances BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;
        CREATE TEMP TRIGGER crash_insert BEFORE INSERT ON balances BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;""")
    deposit = _strict(banking.MoneyDeposited("po-1", account_id, START + timedelta(days=90), banking.money("1.00")))
    try:
        with time_limit():
            answer(connection, tracked + 10, deposit)
    except Exception:  # the crash is expected to reach the learner's code; what matters is what it left behind
        pass
    if _tracked(connection) != tracked:
        return ("the balance update failed but the position moved on: that event is now lost for good. "
                "Update the balance and the position inside ONE `with conn:` block")
    return ""
