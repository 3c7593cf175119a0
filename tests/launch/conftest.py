"""The launch and browser checks are slow and start their own processes: run them only when named.

`pytest tests` (and so `make test`) skips this folder; `make test-launch` and `make test-browser` name their
files, e.g. `pytest tests/launch/test_binder_launch.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def named_explicitly(config: pytest.Config) -> bool:
    """True when a command-line argument points into this folder."""
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Ignore this folder's test files unless the command line names this folder or one of them."""
    if collection_path.name.startswith("test_") and not named_explicitly(config):
        return True
    return None
