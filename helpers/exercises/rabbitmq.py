"""Checkers for the RabbitMQ notebooks (07 fundamentals, 08 in the bank; 08's live one is in rabbitmq_bank).

Each checker calls the learner's function on known inputs and prints one line: ✅, a "not attempted
yet" hint for the stub, or the first case that came out wrong. The routing rules used as the reference
here are the broker's own, verified against a live RabbitMQ in tests/test_rabbit_io.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from helpers import banking
from helpers.exercises import Verdict, attempt, failed, passed

# ---------------------------------------------------------------------------------------------
# Reference routing rules (topic and headers exchanges), used to judge answers.


def topic_matches(binding_key: str, routing_key: str) -> bool:
    """Whether a topic exchange binding key ('*' = one word, '#' = zero or more) matches a routing key."""

    def match(pattern: list[str], words: list[str]) -> bool:
        if not pattern:
            return not words
        head, rest = pattern[0], pattern[1:]
        if head == "#":
            return any(match(rest, words[skip:]) for skip in range(len(words) + 1))
        return bool(words) and head in ("*", words[0]) and match(rest, words[1:])

    return match(binding_key.split("."), routing_key.split("."))


def headers_match(arguments: Mapping[str, Any], headers: Mapping[str, Any]) -> bool:
    """Whether a headers exchange binding (with 'x-match' all or any) matches a message's headers."""
    wanted = {key: value for key, value in arguments.items() if not key.startswith("x-")}
    hits = [key in headers and headers[key] == value for key, value in wanted.items()]
    if arguments.get("x-match", "all") == "any":
        return any(hits)
    return all(hits)


TOPIC_CASES: tuple[tuple[str, str, bool], ...] = (
    ("txn.card.debit", "txn.card.debit", True),
    ("txn.*.debit", "txn.card.debit", True),
    ("txn.*.debit", "txn.atm.debit", True),
    ("txn.*.debit", "txn.card.credit", False),
    ("txn.*.debit", "txn.debit", False),
    ("txn.*.debit", "txn.card.visa.debit", False),
    ("txn.#", "txn", True),
    ("txn.#", "txn.card.debit.eur", True),
    ("txn.#", "audit.txn.card", False),
    ("#.debit", "txn.transfer.debit", True),
    ("#.debit", "debit", True),
    ("#", "anything.at.all", True),
    ("txn.#.debit", "txn.debit", True),
    ("txn.#.debit", "txn.card.visa.debit", True),
    ("txn.#.debit", "txn.card.credit", False),
    ("*.card.*", "txn.card.debit", True),
    ("*.card.*", "card.debit", False),
)


def check_topic_matcher(answer: Callable[[str, str], bool]) -> Verdict:
    """Exercise 07.1: a function (binding_key, routing_key) -> bool that routes like a topic exchange."""
    for binding_key, routing_key, expected in TOPIC_CASES:
        ok, got = attempt(answer, binding_key, routing_key,
                          hint="split both keys on '.', then compare word by word; '#' may swallow 0..n words")
        if not ok:
            return Verdict(False)
        if bool(got) != expected:
            return failed(f"binding {binding_key!r} with routing key {routing_key!r}", expected, got)
    return passed(f"your matcher agrees with RabbitMQ on all {len(TOPIC_CASES)} cases, '*' and '#' included")


# Routing keys of the bank: txn.<channel>.<direction>, plus a few that must stay unrouted by some queues.
BANK_KEYS: tuple[str, ...] = (
    "txn.card.debit", "txn.atm.debit", "txn.transfer.debit", "txn.transfer.credit",
    "txn.salary.credit", "txn.branch.credit", "txn.card.refund", "txn.card.debit.eur", "audit.txn.card.debit",
)
BINDING_GOALS: dict[str, Callable[[str], bool]] = {
    # every debit of any channel, but only three-word keys
    "fraud": lambda key: key in ("txn.card.debit", "txn.atm.debit", "txn.transfer.debit"),
    # everything about cards, however many words follow, but only txn.* keys
    "cards": lambda key: key in ("txn.card.debit", "txn.card.refund", "txn.card.debit.eur"),
    # all money in: credits of any channel
    "credits": lambda key: key in ("txn.transfer.credit", "txn.salary.credit", "txn.branch.credit"),
}


def _routed(bindings: Iterable[str], key: str) -> bool:
    """Whether any of a queue's topic bindings matches the key."""
    return any(topic_matches(binding, key) for binding in bindings)


def check_topic_bindings(answer: Callable[[], Mapping[str, Iterable[str]]]) -> Verdict:
    """Exercise 07.2: binding keys {queue: [keys]} that give fraud, cards and credits exactly their messages."""
    ok, got = attempt(answer, hint="return a dict like {'fraud': ['txn.*.debit'], 'cards': [...], 'credits': [...]}")
    if not ok:
        return Verdict(False)
    if not isinstance(got, Mapping) or set(got) != set(BINDING_GOALS):
        return failed("return a dict with exactly the keys fraud, cards and credits",
                      sorted(BINDING_GOALS), sorted(got) if isinstance(got, Mapping) else got)
    for queue, wants in BINDING_GOALS.items():
        bindings = [got[queue]] if isinstance(got[queue], str) else list(got[queue])
        for key in BANK_KEYS:
            if _routed(bindings, key) != wants(key):
                verb = "should" if wants(key) else "should not"
                return failed(f"queue {queue!r} {verb} receive {key!r} (bindings {bindings})",
                              wants(key), _routed(bindings, key))
    return passed(f"each queue gets exactly its messages among {len(BANK_KEYS)} routing keys")


# MQTT topic filters and the binding keys RabbitMQ's MQTT plugin makes of them on amq.topic.
MQTT_FILTER_CASES: tuple[tuple[str, str], ...] = (
    ("bank/txn/card/debit", "bank.txn.card.debit"),
    ("bank/txn/+/debit", "bank.txn.*.debit"),
    ("bank/txn/#", "bank.txn.#"),
    ("+/+/+", "*.*.*"),
    ("bank", "bank"),
    ("#", "#"),
    ("bank/a+b/debit", "bank.a+b.debit"),
)


def check_mqtt_binding(answer: Callable[[str], str]) -> Verdict:
    """Exercise 07.4: a function mqtt_filter -> the binding key RabbitMQ binds on amq.topic."""
    for topic_filter, expected in MQTT_FILTER_CASES:
        ok, got = attempt(answer, topic_filter, hint="split on '/', turn a whole-word '+' into '*', join with '.'")
        if not ok:
            return Verdict(False)
        if got != expected:
            return failed(f"MQTT filter {topic_filter!r}", expected, got)
    return passed(f"your mapping agrees with RabbitMQ's MQTT plugin on all {len(MQTT_FILTER_CASES)} filters")


HEADER_PROBES: tuple[dict[str, str], ...] = (
    {"direction": "debit", "channel": "card", "currency": "EUR"},
    {"direction": "debit", "channel": "card", "currency": "GBP"},
    {"direction": "debit", "channel": "atm", "currency": "EUR"},
    {"direction": "credit", "channel": "card", "currency": "EUR"},
    {"direction": "debit", "currency": "EUR"},
    {"channel": "card"},
)


def check_headers_binding(answer: Callable[[], tuple[Mapping[str, Any], Mapping[str, Any]]]) -> Verdict:
    """Exercise 07.3: two headers bindings: (card debits in EUR only, anything that is a card OR in GBP)."""
    ok, got = attempt(answer, hint="return two dicts, each with 'x-match' ('all' or 'any') and the header values")
    if not ok:
        return Verdict(False)
    if not (isinstance(got, tuple) and len(got) == 2 and all(isinstance(g, Mapping) for g in got)):
        return failed("return a tuple of two dicts (strict binding, loose binding)", "(dict, dict)", got)
    goals = (
        lambda h: h.get("direction") == "debit" and h.get("channel") == "card" and h.get("currency") == "EUR",
        lambda h: h.get("channel") == "card" or h.get("currency") == "GBP",
    )
    for name, arguments, goal in zip(("strict", "loose"), got, goals, strict=True):
        if arguments.get("x-match") not in ("all", "any"):
            return failed(f"the {name} binding needs 'x-match': 'all' or 'any'", "'all' or 'any'",
                          arguments.get("x-match"))
        for headers in HEADER_PROBES:
            if headers_match(arguments, headers) != goal(headers):
                return failed(f"the {name} binding {dict(arguments)} on a message with headers {headers}",
                              goal(headers), headers_match(arguments, headers))
    return passed(f"both bindings route all {len(HEADER_PROBES)} probe messages as asked")


# ---------------------------------------------------------------------------------------------
# Notebook 08: retries and an idempotent ledger.


def _retry_cases() -> list[tuple[Exception, int, int, str]]:
    """(error, retries so far, max_retries, expected step)."""
    malformed = banking.MalformedEvent("MoneyWithdrawn.amount is not a number: '12,50'")
    refused = banking.InsufficientFunds("account ACC-001 has 10.00, cannot take 50.00")
    return [
        (TimeoutError("ledger database did not answer"), 0, 3, "retry"),
        (TimeoutError("ledger database did not answer"), 2, 3, "retry"),
        (TimeoutError("ledger database did not answer"), 3, 3, "dead-letter"),
        (ConnectionError("notification gateway down"), 1, 3, "retry"),
        (ConnectionError("notification gateway down"), 5, 3, "dead-letter"),
        (malformed, 0, 3, "dead-letter"),
        (refused, 0, 3, "dead-letter"),
        (TimeoutError("slow"), 0, 0, "dead-letter"),
    ]


def check_retry_decision(answer: Callable[[Exception, int, int], str]) -> Verdict:
    """Exercise 08.1: (error, retries, max_retries) -> "retry" or "dead-letter"; permanent errors skip retries."""
    for error, retries, max_retries, expected in _retry_cases():
        ok, got = attempt(answer, error, retries, max_retries,
                          hint="isinstance(error, (banking.MalformedEvent, banking.DomainError)) never gets better")
        if not ok:
            return Verdict(False)
        if got != expected:
            return failed(f"{type(error).__name__} after {retries} retries (max_retries={max_retries})",
                          expected, got)
    return passed("transient errors are retried up to the limit, permanent ones go straight to the DLQ")


LEDGER_MESSAGES: tuple[dict[str, Any], ...] = (
    {"event_id": "evt-1", "account_id": "ACC-001", "direction": "credit", "amount": "100.00", "redelivered": False},
    {"event_id": "evt-2", "account_id": "ACC-001", "direction": "debit", "amount": "30.00", "redelivered": False},
    {"event_id": "evt-3", "account_id": "ACC-002", "direction": "credit", "amount": "12.50", "redelivered": False},
    {"event_id": "evt-2", "account_id": "ACC-001", "direction": "debit", "amount": "30.00", "redelivered": True},
    {"event_id": "evt-4", "account_id": "ACC-002", "direction": "debit", "amount": "2.50", "redelivered": True},
    {"event_id": "evt-4", "account_id": "ACC-002", "direction": "debit", "amount": "2.50", "redelivered": True},
    {"event_id": "evt-5", "account_id": "ACC-003", "direction": "credit", "amount": "0.10", "redelivered": False},
)
LEDGER_EXPECTED = {"ACC-001": Decimal("70.00"), "ACC-002": Decimal("10.00"), "ACC-003": Decimal("0.10")}


def check_idempotent_ledger(answer: Callable[[list[dict[str, Any]]], Mapping[str, Decimal]]) -> Verdict:
    """Exercise 08.2: balances from at-least-once deliveries, each event_id applied once (effectively once)."""
    ok, got = attempt(answer, [dict(m) for m in LEDGER_MESSAGES],
                      hint="keep a set of event_ids already applied; skip a message whose id is in it")
    if not ok:
        return Verdict(False)
    if not isinstance(got, Mapping):
        return failed("return a dict {account_id: Decimal balance}", LEDGER_EXPECTED, got)
    normalised = {key: Decimal(str(value)) for key, value in got.items()}
    if normalised != LEDGER_EXPECTED:
        return failed("each event must change the balance once, redelivered or not",
                      LEDGER_EXPECTED, normalised)
    return passed("duplicates from redelivery were applied once: no money created or lost")
