"""The learner-play verdicts and scenarios: hand-made executions (no kernel), and small fake notebooks played in a
real kernel (no broker), showing the suite fail on a notebook that stops early and on a named fix that does not work."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nbformat
import pytest
import scenarios
from play import BROKER_CALL, CONSUMING_CALL, Execution, Learner, cell_text, verdict


def error_cell(ename: str, evalue: str, printed: str = "", frames: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    """A code cell whose outputs are an error (with traceback frames) and, optionally, what was printed after it."""
    outputs = [nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=list(frames))]
    if printed:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=printed))
    return nbformat.v4.new_code_cell(outputs=outputs)


def execution_of(cell: nbformat.NotebookNode, **flags) -> Execution:
    """An execution of notebook 07's cell 10 with that cell's outputs."""
    errors, message, warnings = cell_text(cell)
    return Execution("07_rabbitmq_fundamentals.ipynb", 10, 1.5, errors=errors, message=message, warnings=warnings,
                     **flags)


def test_a_raw_traceback_fails_and_names_the_cell() -> None:
    cell = error_cell("ValueError", "Consume with different params not allowed on existing queue consumer generator")
    result = verdict([execution_of(cell)])
    assert result.outcome == "FAILED"
    assert result.detail.startswith("07[10] ValueError: Consume with different params")


def test_an_error_naming_a_fix_still_fails_until_the_fix_was_followed_and_worked() -> None:
    told = execution_of(error_cell("AssertionError", "expected 3 records, found 0: re-run the Setup cell"))
    assert told.names_fix and verdict([told]).outcome == "FAILED"
    told.fixed = "followed 07[3], 07[10]: passed"
    result = verdict([told])
    assert result.outcome == "clear error" and result.detail.endswith("-> followed 07[3], 07[10]: passed")


def test_only_the_errors_own_message_and_the_recovery_hooks_advice_name_a_fix() -> None:
    hooked = error_cell("ChannelWrongStateError", "Channel is closed.",
                        printed="\n👉 This RabbitMQ channel is closed: re-run this notebook's Setup cell")
    assert execution_of(hooked).names_fix
    printed = error_cell("AssertionError", "expected 3, found 0", printed="to re-run it, press Shift-Enter")
    assert not execution_of(printed).names_fix
    framed = error_cell("AssertionError", "", frames=("----> 3 assert rows  # re-run the Setup cell first",))
    assert not execution_of(framed).names_fix


def test_naming_the_cell_or_section_to_run_is_a_fix() -> None:
    for advice in ("nb00.hello was empty for 5 s: run the publishing cell above, then this one",
                   "expected 24 messages, drained 0: run the cell above first",
                   "notebook 08 is running in another kernel: shut that kernel down, then re-run the Setup cells",
                   "Kafka is not reachable at 127.0.0.1:9092. Start the brokers with `make up`"):
        assert execution_of(error_cell("AssertionError", advice)).names_fix, advice
    for no_advice in ("expected 3, found 0", "run out of money", "the cell above failed"):
        assert not execution_of(error_cell("AssertionError", no_advice)).names_fix, no_advice


def test_a_warning_on_stderr_fails_the_scenario() -> None:
    cell = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "stream", name="stderr", text="/x/kafka_io.py:72: DeprecationWarning: value_deserializer is deprecated\n")])
    result = verdict([execution_of(cell)])
    assert result.outcome == "FAILED" and "warned: /x/kafka_io.py:72: DeprecationWarning" in result.detail
    ticking = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("stream", name="stderr",
                                                                        text="\ra new leader: 1 s (at most 60 s)")])
    assert verdict([execution_of(ticking)]).outcome == "ok"


def test_keyboard_interrupt_is_expected_only_after_a_deliberate_interrupt() -> None:
    interrupted = execution_of(error_cell("KeyboardInterrupt", ""), interrupted=True, expected=True)
    assert verdict([interrupted]).outcome == "ok"
    assert verdict([execution_of(error_cell("KeyboardInterrupt", ""))]).outcome == "FAILED"


def test_a_hang_fails_even_without_an_error() -> None:
    hung = execution_of(nbformat.v4.new_code_cell(), hung=True)
    result = verdict([execution_of(nbformat.v4.new_code_cell()), hung])
    assert result.outcome == "FAILED" and "hang" in result.detail


def test_clean_executions_are_ok_and_problems_found_by_the_scenario_fail() -> None:
    clean = [execution_of(nbformat.v4.new_code_cell()) for _ in range(3)]
    assert verdict(clean).outcome == "ok"
    assert verdict(clean, ["no consuming cell was still running 1 s in"]).outcome == "FAILED"


def test_broker_and_consuming_cells_are_told_apart_from_pure_ones() -> None:
    consume = "with rabbit_io.consuming(channel, q) as deliveries:\n    for m, p, body in deliveries: ..."
    assert BROKER_CALL.search(consume) and CONSUMING_CALL.search(consume)
    publish = "producer.send(topic, value=b'x').get(timeout=10)"
    assert BROKER_CALL.search(publish) and not CONSUMING_CALL.search(publish)
    assert not BROKER_CALL.search("balance = banking.replay(events)\nassert balance == Decimal('50.00')")
    quix = "windows = streaming.run(app)"
    assert BROKER_CALL.search(quix) and CONSUMING_CALL.search(quix) and not CONSUMING_CALL.search("asyncio.run(main())")


# A fake course notebook: a Setup cell, a section that publishes, and one that consumes (a list stands in for a
# broker). {consume} is the consuming cell's check; {publish} the publishing cell.
SETUP = ("class Broker:\n    def __init__(self):\n        self.queue = []\n"
         "    def send(self, value):\n        self.queue.append(value)\n"
         "    def poll(self):\n        taken, self.queue = self.queue, []\n        return taken\n\nbroker = Broker()")
PUBLISH = 'broker.send("deposit")'
CONSUME = 'events = broker.poll()\nassert events == ["deposit"], f"found {{events}}: {fix}"'


def fake_notebook(folder: Path, publish: str = PUBLISH, fix: str = "re-run the cell above, then this one") -> Path:
    """99_fake.ipynb in `folder`: Setup, section 1 publishes, section 2 consumes and names `fix` when it finds none."""
    cells = [nbformat.v4.new_markdown_cell("# 99 · Fake"), nbformat.v4.new_markdown_cell("## Setup"),
             nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_markdown_cell("## 1. Publish"),
             nbformat.v4.new_code_cell(publish), nbformat.v4.new_markdown_cell("## 2. Consume"),
             nbformat.v4.new_code_cell(CONSUME.format(fix=fix)), nbformat.v4.new_code_cell("len(events)")]
    path = folder / "99_fake.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_setup_cells_are_the_whole_setup_section_and_the_setup_cell_its_first(tmp_path: Path) -> None:
    cells = [nbformat.v4.new_markdown_cell("# 99 · Fake"), nbformat.v4.new_markdown_cell("## Setup"),
             nbformat.v4.new_code_cell("import os"), nbformat.v4.new_markdown_cell("The connection:"),
             nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_markdown_cell("## 1. Publish"),
             nbformat.v4.new_code_cell(PUBLISH), nbformat.v4.new_code_cell(CONSUME.format(fix="re-run it"))]
    path = tmp_path / "99_fake.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    learner = Learner(path)
    consume = Execution("99_fake.ipynb", 7, 0.1, errors=["ChannelWrongStateError"])
    plans = {"👉 This RabbitMQ channel is closed: re-run this notebook's Setup cells": [2, 4, 7],
             "re-run the Setup cell, then the cells from section 1": [2, 6, 7]}
    for message, plan in plans.items():
        consume.message = message
        assert learner.fix_plan(consume) == plan, message
    in_setup = Execution("99_fake.ipynb", 4, 0.1, errors=["ChannelWrongStateError"],
                         message="This RabbitMQ channel is closed: re-run this notebook's Setup cells")
    assert learner.fix_plan(in_setup) == [2, 4]


def test_the_fix_plan_follows_the_message_clause_by_clause(tmp_path: Path) -> None:
    learner = Learner(fake_notebook(tmp_path))
    consume = Execution("99_fake.ipynb", 6, 0.1, errors=["AssertionError"])
    plans = {"re-run the cell above, then this one": [4, 6], "re-run the two cells above": [2, 4, 6],
             "re-run section 1, then this cell": [4, 6], "re-run from section 1": [4, 6],
             "re-run the Setup cell and the cells from section 1": [2, 4, 6], "re-run this notebook": [2, 4, 6],
             "re-run this section from its first cell": [6], "run `make status`, then the cell above": ["stack", 4, 6],
             "re-run this section from its first consuming cell": [6], "re-run section 2 from its first cell": [6],
             "re-run section 2": [6], "re-run from section 1's publish cell": [4, 6],
             "close it or restart the kernel, then re-run this cell": ["restart", 6],
             "Kafka is not reachable. Start the brokers with `make up` (on Binder: `python -m tooling.stack up`), "
             "then re-run this notebook's Setup cell": ["stack", 2, 6],
             "found 0 of the cell above (another kernel running this notebook may have taken them): "
             "run the publishing cell above, then this one": [4, 6],
             "shut that kernel down (Kernel > Shut Down Kernel), then re-run this cell": ["kernel", 6],
             "expected 3, found 0": [], "re-run it": []}
    for message, plan in plans.items():
        consume.message = f"AssertionError: {message}"
        assert learner.fix_plan(consume) == plan, message


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """The re-run scenario played on three fake notebooks in real kernels, all at once (a kernel's start is slow)."""
    folder = tmp_path_factory.mktemp("fake")
    cases = {"fix works": {}, "fix does not work": {"fix": "re-run the Setup cell"},
             "stops early": {"publish": 'raise RuntimeError("Kafka is not reachable: start it with `make up`")'},
             "warns": {"publish": PUBLISH + '\nimport warnings\nwarnings.warn("send() is deprecated", UserWarning)'}}
    paths = {}
    for name, options in cases.items():
        (folder / name).mkdir()
        paths[name] = fake_notebook(folder / name, **options)

    async def play_all() -> list[tuple]:
        return await asyncio.gather(*(scenarios.rerun(path) for path in paths.values()))

    return dict(zip(cases, asyncio.run(play_all()), strict=True))


def test_a_fix_that_works_is_followed_and_makes_a_clear_error(played) -> None:
    top, again, twice, _ = played["fix works"]
    assert (top.outcome, twice.outcome) == ("ok", "ok")
    assert again.outcome == "clear error", again
    assert again.detail.startswith("99[6] AssertionError: found []: re-run the cell above, then this one "
                                   "-> followed 99[4], 99[6]: passed"), again


def test_a_named_fix_that_does_not_work_fails(played) -> None:
    _, again, _, _ = played["fix does not work"]
    assert again.outcome == "FAILED", again
    assert again.detail.startswith("99[6]'s fix did not work: followed 99[2], 99[6]; 99[6] AssertionError"), again


def test_a_run_all_that_stops_early_fails_even_when_the_error_names_a_fix(played) -> None:
    top, _, twice, _ = played["stops early"]
    assert top.outcome == twice.outcome == "FAILED"
    assert top.detail.startswith("Run All stopped at 99[4], before 99[7]"), top
    assert "99[4] RuntimeError: Kafka is not reachable" in top.cells[1]


def test_a_warning_in_a_fresh_run_fails_it(played) -> None:
    top, _, _, _ = played["warns"]
    assert top.outcome == "FAILED" and "99[4] warned: " in top.detail and "UserWarning" in top.detail, top


LOCKED_SETUP = ("import fcntl\nlock = open('lock', 'w')\ntry:\n    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
                "except BlockingIOError:\n    raise RuntimeError('notebook 99 is running in another kernel: "
                "shut that kernel down, then re-run this Setup cell') from None\n" + SETUP)


def test_a_refused_second_kernel_follows_its_fix_by_shutting_the_first_down(tmp_path: Path) -> None:
    path = fake_notebook(tmp_path)
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[2].source = LOCKED_SETUP
    nbformat.write(notebook, path)
    result = asyncio.run(scenarios.two_kernels(path))
    assert result.outcome == "clear error", result
    assert result.detail.startswith("99[2] RuntimeError: notebook 99 is running in another kernel") and \
        result.detail.endswith("-> followed shut the other kernel down, 99[2]: passed"), result


def test_a_consuming_cell_that_ended_before_the_interrupt_and_fails_on_its_re_run_follows_its_fix(
        tmp_path: Path) -> None:
    path = fake_notebook(tmp_path)
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(3)\nbroker.poll()"))  # interrupted
    nbformat.write(notebook, path)
    result = asyncio.run(scenarios.interrupt(path))
    assert result.outcome == "clear error", result
    assert result.detail.startswith("99[6] AssertionError: found []: re-run the cell above, then this one "
                                    "-> followed 99[4], 99[6]: passed"), result
    assert result.detail.endswith("interrupted 99[8] at 1.0 s"), result
