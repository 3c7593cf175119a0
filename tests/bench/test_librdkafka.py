"""`make bench`'s librdkafka measurements run on the live broker and clean up (`make test-bench`: the bench extra).

Not in tests/test_bench.py: the course's own venv has no confluent-kafka, so there the test could only skip.
"""

from __future__ import annotations

import confluent_kafka  # noqa: F401  (the bench extra: a missing one fails here, it does not skip)
import pytest

from helpers import kafka_io
from tooling import bench


@pytest.mark.live
def test_librdkafka_measurements_run() -> None:
    topic = "bench-test-smoke-librdkafka"
    kafka_io.reset_topics({topic: 1})
    try:
        assert bench.confluent_produce(topic, 200, flush_each=False, **{"enable.idempotence": True}) > 0
        assert bench.confluent_send_cost(topic, 60) > 0  # 6 chunks of 10 produce() calls
        rate, startup = bench.confluent_consume(topic, 200, batch=20)
        assert rate > 0 and 0 <= startup <= 1
        assert kafka_io.offsets_table(topic)["end_offset"].sum() == 1 + 200 + 1 + 60  # warm-ups too
    finally:
        kafka_io.delete_topics([topic])
