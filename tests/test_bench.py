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


def test_compared_names_the_reference_and_the_ratio_of_medians() -> None:
    fast = bench.Row("g", "fast", "msg/s", bench.Summary(5.0, 4.0, 6.0, 3), "w")
    slow = bench.Row("g", "slow", "msg/s", bench.Summary(100.0, 90.0, 110.0, 3), "w")
    assert bench.compared(fast, slow, "librdkafka").ratio == "0.05x librdkafka"
    assert bench.compared(slow, fast, "kafka-python").ratio == "20x kafka-python"
    assert bench.compared(slow, bench.Row("g", "r", "msg/s", bench.Summary(40.0, 40.0, 40.0, 1), "w"), "r").ratio == "2.5x r"
    assert bench.compared(fast, slow, "x").summary == fast.summary and fast.ratio == ""
    assert "0.05x librdkafka" in bench.format_table([bench.compared(fast, slow, "librdkafka")])


def fake_poll(batches: list[int]):
    """A poll() that returns the given batch sizes one call after another."""
    returned = iter(batches)
    return lambda: next(returned)


def test_from_first_record_leaves_out_the_first_batch_and_the_wait_before_it() -> None:
    rate, startup = bench.from_first_record(fake_poll([0, 0, 500, 500, 500]), 1500, timeout_s=10)
    assert rate > 0 and 0 <= startup <= 1
    with pytest.raises(ValueError, match="first batch"):
        bench.from_first_record(fake_poll([0, 1000]), 1000, timeout_s=10)
    with pytest.raises(TimeoutError, match="read 0 of 10"):
        bench.from_first_record(lambda: 0, 10, timeout_s=0.05)


def test_producer_ratios_pick_the_reference_of_the_same_acks_and_name_the_best() -> None:
    def row(group: str, case: str, median: float, unit: str = "msg/s") -> bench.Row:
        return bench.Row(group, case, unit, bench.Summary(median, median, median, 3), "w")

    python, rdk, one = "Kafka producer, kafka-python", "Kafka producer, confluent-kafka", "Kafka producer, one send()"
    rows = [row(python, "defaults (linger 0, 16 KiB batches)", 2000), row(python, "linger 20 ms, 1 MiB batches", 6000),
            row(python, "linger 20 ms, 1 MiB, acks=1 (no idempotence)", 9000), row(python, "flush after every message", 100),
            row(one, "kafka-python send() into its buffer", 100, "us/send"),
            row(one, "kafka-python ceiling: 1 / cost of send()", 10000),
            row(rdk, "defaults + idempotence, acks=all", 100000), row(rdk, "defaults, acks=1", 150000),
            row(rdk, "flush after every message", 1000)]
    out = {(r.group, r.case): r for r in bench._producer_ratios(rows)}
    assert out[(python, "linger 20 ms, 1 MiB batches")].ratio == "0.06x librdkafka acks=all"
    assert out[(python, "linger 20 ms, 1 MiB, acks=1 (no idempotence)")].ratio == "0.06x librdkafka acks=1"
    assert out[(python, "flush after every message")].ratio == "0.1x librdkafka flushing each"
    best = "best kafka-python, acks=all"
    assert out[(best, "linger 20 ms, 1 MiB batches / defaults")].summary.median == pytest.approx(3.0)
    assert out[(best, "linger 20 ms, 1 MiB batches / its send() ceiling")].summary.median == pytest.approx(0.6)
    assert "17x more from librdkafka" in out[(best, "linger 20 ms, 1 MiB batches / librdkafka acks=all")].note


def rows() -> list[bench.Row]:
    return [
        bench.Row("Kafka producer", "batched", "msg/s", bench.Summary(25000.0, 24000.0, 26500.0, 5), "5000 x 200 B"),
        bench.Row("latency", "RabbitMQ p99", "ms", bench.Summary(1.5, 1.25, 3.0, 5), "200 x 200 B", "one at a time"),
    ]


def test_format_table_aligns_columns() -> None:
    lines = bench.format_table(rows()).splitlines()
    assert lines[0].split() == ["group", "case", "median", "unit", "ratio", "min-max", "runs", "workload", "note"]
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

@pytest.mark.live
def test_rabbit_measurements_confirm_every_message_and_leave_the_queue_empty() -> None:
    from helpers import rabbit_io

    queue = "bench.test.smoke"
    channel = rabbit_io.open_channel()
    rabbit_io.reset(channel, queues=[queue])
    channel.queue_declare(queue, durable=True)
    try:
        assert bench.rabbit_publish_async_confirms(queue, 120, window=25) > 0
        assert bench.rabbit_publish(queue, 30, confirm_each=True) > 0
        rate, startup = bench.rabbit_consume(queue, 40, prefetch=10)
        assert rate > 0 and 0 <= startup <= 1
        assert len(bench.rabbit_latency(queue, 5)) == 5
        assert rabbit_io.depth(channel, queue) == 0
    finally:
        rabbit_io.reset(channel, queues=[queue])
        channel.connection.close()


@pytest.mark.live
def test_kafka_and_store_measurements_run(tmp_path) -> None:
    from helpers import kafka_io

    topic = "bench-test-smoke"
    kafka_io.reset_topics({topic: 1})
    try:
        assert bench.kafka_python_produce(topic, 50, flush_each=False, linger_ms=5) > 0
        for codec in ("gzip", "lz4"):
            assert bench.kafka_python_produce(topic, 30, flush_each=False, compression_type=codec, linger_ms=5) > 0
        assert bench.kafka_python_send_cost(topic, 60) > 0  # 6 chunks of 10 sends
        assert kafka_io.offsets_table(topic)["end_offset"].sum() == 1 + 50 + 2 * (1 + 30) + 1 + 60  # warm-ups too
        rate, startup = bench.kafka_python_consume(topic, 120, max_poll_records=10)
        assert rate > 0 and 0 <= startup <= 1
        assert len(bench.kafka_latency(topic, 3)) == 3
    finally:
        kafka_io.delete_topics([topic])
    assert bench.fsync_rate(tmp_path, 5) > 0 and not list(tmp_path.iterdir())
    assert bench.store_appends(tmp_path, 20) > 0
    assert bench.store_appends(tmp_path, 20, synchronous="NORMAL") > 0
    assert bench.store_append_many(tmp_path, 50) > 0
    assert bench.es_one_save(tmp_path, 30) > 0
    assert bench.store_replay(tmp_path, 50) > 0
    assert bench.es_appends(tmp_path, 10) > 0
    assert bench.es_replay(tmp_path, 30, snapshot=True) > 0


def test_least_cost_makes_every_call_in_chunks_and_reports_microseconds() -> None:
    calls: list[bytes] = []
    cost = bench.least_cost_us(calls.append, 60, chunks=6)
    assert len(calls) == 60 and all(len(c) == bench.MESSAGE_BYTES for c in calls)
    assert 0 < cost < 1e6
