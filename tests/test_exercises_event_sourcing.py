"""Every checker of notebooks 01-03 accepts a correct answer, rejects a wrong one, spots the stub."""

from __future__ import annotations

from decimal import Decimal

import pytest

from helpers import banking
from helpers.exercises import event_sourcing as checks


def stub(*args, **kwargs):
    raise NotImplementedError("your turn")


def balance_from_events(events):
    balance = Decimal("0.00")
    for event in events:
        balance += banking.signed_amount(event)
    return balance


def balance_from_events_ignoring_transfers(events):
    return sum((e.amount if isinstance(e, banking.MoneyDeposited) else -e.amount
                for e in events if isinstance(e, banking.MoneyDeposited | banking.MoneyWithdrawn)), Decimal("0.00"))


def balance_as_of(events, when):
    return balance_from_events([e for e in events if e.occurred_at <= when])


def balance_as_of_exclusive(events, when):
    return balance_from_events([e for e in events if e.occurred_at < when])


def spending_by_category(events):
    totals = {}
    for event in events:
        if isinstance(event, banking.MoneyWithdrawn):
            category = event.description.split(": ", 1)[-1]
            totals[category] = totals.get(category, Decimal("0.00")) + event.amount
    return totals


def spending_by_category_with_transfers(events):
    totals = spending_by_category(events)
    for event in events:
        if isinstance(event, banking.TransferSent):
            totals["transfer"] = totals.get("transfer", Decimal("0.00")) + event.amount
    return totals


def spending_by_full_description(events):
    totals = {}
    for event in events:
        if isinstance(event, banking.MoneyWithdrawn):
            totals[event.description] = totals.get(event.description, Decimal("0.00")) + event.amount
    return totals


def upcast_v2_v3(state):
    state["currency"] = "EUR"


def upcast_v2_v3_returning_copy(state):
    return {**state, "currency": "EUR"}


def upcast_v2_v3_dropping_fields(state):
    state.clear()
    state["currency"] = "EUR"


def feed_counts(log):
    counts, start = {}, 1
    while page := log.select(start=start, limit=10):
        for notification in page:
            name = notification.topic.rsplit(".", 1)[-1]
            counts[name] = counts.get(name, 0) + 1
        start = page[-1].id + 1
    return counts


def feed_counts_first_page_only(log):
    counts = {}
    for notification in log.select(start=1, limit=1000):
        name = notification.topic.rsplit(".", 1)[-1]
        counts[name] = counts.get(name, 0) + 1
    return counts


def payments_projector(model, event):
    if isinstance(event, banking.AccountCreated):
        model[event.account_id] = {"payments": 0, "money_out": Decimal("0.00")}
    elif isinstance(event, banking.MoneyWithdrawn | banking.TransferSent):
        model[event.account_id]["payments"] += 1
        model[event.account_id]["money_out"] += event.amount


def payments_projector_withdrawals_only(model, event):
    if isinstance(event, banking.TransferSent):
        return
    payments_projector(model, event)


def _apply(conn, position, event):
    if isinstance(event, banking.AccountCreated):
        conn.execute("INSERT INTO balances VALUES (?, '0.00')", (event.account_id,))
    else:
        (balance,) = conn.execute("SELECT balance FROM balances WHERE account_id = ?", (event.account_id,)).fetchone()
        new = Decimal(balance) + banking.signed_amount(event)
        conn.execute("UPDATE balances SET balance = ? WHERE account_id = ?", (str(new), event.account_id))
    conn.execute("UPDATE tracking SET position = ? WHERE projection = 'balances'", (position,))


def project_once(conn, position, event):
    with conn:
        (tracked,) = conn.execute("SELECT position FROM tracking WHERE projection = 'balances'").fetchone()
        if position <= tracked:
            return
        _apply(conn, position, event)


def project_every_time(conn, position, event):
    with conn:
        if isinstance(event, banking.AccountCreated):
            conn.execute("INSERT OR REPLACE INTO balances VALUES (?, '0.00')", (event.account_id,))
        else:
            _apply(conn, position, event)


def project_once_crashing(conn, position, event):
    raise RuntimeError("database is locked")


CASES = [
    (checks.check_balance_from_events, balance_from_events, balance_from_events_ignoring_transfers),
    (checks.check_balance_as_of, balance_as_of, balance_as_of_exclusive),
    (checks.check_spending_by_category, spending_by_category, spending_by_category_with_transfers),
    (checks.check_spending_by_category, spending_by_category, spending_by_full_description),
    (checks.check_upcast_v2_v3, upcast_v2_v3, upcast_v2_v3_returning_copy),
    (checks.check_upcast_v2_v3, upcast_v2_v3, upcast_v2_v3_dropping_fields),
    (checks.check_feed_counts, feed_counts, feed_counts_first_page_only),
    (checks.check_payments_projector, payments_projector, payments_projector_withdrawals_only),
    (checks.check_project_once, project_once, project_every_time),
    (checks.check_project_once, project_once, project_once_crashing),
]


@pytest.mark.parametrize(("check", "right", "wrong"), CASES, ids=lambda f: f.__name__)
def test_checker_accepts_right_rejects_wrong_and_spots_the_stub(check, right, wrong, capsys):
    assert check(right)
    assert "✅ Correct" in capsys.readouterr().out
    assert not check(wrong)
    assert "❌ Not yet" in capsys.readouterr().out
    assert not check(stub)
    assert "⏳ Not attempted yet" in capsys.readouterr().out


def test_feed_checker_explains_a_single_page(capsys):
    checks.check_feed_counts(feed_counts_first_page_only)
    assert "only the first page" in capsys.readouterr().out


def test_checkers_do_not_accept_floats(capsys):
    assert not checks.check_balance_from_events(lambda events: float(balance_from_events(events)))
