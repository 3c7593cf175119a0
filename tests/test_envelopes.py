"""Versioned envelopes: compatibility rules, the registry, and bad input on the wire (unit and live)."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime

import pika
import pytest

from helpers import banking, compaction, envelopes, kafka_io, rabbit_io

V1 = envelopes.record_schema(banking.MoneyDeposited)
V2 = {**V1, "fields": [*V1["fields"], {"name": "currency", "type": "string", "default": "EUR"}]}
DEPOSIT = banking.MoneyDeposited("evt-1", "ACC-001", datetime(2026, 1, 1, 9, tzinfo=UTC), banking.money("12.50"), "cash")


def schema_with(*, add=(), drop=(), replace=None) -> dict:
    """V1 with fields added, dropped or replaced."""
    fields = [(replace or {}).get(f["name"], f) for f in V1["fields"] if f["name"] not in drop]
    return {**V1, "fields": [*copy.deepcopy(fields), *add]}


def registry() -> envelopes.Registry:
    """A backward registry holding MoneyDeposited v1 and v2."""
    reg = envelopes.Registry(mode="BACKWARD")
    assert reg.register("MoneyDeposited", V1) == 1
    assert reg.register("MoneyDeposited", V2) == 2
    return reg


def headers(type_name: str = "MoneyDeposited", version: str = "1") -> dict[str, bytes]:
    """Kafka-style headers (bytes values)."""
    return {"type": type_name.encode(), "version": version.encode()}


# --- compatibility ---

@pytest.mark.parametrize(("new", "backward", "forward"), [
    (V2, True, True),
    (schema_with(add=[{"name": "channel", "type": "string"}]), False, True),
    (schema_with(drop=["description"]), True, True),
    (schema_with(drop=["occurred_at"]), True, False),
    (schema_with(replace={"amount": {"name": "value", "type": "string", "aliases": ["amount"]}}), True, False),
    (schema_with(replace={"amount": {"name": "value", "type": "string"}}), False, False),
    (schema_with(replace={"amount": {"name": "amount", "type": "double"}}), False, False),
    (schema_with(add=[{"name": "channel", "type": ["null", "string"], "default": None}]), True, True),
])
def test_each_mode_judges_each_change(new: dict, backward: bool, forward: bool) -> None:
    for mode, expected in [("BACKWARD", backward), ("FORWARD", forward), ("FULL", backward and forward)]:
        problems = envelopes.compatibility_problems(mode, new, {1: V1})
        assert (not problems) == expected, (mode, problems)


def test_a_union_read_as_its_plain_member_is_caught_whatever_the_sample() -> None:
    optional_amount = schema_with(replace={"amount": {"name": "amount", "type": ["null", "string"], "default": None}})
    assert envelopes.can_read(reader=V1, writer=optional_amount)  # a null amount cannot become a string
    assert envelopes.can_read(reader=optional_amount, writer=V1) is None


def test_the_modes_are_confluent_schema_registry_compatibility_types() -> None:
    assert set(envelopes.MODES) == {"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
                                    "FULL", "FULL_TRANSITIVE"}
    assert envelopes.Registry().mode == "BACKWARD"  # Confluent Schema Registry's default


#: v3 drops currency and adds channel; v4 takes currency back as an ISO 4217 number. Each step reads the one before
#: it, but a v4 reader cannot read v2's string currency.
V3_NO_CURRENCY = schema_with(add=[{"name": "channel", "type": "string", "default": "branch"}])
V4_NUMERIC_CURRENCY = {**V3_NO_CURRENCY, "fields": [*V3_NO_CURRENCY["fields"],
                                                    {"name": "currency", "type": "int", "default": 978}]}


@pytest.mark.parametrize(("mode", "refused"), [("NONE", False), ("BACKWARD", False), ("BACKWARD_TRANSITIVE", True),
                                               ("FULL", False), ("FULL_TRANSITIVE", True)])
def test_only_a_transitive_mode_checks_versions_before_the_latest(mode: str, refused: bool) -> None:
    reg = envelopes.Registry(mode=mode)
    assert [reg.register("MoneyDeposited", s) for s in (V1, V2, V3_NO_CURRENCY)] == [1, 2, 3]
    if refused:
        with pytest.raises(envelopes.SchemaRefused, match=rf"v4 refused under {mode} .*cannot read v2 events"):
            reg.register("MoneyDeposited", V4_NUMERIC_CURRENCY)
    else:
        assert reg.register("MoneyDeposited", V4_NUMERIC_CURRENCY) == 4


def test_a_non_transitive_mode_checks_the_latest_version_only() -> None:
    add_channel_no_default = schema_with(add=[{"name": "channel", "type": "string"}])
    old, v3 = {1: V1, 2: add_channel_no_default}, add_channel_no_default | {"doc": "v3"}
    assert envelopes.compatibility_problems("BACKWARD", v3, old) == []  # v2 had channel: nothing else is asked
    assert envelopes.compatibility_problems("BACKWARD_TRANSITIVE", v3, old) == [
        "a reader of the new schema cannot read v1 events (No default value for field channel in MoneyDeposited)"]


def test_none_checks_nothing() -> None:
    reg = envelopes.Registry(mode="NONE")
    reg.register("MoneyDeposited", V1)
    assert reg.register("MoneyDeposited", schema_with(replace={"amount": {"name": "amount", "type": "double"}})) == 2


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown compatibility mode 'SIDEWAYS'"):
        envelopes.compatibility_problems("SIDEWAYS", V2, {1: V1})


def test_registry_refuses_a_breaking_change_and_keeps_what_it_had() -> None:
    reg = registry()
    before = copy.deepcopy(reg.schemas)
    with pytest.raises(envelopes.SchemaRefused, match=r"v3 refused under BACKWARD compatibility: a reader of the new schema cannot read v2 events "
                                                         r"\(No default value for field channel in MoneyDeposited\)$"):
        reg.register("MoneyDeposited", schema_with(add=[{"name": "channel", "type": "string"}]))
    assert reg.schemas == before
    assert reg.register("MoneyDeposited", V2) == 2  # the same schema again is harmless


def test_registry_checks_every_earlier_version() -> None:
    reg = envelopes.Registry(mode="FORWARD_TRANSITIVE")
    reg.register("MoneyDeposited", V1)
    reg.register("MoneyDeposited", schema_with(add=[{"name": "channel", "type": "string"}]))
    # v3 drops occurred_at: v1 and v2 readers both need it
    with pytest.raises(envelopes.SchemaRefused, match=r"a v1 reader .*a v2 reader"):
        reg.register("MoneyDeposited", schema_with(drop=["occurred_at"], add=[{"name": "channel", "type": "string"}]))
    assert envelopes.compatibility_problems(
        "FORWARD", schema_with(drop=["occurred_at"], add=[{"name": "channel", "type": "string"}]), reg.schemas[
            "MoneyDeposited"]) == ["a v2 reader cannot read events of the new schema (No default value for field "
                                   "occurred_at in MoneyDeposited)"]


@pytest.mark.parametrize("schema", [{"type": "record", "name": "MoneyDeposited"},
                                    {"type": "record", "name": "MoneyDeposited", "fields": [{"name": "x", "type": "money"}]},
                                    {**V1, "name": "Deposit"}])
def test_registry_refuses_invalid_or_misnamed_schemas(schema: dict) -> None:
    with pytest.raises(envelopes.SchemaRefused):
        envelopes.Registry().register("MoneyDeposited", schema)


# --- decoding ---

def test_v1_body_read_with_v2_gets_the_default_and_v2_read_with_v1_drops_the_field() -> None:
    reg = registry()
    _, _, record = envelopes.decode(reg, headers(), envelopes.to_body(DEPOSIT), {"MoneyDeposited": V2})
    assert record["currency"] == "EUR" and record["amount"] == "12.50"
    body = json.dumps({**json.loads(envelopes.to_body(DEPOSIT)), "currency": "USD"}).encode()
    type_name, version, record = envelopes.decode(reg, headers(version="2"), body, {"MoneyDeposited": V1})
    assert (type_name, version, "currency" in record) == ("MoneyDeposited", 2, False)
    assert envelopes.to_event(type_name, record) == DEPOSIT


def test_amqp_headers_with_int_version_decode() -> None:
    _, version, _ = envelopes.decode(registry(), {"type": "MoneyDeposited", "version": 1},
                                     envelopes.to_body(DEPOSIT), {})
    assert version == 1


BAD_INPUT = [
    ("unknown type", headers("MoneyPrinted"), envelopes.to_body(DEPOSIT), envelopes.UnknownEventType,
     "unknown event type 'MoneyPrinted'"),
    ("unknown version", headers(version="7"), envelopes.to_body(DEPOSIT), envelopes.UnknownSchemaVersion,
     "MoneyDeposited has no schema version 7: registered versions are 1, 2"),
    ("malformed JSON", headers(), b'{"event_id": "x", "amount": ', envelopes.MalformedPayload, "the body is not JSON"),
    ("not UTF-8", headers(), b"\xff\xfe", envelopes.MalformedPayload, "the body is not JSON"),
    ("a JSON list", headers(), b"[1, 2]", envelopes.MalformedPayload, "must be a JSON object, got list"),
    ("missing fields", headers(), b'{"event_id": "x"}', envelopes.MalformedPayload,
     "missing: account_id, amount, occurred_at"),
    ("unknown field", headers(), json.dumps({**json.loads(envelopes.to_body(DEPOSIT)), "currency": "USD"}).encode(),
     envelopes.MalformedPayload, "unknown: currency"),
    ("wrong type", headers(), json.dumps({**json.loads(envelopes.to_body(DEPOSIT)), "amount": 12.5}).encode(),
     envelopes.MalformedPayload, "MoneyDeposited.amount is <12.5>"),
    ("no headers", {}, envelopes.to_body(DEPOSIT), envelopes.MissingHeader, "no 'type' header"),
    ("version not a number", headers(version="two"), envelopes.to_body(DEPOSIT), envelopes.MissingHeader,
     "must be a whole number, got 'two'"),
]


@pytest.mark.parametrize(("case", "message_headers", "body", "error", "reason"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_gets_a_specific_error(case, message_headers, body, error, reason) -> None:
    with pytest.raises(error) as raised:
        envelopes.decode(registry(), message_headers, body, {"MoneyDeposited": V2})
    assert reason in str(raised.value)
    assert isinstance(raised.value, envelopes.EnvelopeError)


# --- live: the consumer parks every bad message with its reason and keeps going ---

def _guarded(records: list[tuple[dict, bytes]]) -> tuple[int, list[str]]:
    """Decode each (headers, body); return how many decoded and the reasons of the rest."""
    reg, decoded, reasons = registry(), 0, []
    for message_headers, body in records:
        try:
            envelopes.decode(reg, message_headers, body, {"MoneyDeposited": V2})
            decoded += 1
        except envelopes.EnvelopeError as error:
            reasons.append(str(error))
    return decoded, reasons


def _expected_reasons() -> list[str]:
    return [reason for *_, reason in BAD_INPUT]


@pytest.mark.live
def test_kafka_consumer_dead_letters_bad_input_with_reasons() -> None:
    topic, dead = f"test-envelopes-{uuid.uuid4().hex[:8]}", f"test-envelopes-dead-{uuid.uuid4().hex[:8]}"
    kafka_io.reset_topics({topic: 1, dead: 1})
    try:
        with kafka_io.producer() as producer:
            good = envelopes.to_body(DEPOSIT)
            sent = [(headers(), good)] + [(h, b) for _, h, b, *_ in BAD_INPUT] + [(headers(), good)]
            for message_headers, body in sent:
                producer.send(topic, value=body, headers=list(message_headers.items()))
            producer.flush(timeout=10)
            with kafka_io.consumer(topic, group_id=None, enable_auto_commit=False) as consumer:
                records = kafka_io.consume(consumer, max_records=len(sent), timeout_s=30)
            decoded = 0
            for record in records:
                ok, reasons = _guarded([(dict(record.headers), record.value)])
                decoded += ok
                for reason in reasons:
                    producer.send(dead, value=record.value, headers=[*record.headers, ("reason", reason.encode())])
            producer.flush(timeout=10)
        parked = compaction.read_all(dead)
        assert decoded == 2 and len(parked) == len(BAD_INPUT)
        stored = [dict(r.headers)["reason"].decode() for r in parked]
        for expected, actual in zip(_expected_reasons(), stored, strict=True):
            assert expected in actual
        assert [r.value for r in parked] == [b for _, _, b, *_ in BAD_INPUT]  # the original bytes, kept
    finally:
        kafka_io.delete_topics([topic, dead])


@pytest.mark.live
def test_rabbitmq_consumer_dead_letters_bad_input_with_reasons() -> None:
    queue, dead = f"test.envelopes.{uuid.uuid4().hex[:8]}", f"test.envelopes.dead.{uuid.uuid4().hex[:8]}"
    channel = rabbit_io.open_channel()
    try:
        for name in (queue, dead):
            channel.queue_declare(name, durable=True)
        channel.confirm_delivery()
        good = envelopes.to_body(DEPOSIT)
        sent = [(headers(), good)] + [(h, b) for _, h, b, *_ in BAD_INPUT] + [(headers(), good)]
        for message_headers, body in sent:
            amqp_headers = {k: v.decode() for k, v in message_headers.items()}
            channel.basic_publish("", queue, body, pika.BasicProperties(headers=amqp_headers))
        decoded = 0
        for method, properties, body in channel.consume(queue, inactivity_timeout=1.0):
            if method is None:
                break
            ok, reasons = _guarded([(properties.headers or {}, body)])
            if reasons:
                channel.basic_publish("", dead, body, pika.BasicProperties(
                    headers={**(properties.headers or {}), "reason": reasons[0]}))
            decoded += ok
            channel.basic_ack(method.delivery_tag)
        channel.cancel()
        parked = rabbit_io.drain(channel, dead, max_messages=len(sent))
        assert decoded == 2 and rabbit_io.depth(channel, queue) == 0
        for expected, message in zip(_expected_reasons(), parked, strict=True):
            assert expected in message.properties.headers["reason"]
        assert [m.body for m in parked] == [b for _, _, b, *_ in BAD_INPUT]
    finally:
        rabbit_io.reset(channel, queues=[queue, dead])
        channel.connection.close()
