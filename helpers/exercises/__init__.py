"""Friendly auto-checks for the notebooks' exercises.

A checker takes the learner's answer (usually a function), runs it on known inputs and prints one
clear line: a tick, a "not attempted yet" hint for the stub, or what was expected and what came
back. It returns a Verdict that is truthy only for a correct answer, so unit tests can feed it wrong
answers, and that displays nothing in a notebook (the printed line already said it all).
Checkers live in one module per part of the course: `start`, `event_sourcing`, `streams`, `kafka`,
`rabbitmq`, `comparison`, `capstone`, `cluster`, `exactly_once`, `saga` and `evolution`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Verdict:
    """A checker's outcome: truthy when correct, silent as a notebook cell's last value."""

    def __init__(self, correct: bool) -> None:
        self.correct = correct

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        return f"Verdict(correct={self.correct})"

    def _ipython_display_(self) -> None:
        """Show nothing: the checker has already printed its feedback."""


def passed(message: str) -> Verdict:
    """Report a correct answer."""
    print(f"✅ Correct: {message}")
    return Verdict(True)


def failed(message: str, expected: Any = None, actual: Any = None) -> Verdict:
    """Report a wrong answer, with the expected and the actual value when they help."""
    lines = [f"❌ Not yet: {message}"]
    if expected is not None or actual is not None:
        lines.append(f"   expected: {expected!r}")
        lines.append(f"   got:      {actual!r}")
    print("\n".join(lines))
    return Verdict(False)


def not_attempted(hint: str) -> Verdict:
    """Report the untouched stub without failing the notebook."""
    print(f"⏳ Not attempted yet. Hint: {hint}")
    return Verdict(False)


def attempt(answer: Callable[..., Any], *args: Any, hint: str, **kwargs: Any) -> tuple[bool, Any]:
    """Call the learner's function; (False, None) after reporting a stub or an exception.

    After a False, return `Verdict(False)` (not a bare False, which a notebook would display).
    """
    try:
        return True, answer(*args, **kwargs)
    except NotImplementedError:
        not_attempted(hint)
    except Exception as error:  # the learner's bug, shown kindly rather than as a traceback
        failed(f"your function raised {type(error).__name__}: {error}")
    return False, None
