"""The pure parts of `make bench`: statistics, ratio rows, the text table and the CSV (no brokers, no timing)."""

from __future__ import annotations

import csv

import pytest

from tooling import bench


def test_percentile_is_nearest_rank_and_returns_a_sample() -> None:
    samples = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert bench.percentile(samples, 50) == 3.0
    assert bench.percentile(samples, 100) == 5.0
    assert bench.percentile(samples, 1) == 1.0
    hundred = [float(i) for i in range(100, 0, -1)]
    assert bench.percentile(hundred, 99) == 99.0
    assert bench.percentile(hundred, 99.5) == 100.0
    assert bench.percentile([7.0], 99) == 7.0


@pytest.mark.parametrize("q", [0, -5, 101])
def test_percentile_refuses_out_of_range_q(q: float) -> None:
    with pytest.raises(ValueError):
        bench.percentile([1.0, 2.0], q)


def test_percentile_refuses_no_samples() -> None:
    with pytest.raises(ValueError):
        bench.percentile([], 50)


def test_summarise_gives_median_and_spread() -> None:
    summary = bench.summarise([10.0, 30.0, 20.0, 50.0, 40.0])
    assert (summary.median, summary.low, summary.high, summary.runs) == (30.0, 10.0, 50.0, 5)
    assert summary.spread_pct == pytest.approx(100 * 40 / 30)
    assert bench.summarise([4.0, 2.0]).median == 3.0
    assert bench.Summary(0.0, 0.0, 0.0, 1).spread_pct == 0.0
    with pytest.raises(ValueError):
        bench.summarise([])


def test_repeat_calls_the_measurement_runs_times() -> None:
    values = iter([3.0, 1.0, 2.0])
    assert bench.repeat(lambda: next(values), 3) == bench.Summary(2.0, 1.0, 3.0, 3)


def test_human_numbers() -> None:
    assert bench.human(123456.7) == "123,457"
    assert bench.human(42.25) == "42.2"
    assert bench.human(0.061) == "0.06"


def test_ratio_row_divides_medians_and_widens_the_range() -> None:
    fast = bench.Row("g", "fast", "msg/s", bench.Summary(100.0, 90.0, 110.0, 5), "1000 x 200 B")
    slow = bench.Row("g", "slow", "msg/s", bench.Summary(10.0, 8.0, 12.5, 5), "1000 x 200 B")
    ratio = bench.ratio_row("ratios", "fast / slow", fast, slow, "note")
    assert ratio.unit == "x"
    assert ratio.summary.median == pytest.approx(10.0)
    assert ratio.summary.low == pytest.approx(90.0 / 12.5)
    assert ratio.summary.high == pytest.approx(110.0 / 8.0)
    assert ratio.summary.runs == 5


def rows() -> list[bench.Row]:
    return [
        bench.Row("Kafka producer", "batched", "msg/s", bench.Summary(25000.0, 24000.0, 26500.0, 5), "5000 x 200 B"),
        bench.Row("latency", "RabbitMQ p99", "ms", bench.Summary(1.5, 1.25, 3.0, 5), "200 x 200 B", "one at a time"),
    ]


def test_format_table_aligns_columns() -> None:
    lines = bench.format_table(rows()).splitlines()
    assert lines[0].split() == ["group", "case", "median", "unit", "min-max", "runs", "workload", "note"]
    assert set(lines[1]) == {"-"}
    assert "25,000" in lines[2] and "24,000-26,500" in lines[2] and "5000 x 200 B" in lines[2]
    assert "1.50" in lines[3] and "1.25-3.00" in lines[3] and lines[3].endswith("one at a time")
    # columns start at the same position on every line
    assert lines[2].index("msg/s") == lines[3].index("ms") == lines[0].index("unit")
    assert lines[2].index("batched") == lines[3].index("RabbitMQ p99") == lines[0].index("case")


def test_write_csv_keeps_raw_numbers(tmp_path) -> None:
    path = bench.write_csv(rows(), tmp_path / "out" / "bench.csv")
    with path.open() as handle:
        read = list(csv.DictReader(handle))
    assert [r["case"] for r in read] == ["batched", "RabbitMQ p99"]
    assert float(read[0]["median"]) == 25000.0 and float(read[1]["max"]) == 3.0
    assert read[1]["runs"] == "5" and read[1]["unit"] == "ms"


# --- live smoke tests: each measurement runs on the brokers and cleans up (rates are not asserted) ---

def test_rabbit_measurements_confirm_every_message_and_leave_the_queue_empty() -> None:
    from helpers import rabbit_io

    queue = "bench.test.smoke"
    channel = rabbit_io.open_channel()
    rabbit_io.reset(channel, queues=[queue])
    channel.queue_declare(queue, durable=True)
    try:
        assert bench.rabbit_publish_async_confirms(queue, 120, window=25) > 0
        assert bench.rabbit_publish(queue, 30, confirm_each=True) > 0
        assert bench.rabbit_consume(queue, 40, prefetch=10) > 0
        assert len(bench.rabbit_latency(queue, 5)) == 5
        assert rabbit_io.depth(channel, queue) == 0
    finally:
        rabbit_io.reset(channel, queues=[queue])
        channel.connection.close()


def test_kafka_and_store_measurements_run(tmp_path) -> None:
    from helpers import kafka_io

    topic = "bench-test-smoke"
    kafka_io.reset_topics({topic: 1})
    try:
        assert bench.kafka_python_produce(topic, 50, flush_each=False, linger_ms=5) > 0
        assert bench.kafka_python_consume(topic, 50) > 0
        assert len(bench.kafka_latency(topic, 3)) == 3
    finally:
        kafka_io.delete_topics([topic])
    assert bench.store_appends(tmp_path, 20) > 0
    assert bench.store_replay(tmp_path, 50) > 0
    assert bench.es_appends(tmp_path, 10) > 0
    assert bench.es_replay(tmp_path, 30, snapshot=True) > 0
