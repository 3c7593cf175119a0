"""Checkers for the capstone's exercises (10 The event-driven bank): the relay's restart plan, a spending
fraud rule and the read-model invariant."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from helpers import banking
from helpers.exercises import Verdict, attempt, failed, passed

# --- 10: what a restarted relay must publish --------------------------------------------------

RELAY_CASES: list[tuple[list[int], int, set[int], list[int]]] = [
    ([1, 2, 3, 4, 5, 6], 3, set(), [4, 5, 6]),                  # clean restart: everything after the checkpoint
    ([1, 2, 3, 4, 5, 6, 7, 8], 3, {4, 5, 6}, [7, 8]),           # a crash after 4-6 reached Kafka
    ([1, 2, 3, 4, 5], 5, set(), []),                            # nothing new
    ([1, 2, 3, 4, 5, 6], 0, {1, 3}, [2, 4, 5, 6]),              # a gap: 2 never made it, publish it
    ([10, 11, 12, 13], 9, {12, 13, 14}, [10, 11]),              # ids need not start at 1
]


def _relay_plan(notification_ids: Sequence[int], checkpoint: int, already_published: set[int]) -> list[int]:
    """The ids after the checkpoint that are not in Kafka yet, in notification order."""
    return [n for n in notification_ids if n > checkpoint and n not in already_published]


def check_relay_plan(answer: Callable[[list[int], int, set[int]], list[int]]) -> Verdict:
    """Check plan(notification_ids, checkpoint, already_published) -> ids to publish, in order."""
    for ids, checkpoint, already, expected in RELAY_CASES:
        ok, actual = attempt(answer, list(ids), checkpoint, set(already),
                             hint="keep the ids after the checkpoint that Kafka does not hold yet, in order")
        if not ok:
            return Verdict(False)
        if not isinstance(actual, list) or actual != expected:
            return failed(f"relay_plan({ids}, {checkpoint}, {sorted(already)}) is wrong", expected, actual)
    return passed("the checkpoint says where to start, the topic says what already made it: "
                  "each event reaches Kafka once, even after a crash between the two (effectively once: "
                  "at-least-once publishing plus a look at what the topic already holds).")


# --- 10: a spending-velocity fraud rule ---------------------------------------------------------

_T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _payment(n: int, account: str, minute: float, amount: str) -> banking.MoneyWithdrawn:
    """A card payment `minute` minutes after the test clock's start."""
    return banking.MoneyWithdrawn(f"p{n:02d}", account, _T0 + timedelta(minutes=minute), banking.money(amount),
                                  "card: online shop")


def _velocity_alerts(events: Sequence[banking.Event], limit: Decimal, window: timedelta) -> list[str]:
    """Ids of the withdrawals that lift their account's spend inside the window from <= limit to > limit."""
    recent: dict[str, list[banking.MoneyWithdrawn]] = {}
    alerts = []
    for event in events:
        if not isinstance(event, banking.MoneyWithdrawn):
            continue
        kept = [p for p in recent.get(event.account_id, []) if p.occurred_at > event.occurred_at - window]
        before = sum((p.amount for p in kept), Decimal("0"))
        if before <= limit < before + event.amount:
            alerts.append(event.event_id)
        recent[event.account_id] = [*kept, event]
    return alerts


def _velocity_cases() -> list[tuple[list[banking.Event], Decimal, timedelta]]:
    """Histories with two accounts, deposits in between, payments inside and outside the window, and the boundaries."""
    opened = banking.AccountCreated("c1", "ACC-001", _T0 - timedelta(days=1), "Asha Patel")
    deposit = banking.MoneyDeposited("d1", "ACC-001", _T0 - timedelta(hours=1), banking.money("900.00"), "salary")
    burst = [_payment(i, "ACC-001", i * 0.5, "60.00") for i in range(1, 7)]            # 360 in 3 minutes
    spread = [_payment(10 + i, "ACC-002", i * 20, "150.00") for i in range(1, 5)]      # 150 every 20 minutes
    twice = [_payment(20, "ACC-003", 0, "300.00"), _payment(21, "ACC-003", 1, "300.00"),
             _payment(22, "ACC-003", 30, "50.00"), _payment(23, "ACC-003", 31, "300.00"),
             _payment(24, "ACC-003", 32, "300.00")]
    edge = [_payment(30, "ACC-004", 0, "80.00"), _payment(31, "ACC-004", 10, "50.00"),   # p30 is exactly 10 min
            _payment(32, "ACC-004", 11, "60.00")]                                       # before p31: outside
    at_limit = [_payment(40, "ACC-005", 0, "60.00"), _payment(41, "ACC-005", 1, "40.00"),  # 100 = the limit,
                _payment(42, "ACC-005", 2, "0.01")]                                       # not over it
    cents = [_payment(50, "ACC-006", 0, "0.10"), _payment(51, "ACC-006", 1, "0.20"),     # 0.10 + 0.20 is 0.30
             _payment(52, "ACC-006", 2, "0.01")]                                          # in Decimal, not in float
    mixed = sorted([*burst, *spread], key=lambda e: e.occurred_at)
    return [
        ([opened, deposit, *burst], banking.money("200.00"), timedelta(minutes=10)),
        ([opened, deposit, *mixed], banking.money("200.00"), timedelta(minutes=10)),
        ([opened, deposit, *mixed], banking.money("250.00"), timedelta(minutes=45)),
        (twice, banking.money("500.00"), timedelta(minutes=10)),
        ([opened, deposit], banking.money("10.00"), timedelta(minutes=10)),
        (edge, banking.money("100.00"), timedelta(minutes=10)),
        (at_limit, banking.money("100.00"), timedelta(minutes=10)),
        (cents, banking.money("0.30"), timedelta(minutes=10)),
    ]


def check_velocity_alerts(answer: Callable[[list[banking.Event], Decimal, timedelta], list[str]]) -> Verdict:
    """Check alerts(events, limit, window) -> ids of the payments that push a window's spend over the limit."""
    for events, limit, window in _velocity_cases():
        ok, actual = attempt(answer, list(events), limit, window,
                             hint="per account, keep the withdrawals with occurred_at > this one's - window; "
                                  "alert when this one lifts their Decimal total from <= limit to > limit")
        if not ok:
            return Verdict(False)
        expected = _velocity_alerts(events, limit, window)
        if not isinstance(actual, list) or actual != expected:
            return failed(f"velocity_alerts(..., limit={limit}, window={window}) on {len(events)} events is wrong"
                          f"{_velocity_boundary(events)}", expected, actual)
    return passed("one alert when an account's spend inside the window crosses the limit, and another only "
                  "after it has dropped back under it: a rule that looks at amounts, not just counts.")


def _velocity_boundary(events: Sequence[banking.Event]) -> str:
    """A pointer to the boundary a case tests, for the feedback line."""
    accounts = {event.account_id for event in events}
    if "ACC-004" in accounts:
        return " (a payment exactly `window` earlier is outside the window: occurred_at > this one's - window)"
    if "ACC-005" in accounts:
        return " (a total exactly equal to the limit is not over it: alert on <= limit before, > limit after)"
    if "ACC-006" in accounts:
        return " (add the amounts as Decimal: in float, 0.10 + 0.20 is more than 0.30)"
    return ""


# --- 10: the read-model invariant -----------------------------------------------------------------

Mismatches = dict[str, tuple[Decimal | None, Decimal | None]]


def _mismatches(read_model: dict[str, Decimal], events: Sequence[banking.Event]) -> Mismatches:
    """{account: (read model, replay)} for every account where the two disagree (None where absent)."""
    replayed = {account: state.balance for account, state in banking.replay_all(events).items()}
    return {account: (read_model.get(account), replayed.get(account))
            for account in sorted(set(read_model) | set(replayed))
            if read_model.get(account) != replayed.get(account)}


def _mismatch_cases() -> list[tuple[dict[str, Decimal], list[banking.Event]]]:
    """A correct read model, a stale one, one with an extra account and one missing an account."""
    at = [_T0 + timedelta(minutes=i) for i in range(6)]
    events: list[banking.Event] = [
        banking.AccountCreated("e1", "ACC-001", at[0], "Asha Patel"),
        banking.AccountCreated("e2", "ACC-002", at[1], "Ben Okafor"),
        banking.MoneyDeposited("e3", "ACC-001", at[2], banking.money("100.00")),
        banking.TransferSent("e4-out", "ACC-001", at[3], banking.money("30.00"), "ACC-002", "e4"),
        banking.TransferReceived("e4-in", "ACC-002", at[3], banking.money("30.00"), "ACC-001", "e4"),
        banking.MoneyWithdrawn("e5", "ACC-002", at[4], banking.money("5.50")),
    ]
    good = {"ACC-001": banking.money("70.00"), "ACC-002": banking.money("24.50")}
    return [
        (dict(good), events),
        ({"ACC-001": banking.money("70.00"), "ACC-002": banking.money("30.00")}, events),
        ({**good, "ACC-009": banking.money("1.00")}, events),
        ({"ACC-001": banking.money("70.00")}, events),
    ]


def check_read_model_mismatches(answer: Callable[[dict[str, Decimal], list[banking.Event]], Any]) -> Verdict:
    """Check mismatches(read_model, events) -> {account: (read model, replay)} where they disagree."""
    for read_model, events in _mismatch_cases():
        ok, actual = attempt(answer, dict(read_model), list(events),
                             hint="replay the events with banking.replay_all and compare balances account by account")
        if not ok:
            return Verdict(False)
        expected = _mismatches(read_model, events)
        if not isinstance(actual, dict) or actual != expected:
            return failed(f"mismatches({read_model}, ...) is wrong", expected, actual)
    return passed("the read model is only a cache of the events: replay them, compare every account, "
                  "and any difference (stale, extra, missing) shows up.")
