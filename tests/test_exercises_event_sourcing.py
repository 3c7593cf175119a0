"""Every checker of notebooks 01-03 accepts a correct answer, rejects a wrong one, spots the stub.

These checkers judge answers on seeded workload histories (so an answer cannot be hard-coded), too long to
work out by hand. So the answers below are first pinned to a small history worked out by hand
(test_the_answers_are_right_on_a_hand_worked_history), and only then used to test the checkers.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from verdicts import assert_verdicts

from helpers import banking
from helpers.exercises import event_sourcing as checks


def balance_from_events(events):
    balance = Decimal("0.00")
    for event in events:
        balance += banking.signed_amount(event)
    return balance


def balance_from_events_ignoring_transfers(events):
    return sum((e.amount if isinstance(e, banking.MoneyDeposited) else -e.amount
                for e in events if isinstance(e, banking.MoneyDeposited | banking.MoneyWithdrawn)), Decimal("0.00"))


def balance_never_below_zero(events):
    return max(Decimal("0.00"), balance_from_events(events))


def balance_in_floats(events):
    return Decimal(str(round(sum(float(banking.signed_amount(e)) for e in events), 2)))  # right to the cent, by luck


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


def spending_with_every_category_preset(events):
    totals = {"groceries": Decimal("0.00")}
    totals.update(spending_by_category(events))
    return totals


def spending_by_full_description(events):
    totals = {}
    for event in events:
        if isinstance(event, banking.MoneyWithdrawn):
            totals[event.description] = totals.get(event.description, Decimal("0.00")) + event.amount
    return totals


def feed_counts_crashing_on_an_empty_log(log):
    counts, start = {}, 1
    while True:
        page = log.select(start=start, limit=10)
        for notification in page:
            name = notification.topic.rsplit(".", 1)[-1]
            counts[name] = counts.get(name, 0) + 1
        start = page[-1].id + 1  # IndexError when the log is empty
        if len(page) < 10:
            return counts


def feed_counts_full_pages_only(log):
    counts, start = {}, 1
    while len(page := log.select(start=start, limit=10)) == 10:
        for notification in page:
            name = notification.topic.rsplit(".", 1)[-1]
            counts[name] = counts.get(name, 0) + 1
        start = page[-1].id + 1
    return counts


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


def payments_projector_rows_on_first_payment(model, event):
    if isinstance(event, banking.MoneyWithdrawn | banking.TransferSent):
        row = model.setdefault(event.account_id, {"payments": 0, "money_out": Decimal("0.00")})
        row["payments"] += 1
        row["money_out"] += event.amount


def payments_projector_in_floats(model, event):
    if isinstance(event, banking.AccountCreated):
        model[event.account_id] = {"payments": 0, "money_out": 0.0}
    elif isinstance(event, banking.MoneyWithdrawn | banking.TransferSent):
        model[event.account_id]["payments"] += 1
        model[event.account_id]["money_out"] += float(event.amount)


def payments_projector_starting_from_int_zero(model, event):
    if isinstance(event, banking.AccountCreated):
        model[event.account_id] = {"payments": 0, "money_out": 0}  # 0 == Decimal("0.00"), but it is no amount of money
    else:
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


def project_once_skipping_only_older(conn, position, event):
    with conn:
        (tracked,) = conn.execute("SELECT position FROM tracking WHERE projection = 'balances'").fetchone()
        if position < tracked:  # the text says: not greater than the tracked one
            return
        _apply(conn, position, event)


def project_once_expecting_no_gaps(conn, position, event):
    with conn:
        (tracked,) = conn.execute("SELECT position FROM tracking WHERE projection = 'balances'").fetchone()
        if position != tracked + 1:
            return
        _apply(conn, position, event)


def project_once_in_two_transactions(conn, position, event):
    with conn:
        (tracked,) = conn.execute("SELECT position FROM tracking WHERE projection = 'balances'").fetchone()
        if position <= tracked:
            return
        conn.execute("UPDATE tracking SET position = ? WHERE projection = 'balances'", (position,))
    with conn:  # a second transaction: a crash here leaves the position ahead of the balance
        _apply(conn, position, event)


def project_once_crashing(conn, position, event):
    raise RuntimeError("database is locked")


CASES = [
    (checks.check_balance_from_events, balance_from_events, balance_from_events_ignoring_transfers),
    (checks.check_balance_from_events, balance_from_events, balance_never_below_zero),
    (checks.check_balance_from_events, balance_from_events, balance_in_floats),
    (checks.check_balance_as_of, balance_as_of, balance_as_of_exclusive),
    (checks.check_spending_by_category, spending_by_category, spending_by_category_with_transfers),
    (checks.check_spending_by_category, spending_by_category, spending_by_full_description),
    (checks.check_spending_by_category, spending_by_category, spending_with_every_category_preset),
    (checks.check_upcast_v2_v3, upcast_v2_v3, upcast_v2_v3_returning_copy),
    (checks.check_upcast_v2_v3, upcast_v2_v3, upcast_v2_v3_dropping_fields),
    (checks.check_feed_counts, feed_counts, feed_counts_first_page_only),
    (checks.check_feed_counts, feed_counts, feed_counts_crashing_on_an_empty_log),
    (checks.check_feed_counts, feed_counts, feed_counts_full_pages_only),
    (checks.check_payments_projector, payments_projector, payments_projector_withdrawals_only),
    (checks.check_payments_projector, payments_projector, payments_projector_rows_on_first_payment),
    (checks.check_payments_projector, payments_projector, payments_projector_in_floats),
    (checks.check_payments_projector, payments_projector, payments_projector_starting_from_int_zero),
    (checks.check_project_once, project_once, project_every_time),
    (checks.check_project_once, project_once, project_once_crashing),
    (checks.check_project_once, project_once, project_once_skipping_only_older),
    (checks.check_project_once, project_once, project_once_expecting_no_gaps),
    (checks.check_project_once, project_once, project_once_in_two_transactions),
]


@pytest.mark.parametrize(("check", "right", "wrong"), CASES, ids=lambda f: f.__name__)
def test_checker_accepts_right_rejects_wrong_and_spots_the_stub(check, right, wrong, capsys):
    assert_verdicts(capsys, check, right, wrong)


AT = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
MONEY = banking.money
SMALL = [  # worked by hand below: ACC-001 ends at 100.00 - 12.50 - 30.00 - 7.50 = 50.00
    banking.AccountCreated("h1", "ACC-001", AT, "Asha Patel"),
    banking.MoneyDeposited("h2", "ACC-001", AT + timedelta(hours=1), MONEY("100.00"), "salary"),
    banking.MoneyWithdrawn("h3", "ACC-001", AT + timedelta(hours=2), MONEY("12.50"), "card: groceries"),
    banking.TransferSent("h4-out", "ACC-001", AT + timedelta(hours=3), MONEY("30.00"), "ACC-002", "h4"),
    banking.MoneyWithdrawn("h5", "ACC-001", AT + timedelta(hours=4), MONEY("7.50"), "atm: cash"),
]


def test_the_answers_are_right_on_a_hand_worked_history():
    assert balance_from_events(SMALL) == MONEY("50.00")
    assert balance_as_of(SMALL, AT + timedelta(hours=2)) == MONEY("87.50")  # the withdrawal at 11:00 counts
    assert balance_as_of(SMALL, AT - timedelta(days=1)) == MONEY("0.00")
    assert spending_by_category(SMALL) == {"groceries": MONEY("12.50"), "cash": MONEY("7.50")}
    model = {}
    for event in SMALL:
        payments_projector(model, event)
    assert model == {"ACC-001": {"payments": 3, "money_out": MONEY("50.00")}}
    with closing(sqlite3.connect(":memory:")) as connection:
        connection.executescript(checks.ONCE_SCHEMA)
        for position, event in [*enumerate(SMALL, start=1), (3, SMALL[2]), (5, SMALL[4])]:  # two re-deliveries
            project_once(connection, position, event)
        assert connection.execute("SELECT * FROM balances").fetchall() == [("ACC-001", "50.00")]


def test_feed_checker_explains_a_single_page(capsys):
    checks.check_feed_counts(feed_counts_first_page_only)
    assert "only the first page" in capsys.readouterr().out


def test_checkers_do_not_accept_floats(capsys):
    assert not checks.check_balance_from_events(lambda events: float(balance_from_events(events)))


def test_checkers_refuse_float_arithmetic_that_rounds_back_to_the_cent(capsys):
    assert not checks.check_balance_from_events(balance_in_floats)
    assert "keep to Decimal arithmetic" in capsys.readouterr().out


def test_project_once_checker_explains_a_position_that_moved_without_its_balance(capsys):
    assert not checks.check_project_once(project_once_in_two_transactions)
    assert "ONE `with conn:`" in capsys.readouterr().out


def test_payments_checker_wants_decimal_money(capsys):
    assert not checks.check_payments_projector(payments_projector_starting_from_int_zero)
    assert "keep money_out a Decimal" in capsys.readouterr().out
