"""The shared banking domain: money, the fold, decisions and their errors, JSON."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from helpers import banking
from helpers.banking import (
    AccountClosed,
    AccountCreated,
    MalformedEvent,
    MoneyDeposited,
    MoneyWithdrawn,
    TransferReceived,
    TransferSent,
    money,
)

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    """A moment minutes after T0."""
    return T0 + timedelta(minutes=minutes)


def opened(account_id: str = "ACC-001", balance: str = "0") -> banking.Account:
    """An open account with a balance."""
    return banking.Account(id=account_id, owner="Asha", balance=money(balance), version=1)


ALL_EVENTS = [
    AccountCreated("e1", "ACC-001", at(0), "Asha Patel"),
    MoneyDeposited("e2", "ACC-001", at(1), money("100"), "salary"),
    MoneyWithdrawn("e3", "ACC-001", at(2), money("50"), "card: coffee"),
    TransferSent("e4-out", "ACC-001", at(3), money("20.5"), "ACC-002", "e4"),
    TransferReceived("e4-in", "ACC-002", at(3), money("20.5"), "ACC-001", "e4"),
    AccountClosed("e5", "ACC-003", at(4)),
]


def test_money_has_two_places_and_refuses_floats():
    assert money("12.5") == Decimal("12.50") and str(money("12.5")) == "12.50"
    assert money(3) == Decimal("3.00")
    with pytest.raises(TypeError):
        money(12.5)
    with pytest.raises(ValueError):
        money("twelve")
    with pytest.raises(ValueError):
        money("NaN")


def test_events_refuse_float_amounts_and_naive_times():
    with pytest.raises(TypeError):
        MoneyDeposited("e", "ACC-001", T0, 12.5)
    with pytest.raises(ValueError):
        MoneyDeposited("e", "ACC-001", datetime(2026, 1, 1), money("1"))
    assert MoneyDeposited("e", "ACC-001", T0, "7").amount == Decimal("7.00")


def test_replay_is_the_seed_example():
    events = ALL_EVENTS[:3]
    account = banking.replay(events)
    assert account.balance == Decimal("50.00")
    assert account.version == 3 and account.owner == "Asha Patel" and account.status == "open"
    assert banking.replay([]) is None


def test_replay_all_follows_both_sides_of_a_transfer_and_conserves_money():
    history = [AccountCreated("e0", "ACC-002", at(0), "Ben Okafor"), *ALL_EVENTS[:5]]
    accounts = banking.replay_all(history)
    assert accounts["ACC-001"].balance == Decimal("29.50")
    assert accounts["ACC-002"].balance == Decimal("20.50")
    assert sum(a.balance for a in accounts.values()) == money("100") - money("50")


def test_apply_refuses_events_before_creation_and_from_other_streams():
    with pytest.raises(ValueError, match="before AccountCreated"):
        banking.apply(None, ALL_EVENTS[1])
    with pytest.raises(ValueError, match="belongs to"):
        banking.apply(opened("ACC-009"), ALL_EVENTS[1])


def test_replay_never_raises_for_an_overdraft():
    events = [AccountCreated("e1", "A", at(0), "Asha"), MoneyWithdrawn("e2", "A", at(1), money("80"))]
    assert banking.replay(events).balance == Decimal("-80.00")


def test_closing_is_folded():
    state = banking.apply(opened("ACC-003"), ALL_EVENTS[5])
    assert state.closed and state.status == "closed" and state.version == 2


def test_signed_amount():
    assert [banking.signed_amount(e) for e in ALL_EVENTS] == [
        money("0"), money("100"), money("-50"), money("-20.50"), money("20.50"), money("0")
    ]


def decide(accounts, command):
    """decide() with a fixed clock and id."""
    return banking.decide(accounts, command, at=T0, event_id="evt-1")


def test_decide_accepts_valid_commands():
    accounts = {"A": opened("A", "100"), "B": opened("B")}
    assert decide({}, banking.CreateAccount("A", "Asha")) == [AccountCreated("evt-1", "A", T0, "Asha")]
    assert decide(accounts, banking.DepositMoney("A", money("5"), "cash")) == [
        MoneyDeposited("evt-1", "A", T0, money("5"), "cash")
    ]
    assert decide(accounts, banking.WithdrawMoney("A", money("100"))) == [MoneyWithdrawn("evt-1", "A", T0, money("100"))]
    assert decide(accounts, banking.TransferFunds("A", "B", money("30"))) == [
        TransferSent("evt-1-out", "A", T0, money("30"), "B", "evt-1"),
        TransferReceived("evt-1-in", "B", T0, money("30"), "A", "evt-1"),
    ]
    assert decide({"B": opened("B")}, banking.CloseAccount("B")) == [AccountClosed("evt-1", "B", T0)]


@pytest.mark.parametrize(
    ("accounts", "command", "error", "words"),
    [
        ({"A": opened("A", "10")}, banking.WithdrawMoney("A", money("10.01")), banking.InsufficientFunds, "at most 10.00"),
        ({"A": opened("A", "10"), "B": opened("B")}, banking.TransferFunds("A", "B", money("11")),
         banking.InsufficientFunds, "deposit first"),
        ({}, banking.DepositMoney("X", money("1")), banking.UnknownAccount, "create it first"),
        ({"A": opened("A", "10")}, banking.TransferFunds("A", "X", money("1")), banking.UnknownAccount, "X"),
        ({"A": opened("A")}, banking.DepositMoney("A", money("0")), banking.NonPositiveAmount, "positive"),
        ({"A": opened("A", "5")}, banking.WithdrawMoney("A", money("-1")), banking.NonPositiveAmount, "positive"),
        ({"A": opened("A")}, banking.CreateAccount("A", "Asha"), banking.AccountAlreadyExists, "another id"),
        ({"A": opened("A", "5")}, banking.TransferFunds("A", "A", money("1")), banking.SameAccountTransfer, "itself"),
        ({"A": banking.Account("A", "Asha", closed=True)}, banking.DepositMoney("A", money("1")),
         banking.AccountIsClosed, "closed"),
        ({"A": opened("A", "5")}, banking.CloseAccount("A"), banking.NonZeroBalance, "withdraw or transfer"),
    ],
)
def test_every_domain_error(accounts, command, error, words):
    with pytest.raises(error, match=words) as raised:
        decide(accounts, command)
    assert isinstance(raised.value, banking.DomainError)


def test_decide_refuses_what_is_not_a_command():
    with pytest.raises(TypeError):
        decide({}, "deposit 5")


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: type(e).__name__)
def test_json_round_trip_of_every_event_type(event):
    text = banking.to_json(event)
    assert json.loads(text)["type"] == type(event).__name__
    assert banking.from_json(text) == event
    assert banking.from_json(text.encode()) == event


def test_json_keeps_amounts_as_strings_and_times_with_offsets():
    data = json.loads(banking.to_json(ALL_EVENTS[1]))
    assert data["amount"] == "100.00" and data["occurred_at"] == "2026-01-01T09:01:00+00:00"
    other_zone = MoneyDeposited("e", "A", datetime(2026, 1, 1, 10, tzinfo=timezone(timedelta(hours=1))), money("1"))
    assert banking.from_json(banking.to_json(other_zone)).occurred_at == datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert set(banking.EVENT_TYPES) == {type(e).__name__ for e in ALL_EVENTS}


def payload(**changes):
    """The JSON of the deposit in ALL_EVENTS with some fields changed (None removes one)."""
    data = banking.to_dict(ALL_EVENTS[1])
    data.update(changes)
    return json.dumps({key: value for key, value in data.items() if value is not None})


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (payload(type="MoneyStolen"), "unknown event type 'MoneyStolen'"),
        (payload(account_id=None), "missing the field 'account_id'"),
        (payload(amount="ten"), "amount is not a number"),
        (payload(amount=12.5), "must be a string"),
        (payload(amount=None), "missing the field 'amount'"),
        (payload(occurred_at="yesterday"), "not an ISO 8601"),
        (payload(occurred_at="2026-01-01T09:00:00"), "no timezone"),
        (payload(account_id=7), "account_id must be a string"),
        (payload(colour="blue"), "unexpected fields: colour"),
        ("{not json", "not JSON"),
        ("[1, 2]", "must be a JSON object"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_bad_payloads_raise_malformed_event(text, words):
    with pytest.raises(MalformedEvent, match=words) as raised:
        banking.from_json(text)
    assert isinstance(raised.value, ValueError)


def test_optional_fields_may_be_absent():
    assert banking.from_json(payload(description=None)).description == ""


@pytest.mark.parametrize(("value", "text"), [
    ("1e26", "out of range"), ("1000000000.01", "out of range"), ("0.005", "more than two decimal places"),
    ("12.345", "more than two decimal places"), ("nan", "not an amount"), ("inf", "not an amount"), ("", "not an amount"),
])
def test_money_refuses_what_is_not_a_whole_number_of_cents_in_range(value: str, text: str) -> None:
    with pytest.raises(banking.InvalidAmount, match=text):
        banking.money(value)


def test_money_accepts_the_largest_amount_and_trailing_zeros() -> None:
    assert banking.money("1000000000.00") == banking.MAX_AMOUNT
    assert banking.money("0.010") == Decimal("0.01")


def test_a_float_is_refused_as_invalid_money_and_as_a_type_error() -> None:
    with pytest.raises(banking.FloatAmount) as caught:
        banking.money(12.5)  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, banking.DomainError)


@pytest.mark.parametrize("value", [12.5, 10.0, 0.1 + 0.2, 1e12])
def test_a_floats_refusal_never_suggests_an_amount_that_money_refuses(value: float) -> None:
    with pytest.raises(banking.FloatAmount) as caught:
        banking.money(value)  # type: ignore[arg-type]
    suggested = re.search(r"use money\('([^']*)'\)", str(caught.value))
    assert suggested is None or banking.money(suggested[1]) == Decimal(suggested[1]), str(caught.value)
    assert (suggested is None) == (value in (0.1 + 0.2, 1e12)), str(caught.value)


@pytest.mark.parametrize("amount", ["0", "-50"])
def test_an_event_with_a_non_positive_amount_cannot_be_built(amount: str) -> None:
    with pytest.raises(banking.NonPositiveAmount):
        banking.MoneyDeposited("e1", "ACC-001", datetime(2026, 1, 1, tzinfo=UTC), banking.money(amount))


@pytest.mark.parametrize(("command", "error"), [
    (banking.CreateAccount("", "Asha Patel"), banking.BlankField),
    (banking.CreateAccount("ACC-001", "  "), banking.BlankField),
    (banking.DepositMoney("ACC-001", Decimal("0.001")), banking.InvalidAmount),
    (banking.WithdrawMoney("ACC-001", Decimal("-1000")), banking.NonPositiveAmount),
])
def test_decide_refuses_blank_names_and_bad_amounts_with_domain_errors(command: banking.Command, error: type) -> None:
    with pytest.raises(error):
        banking.decide({}, command, at=datetime(2026, 1, 1, tzinfo=UTC), event_id="e1")


@pytest.mark.parametrize(("amount", "text"), [
    ("1e30", "out of range"), ("-5.00", "greater than zero"), ("0.005", "more than two decimal places"),
    ("0", "greater than zero"),
])
def test_from_json_turns_every_bad_amount_into_malformed_event(amount: str, text: str) -> None:
    payload = json.dumps({"type": "MoneyDeposited", "event_id": "e1", "account_id": "ACC-001",
                          "occurred_at": "2026-01-01T00:00:00+00:00", "amount": amount})
    with pytest.raises(banking.MalformedEvent, match=text):
        banking.from_json(payload)


def test_from_json_refuses_empty_ids_and_absurd_nesting() -> None:
    empty = json.dumps({"type": "AccountCreated", "event_id": "", "account_id": "ACC-001",
                        "occurred_at": "2026-01-01T00:00:00+00:00", "owner": "Asha Patel"})
    with pytest.raises(banking.MalformedEvent, match="event_id is empty"):
        banking.from_json(empty)
    with pytest.raises(banking.MalformedEvent, match="not JSON"):
        banking.from_json("[" * 100_000)
