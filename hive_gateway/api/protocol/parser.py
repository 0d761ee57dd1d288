"""Request side of the Query and EC2 protocols: form fields → typed parameters.

A request body (or GET query string) is ``application/x-www-form-urlencoded``; botocore's
serializer flattens the input shape into dotted keys. This module reverses that, driven by the
operation's input shape, and returns a dict keyed by botocore member names::

    Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-1&Filter.1.Name=tag:Name
        &Filter.1.Value.1=web&MaxResults=5
    → {"VpcIds": ["vpc-1"], "Filters": [{"Name": "tag:Name", "Values": ["web"]}], "MaxResults": 5}

Wire names:

* **ec2** protocol: a member's ``queryName`` if present, else its ``locationName`` with the first
  letter upper-cased (``groups`` → ``Groups``), else the member name. Lists are ``Name.N``
  (1-based) with no ``member`` level; an empty list is not sent at all.
* **query** protocol (STS): the ``locationName`` or member name as is; lists are
  ``Name.member.N`` (or ``Name.N`` when flattened — under the item's ``locationName`` if it has
  one, as botocore sends it), an empty list is ``Name=``.
* maps (both protocols): ``Name.entry.N.key`` / ``Name.entry.N.value`` (``Name.N.key`` when
  flattened), key/value named like members (so capitalised by ec2).

Lists are read from index 1 and stop at the first gap (``A.1``, ``A.2``, ``A.4`` → two items),
as AWS and Hive do. Parameters the model does not know are ignored, as Hive does, so a client
built against a newer model still works; that includes unknown sub-keys of a scalar
(``VpcId.1.Foo=x`` without ``VpcId.1`` leaves ``VpcId.1`` absent, ending the list there).
Values are checked against the shape: integers (and their ``min``/``max``, within 32/64 bits),
booleans, decimal numbers, enums, timestamps, base64 blobs, XML-safe strings and required
members. Error messages quote client input shortened and with XML-unsafe characters replaced.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Final

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from hive_gateway.core.errors import AwsError, invalid_parameter_value, missing_parameter

_PERCENT_ESCAPE: Final = re.compile(rb"%(?![0-9A-Fa-f]{2})")
#: Characters XML 1.0 cannot carry; a string holding one could never be echoed back.
_NON_XML_CHAR: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")
#: A decimal number as SDKs write one (``1.5``, ``-2e-05``) or AWS's non-finite spellings; not
#: Python's wider ``float()`` syntax (``1_000``, `` 1 ``, ``inf``).
_NUMBER: Final = re.compile(
    r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Infinity|NaN"
)
_INT_TYPES: Final = frozenset({"integer", "long"})
_FLOAT_TYPES: Final = frozenset({"float", "double"})


def malformed_query_string(detail: str) -> AwsError:
    """``MalformedQueryString``: the form encoding itself is broken."""
    return AwsError("MalformedQueryString", detail)


def decode_form(raw: bytes | str) -> dict[str, str]:
    """Decode ``application/x-www-form-urlencoded`` strictly; the last duplicate key wins.

    Unlike :func:`urllib.parse.parse_qsl`, a ``%`` not followed by two hex digits or bytes that
    are not UTF-8 are errors (``MalformedQueryString``), never passed through. ``raw`` is the body
    as received (bytes); a ``str`` is taken as text, its non-ASCII characters as themselves.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    fields: dict[str, str] = {}
    for pair in data.split(b"&"):
        if not pair:
            continue
        key, _, value = pair.partition(b"=")
        fields[_unquote(key)] = _unquote(value)
    return fields


def _unquote(data: bytes) -> str:
    bad = _PERCENT_ESCAPE.search(data)
    if bad is not None:
        raise malformed_query_string(
            f"Invalid percent-encoding at offset {bad.start()}: "
            f"{data[bad.start() : bad.start() + 3].decode('latin-1')!r}"
        )
    raw = data.replace(b"+", b" ")
    out = bytearray()
    i = 0
    while i < len(raw):
        byte = raw[i]
        if byte == 0x25:  # '%'
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(byte)
            i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise malformed_query_string("The query string is not valid UTF-8") from exc


class _Node:
    """One level of the dotted-key tree: ``A.1.B=x`` → node A → node 1 → node B (value x)."""

    __slots__ = ("value", "children")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, _Node] = {}


def _build_tree(fields: Iterable[tuple[str, str]]) -> _Node:
    root = _Node()
    for key, value in fields:
        node = root
        for part in key.split("."):
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _Node()
            node = child
        node.value = value
    return root


class RequestParser:
    """Parse form fields for one protocol (``ec2`` or ``query``) against an input shape."""

    def __init__(self, protocol: str) -> None:
        if protocol not in ("ec2", "query"):
            raise ValueError(f"unsupported protocol {protocol}")
        self.protocol = protocol

    def parse(self, operation: OperationModel, fields: Mapping[str, str]) -> dict[str, Any]:
        """Typed parameters for ``operation`` from the decoded form ``fields``."""
        shape = operation.input_shape
        if shape is None:
            return {}
        tree = _build_tree(fields.items())
        return self._structure(shape, tree, "")

    # --- wire names -----------------------------------------------------------------------------

    def _wire_name(self, member: Shape, member_name: str) -> str:
        serialization = member.serialization
        if self.protocol == "ec2":
            if "queryName" in serialization:
                return str(serialization["queryName"])
            name = serialization.get("name")
            if name:
                return str(name[0].upper() + name[1:])
            return member_name
        return str(serialization.get("name", member_name))

    def _member_wire_name(self, member: Shape, member_name: str) -> str:
        """The key of ``member`` inside its structure.

        A flattened query-protocol list whose member has a ``locationName`` is sent under that
        name instead of its own (botocore replaces the last key part): ``Foo.Bar.1``.
        """
        if (
            self.protocol == "query"
            and isinstance(member, ListShape)
            and member.serialization.get("flattened")
            and member.member.serialization.get("name")
        ):
            return str(member.member.serialization["name"])
        return self._wire_name(member, member_name)

    # --- shapes ---------------------------------------------------------------------------------

    @staticmethod
    def _present(shape: Shape, node: _Node) -> bool:
        """Whether ``node`` carries a value for ``shape``.

        A scalar node with no value of its own (only unknown sub-keys such as ``VpcId.1.Foo``)
        counts as absent, like any other parameter the model does not know.
        """
        if isinstance(shape, (StructureShape, ListShape, MapShape)):
            return True
        return node.value is not None

    def _value(self, shape: Shape, node: _Node, path: str) -> Any:
        if isinstance(shape, StructureShape):
            return self._structure(shape, node, path)
        if isinstance(shape, ListShape):
            return self._list(shape, node, path)
        if isinstance(shape, MapShape):
            return self._map(shape, node, path)
        if node.value is None:
            raise invalid_parameter_value(f"Value for parameter {path} is missing")
        return self._scalar(shape, node.value, path)

    def _structure(self, shape: StructureShape, node: _Node, path: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for member_name, member in shape.members.items():
            wire = self._member_wire_name(member, member_name)
            child = node.children.get(wire)
            if child is None and wire != (own := self._wire_name(member, member_name)):
                # botocore sends an *empty* flattened list under the list's own name (``Foo=``).
                child = node.children.get(own)
            if child is None or not self._present(member, child):
                continue
            result[member_name] = self._value(member, child, _join(path, wire))
        for required in shape.required_members:
            if required not in result:
                wire = self._member_wire_name(shape.members[required], required)
                raise missing_parameter(_join(path, wire))
        return result

    def _list(self, shape: ListShape, node: _Node, path: str) -> list[Any]:
        items_node = node
        if self.protocol == "query" and not shape.serialization.get("flattened"):
            member_name = str(shape.member.serialization.get("name", "member"))
            inner = node.children.get(member_name)
            if inner is None:
                return []  # ``Name=`` is the query protocol's empty list
            items_node = inner
            path = f"{path}.{member_name}"
        items: list[Any] = []
        index = 1
        while True:
            child = items_node.children.get(str(index))
            if child is None or not self._present(shape.member, child):
                break
            items.append(self._value(shape.member, child, f"{path}.{index}"))
            index += 1
        return items

    def _map(self, shape: MapShape, node: _Node, path: str) -> dict[str, Any]:
        if shape.serialization.get("flattened"):
            entries: _Node | None = node
        else:
            entries = node.children.get("entry")
            path = f"{path}.entry"
        result: dict[str, Any] = {}
        if entries is None:
            return result
        key_name = self._wire_name(shape.key, "key")
        value_name = self._wire_name(shape.value, "value")
        index = 1
        while (entry := entries.children.get(str(index))) is not None:
            key_node = entry.children.get(key_name)
            if key_node is None or key_node.value is None:
                raise missing_parameter(f"{path}.{index}.{key_name}")
            value_node = entry.children.get(value_name)
            key = self._scalar(shape.key, key_node.value, f"{path}.{index}.{key_name}")
            result[key] = (
                None
                if value_node is None or not self._present(shape.value, value_node)
                else self._value(shape.value, value_node, f"{path}.{index}.{value_name}")
            )
            index += 1
        return result

    def _scalar(self, shape: Shape, text: str, path: str) -> Any:
        kind = shape.type_name
        if kind == "string":
            return _string(shape, text, path)
        if kind in _INT_TYPES:
            return _integer(shape, text, path)
        if kind == "boolean":
            lowered = text.lower()
            if lowered not in ("true", "false"):
                raise invalid_parameter_value(
                    f"Value ({_quoted(text)}) for parameter {path} is invalid. "
                    "Expected: 'true' or 'false'."
                )
            return lowered == "true"
        if kind in _FLOAT_TYPES:
            if not _NUMBER.fullmatch(text):
                raise invalid_parameter_value(
                    f"Value ({_quoted(text)}) for parameter {path} is invalid. Expected a number."
                )
            return float(text)
        if kind == "timestamp":
            return parse_timestamp(text, path)
        if kind == "blob":
            try:
                return base64.b64decode(text.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError) as exc:
                raise invalid_parameter_value(
                    f"Value for parameter {path} is invalid. It must be base64-encoded."
                ) from exc
        return text


def _quoted(text: str, limit: int = 64) -> str:
    """``text`` for an error message: shortened, and only with characters XML can carry."""
    short = text if len(text) <= limit else text[:limit] + "..."
    return _NON_XML_CHAR.sub("\ufffd", short)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


#: Enums the model lists incompletely: AWS accepts values beyond them, so they are not enforced.
#: ``DescribeAccountAttributes AttributeName.1=max-instances`` is valid on AWS, but the model's
#: ``AccountAttributeName`` names only ``supported-platforms`` and ``default-vpc``.
OPEN_ENUMS: Final = frozenset({"AccountAttributeName"})


def _string(shape: Shape, text: str, path: str) -> str:
    bad = _NON_XML_CHAR.search(text)
    if bad is not None:
        raise invalid_parameter_value(
            f"Value for parameter {path} contains an invalid character (U+{ord(bad.group()):04X})."
        )
    enum = shape.enum
    if enum and text not in enum and shape.name not in OPEN_ENUMS:
        raise invalid_parameter_value(f"Invalid value '{_quoted(text)}' for {path}.")
    return text


def _integer(shape: Shape, text: str, path: str) -> int:
    # Longer than any 64-bit number (with sign and leading zeros to spare): int() of a few
    # thousand digits raises ValueError (CPython's int_max_str_digits), so never try.
    if not _INTEGER.fullmatch(text) or len(text) > 64:
        raise invalid_parameter_value(
            f"Value ({_quoted(text)}) for parameter {path} is invalid. Expected: 'Integer'."
        )
    value = int(text)
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    if low is not None and value < low:
        raise invalid_parameter_value(
            f"Value ( {value} ) for parameter {path} is invalid. "
            f"Expecting a value greater than or equal to {low}."
        )
    if high is not None and value > high:
        raise invalid_parameter_value(
            f"Value ( {value} ) for parameter {path} is invalid. "
            f"Expecting a value less than or equal to {high}."
        )
    bits = 64 if shape.type_name == "long" else 32
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise invalid_parameter_value(f"Value ({text}) for parameter {path} is out of range.")
    return value


def parse_timestamp(text: str, path: str) -> datetime:
    """An ISO-8601 or epoch-seconds timestamp as an aware UTC datetime.

    botocore sends ``2026-11-21T23:42:32Z`` (or with ``.ffffff``); a naive time is taken as UTC.
    """
    candidate = text.strip()
    try:
        if re.fullmatch(r"[0-9]+(\.[0-9]+)?", candidate):
            return datetime.fromtimestamp(float(candidate), tz=timezone.utc)
        parsed = datetime.fromisoformat(candidate.replace("Z", "+00:00").replace("z", "+00:00"))
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=timezone.utc)
        # Inside the try: 0001-01-01T00:00:00+01:00 is before year 1 in UTC (OverflowError).
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError) as exc:
        raise invalid_parameter_value(
            f"Value ({_quoted(text)}) for parameter {path} is invalid. "
            "Expected an ISO-8601 timestamp."
        ) from exc


_PARSERS: Final = {"ec2": RequestParser("ec2"), "query": RequestParser("query")}


def parser_for(protocol: str) -> RequestParser:
    """The shared parser of ``protocol`` (``ec2`` or ``query``)."""
    return _PARSERS[protocol]
