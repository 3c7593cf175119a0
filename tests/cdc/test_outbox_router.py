"""Debezium's outbox router end to end on the CDC profile (`make test-cdc` starts it): one row committed to an
`outbox` table in PostgreSQL comes out of Kafka on its aggregate type's topic, keyed by the aggregate id, with
the event id in a header. Every run uses names of its own (table, slot, publication, topics), and removes them.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from kafka import KafkaConsumer, TopicPartition

from helpers import clients, config
from tooling.stack import native_connect, probe

pytestmark = pytest.mark.live
T = TypeVar("T")
READY_S = 60.0  # connector registered -> its task streaming from the slot
DELIVERED_S = 60.0  # commit -> the routed event read from Kafka


def rest(method: str, path: str, body: dict[str, object] | None = None) -> Any:
    """One call to Kafka Connect's REST API; the decoded JSON reply (None for an empty one)."""
    settings = clients.require_connect()
    request = urllib.request.Request(f"{settings.connect_url}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else None


def until(condition: Callable[[], T], timeout_s: float, what: str) -> T:
    """Poll `condition()` until it returns something truthy (bounded); return it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise TimeoutError(f"{what} within {timeout_s:.0f} s")


@dataclass(frozen=True)
class Names:
    """This run's own table, slot, publication, connector and topic prefix."""

    suffix: str

    @property
    def table(self) -> str:
        return f"outbox_{self.suffix}"

    @property
    def slot(self) -> str:
        return f"course_test_{self.suffix}"

    @property
    def connector(self) -> str:
        return f"course-test-outbox-{self.suffix}"

    def topic(self, aggregate_type: str) -> str:
        return f"course.cdc-test-{self.suffix}.{aggregate_type}"


def connector_config(names: Names, settings: config.Settings) -> dict[str, str]:
    """Debezium's PostgreSQL connector on the run's table through pgoutput, with the outbox EventRouter."""
    return {
        "connector.class": native_connect.POSTGRES_CONNECTOR,
        "plugin.name": "pgoutput",
        "database.hostname": settings.postgres_host,
        "database.port": str(settings.postgres_port),
        "database.user": settings.postgres_user,
        "database.password": settings.postgres_password,
        "database.dbname": settings.postgres_database,
        "topic.prefix": f"course-cdc-test-{names.suffix}",
        "slot.name": names.slot,
        "publication.name": names.slot,
        "publication.autocreate.mode": "filtered",
        "table.include.list": f"public.{names.table}",
        "snapshot.mode": "no_data",
        "tombstones.on.delete": "false",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "transforms": "outbox",
        "transforms.outbox.type": "io.debezium.transforms.outbox.EventRouter",
        "transforms.outbox.route.topic.replacement": names.topic("${routedByValue}"),
    }


@pytest.fixture
def names() -> Iterator[Names]:
    """The run's names; afterwards its connector, slot, publication and table are removed."""
    run = Names(uuid.uuid4().hex[:8])
    yield run
    try:
        rest("DELETE", f"/connectors/{run.connector}")
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise
    with clients.connect_postgres(autocommit=True) as connection:
        def released() -> bool:
            row = connection.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s",
                                     (run.slot,)).fetchone()
            return row is None or row[0] is False

        until(released, 30, "the slot released by the deleted connector")
        connection.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                           "WHERE slot_name = %s AND NOT active", (run.slot,))
        connection.execute(f"DROP PUBLICATION IF EXISTS {run.slot}")
        connection.execute(f"DROP TABLE IF EXISTS {run.table}")


def test_the_profile_answers_its_round_trips() -> None:
    postgres, connect = probe.postgres_round_trip(), probe.connect_round_trip()
    assert postgres.ok and "wal_level=logical" in postgres.detail, postgres.detail
    assert connect.ok, connect.detail


@pytest.mark.parametrize("name", ["postgres", "connect"])
def test_the_profile_listens_on_loopback_only(name: str) -> None:
    settings = config.load()
    port = settings.postgres_port if name == "postgres" else settings.connect_port
    addresses = probe.listening_addresses(port)
    assert addresses and addresses <= probe.LOOPBACK_ADDRESSES, f"{name} port {port} listens at {addresses}"


def test_an_outbox_row_comes_out_routed_keyed_and_with_its_event_id(names: Names) -> None:
    settings = config.load()
    with clients.connect_postgres(autocommit=True) as connection:
        connection.execute(f"CREATE TABLE {names.table} (id uuid PRIMARY KEY, aggregatetype text NOT NULL, "
                           f"aggregateid text NOT NULL, type text NOT NULL, payload jsonb NOT NULL)")
    rest("POST", "/connectors", {"name": names.connector, "config": connector_config(names, settings)})

    def streaming() -> bool:
        try:
            tasks = rest("GET", f"/connectors/{names.connector}/status")["tasks"]
        except urllib.error.HTTPError as error:
            if error.code == 404:  # created, its status not written back yet
                return False
            raise
        assert not [t for t in tasks if t["state"] == "FAILED"], tasks
        with clients.connect_postgres() as connection:
            slot = connection.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s",
                                      (names.slot,)).fetchone()
        return bool(tasks) and tasks[0]["state"] == "RUNNING" and slot == (True,)

    until(streaming, READY_S, "the connector's task RUNNING and its slot active")

    event_id, account = uuid.uuid4(), f"acc-{names.suffix}"
    payload = {"account": account, "amount": 25}
    with clients.connect_postgres() as connection, connection.transaction():
        connection.execute(f"INSERT INTO {names.table} (id, aggregatetype, aggregateid, type, payload) "
                           f"VALUES (%s, 'Account', %s, 'Deposited', %s)", (event_id, account, json.dumps(payload)))
    committed = time.monotonic()

    topic = names.topic("Account")
    with KafkaConsumer(**clients.kafka_connection(settings), enable_auto_commit=False) as consumer:
        until(lambda: topic in consumer.topics(), DELIVERED_S, f"topic {topic} created by the router")
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        records = until(lambda: consumer.poll(timeout_ms=500).get(partition), DELIVERED_S, f"an event on {topic}")
    latency_ms = (time.monotonic() - committed) * 1000
    assert len(records) == 1, records
    record = records[0]
    assert record.key == account.encode(), "keyed by the aggregate id: one account's events stay in order"
    headers = dict(record.headers)
    assert headers["id"].decode().strip('"') == str(event_id), headers
    assert json.loads(record.value) == payload
    print(f"commit -> consumer: {latency_ms:.0f} ms (topic {topic})")
