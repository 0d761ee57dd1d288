"""The one filter engine behind every ``Describe*``'s ``Filter.N.Name`` / ``Filter.N.Value.M``.

AWS rules reproduced:

* values of one filter are OR-ed, separate filters are AND-ed;
* values may use ``*`` (any run) and ``?`` (one character); ``\\*``, ``\\?`` and ``\\\\`` are
  literals; matching is case-sensitive;
* ``tag:<key>`` matches the value of tag ``<key>``; ``tag-key`` any tag key; ``tag-value`` any tag
  value;
* booleans compare as ``true``/``false``, numbers as their decimal text;
* a filter name the resource does not document is ``InvalidParameterValue``
  (``The filter 'foo' is invalid``) — never silently ignored, since ignoring it would return
  everything.

Each resource kind declares a :class:`FilterSpec`: a table from filter name to a function that
extracts the value(s) from a record. Legacy camelCase names the Terraform data sources still
send (``availabilityZone``, ``cidrBlock``, ``isDefault``, ...) are listed as aliases.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Generic, TypeVar

from hive_gateway.core.errors import invalid_parameter_value

T = TypeVar("T")
Extractor = Callable[[T], Any]
"""Returns a scalar, an iterable of scalars, or ``None`` (no value: never matches)."""


@dataclass(frozen=True)
class FilterSpec(Generic[T]):
    """The filters one resource kind supports."""

    fields: Mapping[str, Extractor[T]]
    tags: Callable[[T], Mapping[str, str]] | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)
    indexes: Mapping[str, str] = field(default_factory=dict)
    """Filter name → the stored record's field holding the same value (``{"vpc-id": "vpc_id"}``):
    ``describe`` answers such a filter from the replica's index of that field."""

    def extractor(self, name: str) -> Extractor[T]:
        """The value extractor for filter ``name``; raises for an unknown name."""
        canonical = self.aliases.get(name, name)
        found = self.fields.get(canonical)
        if found is not None:
            return found
        if self.tags is not None:
            tags = self.tags
            if name.startswith("tag:") and len(name) > 4:
                key = name[4:]
                return lambda item: tags(item).get(key)
            if name == "tag-key":
                return lambda item: list(tags(item).keys())
            if name == "tag-value":
                return lambda item: list(tags(item).values())
        raise invalid_parameter_value(f"The filter '{name}' is invalid")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@lru_cache(maxsize=4096)
def _pattern(value: str) -> re.Pattern[str] | str:
    """A compiled wildcard pattern, or the value itself when it has no wildcard."""
    if "*" not in value and "?" not in value and "\\" not in value:
        return value
    out: list[str] = []
    i = 0
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value) and value[i + 1] in "*?\\":
            out.append(re.escape(value[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def has_wildcard(value: str) -> bool:
    """Whether a filter value is a pattern rather than one exact value."""
    return "*" in value or "?" in value or "\\" in value


def _matches(candidates: Iterable[str], wanted: Sequence[str]) -> bool:
    patterns = [_pattern(value) for value in wanted]
    for candidate in candidates:
        for pattern in patterns:
            if isinstance(pattern, str):
                if candidate == pattern:
                    return True
            elif pattern.fullmatch(candidate):
                return True
    return False


def _candidates(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, bool, int, float)):
        return [_text(value)]
    return [_text(v) for v in value if v is not None]


def apply_filters(
    spec: FilterSpec[T], filters: Sequence[Mapping[str, Any]] | None, items: Iterable[T]
) -> list[T]:
    """The ``items`` matching every filter of ``filters`` (botocore ``Filters`` list)."""
    return compile_filters(spec, filters)(items)


def compile_filters(
    spec: FilterSpec[T], filters: Sequence[Mapping[str, Any]] | None
) -> Callable[[Iterable[T]], list[T]]:
    """:func:`apply_filters` with ``filters`` checked now (an unknown name raises here, before
    any item is seen) and applied to each batch of items the result is called with."""
    compiled: list[tuple[Extractor[T], list[str]]] = []
    for entry in filters or ():
        name = entry.get("Name")
        if not name:
            raise invalid_parameter_value("The filter 'null' is invalid")
        compiled.append((spec.extractor(str(name)), [str(v) for v in entry.get("Values") or []]))

    def keep(items: Iterable[T]) -> list[T]:
        return [
            item
            for item in items
            if all(_matches(_candidates(extract(item)), values) for extract, values in compiled)
        ]

    return keep
