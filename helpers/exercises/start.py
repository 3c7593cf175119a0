"""The warm-up exercise of notebook 00: how the course's exercises and checkers work."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from helpers.exercises import Verdict, attempt, failed, passed

CASES = [([], Decimal("0")), ([Decimal("100"), Decimal("-50")], Decimal("50")),
         ([Decimal("20.10"), Decimal("0.20"), Decimal("-5")], Decimal("15.30"))]


def check_balance_from_changes(answer: Callable[[list[Decimal]], Decimal]) -> Verdict:
    """Check a function that folds signed amounts into a balance, starting from zero."""
    for changes, expected in CASES:
        ok, actual = attempt(answer, list(changes), hint="start from Decimal('0') and add every change")
        if not ok:
            return Verdict(False)
        if actual != expected:
            return failed(f"balance_from_changes({changes!r}) is wrong", expected, actual)
        if not isinstance(actual, Decimal):
            return failed("return a Decimal so cents stay exact", "Decimal", type(actual).__name__)
    return passed("an empty history is 0, and 0 + 100 - 50 = 50.")
