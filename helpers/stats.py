"""Small statistics for measurements: nearest-rank percentiles and the median of several runs."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0 < q <= 100) by the nearest-rank method: a value that actually occurred."""
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 < q <= 100:
        raise ValueError(f"q must be in (0, 100], got {q}")
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class Summary:
    """The median of several runs and their spread."""

    median: float
    low: float
    high: float
    runs: int

    @property
    def spread_pct(self) -> float:
        """(max - min) as a percentage of the median (0 when the median is 0)."""
        return 0.0 if self.median == 0 else 100 * (self.high - self.low) / self.median


def summarise(samples: Sequence[float]) -> Summary:
    """Median, min and max of the runs."""
    if not samples:
        raise ValueError("summarise needs at least one run")
    return Summary(statistics.median(samples), min(samples), max(samples), len(samples))
