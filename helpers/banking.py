"""The bank every notebook shares: events, commands, the replay fold, decisions and their errors.

Events are facts, named in the past tense and never changed once written:
    AccountCreated, MoneyDeposited, MoneyWithdrawn, TransferSent, TransferReceived, AccountClosed.
Commands are requests, named in the imperative, that may be refused:
    CreateAccount, DepositMoney, WithdrawMoney, TransferFunds, CloseAccount.

A transfer is recorded as two facts sharing a `transfer_id`: `TransferSent` in the payer's stream and
`TransferReceived` in the payee's. Every event therefore belongs to exactly one account
(`event.account_id`), so an account's history is simply its own events, and money is conserved when
every sent transfer has its received twin.

    state = replay(events_of_one_account)             # fold: never raises for an overdraft
    new_events = decide(accounts, command, at=..., event_id=...)   # checks the invariants
    text = to_json(event); event == from_json(text)   # MalformedEvent on a bad payload

Money is a `Decimal` with two places built from a string (`money("12.50")`). Floats, sub-cent amounts
("0.005"), non-finite and out-of-range amounts are refused with `InvalidAmount` (a DomainError and a
ValueError), and an event's amount must be greater than zero.
This module is a foundation: it imports nothing else from `helpers`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, dataclass, fields, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
#: The largest amount the bank accepts in one movement (a billion): far above any real payment here.
MAX_AMOUNT = Decimal("1000000000.00")


class DomainError(Exception):
    """A command the bank refuses; the message says what went wrong and what to do."""


class InvalidAmount(DomainError, ValueError):
    """Not an amount of money: not a number, infinite, sub-cent or out of range."""


class FloatAmount(InvalidAmount, TypeError):
    """A float where money is expected (floats cannot hold cents exactly)."""


def _float_advice(value: float) -> str:
    """What to write instead of a float: its own text when that is whole cents, else the float's surprise."""
    text = str(value)
    if Decimal(text) == Decimal(text).quantize(CENT) and abs(Decimal(text)) <= MAX_AMOUNT:
        return f"use money({text!r})"
    return f"this float is {text}, not a whole number of cents: write the amount you mean as a string, like '12.50'"


def money(value: str | int | Decimal) -> Decimal:
    """A Decimal amount with two places, from a string like "12.50" (floats, sub-cents and huge sums are refused)."""
    if isinstance(value, (float, bool)):
        raise FloatAmount(f"amounts are built from strings, not {type(value).__name__}: {_float_advice(value)}")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidAmount(f"not an amount of money: {value!r} (write it like '12.50')") from None
    if not amount.is_finite():
        raise InvalidAmount(f"not an amount of money: {value!r} (write it like '12.50')")
    if abs(amount) > MAX_AMOUNT:
        raise InvalidAmount(f"{value!r} is out of range: one movement is at most {MAX_AMOUNT:,}")
    if amount != amount.quantize(CENT):
        raise InvalidAmount(f"{value!r} has more than two decimal places: round it to whole cents first")
    return amount.quantize(CENT)


def _check_amount(amount: object) -> Decimal:
    """An event's amount: money that is greater than zero (an event records a movement's size)."""
    value = money(amount)  # type: ignore[arg-type]
    if value <= 0:
        raise NonPositiveAmount(f"an event's amount must be greater than zero, got {value}")
    return value


def _check_id(name: str, value: object) -> None:
    """Insist on a non-empty string for an id or an owner's name."""
    if not isinstance(value, str) or not value.strip():
        raise BlankField(f"{name} must be a non-empty string, got {value!r}")


def _check_time(when: object) -> datetime:
    """Insist on a timezone-aware datetime (the course stores UTC)."""
    if not isinstance(when, datetime) or when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"occurred_at must be a timezone-aware datetime, got {when!r}")
    return when


# ---------------------------------------------------------------------------------------------
# Events: facts in the past tense. Every event has event_id, account_id and occurred_at.


class _Checked:
    """What every event checks as it is built: non-empty ids, a timezone-aware time, a positive amount of money."""

    occurred_at: datetime  # a field of every event (declared by each dataclass below)

    def __post_init__(self) -> None:
        _check_time(self.occurred_at)
        for name in ("event_id", "account_id", "owner", "to_account_id", "from_account_id", "transfer_id"):
            if name in vars(self):
                _check_id(name, vars(self)[name])
        if "amount" in vars(self):
            object.__setattr__(self, "amount", _check_amount(vars(self)["amount"]))


@dataclass(frozen=True)
class AccountCreated(_Checked):
    """An account was opened for an owner."""

    event_id: str
    account_id: str
    occurred_at: datetime
    owner: str



@dataclass(frozen=True)
class MoneyDeposited(_Checked):
    """Money was paid into an account (cash, salary, ...)."""

    event_id: str
    account_id: str
    occurred_at: datetime
    amount: Decimal
    description: str = ""



@dataclass(frozen=True)
class MoneyWithdrawn(_Checked):
    """Money was taken out of an account (card payment, cash machine, ...)."""

    event_id: str
    account_id: str
    occurred_at: datetime
    amount: Decimal
    description: str = ""



@dataclass(frozen=True)
class TransferSent(_Checked):
    """Money left this account (account_id) for another one (to_account_id)."""

    event_id: str
    account_id: str
    occurred_at: datetime
    amount: Decimal
    to_account_id: str
    transfer_id: str



@dataclass(frozen=True)
class TransferReceived(_Checked):
    """Money arrived in this account (account_id) from another one (from_account_id)."""

    event_id: str
    account_id: str
    occurred_at: datetime
    amount: Decimal
    from_account_id: str
    transfer_id: str



@dataclass(frozen=True)
class AccountClosed(_Checked):
    """The account was closed; it accepts no more money movements."""

    event_id: str
    account_id: str
    occurred_at: datetime



Event = AccountCreated | MoneyDeposited | MoneyWithdrawn | TransferSent | TransferReceived | AccountClosed
EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (AccountCreated, MoneyDeposited, MoneyWithdrawn, TransferSent, TransferReceived, AccountClosed)
}


def event_type(event: Event) -> str:
    """The type tag of an event, e.g. "MoneyDeposited"."""
    return type(event).__name__


def signed_amount(event: Event) -> Decimal:
    """How much the event changes its own account's balance (+ in, - out, 0 otherwise)."""
    if isinstance(event, (MoneyDeposited, TransferReceived)):
        return event.amount
    if isinstance(event, (MoneyWithdrawn, TransferSent)):
        return -event.amount
    return Decimal("0.00")


# ---------------------------------------------------------------------------------------------
# Commands: requests in the imperative. decide() turns an accepted command into events.


@dataclass(frozen=True)
class CreateAccount:
    """Open a new account for an owner."""

    account_id: str
    owner: str


@dataclass(frozen=True)
class DepositMoney:
    """Pay money into an account."""

    account_id: str
    amount: Decimal
    description: str = ""


@dataclass(frozen=True)
class WithdrawMoney:
    """Take money out of an account."""

    account_id: str
    amount: Decimal
    description: str = ""


@dataclass(frozen=True)
class TransferFunds:
    """Move money from one account to another."""

    from_account_id: str
    to_account_id: str
    amount: Decimal


@dataclass(frozen=True)
class CloseAccount:
    """Close an account whose balance is zero."""

    account_id: str


Command = CreateAccount | DepositMoney | WithdrawMoney | TransferFunds | CloseAccount


# ---------------------------------------------------------------------------------------------
# Domain errors: raised by decide(), never by replay().


class BlankField(DomainError, ValueError):
    """An empty account id, owner name or event id."""


class UnknownAccount(DomainError):
    """The command names an account that was never created."""


class AccountAlreadyExists(DomainError):
    """CreateAccount for an id that is already taken."""


class NonPositiveAmount(InvalidAmount):
    """An amount of zero or less."""


class InsufficientFunds(DomainError):
    """A withdrawal or transfer larger than the balance (no overdrafts in this bank)."""


class SameAccountTransfer(DomainError):
    """A transfer whose payer and payee are the same account."""


class AccountIsClosed(DomainError):
    """A money movement on a closed account."""


class NonZeroBalance(DomainError):
    """CloseAccount while money is still in the account."""


# ---------------------------------------------------------------------------------------------
# State and the fold.


@dataclass(frozen=True)
class Account:
    """The current state of one account, derived by replaying its events."""

    id: str
    owner: str
    balance: Decimal = Decimal("0.00")
    closed: bool = False
    version: int = 0

    @property
    def status(self) -> str:
        """"open" or "closed"."""
        return "closed" if self.closed else "open"


def apply(state: Account | None, event: Event) -> Account:
    """One step of the fold: the state after this event (no business rules are checked here)."""
    if isinstance(event, AccountCreated):
        return Account(id=event.account_id, owner=event.owner, version=1)
    if state is None:
        raise ValueError(f"{event_type(event)} {event.event_id} comes before AccountCreated for {event.account_id}")
    if event.account_id != state.id:
        raise ValueError(f"{event_type(event)} {event.event_id} belongs to {event.account_id}, not {state.id}")
    if isinstance(event, AccountClosed):
        return replace(state, closed=True, version=state.version + 1)
    return replace(state, balance=state.balance + signed_amount(event), version=state.version + 1)


def replay(events: Iterable[Event]) -> Account | None:
    """Fold one account's events, oldest first, into its current state (None if no events)."""
    state: Account | None = None
    for event in events:
        state = apply(state, event)
    return state


def replay_all(events: Iterable[Event]) -> dict[str, Account]:
    """Fold a mixed history of many accounts into {account_id: Account}."""
    accounts: dict[str, Account] = {}
    for event in events:
        accounts[event.account_id] = apply(accounts.get(event.account_id), event)
    return accounts


# ---------------------------------------------------------------------------------------------
# Decisions: where the invariants live.


def _open_account(accounts: Mapping[str, Account], account_id: str) -> Account:
    """The named account, if it exists and is open."""
    account = accounts.get(account_id)
    if account is None:
        raise UnknownAccount(f"account {account_id} does not exist: create it first, or check the id")
    if account.closed:
        raise AccountIsClosed(f"account {account_id} is closed: use another account")
    return account


def _positive(amount: Decimal) -> Decimal:
    """The amount as money, if it is greater than zero."""
    value = money(amount)
    if value <= 0:
        raise NonPositiveAmount(f"amount must be greater than zero, got {value}: send a positive amount")
    return value


def _covered(account: Account, amount: Decimal) -> None:
    """Refuse to take more than the balance."""
    if amount > account.balance:
        raise InsufficientFunds(
            f"account {account.id} has {account.balance}, cannot take {amount}: "
            f"use an amount of at most {account.balance} or deposit first"
        )


def decide(accounts: Mapping[str, Account], command: Command, *, at: datetime, event_id: str) -> list[Event]:
    """The events that accepting `command` produces, or a DomainError saying why it is refused."""
    if isinstance(command, CreateAccount):
        _check_id("account_id", command.account_id)
        _check_id("owner", command.owner)
        if command.account_id in accounts:
            raise AccountAlreadyExists(f"account {command.account_id} already exists: choose another id")
        return [AccountCreated(event_id, command.account_id, at, command.owner)]
    if isinstance(command, DepositMoney):
        amount = _positive(command.amount)
        _open_account(accounts, command.account_id)
        return [MoneyDeposited(event_id, command.account_id, at, amount, command.description)]
    if isinstance(command, WithdrawMoney):
        amount = _positive(command.amount)
        account = _open_account(accounts, command.account_id)
        _covered(account, amount)
        return [MoneyWithdrawn(event_id, command.account_id, at, amount, command.description)]
    if isinstance(command, TransferFunds):
        amount = _positive(command.amount)
        if command.from_account_id == command.to_account_id:
            raise SameAccountTransfer(f"cannot transfer from {command.from_account_id} to itself: pick another payee")
        payer = _open_account(accounts, command.from_account_id)
        _open_account(accounts, command.to_account_id)
        _covered(payer, amount)
        return [
            TransferSent(f"{event_id}-out", payer.id, at, amount, command.to_account_id, event_id),
            TransferReceived(f"{event_id}-in", command.to_account_id, at, amount, payer.id, event_id),
        ]
    if isinstance(command, CloseAccount):
        account = _open_account(accounts, command.account_id)
        if account.balance != 0:
            raise NonZeroBalance(
                f"account {account.id} still holds {account.balance}: withdraw or transfer it before closing"
            )
        return [AccountClosed(event_id, account.id, at)]
    raise TypeError(f"not a command: {command!r}")


# ---------------------------------------------------------------------------------------------
# JSON: {"type": "MoneyDeposited", "event_id": ..., "amount": "100.00", "occurred_at": "2026-...+00:00"}


class MalformedEvent(ValueError):
    """A payload that is not a valid serialised event; the message says which part is wrong."""


_AMOUNT_FIELDS = {"amount"}
_TIME_FIELDS = {"occurred_at"}


def to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict: type tag plus fields, Decimal as a string, datetime in ISO 8601."""
    data: dict[str, Any] = {"type": event_type(event)}
    for field in fields(event):
        value = getattr(event, field.name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        data[field.name] = value
    return data


def to_json(event: Event) -> str:
    """Serialise an event to a JSON string."""
    return json.dumps(to_dict(event), ensure_ascii=False)


def _parse_amount(type_name: str, value: object) -> Decimal:
    """An amount field from JSON, which must be a numeric string."""
    if not isinstance(value, str):
        raise MalformedEvent(
            f"{type_name}.amount must be a string like \"12.50\", got {type(value).__name__} {value!r}"
        )
    try:
        Decimal(value)
    except InvalidOperation:
        raise MalformedEvent(f"{type_name}.amount is not a number: {value!r}") from None
    try:
        return _check_amount(value)
    except InvalidAmount as error:
        raise MalformedEvent(f"{type_name}.amount is refused: {error}") from None


def _parse_time(type_name: str, value: object) -> datetime:
    """An occurred_at field from JSON: an ISO 8601 timestamp with an offset."""
    try:
        when = datetime.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise MalformedEvent(f"{type_name}.occurred_at is not an ISO 8601 timestamp: {value!r}") from None
    if when.tzinfo is None:
        raise MalformedEvent(f"{type_name}.occurred_at has no timezone: {value!r} (add +00:00)")
    return when


def from_dict(data: Mapping[str, Any]) -> Event:
    """Rebuild an event from its dict form, or raise MalformedEvent saying what is wrong."""
    if not isinstance(data, Mapping):
        raise MalformedEvent(f"an event must be a JSON object, got {type(data).__name__}")
    type_name = data.get("type")
    cls = EVENT_TYPES.get(type_name)  # type: ignore[arg-type]
    if cls is None:
        raise MalformedEvent(f"unknown event type {type_name!r}; known types: {', '.join(sorted(EVENT_TYPES))}")
    kwargs: dict[str, Any] = {}
    for field in fields(cls):
        if field.name not in data:
            if field.default is not MISSING:  # has a default: optional in JSON
                continue
            raise MalformedEvent(f"{type_name} is missing the field {field.name!r}")
        value = data[field.name]
        if field.name in _AMOUNT_FIELDS:
            value = _parse_amount(type_name, value)
        elif field.name in _TIME_FIELDS:
            value = _parse_time(type_name, value)
        elif not isinstance(value, str):
            raise MalformedEvent(f"{type_name}.{field.name} must be a string, got {type(value).__name__}")
        elif field.name != "description" and not value.strip():
            raise MalformedEvent(f"{type_name}.{field.name} is empty")
        kwargs[field.name] = value
    unexpected = sorted(set(data) - {"type"} - {field.name for field in fields(cls)})
    if unexpected:
        raise MalformedEvent(f"{type_name} has unexpected fields: {', '.join(unexpected)}")
    return cls(**kwargs)


def from_json(text: str | bytes) -> Event:
    """Parse a JSON string (or bytes) into an event, or raise MalformedEvent."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, RecursionError) as error:
        raise MalformedEvent(f"not JSON: {error}") from None
    return from_dict(data)
