"""The warm-up exercise of notebook 00: how the course's exercises and checkers work."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from helpers.exercises import Verdict, attempt, failed, passed


class FloatArithmetic(TypeError):
    """A learner's code turned money into a float."""


class StrictDecimal(Decimal):
    """A Decimal that refuses float(): checkers hand these out, so float arithmetic fails loudly, not by a cent."""

    def __float__(self) -> float:
        raise FloatArithmetic("float() on money loses cents (0.1 + 0.2 != 0.3 in floats): keep to Decimal arithmetic")


#: signed changes -> the balance from zero: empty, the syllabus's 0 + 100 - 50, cents, an overdraft, 0.10 + 0.20
CASES = [([], Decimal("0")), ([Decimal("100"), Decimal("-50")], Decimal("50")),
         ([Decimal("20.10"), Decimal("0.20"), Decimal("-5")], Decimal("15.30")),
         ([Decimal("-5.00")], Decimal("-5.00")), ([Decimal("0.10"), Decimal("0.20")], Decimal("0.30"))]


def check_balance_from_changes(answer: Callable[[list[Decimal]], Decimal]) -> Verdict:
    """Check a function that folds signed amounts into a balance, starting from zero, in Decimal."""
    for changes, expected in CASES:
        ok, actual = attempt(answer, [StrictDecimal(change) for change in changes],
                             hint="start from Decimal('0') and add every change")
        if not ok:
            return Verdict(False)
        shown = [str(change) for change in changes]
        if actual != expected:
            return failed(f"balance_from_changes({shown}) is wrong (a balance may go below zero)", expected, actual)
        if not isinstance(actual, Decimal):
            return failed(f"balance_from_changes({shown}): return a Decimal so cents stay exact",
                          "Decimal", type(actual).__name__)
    return passed("an empty history is 0, and 0 + 100 - 50 = 50.")
