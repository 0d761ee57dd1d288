"""The compiled record check (jsonschema_rs) and jsonschema agree on every record schema.

Writes trust the compiled check and ask jsonschema only to explain a refusal, so the two must
accept and refuse the same records: missing required fields, wrong types, enum and pattern
misses, out-of-range numbers, nested objects.
"""

from __future__ import annotations

import itertools
from importlib import resources
from typing import Any

import pytest
from jsonschema.exceptions import best_match

from kv.records import _record_schema

SCHEMAS = sorted(
    entry.name.removesuffix(".schema.json")
    for entry in resources.files("schemas").joinpath("records").iterdir()
    if entry.name.endswith(".schema.json")
)

SAMPLES: list[Any] = [
    None, 0, -1, 7, 2**40, 1.5, True, "", "x", "available", "vpc-0123456789abcdef0",
    "10.0.0.0/16", "2026-01-01T00:00:00Z", "000000000001", [], ["a"], [1], {}, {"a": "b"},
]  # fmt: skip


def _candidates(schema: dict[str, Any]) -> list[Any]:
    """Records built from the schema's own property names: each property alone, each with
    every sample value, and pairs of the required ones."""
    properties = list(schema.get("properties", {}))
    required = list(schema.get("required", []))
    out: list[Any] = [{}, [], "record"]
    for name in properties:
        for value in SAMPLES:
            out.append({name: value})
            out.append({**{r: "x" for r in required}, name: value})
    for first, second in itertools.combinations(required[:6], 2):
        out.append({first: "x", second: 0})
    return out


@pytest.mark.parametrize("name", SCHEMAS)
def test_compiled_check_agrees_with_jsonschema(name: str) -> None:
    schema = _record_schema(name)
    candidates = _candidates(schema.explain.schema)
    refused = 0
    for instance in candidates:
        explained = best_match(schema.explain.iter_errors(instance))
        assert schema.check.is_valid(instance) == (explained is None), (name, instance)
        assert (schema.first_error(instance) is None) == (explained is None)
        refused += explained is not None
    assert refused > 0  # the candidates do exercise refusals
