"""A seeded, realistic stream of banking activity, the same in every notebook and every run.

    from datetime import UTC, datetime
    from helpers import workload

    bank = workload.the_bank()                                         # THE history: 20 customers, 90 days, seed 42
    bank.events, bank.account_ids, bank.owners, bank.fraud             # fraud = ground truth
    week = workload.slice_of(bank, days=7, accounts=5)                 # a smaller slice of the same history
    workload.NEWCOMER_ID, workload.NEWCOMER                            # the walk-in customer of notebooks 01-03

The course has one bank: `the_bank()` (= `build(**THE_BANK)`), one cast (`OWNERS`, ACC-001 is Asha
Patel everywhere) and one newcomer who is not in the seeded history (`NEWCOMER_ID` ACC-900, Zoe
Adams), whom the hand-written lessons open an account for. A notebook that needs less takes a
`slice_of` that history and says so; `build` with other arguments is for tests and benchmarks.

What happens, for N accounts over `days` days from `start` (an injected clock: nothing here reads
the wall clock):
- every account is opened on the first day, with an opening deposit;
- a monthly salary on each account's own payday;
- card payments and cash withdrawals most days, the occasional cash deposit or refund;
- transfers between customers (rent, shared bills);
- a few fraud-like incidents (`bank.fraud`): bursts of many card payments within minutes in the
  middle of the night, and a large unusual night-time transfer emptying most of an account.

Every command goes through `banking.decide` against the running balances, so the history is valid
by construction: no overdraft, no unknown account. Card payments a balance cannot cover are
declined (left out). Same seed, same events (ids included); another seed, another history.
Events come out in time order (non-decreasing `occurred_at`), ids `evt-000001`, `evt-000002`, ...
(a transfer's pair: `evt-000042-out` / `evt-000042-in`).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from helpers import banking
from helpers.banking import Account, Event

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
#: The one seeded history every notebook tells its story with.
THE_BANK = {"accounts": 20, "days": 90, "seed": 42}
#: The customer who walks in during notebooks 01-03: not in the seeded history, so her stream starts empty.
NEWCOMER_ID, NEWCOMER = "ACC-900", "Zoe Adams"

OWNERS = (
    "Asha Patel", "Ben Okafor", "Chloe Martin", "Dev Sharma", "Elena Rossi", "Farid Haddad",
    "Grace Kim", "Hugo Silva", "Ines Moreau", "Jonas Berg", "Kavya Iyer", "Liam Walsh",
    "Mei Chen", "Noah Fischer", "Olga Petrova", "Pablo Ruiz", "Quinn Taylor", "Rosa Lopez",
    "Sami Nieminen", "Tara Singh", "Umar Aziz", "Vera Novak", "Wen Li", "Yusuf Demir",
)
CARD_MERCHANTS = (
    "card: groceries", "card: coffee", "card: transport", "card: restaurant", "card: online shop",
    "card: pharmacy", "card: fuel", "atm: cash",
)


@dataclass(frozen=True)
class FraudIncident:
    """One injected fraud-like pattern: its kind, account, start time and the events it produced."""

    kind: str  # "card_burst" or "large_transfer"
    account_id: str
    started_at: datetime
    event_ids: tuple[str, ...]


@dataclass(frozen=True)
class Workload:
    """A generated history with the context a notebook may want to show or check against."""

    events: tuple[Event, ...]
    account_ids: tuple[str, ...]
    owners: dict[str, str]
    fraud: tuple[FraudIncident, ...]
    start: datetime
    end: datetime


@dataclass(frozen=True)
class _Intent:
    """Something a customer tries to do at a moment; it becomes a command when it is its turn."""

    at: datetime
    kind: str
    account_id: str
    cents: int = 0
    other: str = ""
    description: str = ""
    share: float = 0.0  # for large transfers: the share of the balance at that moment
    incident: int = -1  # index of the fraud incident this belongs to, if any


def account_ids(count: int) -> list[str]:
    """The ids of the first `count` accounts: ACC-001, ACC-002, ..."""
    return [f"ACC-{number:03d}" for number in range(1, count + 1)]


def _amount(cents: int) -> Decimal:
    """Integer cents as money."""
    return banking.money(f"{cents // 100}.{cents % 100:02d}")


def _moment(rng: random.Random, day: datetime, first_hour: int, last_hour: int) -> datetime:
    """A random second between two hours of a day."""
    return day + timedelta(seconds=rng.randrange(first_hour * 3600, last_hour * 3600))


def _plan_customer(rng: random.Random, account_id: str, ids: list[str], start: datetime, days: int) -> list[_Intent]:
    """Opening, salaries, card payments, deposits and transfers of one customer."""
    opened = _moment(rng, start, 8, 12)
    plan = [
        _Intent(opened, "open", account_id),
        _Intent(opened + timedelta(minutes=rng.randrange(1, 30)), "deposit", account_id,
                rng.randrange(200, 2000) * 100, description="opening deposit"),
    ]
    salary_cents = rng.randrange(36, 104) * 5000
    payday = rng.choice((1, 15, 25, 26, 27, 28))
    others = [other for other in ids if other != account_id]
    for offset in range(1, days):
        day = start + timedelta(days=offset)
        if day.day == payday:
            plan.append(_Intent(_moment(rng, day, 6, 8), "deposit", account_id, salary_cents, description="salary"))
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            plan.append(_Intent(_moment(rng, day, 7, 22), "withdraw", account_id,
                                rng.randrange(300, 9000), description=rng.choice(CARD_MERCHANTS)))
        if rng.random() < 0.05:
            plan.append(_Intent(_moment(rng, day, 9, 17), "deposit", account_id,
                                rng.randrange(2000, 40000), description=rng.choice(("cash deposit", "refund"))))
        if others and rng.random() < 0.06:
            plan.append(_Intent(_moment(rng, day, 8, 21), "transfer", account_id,
                                rng.randrange(1000, 60000), other=rng.choice(others)))
    return plan


def _plan_fraud(rng: random.Random, ids: list[str], start: datetime, days: int, incidents: int) -> list[_Intent]:
    """Night-time card bursts and one large unusual transfer, on randomly chosen accounts."""
    plan: list[_Intent] = []
    first_day = min(days - 1, 35)
    for index in range(incidents):
        account_id = rng.choice(ids)
        day = start + timedelta(days=rng.randrange(first_day, days)) if days > 1 else start
        began = _moment(rng, day, 1, 4)
        if index % 3 == 2 and len(ids) > 1:
            payee = rng.choice([other for other in ids if other != account_id])
            plan.append(_Intent(began, "transfer", account_id, other=payee, share=0.85, incident=index))
            continue
        moment = began
        for _ in range(rng.randrange(8, 13)):
            plan.append(_Intent(moment, "withdraw", account_id, rng.randrange(2000, 9000),
                                description="card: online shop", incident=index))
            moment += timedelta(seconds=rng.randrange(10, 40))
    return plan


def _command(intent: _Intent, accounts: dict[str, Account], owners: dict[str, str]) -> banking.Command:
    """The banking command an intent turns into, given the balances at that moment."""
    if intent.kind == "open":
        return banking.CreateAccount(intent.account_id, owners[intent.account_id])
    if intent.kind == "deposit":
        return banking.DepositMoney(intent.account_id, _amount(intent.cents), intent.description)
    if intent.kind == "withdraw":
        return banking.WithdrawMoney(intent.account_id, _amount(intent.cents), intent.description)
    cents = intent.cents
    if intent.share:
        payer = accounts.get(intent.account_id)
        cents = int(payer.balance * 100 * Decimal(str(intent.share))) if payer else 0  # 0 is refused
    return banking.TransferFunds(intent.account_id, intent.other, _amount(cents))


def build(accounts: int = 20, days: int = 90, seed: int = 42, start: datetime = DEFAULT_START,
          fraud_incidents: int = 3) -> Workload:
    """Generate the history of `accounts` customers over `days` days from `start`, seeded."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware, e.g. datetime(2026, 1, 1, tzinfo=UTC)")
    rng = random.Random(seed)
    ids = account_ids(accounts)
    owners = {account_id: OWNERS[i % len(OWNERS)] + ("" if i < len(OWNERS) else f" {i // len(OWNERS) + 1}")
              for i, account_id in enumerate(ids)}
    plan: list[_Intent] = []
    for account_id in ids:
        plan.extend(_plan_customer(rng, account_id, ids, start, days))
    plan.extend(_plan_fraud(rng, ids, start, days, fraud_incidents if accounts else 0))
    order = sorted(range(len(plan)), key=lambda i: (plan[i].at, i))
    state: dict[str, Account] = {}
    events: list[Event] = []
    fraud_events: dict[int, list[str]] = {}
    for i in order:
        intent = plan[i]
        try:
            command = _command(intent, state, owners)
            new = banking.decide(state, command, at=intent.at, event_id=f"evt-{len(events) + 1:06d}")
        except banking.DomainError:
            continue  # declined, like a card payment the balance cannot cover
        for event in new:
            state[event.account_id] = banking.apply(state.get(event.account_id), event)
        events.extend(new)
        if intent.incident >= 0:
            fraud_events.setdefault(intent.incident, []).append(new[0].event_id)
    fraud_plan = sorted((p for p in plan if p.incident >= 0), key=lambda p: p.at, reverse=True)
    first = {p.incident: p for p in fraud_plan}  # the earliest intent of each incident wins
    fraud = tuple(
        FraudIncident(
            kind="large_transfer" if first[index].kind == "transfer" else "card_burst",
            account_id=first[index].account_id,
            started_at=first[index].at,
            event_ids=tuple(event_ids),
        )
        for index, event_ids in sorted(fraud_events.items())
    )
    return Workload(tuple(events), tuple(ids), owners, fraud, start, start + timedelta(days=days))


def generate(accounts: int = 20, days: int = 90, seed: int = 42, start: datetime = DEFAULT_START) -> list[Event]:
    """Just the events of `build(...)`, oldest first."""
    return list(build(accounts=accounts, days=days, seed=seed, start=start).events)


@functools.cache
def the_bank() -> Workload:
    """The course's one history (THE_BANK), built once per process."""
    return build(**THE_BANK)


def slice_of(bank: Workload, *, days: int | None = None, accounts: int | None = None) -> Workload:
    """The first `days` days of `bank`, for its first `accounts` customers: a smaller part of the same history.

    Every event of a kept account is kept, so each account's balance stays valid; a transfer between a
    kept and a dropped account keeps only the kept side's event.
    """
    end = bank.start + timedelta(days=days) if days is not None else bank.end
    kept = bank.account_ids[:accounts] if accounts is not None else bank.account_ids
    keep = set(kept)
    events = tuple(event for event in bank.events if event.account_id in keep and event.occurred_at < end)
    kept_ids = {event.event_id for event in events}
    fraud = tuple(incident for incident in bank.fraud
                  if incident.account_id in keep and set(incident.event_ids) <= kept_ids)
    return Workload(events, tuple(kept), {account: bank.owners[account] for account in kept}, fraud, bank.start, end)
