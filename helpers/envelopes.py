"""Versioned event envelopes: Avro schemas per (type, version), a registry that refuses breaking
changes, and decoding that resolves a writer's schema into a reader's.

    registry = envelopes.Registry(mode="BACKWARD_TRANSITIVE")
    registry.register("MoneyDeposited", envelopes.record_schema(banking.MoneyDeposited))   # -> 1
    envelopes.can_read(reader=v2, writer=v1)          # None when compatible, else the reason
    headers = {"type": "MoneyDeposited", "version": "1"}   # what every message carries
    record = envelopes.decode(registry, headers, body, readers)   # a dict, or an EnvelopeError

The wire format: the message body is the event's fields as JSON (no type tag: that is in the
headers), every value a string, exactly as `banking.to_dict` writes them. Two headers name the
event's type and the schema version it was written with. A consumer looks the writer's schema up
in the registry and lets Avro's schema resolution turn the record into the shape it reads: fields
it does not know are dropped, fields the writer did not have take the reader's default.

`Registry` is the course's in-process stand-in for a schema registry such as Confluent Schema
Registry: it keeps versions per event type (no subjects), puts no schema id on the wire (the headers
name type and version), and no serializer consults it (a producer that skips it is not stopped). Its
compatibility modes carry Confluent's names and meanings: BACKWARD, FORWARD and FULL check the new
schema against the latest version only, their _TRANSITIVE forms against every earlier version, and
NONE checks nothing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError
from fastavro.schema import SchemaParseException
from fastavro.validation import ValidationError, validate

from helpers import banking

MODES = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE")
TYPE_HEADER, VERSION_HEADER = "type", "version"


class EnvelopeError(ValueError):
    """A message a consumer cannot read; the text says why and becomes the dead-letter reason."""


class MissingHeader(EnvelopeError):
    """The message lacks the type or version header (or it is not readable)."""


class UnknownEventType(EnvelopeError):
    """The type header names an event type the registry has never seen."""


class UnknownSchemaVersion(EnvelopeError):
    """The type is known but the version header names a schema nobody registered."""


class MalformedPayload(EnvelopeError):
    """The body is not JSON, or not a record that matches the schema its headers name."""


class SchemaRefused(ValueError):
    """A schema the registry will not register: invalid, or incompatible under the registry's mode."""


# ---------------------------------------------------------------------------------------------
# Schemas and compatibility


def record_schema(cls: type) -> dict[str, Any]:
    """The v1 Avro schema of a banking event class: one string field per dataclass field."""
    def avro_field(f: Any) -> dict[str, Any]:
        spec: dict[str, Any] = {"name": f.name, "type": "string"}
        if f.default is not MISSING:
            spec["default"] = str(f.default)
        return spec

    return {"type": "record", "name": cls.__name__, "fields": [avro_field(f) for f in fields(cls)]}


def v1_schemas() -> dict[str, dict[str, Any]]:
    """{event type: v1 schema} for every banking event type."""
    return {name: record_schema(cls) for name, cls in banking.EVENT_TYPES.items()}


def _sample(schema: Any, branch: int) -> Any:
    """A value valid for `schema`; unions and enums take their `branch`-th member (wrapping)."""
    if isinstance(schema, list):
        return _sample(schema[branch % len(schema)], branch)
    if isinstance(schema, str):
        primitives = {"null": None, "boolean": False, "int": 0, "long": 0, "float": 0.0, "double": 0.0,
                      "bytes": b"", "string": ""}
        if schema not in primitives:
            raise SchemaRefused(f"named type references are not supported here: {schema!r}")
        return primitives[schema]
    kind = schema["type"]
    if kind == "record":
        return {f["name"]: _sample(f["type"], branch) for f in schema["fields"]}
    if kind == "enum":
        return schema["symbols"][branch % len(schema["symbols"])]
    if kind == "array":
        return [_sample(schema["items"], branch)]
    if kind == "map":
        return {"key": _sample(schema["values"], branch)}
    if kind == "fixed":
        return b"\0" * schema["size"]
    return _sample(kind, branch)


def _widest_choice(schema: Any) -> int:
    """The largest number of members of any union or enum inside `schema` (1 if none)."""
    if isinstance(schema, list):
        return max(len(schema), *(_widest_choice(member) for member in schema))
    if isinstance(schema, dict):
        inner = [f["type"] for f in schema.get("fields", [])] + [schema[k] for k in ("items", "values") if k in schema]
        widths = [_widest_choice(part) for part in inner]
        if schema.get("type") == "enum":
            widths.append(len(schema["symbols"]))
        if isinstance(schema.get("type"), (list, dict)):
            widths.append(_widest_choice(schema["type"]))
        return max(widths, default=1)
    return 1


def parsed(schema: Mapping[str, Any]) -> dict[str, Any]:
    """fastavro's parsed form of a schema, or SchemaRefused saying what is wrong with it."""
    try:
        return parse_schema(dict(schema))
    except (SchemaParseException, ValueError, TypeError, KeyError) as error:
        raise SchemaRefused(f"not a valid Avro schema: {error}") from None


def can_read(reader: Mapping[str, Any], writer: Mapping[str, Any]) -> str | None:
    """None when data written with `writer` can be read with `reader` (Avro schema resolution), else why not.

    fastavro resolves schemas while it reads, so the check writes sample records with the writer's
    schema and reads them back with the reader's: one sample per member of the widest union or enum.
    """
    writer_parsed, reader_parsed = parsed(writer), parsed(reader)
    for branch in range(_widest_choice(dict(writer))):
        buffer = io.BytesIO()
        schemaless_writer(buffer, writer_parsed, _sample(dict(writer), branch))
        buffer.seek(0)
        try:
            schemaless_reader(buffer, writer_parsed, reader_parsed)
        except SchemaResolutionError as error:
            return str(error)
    return None


def compatibility_problems(mode: str, new: Mapping[str, Any], old: Mapping[int, Mapping[str, Any]]) -> list[str]:
    """Why `new` breaks `mode` against the versions in `old` ({version: schema}) it checks; empty when it passes.

    A _TRANSITIVE mode checks every version in `old`; the others check the latest only; NONE checks nothing.
    """
    if mode not in MODES:
        raise ValueError(f"unknown compatibility mode {mode!r}: use one of {', '.join(MODES)}")
    direction = mode.removesuffix("_TRANSITIVE")
    if direction == "NONE":
        return []
    checked = sorted(old.items()) if mode.endswith("_TRANSITIVE") else sorted(old.items())[-1:]
    problems = []
    for version, schema in checked:
        if direction in ("BACKWARD", "FULL") and (why := can_read(reader=new, writer=schema)):
            problems.append(f"a reader of the new schema cannot read v{version} events ({why})")
        if direction in ("FORWARD", "FULL") and (why := can_read(reader=schema, writer=new)):
            problems.append(f"a v{version} reader cannot read events of the new schema ({why})")
    return problems


@dataclass
class Registry:
    """Schemas by event type and version; `register` checks the new one in the registry's compatibility mode.

    The course's stand-in for a schema registry: no subjects, no schema ids, no serializer-side enforcement.
    """

    mode: str = "BACKWARD"
    schemas: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)

    def register(self, type_name: str, schema: Mapping[str, Any]) -> int:
        """Store `schema` as the next version of `type_name` and return that version, or SchemaRefused."""
        if not isinstance(schema, Mapping) or schema.get("type") != "record" or not isinstance(schema.get("fields"), list):
            raise SchemaRefused("an event schema must be an Avro record with a list of fields")
        parsed(schema)
        if schema.get("name") != type_name:
            raise SchemaRefused(f"the schema is named {schema.get('name')!r}, not {type_name!r}")
        versions = self.schemas.setdefault(type_name, {})
        for version, known in versions.items():
            if known == dict(schema):
                return version  # registering the same schema again is harmless
        problems = compatibility_problems(self.mode, schema, versions)
        if problems:
            raise SchemaRefused(f"{type_name} v{len(versions) + 1} refused under {self.mode} compatibility: "
                                + "; ".join(problems))
        versions[len(versions) + 1] = dict(schema)
        return len(versions)

    def schema(self, type_name: str, version: int) -> dict[str, Any]:
        """The schema `type_name` v`version` was written with, or UnknownEventType / UnknownSchemaVersion."""
        if type_name not in self.schemas:
            raise UnknownEventType(f"unknown event type {type_name!r}: the registry knows "
                                   f"{', '.join(sorted(self.schemas)) or 'no types'}")
        versions = self.schemas[type_name]
        if version not in versions:
            raise UnknownSchemaVersion(f"{type_name} has no schema version {version}: registered versions are "
                                       f"{', '.join(map(str, sorted(versions)))}")
        return versions[version]

    def latest(self, type_name: str) -> int:
        """The newest registered version of `type_name`."""
        self.schema(type_name, 1)
        return max(self.schemas[type_name])


# ---------------------------------------------------------------------------------------------
# The wire: headers and body


def to_body(event: banking.Event) -> bytes:
    """The message body of an event: its fields as JSON, without the type tag (the headers carry it)."""
    fields_only = {key: value for key, value in banking.to_dict(event).items() if key != "type"}
    return json.dumps(fields_only, ensure_ascii=False).encode()


def to_event(type_name: str, record: Mapping[str, Any]) -> banking.Event:
    """A banking event from a record read with its v1 schema."""
    return banking.from_dict({"type": type_name, **record})


def _header(headers: Mapping[str, Any], name: str) -> str:
    """A header's value as text (Kafka gives bytes, AMQP gives str or int), or MissingHeader."""
    value = headers.get(name)
    if isinstance(value, bytes):
        try:
            value = value.decode()
        except UnicodeDecodeError:
            raise MissingHeader(f"the {name!r} header is not UTF-8 text: {value!r}") from None
    if value is None or str(value).strip() == "":
        raise MissingHeader(f"no {name!r} header: every message must name its event type and schema version")
    return str(value)


def envelope(headers: Mapping[str, Any]) -> tuple[str, int]:
    """(event type, schema version) from a message's headers, or MissingHeader saying what is wrong."""
    type_name, version = _header(headers, TYPE_HEADER), _header(headers, VERSION_HEADER)
    if not version.isdigit():
        raise MissingHeader(f"the version header must be a whole number, got {version!r}")
    return type_name, int(version)


def _record(type_name: str, version: int, body: bytes, writer: Mapping[str, Any]) -> dict[str, Any]:
    """The body parsed as JSON and checked against its writer's schema, or MalformedPayload."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as error:
        raise MalformedPayload(f"{type_name} v{version}: the body is not JSON ({error})") from None
    if not isinstance(data, dict):
        raise MalformedPayload(f"{type_name} v{version}: the body must be a JSON object, got {type(data).__name__}")
    known = {f["name"]: f for f in writer["fields"]}
    missing = sorted(name for name, spec in known.items() if name not in data and "default" not in spec)
    unexpected = sorted(set(data) - set(known))
    if missing or unexpected:
        raise MalformedPayload(f"{type_name} v{version}: the body does not match its schema "
                               f"(missing: {', '.join(missing) or 'none'}; unknown: {', '.join(unexpected) or 'none'})")
    record = {name: data.get(name, spec.get("default")) for name, spec in known.items()}
    try:
        validate(record, parsed(writer), raise_errors=True)
    except ValidationError as error:
        raise MalformedPayload(f"{type_name} v{version}: {error.errors[0] if error.errors else error}") from None
    return record


def decode(registry: Registry, headers: Mapping[str, Any], body: bytes,
           readers: Mapping[str, Mapping[str, Any]]) -> tuple[str, int, dict[str, Any]]:
    """(type, version written, record in the reader's shape) for one message, or an EnvelopeError saying why not.

    `readers` holds the schema this consumer reads each type with; a type it has no reader for
    comes back as written (the consumer may simply ignore it).
    """
    type_name, version = envelope(headers)
    writer = registry.schema(type_name, version)
    record = _record(type_name, version, body, writer)
    reader = readers.get(type_name, writer)
    buffer = io.BytesIO()
    schemaless_writer(buffer, parsed(writer), record)  # Avro resolution happens while reading:
    buffer.seek(0)                                      # write with the writer's schema, read with the reader's
    try:
        return type_name, version, schemaless_reader(buffer, parsed(writer), parsed(reader))
    except SchemaResolutionError as error:
        raise MalformedPayload(f"{type_name} v{version} cannot be read with this consumer's schema: {error}") from None
