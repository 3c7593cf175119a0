"""Quix Streams on the course's Kafka: applications that stop at the end of what was written, and their reset.

    from helpers import streaming
    streaming.reset_app("nb16-daily", data_dir)              # group, changelog topics and local state gone
    app = streaming.application("nb16-daily", "nb16-transactions", data_dir)
    sdf = app.dataframe(app.topic("nb16-transactions", value_deserializer="json"))
    ...                                                      # the lesson's windows and state, typed in the notebook
    outputs = streaming.run(app)                             # returns once every record written so far is processed

A streaming application runs forever by design; a lesson needs one that stops. `application` hands Quix a
callback that stops the run when the input topic's every partition is processed up to the end offsets it had
when the application was made: no idle timeout to wait out, and the same outputs on every run. Quix keeps a
window's state in a local RocksDB folder (`state_dir`) backed by a compacted **changelog topic** per store,
named `changelog__<group>--<topic>--<store>`; `reset_app` removes both with the group's offsets.
"""

from __future__ import annotations

import shutil
import signal
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers import config, kafka_io

# confluent-kafka's schema-registry client (which Quix Streams imports) loads authlib's httpx integration, and
# authlib 1.9 warns at that import that it prefers the httpx2 package: not ours to fix, and no lesson's business.
# authlib's own import puts an "always" filter for its warnings first, so it is imported before ours goes in front.
with warnings.catch_warnings():
    import authlib.deprecate  # noqa: F401
    warnings.filterwarnings("ignore", message="The httpx module is deprecated", category=DeprecationWarning)
    from quixstreams import Application

#: The longest a run waits for a record before it gives up (a safety bound; a run normally ends at the end offsets).
IDLE_TIMEOUT_S = 30.0
POLL_TIMEOUT_S = 0.2


def stop_at_end(app_ref: list[Application], topic: str) -> Callable[[str, int, int], None]:
    """A Quix `on_message_processed` callback that stops the app once `topic` is processed to today's end offsets."""
    remaining = {partition: end for partition, end in kafka_io.end_offsets(topic).items() if end > 0}

    def processed(name: str, partition: int, offset: int) -> None:
        if name == topic and remaining.get(partition, 0) <= offset + 1:
            remaining.pop(partition, None)
            if not remaining:
                app_ref[0].stop()

    return processed


def application(group: str, topic: str, state_dir: Path, **options: Any) -> Application:
    """A Quix Application on the course's Kafka that reads `topic` from the start and stops at its end offsets."""
    holder: list[Application] = []
    app = Application(broker_address=config.load().kafka_bootstrap_servers, consumer_group=group,
                      auto_offset_reset="earliest", state_dir=str(state_dir), loglevel="WARNING",
                      consumer_poll_timeout=POLL_TIMEOUT_S, on_message_processed=stop_at_end(holder, topic), **options)
    holder.append(app)
    return app


def run(app: Application) -> list[dict[str, Any]]:
    """Run `app` until its input is processed (at most IDLE_TIMEOUT_S without a record); its outputs with their keys.

    Quix takes over SIGINT and SIGTERM for the run and never gives them back, and a Ctrl+C (Jupyter's Interrupt) only
    stops it gracefully, returning what it had so far. Here the kernel's handlers come back after the run, and an
    interrupted run raises KeyboardInterrupt instead of handing a cell partial results.
    """
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        outputs = app.run(timeout=IDLE_TIMEOUT_S, metadata=True)
        # Quix's SIGINT handler is a method of the app; after a Ctrl+C it puts Python's default handler back.
        interrupted = getattr(signal.getsignal(signal.SIGINT), "__self__", None) is not app
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])
    if interrupted:
        raise KeyboardInterrupt("the application was interrupted and stopped: re-run this cell")
    return outputs


def reset_app(group: str, state_dir: Path) -> list[str]:
    """Forget an application: its group's offsets, its changelog and repartition topics, its local state folder."""
    kafka_io.reset_group(group)
    with kafka_io.admin() as client:
        internal = [name for name in client.list_topics() if f"__{group}--" in name]
    shutil.rmtree(state_dir / group, ignore_errors=True)
    return kafka_io.delete_topics(internal)
