"""Friendly auto-checks for the notebooks' exercises.

A checker takes the learner's answer (usually a function), runs it on known inputs and prints one
clear line: a tick, a "not attempted yet" hint for the stub, or what was expected and what came
back. It returns a Verdict that is truthy only for a correct answer, so unit tests can feed it wrong
answers, and that displays nothing in a notebook (the printed line already said it all).
Checkers live in one module per part of the course: `start`, `event_sourcing`, `streams`, `kafka`,
`rabbitmq`, `comparison`, `capstone`, `cluster`, `exactly_once`, `saga` and `evolution`. Checkers that
inspect a live broker (records, committed offsets, queues, bindings, dead letters) sit beside them:
`kafka_live` (05), `kafka_bank` (06), `rabbitmq_live` (07), `rabbitmq_bank` (08), `comparison_live` (09)
and `capstone_live` (10).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: How long a learner's answer may run inside a checker before it is stopped.
TIME_LIMIT_S = 10


class TookTooLong(Exception):
    """A learner's answer ran past the checker's time limit."""


@contextmanager
def time_limit(seconds: int | None = None) -> Iterator[None]:
    """Raise TookTooLong in the main thread after `seconds` (TIME_LIMIT_S; a no-op off the main thread)."""
    seconds = seconds or TIME_LIMIT_S
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise TookTooLong(f"your code ran for more than {seconds} s: look for a loop that never ends")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


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
    An answer that runs longer than TIME_LIMIT_S is stopped and reported.
    """
    try:
        with time_limit():
            return True, answer(*args, **kwargs)
    except NotImplementedError:
        not_attempted(hint)
    except TookTooLong as error:
        failed(str(error))
    except Exception as error:  # the learner's bug, shown kindly rather than as a traceback
        failed(f"your function raised {type(error).__name__}: {error}")
    return False, None
