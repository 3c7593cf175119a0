"""pytest settings shared by the helpers' tests and the nbval notebook run."""

from __future__ import annotations


def pytest_collectstart(collector) -> None:
    """Skip stderr when nbval compares notebook outputs.

    stderr carries tqdm progress bars (with rates and elapsed times) and library log lines
    (kafka-python's rebalance and retry warnings) whose timing varies from run to run. Errors still
    fail the run: an exception is an `error` output, which nbval always compares.
    """
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
