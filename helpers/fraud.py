"""The bank's one fraud rule set, and a detector whose whole state can be saved beside an offset.

    from helpers import fraud
    detector = fraud.FraudDetector()                  # RULES: the course's thresholds
    for event in events:
        for alert in detector.observe(event):         # 0, 1 or more alerts for this event
            print(alert.alert_id, alert.rule, alert.value)
    saved = detector.snapshot()                       # JSON text: store it with the offset it reached
    detector = fraud.FraudDetector.restore(saved)     # ... and carry on after a restart

The rules, per account (notebook 04 derives them by hand; every later notebook uses this module):
- `burst`: RULES.burst_count or more withdrawals within RULES.burst_window;
- `outflow`: RULES.outflow_limit or more money out (withdrawals and transfers sent) within RULES.outflow_window;
- `night_transfer`: a transfer sent before RULES.night_ends_hour (UTC), when customers are asleep.

A windowed rule alerts when it becomes true, not again while it stays true, and again once it has
been false: so one burst of twelve payments is one alert. An alert's id is made from the rule and the
event that raised it, so a detector restored from a snapshot (or replaying the same events) mints the
same ids, and a consumer can drop a repeat by its id. This module imports only `banking`.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from helpers import banking


@dataclass(frozen=True)
class FraudRules:
    """The thresholds of the three rules."""

    burst_count: int = 5
    burst_window: timedelta = timedelta(minutes=10)
    outflow_limit: Decimal = Decimal("1000.00")
    outflow_window: timedelta = timedelta(hours=1)
    night_ends_hour: int = 6


RULES = FraudRules()


@dataclass(frozen=True)
class Alert:
    """One suspicion: which rule, on which account, raised by which event, and the value that crossed the line."""

    alert_id: str
    rule: str
    account_id: str
    event_id: str
    at: datetime
    value: str

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready dict (the time in ISO 8601)."""
        return {**asdict(self), "at": self.at.isoformat()}


@dataclass
class _Outgoing:
    """A money movement out of an account, as the windows remember it."""

    at: datetime
    amount: Decimal
    is_withdrawal: bool


@dataclass
class FraudDetector:
    """Watches a stream of banking events and raises alerts; its state is per account and serialisable."""

    rules: FraudRules = RULES
    windows: dict[str, deque[_Outgoing]] = field(default_factory=dict)
    active: set[tuple[str, str]] = field(default_factory=set)  # (account, rule) currently true

    def observe(self, event: banking.Event) -> list[Alert]:
        """The alerts this event raises (most events raise none)."""
        if not isinstance(event, (banking.MoneyWithdrawn, banking.TransferSent)):
            return []
        window = self.windows.setdefault(event.account_id, deque())
        window.append(_Outgoing(event.occurred_at, event.amount, isinstance(event, banking.MoneyWithdrawn)))
        longest = max(self.rules.burst_window, self.rules.outflow_window)
        while event.occurred_at - window[0].at > longest:
            window.popleft()
        burst = sum(1 for item in window if item.is_withdrawal and event.occurred_at - item.at <= self.rules.burst_window)
        outflow = sum((item.amount for item in window if event.occurred_at - item.at <= self.rules.outflow_window),
                      Decimal("0.00"))
        alerts = [
            alert
            for rule, value, hit in (("burst", str(burst), burst >= self.rules.burst_count),
                                     ("outflow", str(outflow), outflow >= self.rules.outflow_limit))
            if (alert := self._edge(event, rule, value, hit)) is not None
        ]
        if isinstance(event, banking.TransferSent) and event.occurred_at.hour < self.rules.night_ends_hour:
            alerts.append(self._alert(event, "night_transfer", str(event.amount)))
        return alerts

    def _edge(self, event: banking.Event, rule: str, value: str, hit: bool) -> Alert | None:
        """An alert when a windowed rule turns true; None while it stays true or is false."""
        key = (event.account_id, rule)
        if not hit:
            self.active.discard(key)
            return None
        if key in self.active:
            return None
        self.active.add(key)
        return self._alert(event, rule, value)

    @staticmethod
    def _alert(event: banking.Event, rule: str, value: str) -> Alert:
        """The alert `rule` raises on `event`, with an id any replay of the same event reproduces."""
        return Alert(f"alert-{rule}-{event.event_id}", rule, event.account_id, event.event_id, event.occurred_at, value)

    def snapshot(self) -> str:
        """The detector's whole state as JSON text, to save in the same transaction as the offset it reached."""
        state: dict[str, Any] = {
            "windows": {account: [[item.at.isoformat(), str(item.amount), item.is_withdrawal] for item in window]
                        for account, window in sorted(self.windows.items()) if window},
            "active": sorted([account, rule] for account, rule in self.active),
        }
        return json.dumps(state, sort_keys=True)

    @classmethod
    def restore(cls, snapshot: str, rules: FraudRules = RULES) -> FraudDetector:
        """A detector in the state a snapshot recorded."""
        state = json.loads(snapshot)
        windows = {account: deque(_Outgoing(datetime.fromisoformat(at), Decimal(amount), bool(is_withdrawal))
                                  for at, amount, is_withdrawal in items)
                   for account, items in state["windows"].items()}
        return cls(rules, windows, {(account, rule) for account, rule in state["active"]})


def alerts(events: list[banking.Event] | tuple[banking.Event, ...], rules: FraudRules = RULES) -> list[Alert]:
    """Every alert a fresh detector raises over `events`, in order."""
    detector = FraudDetector(rules)
    return [alert for event in events for alert in detector.observe(event)]
