"""Bounded waits: every loop that waits for something has a deadline, and says what it waited for.

    waiting.until(lambda: depth(channel, queue) == 3, timeout_s=5, what=f"{queue} did not reach 3 messages")
    deadline = waiting.Deadline(10)                    # for a loop that works until a point in time
    while not done and not deadline.passed(): ...

This module is a foundation: it imports nothing else from `helpers`.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Deadline:
    """A moment `timeout_s` seconds from now, on the monotonic clock."""

    def __init__(self, timeout_s: float) -> None:
        """Start the clock."""
        self.timeout_s = timeout_s
        self.at = time.monotonic() + timeout_s

    def remaining(self) -> float:
        """Seconds left until the deadline (0 once it has passed)."""
        return max(0.0, self.at - time.monotonic())

    def passed(self) -> bool:
        """True once the deadline has passed."""
        return time.monotonic() >= self.at


def until(condition: Callable[[], object], timeout_s: float, what: str | Callable[[], str],
          interval_s: float = 0.05, sleep: Callable[[float], object] = time.sleep) -> None:
    """Call `condition()` until it is true; after `timeout_s`, TimeoutError saying `what` (text, or made at the time).

    `sleep` waits between tries: time.sleep by default, or e.g. a pika connection's `sleep`, which keeps
    processing the connection's I/O while it waits.
    """
    deadline = Deadline(timeout_s)
    while not condition():
        if deadline.passed():
            raise TimeoutError(f"{what() if callable(what) else what} after {timeout_s:g} s")
        sleep(interval_s)
