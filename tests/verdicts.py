"""Shared assertions for the exercise checkers' tests (imported by the tests next to it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from helpers.exercises import Verdict


def stub(*args: Any, **kwargs: Any) -> Any:
    """The learner's untouched cell."""
    raise NotImplementedError("your turn")


def assert_verdicts(capsys: pytest.CaptureFixture[str], check: Callable[[Any], Verdict],
                    reference: Any, *wrong: Any) -> None:
    """The reference passes with a tick; each wrong answer fails with a cross; the stub is 'not attempted'."""
    assert check(reference)
    assert "✅" in capsys.readouterr().out
    for answer in wrong:
        verdict = check(answer)
        assert isinstance(verdict, Verdict) and not verdict
        assert "❌" in capsys.readouterr().out
    verdict = check(stub)
    assert isinstance(verdict, Verdict) and not verdict
    assert "Not attempted" in capsys.readouterr().out
