"""JSON records over a :class:`kv.store.Bucket`, validated against a JSON Schema on every write.

Records are JSON objects with snake_case keys, encoded compactly as Hive does. When a schema
name is given, every write is first checked against ``schemas/records/<name>.schema.json``
(draft 2020-12) and refused with :class:`RecordValidationError`, so nothing invalid is stored.
Reads are not validated: Hive may write fields or shapes we do not know yet.

A valid record (every write but a bug) is checked by ``jsonschema_rs`` (compiled; a tenth of
``jsonschema``'s cost, which was a sixth of a CreateVpc); only a record it refuses is run through
``jsonschema`` for the error AWS-style callers read (its best match and JSON path).
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from importlib import resources
from typing import Any, TypeAlias

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from kv.replica import ReplicaBucket, field_values
from kv.store import Bucket, Entry, StoreError, cas_update
from kv.turns import take_turn

__all__ = [
    "Record",
    "RecordBucket",
    "RecordDecodeError",
    "RecordMutation",
    "RecordValidationError",
    "load_validator",
]

log = logging.getLogger(__name__)

_SLICE = 1000
"""Records decoded between two turns of the event loop in a long listing."""

Record: TypeAlias = dict[str, Any]
RecordMutation: TypeAlias = Callable[[Record | None], Awaitable[Record | None] | Record | None]


class RecordValidationError(StoreError):
    """A record was refused before writing: not JSON-encodable or not matching its schema."""

    def __init__(self, message: str, *, schema: str | None = None, path: str = "") -> None:
        super().__init__(message)
        self.schema = schema
        self.path = path


class RecordDecodeError(StoreError):
    """A stored value is not a JSON object."""


@functools.cache
def load_validator(schema_name: str) -> Draft202012Validator:
    """The compiled validator for ``schemas/records/<schema_name>.schema.json`` (cached).

    Raises :class:`ValueError` when there is no such schema and
    :class:`jsonschema.SchemaError` when the schema itself is invalid.
    """
    resource = resources.files("schemas").joinpath("records", f"{schema_name}.schema.json")
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"no record schema named {schema_name!r}") from None
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


class _RecordSchema:
    """One record schema: a compiled check for the common case, ``jsonschema`` to explain."""

    def __init__(self, schema_name: str) -> None:
        self.explain = load_validator(schema_name)
        # Formats are annotations in draft 2020-12, as for jsonschema without a format checker.
        self.check = jsonschema_rs.validator_for(self.explain.schema, validate_formats=False)

    def first_error(self, instance: Any) -> ValidationError | None:
        """``None`` when ``instance`` is valid, else jsonschema's best-matching error."""
        if self.check.is_valid(instance):
            return None
        return best_match(self.explain.iter_errors(instance))


@functools.cache
def _record_schema(schema_name: str) -> _RecordSchema:
    return _RecordSchema(schema_name)


def _decode(entry: Entry, bucket: str) -> Record:
    try:
        value = json.loads(entry.value)
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
        raise RecordDecodeError(f"{bucket}/{entry.key} is not JSON: {err}") from err
    if not isinstance(value, dict):
        raise RecordDecodeError(f"{bucket}/{entry.key} is not a JSON object")
    return value


class RecordBucket:
    """JSON-object records in ``bucket``, validated against ``schema_name`` (if any) on writes."""

    def __init__(self, bucket: Bucket, schema_name: str | None) -> None:
        self._bucket = bucket
        self._schema_name = schema_name
        self._validator = _record_schema(schema_name) if schema_name is not None else None

    @property
    def bucket(self) -> Bucket:
        """The underlying byte-level bucket."""
        return self._bucket

    @property
    def schema_name(self) -> str | None:
        return self._schema_name

    def encode(self, key: str, record: Record) -> bytes:
        """Validated compact JSON of ``record``; else :class:`RecordValidationError`."""
        where = f"{self._bucket.name}/{key}"
        if not isinstance(record, dict):
            raise RecordValidationError(
                f"{where}: record must be a JSON object, not {type(record).__name__}",
                schema=self._schema_name,
            )
        try:
            data = json.dumps(record, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise RecordValidationError(
                f"{where}: record is not JSON-encodable: {err}", schema=self._schema_name
            ) from err
        if self._validator is not None:
            # Validate what will be stored (e.g. tuples became arrays), not the Python object.
            error = self._validator.first_error(json.loads(data))
            if error is not None:
                path = error.json_path
                raise RecordValidationError(
                    f"{where}: invalid {self._schema_name} record at {path}: {error.message}",
                    schema=self._schema_name,
                    path=path,
                )
        return data.encode("utf-8")

    async def get(self, key: str) -> tuple[Record, int] | None:
        """The record and its revision, or ``None``; raises :class:`RecordDecodeError`."""
        entry = await self._bucket.get(key)
        if entry is None:
            return None
        return _decode(entry, self._bucket.name), entry.revision

    async def get_many(self, keys: list[str]) -> list[tuple[str, Record, int]]:
        """``(key, record, revision)`` of those of ``keys`` that exist, in the order given
        (one consistency wait on a replica instead of one per key)."""
        if isinstance(self._bucket, ReplicaBucket):
            entries = await self._bucket.get_many(keys)
        else:
            entries = [entry for key in keys if (entry := await self._bucket.get(key)) is not None]
        return self._decoded(entries)

    def can_index(self) -> bool:
        """Whether the bucket keeps indexes (it is a :class:`kv.replica.ReplicaBucket`)."""
        return isinstance(self._bucket, ReplicaBucket)

    async def matching(
        self, criteria: Mapping[str, Iterable[Any]], group: str
    ) -> list[tuple[str, Record, int]]:
        """``(key, record, revision)`` of key group ``group`` (an account), sorted by key, whose
        every ``field`` of ``criteria`` holds one of its values (a list field: among its items;
        a dotted field reaches into nested objects, see :func:`kv.replica.field_values`); from
        the replica's indexes of those fields (made on first use), decoding only the matches.
        Only when :meth:`can_index`."""
        assert isinstance(self._bucket, ReplicaBucket)
        names = {await self._index(field): values for field, values in criteria.items()}
        return self._decoded(await self._bucket.matching(names, group))

    async def matching_keys(self, criteria: Mapping[str, Iterable[Any]], group: str) -> list[str]:
        """The sorted keys of :meth:`matching`, nothing decoded. Only when :meth:`can_index`."""
        assert isinstance(self._bucket, ReplicaBucket)
        names = {await self._index(field): values for field, values in criteria.items()}
        return await self._bucket.matching_keys(names, group)

    async def field_map(self, field: str, group: str) -> dict[str, list[Any]]:
        """Each key of key group ``group`` whose ``field`` holds a value → its values (a list
        field: its items; a dotted field as in :meth:`matching`): from the replica's index
        without decoding a record, else from the decoded records."""
        if isinstance(self._bucket, ReplicaBucket):
            return dict(await self._bucket.index_map(await self._index(field), group))
        extract = field_values(field)
        found: dict[str, list[Any]] = {}
        for key, record, _ in await self.items(f"{group}."):
            if values := list(extract(record)):
                found[key] = values
        return found

    async def keys(self, prefix: str = "") -> list[str]:
        """Keys under ``prefix``, sorted, without reading a value (``_version`` excluded)."""
        return await self._bucket.keys(prefix)

    async def _index(self, field: str) -> str:
        """The name of the replica's index of ``field``, made on first use."""
        assert isinstance(self._bucket, ReplicaBucket)
        name = f"field:{field}"
        await self._bucket.index(name, field_values(field))
        return name

    def _decoded(self, entries: list[Entry]) -> list[tuple[str, Record, int]]:
        result: list[tuple[str, Record, int]] = []
        for entry in entries:
            try:
                result.append((entry.key, _decode(entry, self._bucket.name), entry.revision))
            except RecordDecodeError as err:
                log.warning("skipping undecodable record: %s", err)
        return result

    async def create(self, key: str, record: Record) -> int:
        """Store a new record; raises :class:`kv.store.KeyExistsError` if present."""
        return await self._bucket.create(key, self.encode(key, record))

    async def put(self, key: str, record: Record) -> int:
        """Store ``record`` unconditionally."""
        return await self._bucket.put(key, self.encode(key, record))

    async def update(self, key: str, record: Record, revision: int) -> int:
        """Compare-and-swap; raises :class:`kv.store.RevisionMismatchError`."""
        return await self._bucket.update(key, self.encode(key, record), revision)

    async def delete(self, key: str, revision: int | None = None) -> None:
        """Delete (optionally only at ``revision``)."""
        await self._bucket.delete(key, revision)

    async def items(
        self, prefix: str = "", *, containing: bytes | None = None
    ) -> list[tuple[str, Record, int]]:
        """``(key, record, revision)`` under ``prefix``, sorted by key.

        Values that are not JSON objects are skipped with a warning, so one corrupt record
        cannot hide the rest of a listing. ``containing``: only values whose stored bytes hold
        it, checked before decoding (``b'"deleting"'`` finds every record with that key without
        decoding the others; the caller still checks the decoded field). A long listing is
        decoded in slices, letting other requests run between them.
        """
        entries = await self._bucket.entries(prefix)
        if containing is not None:
            entries = [entry for entry in entries if containing in entry.value]
        if len(entries) <= _SLICE:
            return self._decoded(entries)
        result: list[tuple[str, Record, int]] = []
        for start in range(0, len(entries), _SLICE):
            if start:
                await take_turn()
            result += self._decoded(entries[start : start + _SLICE])
        return result

    async def list(self, prefix: str = "", *, containing: bytes | None = None) -> list[Record]:
        """Records under ``prefix`` sorted by key (undecodable ones skipped, see :meth:`items`)."""
        return [record for _, record, _ in await self.items(prefix, containing=containing)]

    async def mutate(self, key: str, fn: RecordMutation, *, attempts: int = 20) -> Record | None:
        """Read-modify-write with compare-and-swap, retrying when another writer got in first.

        ``fn`` gets a freshly decoded copy of the current record (``None`` if absent) and returns
        the new record or ``None`` to delete; it may be ``async``. Exceptions from ``fn`` (and
        :class:`RecordValidationError`) abort without writing. Returns the stored record
        (``None`` after a delete); raises :class:`kv.store.RevisionMismatchError` after
        ``attempts`` lost races.
        """
        result: Record | None = None

        async def mutation(current: bytes | None) -> bytes | None:
            nonlocal result
            record = None
            if current is not None:
                record = _decode(Entry(key, current, 0), self._bucket.name)
            outcome = fn(record)  # freshly decoded: the caller may modify it
            new = await outcome if inspect.isawaitable(outcome) else outcome
            if new is None:
                result = None
                return None
            data = self.encode(key, new)
            result = json.loads(data)
            return data

        await cas_update(self._bucket, key, mutation, attempts=attempts)
        return result
