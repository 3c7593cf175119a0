"""Notebook 00's warm-up checker accepts a hand-worked answer and rejects wrong ones and the stub."""

from __future__ import annotations

from decimal import Decimal

from verdicts import assert_verdicts, worked

from helpers.exercises import start as checks

BALANCES = {  # signed changes -> the balance, starting from zero
    (): Decimal("0"),
    (Decimal("100"), Decimal("-50")): Decimal("50"),                          # the syllabus's 0 + 100 - 50
    (Decimal("20.10"), Decimal("0.20"), Decimal("-5")): Decimal("15.30"),
    (Decimal("-5.00"),): Decimal("-5.00"),                                    # a withdrawal first: below zero
    (Decimal("0.10"), Decimal("0.20")): Decimal("0.30"),                      # in floats this is 0.30000000000000004
}


def changes_key(changes: list[Decimal]) -> tuple:
    return tuple(changes)


def test_balance_from_changes(capsys) -> None:
    assert_verdicts(capsys, checks.check_balance_from_changes, worked(BALANCES, changes_key),
                    lambda changes: sum(c for c in changes if c > 0),               # forgets withdrawals
                    lambda changes: Decimal("100") + sum(changes, Decimal("0")),    # starts from the wrong balance
                    lambda changes: changes[-1] if changes else Decimal("0"),       # keeps only the last change
                    lambda changes: max(Decimal("0"), sum(changes, Decimal("0"))))  # never goes below zero


def test_balance_from_changes_insists_on_decimal(capsys) -> None:
    assert not checks.check_balance_from_changes(lambda changes: float(sum(changes, Decimal("0"))))
    assert "return a Decimal" in capsys.readouterr().out


def test_balance_from_changes_reports_a_crash_kindly(capsys) -> None:
    assert not checks.check_balance_from_changes(lambda changes: changes[0])  # IndexError on the empty history
    assert "IndexError" in capsys.readouterr().out


def test_balance_from_changes_refuses_float_arithmetic_even_when_rounded_back(capsys) -> None:
    rounded = lambda changes: Decimal(str(round(sum(float(c) for c in changes), 2)))  # noqa: E731  right to the cent
    assert not checks.check_balance_from_changes(rounded)
    assert "keep to Decimal arithmetic" in capsys.readouterr().out


def test_balance_from_changes_wants_a_decimal_for_the_empty_history(capsys) -> None:
    assert not checks.check_balance_from_changes(lambda changes: sum(changes))  # sum([]) is the int 0
    assert "return a Decimal" in capsys.readouterr().out
