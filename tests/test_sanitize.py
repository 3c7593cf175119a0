"""Each rule of notebooks/sanitize.cfg masks the one figure it names, and a regression around it still fails nbval."""

from __future__ import annotations

import json
import re

import pytest
from nbval.plugin import get_sanitize_patterns

from helpers.config import PROJECT_ROOT

PATTERNS = get_sanitize_patterns((PROJECT_ROOT / "notebooks" / "sanitize.cfg").read_text())
NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def sanitize(text: str) -> str:
    """The text as nbval compares it: every rule applied in order, as nbval's own sanitize() does."""
    for regex, replace in PATTERNS:
        text = re.sub(regex, replace, text)
    return text


def same(stored: str, fresh: str) -> bool:
    """Whether nbval would take `fresh` for the `stored` output."""
    return sanitize(stored) == sanitize(fresh)


def stored_texts() -> list[str]:
    """Every text output stored in the notebooks (stdout and text/plain), one string per output."""
    texts = []
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            for output in cell.get("outputs", []):
                text = output.get("text") or output.get("data", {}).get("text/plain")
                if text and output.get("name") != "stderr":
                    texts.append("".join(text))
    return texts


def test_there_are_exactly_the_rules_this_file_tests() -> None:
    assert len(PATTERNS) == 2, PATTERNS


@pytest.mark.parametrize("regex", [regex for regex, _ in PATTERNS])
def test_every_rule_masks_something_a_notebook_stores(regex: str) -> None:
    assert any(re.search(regex, text) for text in stored_texts()), f"a dead rule: {regex} matches no stored output"


@pytest.mark.parametrize("line", ["Kafka bootstrap servers: 127.0.0.1:{}", "RabbitMQ at:             127.0.0.1:{}",
                                  "broker 1 listens at 127.0.0.1:{} (fenced: False)",
                                  "management UI: http://127.0.0.1:{}/ → Exchanges"])
def test_a_labelled_port_is_masked_and_nothing_else_around_it(line: str) -> None:
    assert same(line.format(9092), line.format(28092))
    assert not same(line.format(9092), line.format(9092).replace("127.0.0.1", "10.0.0.1")), "the host is compared"
    assert not same(line.format(9092), line.format(9092) + " (wrong)"), "the rest of the line is compared"


def test_an_unlabelled_address_is_compared_as_it_is() -> None:
    # 00's failing-fast demo names the address it dialled: a change of it must fail, whatever the port block
    stored = "Kafka is not reachable at 127.0.0.1:1 (Connection refused)."
    assert not same(stored, stored.replace("127.0.0.1:1", "127.0.0.1:9092"))


def test_the_group_commit_time_is_masked_but_its_count_is_compared() -> None:
    stored = "2,862 events appended in one commit, in 0.21 s"
    assert same(stored, stored.replace("0.21", "30.00"))  # 01's cell asserts the time itself, against an fsync each
    assert not same(stored, stored.replace("2,862", "2,861"))


@pytest.mark.parametrize(("stored", "regressed"), [
    ("both brokers: p50 latency under 100 ms", "both brokers: p50 latency under 1000 ms"),  # 09's threshold
    ("session_timeout_ms=6000", "session_timeout_ms=45000"),
    ("compaction showed after 1.1 s", "compaction showed after 30.0 s"),
    ("<0x7f3a2b1c4d5e>", "<0x7f3a2b1c4d5f>"),
])
def test_a_bare_duration_or_id_is_compared_as_it_is(stored: str, regressed: str) -> None:
    assert not same(stored, regressed)
