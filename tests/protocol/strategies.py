"""Hypothesis strategies for values of any botocore shape.

``values_for(shape, options)`` draws a Python value that botocore's parameter validator accepts
for ``shape`` and that fits the model's constraints the gateway checks:

* **structure**: every required member plus a random subset of the optional ones;
* **list**: 0–3 items (within the shape's ``min``/``max``);
* **map**: 0–3 entries with distinct keys;
* **string**: XML-safe text (no surrogates, no control characters XML 1.0 forbids, no
  U+FFFE/U+FFFF), biased towards characters that are special in XML and form encoding;
  an enum's values when the shape has one; lengths within ``min``/``max``;
* **integer/long**: within the shape's ``min``/``max`` and within 32/64 bits;
* **boolean**; **float/double**: finite, within ``min``/``max``;
* **timestamp**: aware UTC datetimes, half of them with microseconds;
* **blob**: bytes.

Recursive shapes are guarded by a depth budget: below it, structures carry only their required
members (or a single member when they must not be empty) and lists/maps only their minimum size.

The wire forms lose some values by nature, so :class:`Options` says which empty containers may
be generated:

* request side (:func:`input_params`): a structure or map with nothing in it sends no fields at
  all, so it would come back absent; the **ec2** protocol also sends nothing for an empty list
  (the **query** protocol sends ``Name=``, which round-trips). Those are generated non-empty.
* response side (:func:`output_result`): every empty container is written (``<vpcSet/>``) and
  botocore reads it back, so anything goes — except an empty *flattened* list or map, which has
  no element of its own and so is not in the XML at all (ec2 and sts have none).
"""

from __future__ import annotations

import os
import string
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import cache
from typing import Any

from botocore.model import (
    ListShape,
    MapShape,
    OperationModel,
    ServiceModel,
    Shape,
    StructureShape,
)
from hypothesis import strategies as st

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)

#: Characters XML 1.0 cannot carry (besides surrogates, excluded by category).
XML_INVALID_CHARS = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\ufffe\uffff"

#: Characters most likely to break escaping, on the wire or in XML.
SPECIAL_CHARS = "&<>\"'\r\n\t %+=.;/?#[]\\\x7f\x85\u2028\ufeff\U0001f600"

_CONTAINERS = (StructureShape, ListShape, MapShape)

xml_chars = st.one_of(
    st.sampled_from(SPECIAL_CHARS),
    st.sampled_from(string.ascii_letters + string.digits + "-_:"),
    st.characters(exclude_categories=("Cs",), exclude_characters=XML_INVALID_CHARS),
)

#: Default timestamp range. Years below 1000 are excluded on the request side because botocore
#: formats them with ``strftime("%Y")``, which does not zero-pad (``999-01-01T…``): botocore
#: itself sends an invalid ISO-8601 timestamp there.
MIN_TIMESTAMP = datetime(1000, 1, 1)
MAX_TIMESTAMP = datetime(9999, 12, 31, 23, 59, 59, 999999)


@dataclass(frozen=True)
class Options:
    """What a drawn value may contain."""

    #: May a list be empty (``[]``)? False for ec2 requests, where an empty list is not sent.
    empty_lists: bool = True
    #: May a structure or map be empty? False for requests: nothing would be sent for it.
    empty_structures: bool = True
    #: May a *flattened* list or map be empty? False for responses: it has no element of its own,
    #: so an empty one is not in the XML at all.
    empty_flattened: bool = True
    #: Nesting budget; each structure/list/map level spends one. Once spent, structures carry
    #: only required members and lists/maps only their minimum size.
    depth: int = 8
    #: Largest list or map drawn (unless the shape's ``min`` asks for more).
    max_items: int = 3
    #: Longest string drawn (unless the shape's ``min`` asks for more).
    max_string: int = 16
    min_timestamp: datetime = MIN_TIMESTAMP
    max_timestamp: datetime = MAX_TIMESTAMP


REQUEST_OPTIONS = {
    "ec2": Options(empty_lists=False, empty_structures=False),
    "query": Options(empty_lists=True, empty_structures=False),
}
RESPONSE_OPTIONS = Options(empty_flattened=False, min_timestamp=datetime(1, 1, 1))


def input_params(operation: OperationModel) -> st.SearchStrategy[dict[str, Any]]:
    """Parameters for ``operation`` that survive the trip over its protocol's wire unchanged."""
    shape = operation.input_shape
    if shape is None:
        return st.just({})
    protocol = str(operation.metadata["protocol"])
    options = REQUEST_OPTIONS[protocol]
    # The top-level input may be empty: the Action/Version fields are still sent.
    return structures(shape, options, top=True)


def output_result(operation: OperationModel) -> st.SearchStrategy[dict[str, Any]]:
    """A result dict for ``operation``'s output shape (``{}`` when it has none)."""
    shape = operation.output_shape
    if shape is None:
        return st.just({})
    return structures(shape, RESPONSE_OPTIONS, top=True)


#: Strategies built so far, by model, shape name and options: building one is far costlier than
#: drawing from it, and every draw of a structure would otherwise rebuild all its members'.
_STRATEGIES: dict[tuple[int, str, Options, bool], st.SearchStrategy[Any]] = {}


def _cached(
    shape: Shape, options: Options, build: Callable[[], st.SearchStrategy[Any]], top: bool = False
) -> st.SearchStrategy[Any]:
    # Shape names are unique within a model; the resolver stands for the model (it lives as long
    # as the cached ServiceModel does).
    key = (id(getattr(shape, "_shape_resolver", None)), shape.name, options, top)
    strategy = _STRATEGIES.get(key)
    if strategy is None:
        strategy = _STRATEGIES[key] = build()
    return strategy


def values_for(shape: Shape, options: Options = Options()) -> st.SearchStrategy[Any]:
    """A value of ``shape``; containers follow ``options``."""
    if isinstance(shape, StructureShape):
        return structures(shape, options)
    if isinstance(shape, ListShape):
        return lists(shape, options)
    if isinstance(shape, MapShape):
        return maps(shape, options)
    return _cached(shape, options, lambda: scalars(shape, options))


def _container_bounds(shape: Shape, options: Options, may_be_empty: bool) -> tuple[int, int]:
    low = int(shape.metadata.get("min", 0))
    if shape.serialization.get("flattened") and not options.empty_flattened:
        may_be_empty = False
    if not may_be_empty:
        low = max(low, 1)
    high = int(shape.metadata.get("max", options.max_items))
    high = max(low, min(high, options.max_items))
    if options.depth <= 0:
        high = low
    return low, high


def _lazy(shape: Shape, options: Options) -> st.SearchStrategy[Any]:
    """``values_for`` built on first draw, so recursive shapes build no infinite strategy."""
    return st.deferred(lambda: values_for(shape, options))


def _deeper(options: Options) -> Options:
    return replace(options, depth=max(options.depth - 1, 0))


def lists(shape: ListShape, options: Options) -> st.SearchStrategy[list[Any]]:
    def build() -> st.SearchStrategy[list[Any]]:
        low, high = _container_bounds(shape, options, options.empty_lists)
        member = shape.member
        return st.lists(_lazy(member, _deeper(options)), min_size=low, max_size=high)

    return _cached(shape, options, build)


def maps(shape: MapShape, options: Options) -> st.SearchStrategy[dict[Any, Any]]:
    def build() -> st.SearchStrategy[dict[Any, Any]]:
        low, high = _container_bounds(shape, options, options.empty_structures)
        values = _lazy(shape.value, _deeper(options))
        return st.dictionaries(scalars(shape.key), values, min_size=low, max_size=high)

    return _cached(shape, options, build)


def structures(
    shape: StructureShape, options: Options, *, top: bool = False
) -> st.SearchStrategy[dict[str, Any]]:
    """Every required member plus a random subset of the optional ones.

    A structure that must not be empty (``empty_structures=False``) and has no required member
    gets at least one optional member. Once the depth budget is spent only required members are
    drawn (or, for a structure that must not be empty, one member, preferably a scalar).
    """
    return _cached(shape, options, lambda: _build_structure(shape, options, top), top)


def _build_structure(
    shape: StructureShape, options: Options, top: bool
) -> st.SearchStrategy[dict[str, Any]]:
    members = shape.members
    names = list(members)
    required = [name for name in shape.required_members if name in members]
    optional = [name for name in names if name not in required]
    deeper = _deeper(options)
    member_values = {name: _lazy(members[name], deeper) for name in names}
    may_be_empty = top or options.empty_structures
    if options.depth <= 0 and not top:
        forced: list[str] = []
        if not required and not may_be_empty and members:
            # Must not be empty: prefer a scalar member, which ends the recursion.
            forced = [min(names, key=lambda name: isinstance(members[name], _CONTAINERS))]
        subsets: st.SearchStrategy[list[str]] = st.just(forced)
    else:
        min_optional = 0 if (required or may_be_empty or not optional) else 1
        subsets = st.lists(
            st.sampled_from(optional) if optional else st.nothing(),
            min_size=min_optional,
            max_size=len(optional),
            unique=True,
        )

    @st.composite
    def draw_structure(draw: st.DrawFn) -> dict[str, Any]:
        chosen = draw(subsets)
        result: dict[str, Any] = {}
        for name in [*required, *sorted(chosen, key=names.index)]:
            result[name] = draw(member_values[name])
        return result

    return draw_structure()


def scalars(shape: Shape, options: Options = Options()) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    meta = shape.metadata
    if kind in ("string", "character"):
        enum = getattr(shape, "enum", None)
        if enum:
            return st.sampled_from(list(enum))
        low = int(meta.get("min", 0))
        high = max(low, min(int(meta.get("max", options.max_string)), low + options.max_string))
        return st.text(xml_chars, min_size=low, max_size=high)
    if kind in ("integer", "long"):
        bits_low, bits_high = INT64 if kind == "long" else INT32
        low = max(int(meta.get("min", bits_low)), bits_low)
        high = min(int(meta.get("max", bits_high)), bits_high)
        return st.integers(low, high)
    if kind == "boolean":
        return st.booleans()
    if kind in ("float", "double"):
        return st.floats(
            min_value=meta.get("min"),
            max_value=meta.get("max"),
            allow_nan=False,
            allow_infinity=False,
        )
    if kind == "timestamp":
        return timestamps(options)
    if kind == "blob":
        low = int(meta.get("min", 0))
        return st.binary(min_size=low, max_size=max(low, 24))
    raise NotImplementedError(f"no strategy for shape type {kind} ({shape.name})")


def timestamps(options: Options = Options()) -> st.SearchStrategy[datetime]:
    """Aware UTC datetimes; about half carry microseconds, the rest whole seconds."""
    base = st.datetimes(
        min_value=options.min_timestamp,
        max_value=options.max_timestamp,
        timezones=st.just(timezone.utc),
    )
    whole = base.map(lambda value: value.replace(microsecond=0))
    millis = base.map(lambda value: value.replace(microsecond=value.microsecond // 1000 * 1000))
    return st.one_of(whole, millis, base)


def examples_per_operation(default: int = 5) -> int:
    """How many examples each per-operation property draws.

    ``HIVE_PROTOCOL_EXAMPLES`` overrides the default (which keeps the whole protocol suite well
    under two minutes on two cores); raise it for a soak run::

        HIVE_PROTOCOL_EXAMPLES=200 pytest tests/protocol -q
    """
    return int(os.environ.get("HIVE_PROTOCOL_EXAMPLES", default))


# --- a synthetic model with the shapes ec2 and sts do not use -----------------------------------


@cache
def synthetic_service_model(protocol: str) -> ServiceModel:
    """A one-operation (``Exercise``) model with maps, flattened lists and maps, lists of lists,
    a recursive structure, doubles, timestamps and blobs, in ``protocol`` (``ec2``/``query``).

    The real ec2 and sts models have no maps, no flattened members and no recursion, yet the
    parser, the serializer and these strategies claim to handle any shape: this keeps them honest.
    """
    string = {"type": "string"}
    shapes: dict[str, Any] = {
        "String": string,
        "Integer": {"type": "integer", "min": -5, "max": 5},
        "Double": {"type": "double"},
        "Timestamp": {"type": "timestamp"},
        "Blob": {"type": "blob"},
        "Boolean": {"type": "boolean"},
        "Color": {"type": "string", "enum": ["red", "green"]},
        "StringList": {"type": "list", "member": {"shape": "String", "locationName": "item"}},
        "StringListList": {"type": "list", "member": {"shape": "StringList"}},
        "TagMap": {
            "type": "map",
            "key": {"shape": "String", "locationName": "tagKey"},
            "value": {"shape": "String", "locationName": "tagValue"},
        },
        "PlainMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "Node"}},
        "FlatMap": {
            "type": "map",
            "key": {"shape": "String"},
            "value": {"shape": "Integer"},
            "flattened": True,
        },
        "FlatNamedList": {
            "type": "list",
            "member": {"shape": "String", "locationName": "Entry"},
            "flattened": True,
        },
        "FlatList": {"type": "list", "member": {"shape": "Integer"}, "flattened": True},
        "Node": {
            "type": "structure",
            "required": ["Name"],
            "members": {
                "Name": {"shape": "String", "locationName": "name"},
                "Children": {"shape": "NodeList", "locationName": "childSet"},
                "Parent": {"shape": "Node"},
            },
        },
        "NodeList": {"type": "list", "member": {"shape": "Node", "locationName": "item"}},
        "Payload": {
            "type": "structure",
            "members": {
                "Tags": {"shape": "TagMap", "locationName": "tagSet"},
                "Nodes": {"shape": "PlainMap"},
                "Counts": {"shape": "FlatMap"},
                "Names": {"shape": "FlatNamedList", "locationName": "nameSet"},
                "Numbers": {"shape": "FlatList"},
                "Matrix": {"shape": "StringListList"},
                "Tree": {"shape": "Node", "locationName": "tree"},
                "Ratio": {"shape": "Double"},
                "When": {"shape": "Timestamp"},
                "Data": {"shape": "Blob"},
                "Flag": {"shape": "Boolean"},
                "Color": {"shape": "Color", "locationName": "color", "queryName": "Colour"},
            },
        },
    }
    ec2 = protocol == "ec2"
    return ServiceModel(
        {
            "metadata": {
                "protocol": protocol,
                "apiVersion": "2020-01-01",
                "serviceId": "Synthetic",
                "endpointPrefix": "synthetic",
                "signatureVersion": "v4",
                "xmlNamespace": "https://synthetic.example.com/doc/2020-01-01/",
            },
            "operations": {
                "Exercise": {
                    "name": "Exercise",
                    "http": {"method": "POST", "requestUri": "/"},
                    "input": {"shape": "Payload"},
                    "output": {"shape": "Payload"}
                    if ec2
                    else {"shape": "Payload", "resultWrapper": "ExerciseResult"},
                }
            },
            "shapes": shapes,
        },
        service_name="synthetic",
    )
