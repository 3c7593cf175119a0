"""An idempotent projection: balances folded from events, each event id applied once.

    books = projection.ApplyOnce()
    books.apply(event)          # True the first time, False for a redelivered copy
    books.balances()            # {account_id: balance}

It is the state half of an idempotent consumer, whatever delivers the events (Kafka, RabbitMQ, a list).
"""

from __future__ import annotations

from decimal import Decimal

from helpers import banking


class ApplyOnce:
    """The state half of an idempotent consumer: applies each event id once, counts the duplicates."""

    def __init__(self) -> None:
        self.accounts: dict[str, banking.Account] = {}
        self.seen: set[str] = set()
        self.applied = 0
        self.duplicates = 0

    def apply(self, event: banking.Event) -> bool:
        """Fold the event into the balances unless its id was seen before; True when applied."""
        if event.event_id in self.seen:
            self.duplicates += 1
            return False
        self.accounts[event.account_id] = banking.apply(self.accounts.get(event.account_id), event)
        self.seen.add(event.event_id)
        self.applied += 1
        return True

    def balances(self) -> dict[str, Decimal]:
        """{account_id: balance}, sorted by account."""
        return {account_id: self.accounts[account_id].balance for account_id in sorted(self.accounts)}
