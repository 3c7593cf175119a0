"""The RabbitMQ exercise checkers accept hand-worked answers and reject wrong ones and the stubs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from verdicts import assert_verdicts, worked

from helpers import banking
from helpers.exercises import rabbitmq as ex

# --- topic matcher ---

TOPICS = {  # (binding key, routing key) -> routed? ('*' is one word, '#' zero or more)
    ("txn.card.debit", "txn.card.debit"): True,
    ("txn.*.debit", "txn.card.debit"): True,
    ("txn.*.debit", "txn.atm.debit"): True,
    ("txn.*.debit", "txn.card.credit"): False,
    ("txn.*.debit", "txn.debit"): False,
    ("txn.*.debit", "txn.card.visa.debit"): False,
    ("txn.#", "txn"): True,
    ("txn.#", "txn.card.debit.eur"): True,
    ("txn.#", "audit.txn.card"): False,
    ("#.debit", "txn.transfer.debit"): True,
    ("#.debit", "debit"): True,
    ("#", "anything.at.all"): True,
    ("txn.#.debit", "txn.debit"): True,
    ("txn.#.debit", "txn.card.visa.debit"): True,
    ("txn.#.debit", "txn.card.credit"): False,
    ("*.card.*", "txn.card.debit"): True,
    ("*.card.*", "card.debit"): False,
}
#: '#' read as "one or more words": the zero-word cases go wrong.
ONE_OR_MORE = {**TOPICS, ("txn.#", "txn"): False, ("#.debit", "debit"): False, ("txn.#.debit", "txn.debit"): False}


def test_topic_matcher(capsys):
    naive = lambda binding, key: binding.replace("#", "*") == key or binding == key  # noqa: E731
    assert_verdicts(capsys, ex.check_topic_matcher, worked(TOPICS), naive, worked(ONE_OR_MORE))


def test_topic_matcher_reports_a_crash_kindly(capsys):
    assert not ex.check_topic_matcher(lambda b, k: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


#: MQTT topic filter -> binding key on amq.topic, worked out by hand from the MQTT plugin's rules.
MQTT_BINDINGS = {
    "bank/txn/card/debit": "bank.txn.card.debit", "bank/txn/+/debit": "bank.txn.*.debit",
    "bank/txn/#": "bank.txn.#", "+/+/+": "*.*.*", "bank": "bank", "#": "#", "bank/a+b/debit": "bank.a+b.debit",
}


def test_mqtt_binding(capsys):
    mapped = worked(MQTT_BINDINGS, key=lambda topic_filter: topic_filter)
    assert_verdicts(capsys, ex.check_mqtt_binding, mapped,
                    lambda f: f.replace("/", "."),  # forgets '+' -> '*'
                    lambda f: f.replace("/", ".").replace("+", "*"),  # '+' inside a word too
                    lambda f: mapped(f).replace("#", "*"))  # '#' is not one word


@pytest.mark.parametrize(("binding", "key"), sorted(TOPICS))
def test_the_checkers_topic_rule_agrees_with_the_hand_worked_cases(binding, key):
    assert ex.topic_matches(binding, key) is TOPICS[binding, key]


# --- topic bindings ---

GOOD_BINDINGS = {"fraud": ["txn.*.debit"], "cards": ["txn.card.#"], "credits": ["txn.*.credit"]}


def test_topic_bindings(capsys):
    assert_verdicts(capsys, ex.check_topic_bindings, lambda: GOOD_BINDINGS,
                    lambda: {**GOOD_BINDINGS, "fraud": ["#.debit"]},   # also audit.txn.card.debit
                    lambda: {**GOOD_BINDINGS, "cards": ["txn.card.*"]},  # misses the four-word key
                    lambda: {"fraud": ["txn.*.debit"]},                  # queues missing
                    lambda: ["txn.#"])


def test_topic_bindings_accept_a_single_key_or_a_list_of_exact_keys(capsys):
    assert ex.check_topic_bindings(lambda: {"fraud": "txn.*.debit", "cards": ["txn.card.#"],
                                            "credits": ["txn.transfer.credit", "txn.salary.credit",
                                                        "txn.branch.credit"]})
    assert "✅" in capsys.readouterr().out


# --- headers binding ---

STRICT = {"x-match": "all", "direction": "debit", "channel": "card", "currency": "EUR"}
LOOSE = {"x-match": "any", "channel": "card", "currency": "GBP"}


def test_headers_binding(capsys):
    assert_verdicts(capsys, ex.check_headers_binding, lambda: (STRICT, LOOSE), lambda: (LOOSE, STRICT),
                    lambda: ({**STRICT, "x-match": "any"}, LOOSE),
                    lambda: (STRICT, {"channel": "card", "currency": "GBP"}),  # no x-match
                    lambda: STRICT)


@pytest.mark.parametrize("arguments, headers, expected", [
    ({"x-match": "all", "a": "1", "b": "2"}, {"a": "1", "b": "2", "c": "3"}, True),
    ({"x-match": "all", "a": "1", "b": "2"}, {"a": "1"}, False),
    ({"x-match": "any", "a": "1", "b": "2"}, {"a": "1"}, True),
    ({"x-match": "any", "a": "1", "b": "2"}, {"a": "2"}, False),
])
def test_reference_headers_rule(arguments, headers, expected):
    assert ex.headers_match(arguments, headers) is expected


# --- retry decision ---

RETRIES = {  # (error type, retries so far, max retries) -> next step; permanent errors never get better
    ("TimeoutError", 0, 3): "retry",
    ("TimeoutError", 2, 3): "retry",
    ("TimeoutError", 3, 3): "dead-letter",    # the limit reached
    ("ConnectionError", 1, 3): "retry",
    ("ConnectionError", 5, 3): "dead-letter",
    ("MalformedEvent", 0, 3): "dead-letter",  # permanent: straight to the DLQ
    ("InsufficientFunds", 0, 3): "dead-letter",
    ("TimeoutError", 0, 0): "dead-letter",    # no retries allowed
}


def retry_key(error: Exception, retries: int, max_retries: int) -> tuple:
    return type(error).__name__, retries, max_retries


def test_retry_decision(capsys):
    permanent = (banking.MalformedEvent, banking.DomainError)
    assert_verdicts(capsys, ex.check_retry_decision, worked(RETRIES, retry_key),
                    lambda e, r, m: "retry" if r < m else "dead-letter",  # retries permanent errors too
                    worked({**RETRIES, ("TimeoutError", 3, 3): "retry"}, retry_key),  # one retry too many
                    lambda e, r, m: "dead-letter" if isinstance(e, permanent) else "retry")  # no limit


# --- idempotent ledger ---

LEDGER = {"ACC-001": Decimal("70.00"),  # +100.00 - 30.00 (evt-2 came twice)
          "ACC-002": Decimal("10.00"),  # +12.50 - 2.50 (evt-4 came twice, both times redelivered)
          "ACC-003": Decimal("0.10")}


def test_idempotent_ledger(capsys):
    assert_verdicts(capsys, ex.check_idempotent_ledger, lambda messages: dict(LEDGER),
                    lambda messages: {**LEDGER, "ACC-001": Decimal("40.00"), "ACC-002": Decimal("7.50")},  # all
                    lambda messages: {**LEDGER, "ACC-002": Decimal("12.50")},  # skips every redelivered message
                    lambda messages: [])
