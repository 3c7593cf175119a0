"""The RabbitMQ exercise checkers accept the reference answers and reject wrong ones and the stubs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from helpers import banking
from helpers.exercises import rabbitmq as ex


def stub(*args, **kwargs):
    """The learner's untouched stub."""
    raise NotImplementedError("your turn")


def test_topic_matcher(capsys):
    assert ex.check_topic_matcher(ex.topic_matches)
    assert "✅" in capsys.readouterr().out

    naive = lambda binding, key: binding.replace("#", "*") == key or binding == key  # noqa: E731
    assert not ex.check_topic_matcher(naive)
    # '#' treated as "one or more words": misses the zero-word case
    one_or_more = lambda b, k: ex.topic_matches(b, k) and not (b.endswith("#") and b.count(".") == k.count(".") + 1)  # noqa: E731
    assert not ex.check_topic_matcher(one_or_more)
    assert "❌" in capsys.readouterr().out

    assert not ex.check_topic_matcher(stub)
    assert "Not attempted" in capsys.readouterr().out


def test_topic_matcher_reports_a_crash_kindly(capsys):
    assert not ex.check_topic_matcher(lambda b, k: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_mqtt_binding(capsys):
    reference = lambda f: ".".join("*" if w == "+" else w for w in f.split("/"))  # noqa: E731
    assert ex.check_mqtt_binding(reference)
    assert "✅" in capsys.readouterr().out
    assert not ex.check_mqtt_binding(lambda f: f.replace("/", "."))  # forgets '+' -> '*'
    assert not ex.check_mqtt_binding(lambda f: f.replace("/", ".").replace("+", "*"))  # '+' inside a word too
    assert not ex.check_mqtt_binding(lambda f: reference(f).replace("#", "*"))  # '#' is not one word
    assert "❌" in capsys.readouterr().out
    assert not ex.check_mqtt_binding(stub)
    assert "Not attempted" in capsys.readouterr().out


def test_topic_bindings(capsys):
    good = {"fraud": ["txn.*.debit"], "cards": ["txn.card.#"], "credits": ["txn.*.credit"]}
    assert ex.check_topic_bindings(lambda: good)
    assert ex.check_topic_bindings(lambda: {"fraud": "txn.*.debit", "cards": ["txn.card.#"],
                                            "credits": ["txn.transfer.credit", "txn.salary.credit",
                                                        "txn.branch.credit"]})
    assert "✅" in capsys.readouterr().out

    assert not ex.check_topic_bindings(lambda: {**good, "fraud": ["#.debit"]})  # also audit.txn.card.debit
    assert not ex.check_topic_bindings(lambda: {**good, "cards": ["txn.card.*"]})  # misses 4-word key
    assert not ex.check_topic_bindings(lambda: {"fraud": ["txn.*.debit"]})  # queues missing
    assert not ex.check_topic_bindings(lambda: ["txn.#"])
    assert "❌" in capsys.readouterr().out

    assert not ex.check_topic_bindings(stub)
    assert "Not attempted" in capsys.readouterr().out


def test_headers_binding(capsys):
    strict = {"x-match": "all", "direction": "debit", "channel": "card", "currency": "EUR"}
    loose = {"x-match": "any", "channel": "card", "currency": "GBP"}
    assert ex.check_headers_binding(lambda: (strict, loose))
    assert "✅" in capsys.readouterr().out

    assert not ex.check_headers_binding(lambda: (loose, strict))
    assert not ex.check_headers_binding(lambda: ({**strict, "x-match": "any"}, loose))
    assert not ex.check_headers_binding(lambda: (strict, {"channel": "card", "currency": "GBP"}))  # no x-match
    assert not ex.check_headers_binding(lambda: strict)
    assert "❌" in capsys.readouterr().out

    assert not ex.check_headers_binding(stub)
    assert "Not attempted" in capsys.readouterr().out


def test_retry_decision(capsys):
    permanent = (banking.MalformedEvent, banking.DomainError)

    def reference(error, retries, max_retries):
        if isinstance(error, permanent) or retries >= max_retries:
            return "dead-letter"
        return "retry"

    assert ex.check_retry_decision(reference)
    assert "✅" in capsys.readouterr().out

    retries_everything = lambda e, r, m: "retry" if r < m else "dead-letter"  # noqa: E731
    off_by_one = lambda e, r, m: "dead-letter" if isinstance(e, permanent) or r > m else "retry"  # noqa: E731
    assert not ex.check_retry_decision(retries_everything)
    assert not ex.check_retry_decision(off_by_one)
    assert not ex.check_retry_decision(lambda e, r, m: "dead-letter" if isinstance(e, permanent) else "retry")
    assert "❌" in capsys.readouterr().out

    assert not ex.check_retry_decision(stub)
    assert "Not attempted" in capsys.readouterr().out


def test_idempotent_ledger(capsys):
    def reference(messages):
        seen, balances = set(), {}
        for m in messages:
            if m["event_id"] in seen:
                continue
            seen.add(m["event_id"])
            sign = 1 if m["direction"] == "credit" else -1
            balances[m["account_id"]] = balances.get(m["account_id"], Decimal("0")) + sign * Decimal(m["amount"])
        return balances

    assert ex.check_idempotent_ledger(reference)
    assert "✅" in capsys.readouterr().out

    def applies_everything(messages):
        balances = {}
        for m in messages:
            sign = 1 if m["direction"] == "credit" else -1
            balances[m["account_id"]] = balances.get(m["account_id"], Decimal("0")) + sign * Decimal(m["amount"])
        return balances

    def skips_redelivered(messages):
        return reference([m for m in messages if not m["redelivered"]])

    assert not ex.check_idempotent_ledger(applies_everything)
    assert not ex.check_idempotent_ledger(skips_redelivered)  # evt-4 only ever came redelivered
    assert not ex.check_idempotent_ledger(lambda messages: [])
    assert "❌" in capsys.readouterr().out

    assert not ex.check_idempotent_ledger(stub)
    assert "Not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("arguments, headers, expected", [
    ({"x-match": "all", "a": "1", "b": "2"}, {"a": "1", "b": "2", "c": "3"}, True),
    ({"x-match": "all", "a": "1", "b": "2"}, {"a": "1"}, False),
    ({"x-match": "any", "a": "1", "b": "2"}, {"a": "1"}, True),
    ({"x-match": "any", "a": "1", "b": "2"}, {"a": "2"}, False),
])
def test_reference_headers_rule(arguments, headers, expected):
    assert ex.headers_match(arguments, headers) is expected
