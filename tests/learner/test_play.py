"""The learner-play verdicts, on hand-made executions: what counts as ok, a clear error, or FAILED (no kernel)."""

from __future__ import annotations

import nbformat
from play import BROKER_CALL, CONSUMING_CALL, Execution, cell_text, verdict


def error_cell(ename: str, evalue: str, printed: str = "", frames: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    """A code cell whose outputs are an error (with traceback frames) and, optionally, what was printed after it."""
    outputs = [nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=list(frames))]
    if printed:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=printed))
    return nbformat.v4.new_code_cell(outputs=outputs)


def execution_of(cell: nbformat.NotebookNode, **flags: bool) -> Execution:
    """An execution of notebook 07's cell 10 with that cell's outputs."""
    errors, text = cell_text(cell)
    return Execution("07_rabbitmq_fundamentals.ipynb", 10, 1.5, errors=errors, text=text, **flags)


def test_a_raw_traceback_fails_and_names_the_cell() -> None:
    cell = error_cell("ValueError", "Consume with different params not allowed on existing queue consumer generator")
    result = verdict([execution_of(cell)])
    assert result.outcome == "FAILED"
    assert result.detail.startswith("07[10] ValueError: Consume with different params")


def test_an_error_that_names_the_fix_is_a_clear_error() -> None:
    cell = error_cell("ChannelWrongStateError", "Channel is closed.",
                      printed="👉 This RabbitMQ channel is closed: then re-run this notebook's Setup cell")
    assert verdict([execution_of(cell)]).outcome == "clear error"


def test_naming_the_cell_or_section_to_run_is_a_fix() -> None:
    for advice in ("nb00.hello was empty for 5 s: run the publishing cell above, then this one",
                   "expected 24 messages, drained 0: run the cell above first",
                   "notebook 08 is running in another kernel: shut that kernel down, then re-run the Setup cells",
                   "Kafka is not reachable at 127.0.0.1:9092. Start the brokers with `make up`"):
        assert verdict([execution_of(error_cell("AssertionError", advice))]).outcome == "clear error", advice
    for no_advice in ("expected 3, found 0", "run out of money", "the cell above failed"):
        assert verdict([execution_of(error_cell("AssertionError", no_advice))]).outcome == "FAILED", no_advice


def test_a_fix_in_the_traceback_frames_does_not_count() -> None:
    cell = error_cell("AssertionError", "", frames=("----> 3 assert rows  # re-run the Setup cell first",))
    assert verdict([execution_of(cell)]).outcome == "FAILED"


def test_a_bare_assert_fails_and_one_with_a_message_that_says_what_to_do_does_not() -> None:
    bare = execution_of(error_cell("AssertionError", ""))
    told = execution_of(error_cell("AssertionError", "expected 3 records, found 0: re-run the Setup cell"))
    assert verdict([bare]).outcome == "FAILED"
    assert verdict([told]).outcome == "clear error"


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
