"""Shared assertions for the exercise checkers' tests (imported by the tests next to it).

A checker's test feeds it a correct answer and wrong ones. The correct answer is `worked(...)`: a table of
results worked out by hand for the checker's inputs, so a test never checks a checker against a copy of its
own reference solution.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import pytest

from helpers.exercises import Verdict


def stub(*args: Any, **kwargs: Any) -> Any:
    """The learner's untouched cell."""
    raise NotImplementedError("your turn")


def worked(table: Mapping[Hashable, Any], key: Callable[..., Hashable] = lambda *args: args) -> Callable[..., Any]:
    """An answer that knows only hand-worked results: table[key(*args)] (KeyError, so a failed check, otherwise)."""

    def answer(*args: Any) -> Any:
        return copy.deepcopy(table[key(*args)])

    return answer


def assert_verdicts(capsys: pytest.CaptureFixture[str], check: Callable[[Any], Verdict],
                    reference: Any, *wrong: Any) -> None:
    """The correct answer passes with a tick; each wrong answer fails with a cross; the stub is 'not attempted'."""
    verdict = check(reference)
    out = capsys.readouterr().out
    assert verdict and "✅" in out, out
    for answer in wrong:
        verdict = check(answer)
        assert isinstance(verdict, Verdict) and not verdict
        assert "❌" in capsys.readouterr().out
    verdict = check(stub)
    assert isinstance(verdict, Verdict) and not verdict
    assert "Not attempted" in capsys.readouterr().out
