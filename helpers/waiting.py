"""Bounded waits: every loop that waits for something has a deadline, and says what it waited for.

    waiting.until(lambda: depth(channel, queue) == 3, timeout_s=5, what=f"{queue} did not reach 3 messages")
    deadline = waiting.Deadline(10)                    # for a loop that works until a point in time
    while not done and not deadline.passed(): ...
    with waiting.shown("a new leader: the controller must notice the dead broker", limit_s=60):
        ...                                            # a cell whose lesson is a wait: it ticks while it waits

This module is a foundation: it imports nothing else from `helpers`.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm

TICK_S = 0.5
SHOWN_FORMAT = "{desc}: {n:.0f} s (at most {total:.0f} s)"
#: A line SHOWN_FORMAT printed, as stderr holds it (tqdm starts each update with a carriage return).
SHOWN_LINE = re.compile(r"(?:^|[\r\n])([^\r\n]+?): \d+ s \(at most \d+ s\)")


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


@contextmanager
def _flushed(stream: TextIO) -> Iterator[None]:
    """Flush `stream` when the block ends (a kernel's stderr would otherwise reach the notebook after later prints)."""
    try:
        yield
    finally:
        stream.flush()


@contextmanager
def shown(why: str, limit_s: float, tick_s: float = TICK_S) -> Iterator[None]:
    """While the block runs, a line on stderr ticks the seconds waited: `why: 3 s (at most 60 s)`.

    For the cells whose lesson *is* a wait (a failover, a timeout): the learner sees why, and that it moves.
    The line goes to stderr, which strict nbval does not compare; `tooling.profile` finds it there (shown_reason).
    """
    started, stop = time.monotonic(), threading.Event()
    with _flushed(sys.stderr), tqdm(desc=why, total=limit_s, file=sys.stderr, mininterval=0, leave=True,
                                    bar_format=SHOWN_FORMAT) as line:
        def tick() -> None:
            while not stop.wait(tick_s):
                line.n = min(time.monotonic() - started, limit_s)
                line.refresh()

        ticker = threading.Thread(target=tick, name="waiting.shown", daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()
            line.n = min(time.monotonic() - started, limit_s)
            line.refresh()


def shown_reason(stderr: str) -> str:
    """The reason a `shown` wait printed on `stderr`, or "" if it printed none."""
    found = SHOWN_LINE.search(stderr)
    return found[1] if found else ""
