"""Response side of the EC2 and Query protocols: result dicts and errors → XML bytes.

Handlers return plain dicts keyed by botocore member names; this module alone knows element
names, ``<item>``/``<member>`` list wrappers, envelopes and request ids. Elements are written in
the output shape's member order, named by ``locationName``.

EC2 success (no ``Result`` wrapper, lowercase ``requestId`` first)::

    <DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
      <requestId>…</requestId><vpcSet><item><vpcId>vpc-…</vpcId>…</item></vpcSet>
    </DescribeVpcsResponse>

Query (STS) success::

    <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
      <GetCallerIdentityResult><Account>…</Account>…</GetCallerIdentityResult>
      <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
    </GetCallerIdentityResponse>

Errors: EC2 ``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>``
(capital ``ID``); Query ``<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>``.

In strict mode (tests, conformance runs) a key that is not a member of its shape raises
:class:`SerializationError`, so a typo such as ``"VpcID"`` can never silently vanish; so does a
value of the wrong type or a string holding a character XML 1.0 cannot carry. Outside strict mode
those are logged, and such characters (in results or error messages, which may quote client
input) become U+FFFD so the document is always well-formed.

Flattened lists and maps have no wrapper element: each item is written under the item's
``locationName`` (else the member's), each map entry as ``<Name><key/><value/></Name>``.
"""

from __future__ import annotations

import base64
import logging
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from hive_gateway.core.clock import format_timestamp
from hive_gateway.core.errors import AwsError

LOG = logging.getLogger(__name__)

_ESCAPES: Final = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", '"': "&quot;"}
)
#: Characters XML 1.0 cannot carry, not even escaped.
_NON_XML_CHAR: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8"?>\n'


class SerializationError(Exception):
    """A handler result does not fit the output shape (a bug in the gateway, never the client)."""


def _escape(text: str) -> str:
    """``text`` as XML character data; characters XML 1.0 cannot carry at all (C0 controls,
    lone surrogates, U+FFFE/U+FFFF) become U+FFFD, so the document always stays well-formed."""
    return _NON_XML_CHAR.sub("\ufffd", text).translate(_ESCAPES)


class ResponseSerializer:
    """Serialize results and errors for one protocol (``ec2`` or ``query``)."""

    def __init__(self, protocol: str, *, strict: bool = False) -> None:
        if protocol not in ("ec2", "query"):
            raise ValueError(f"unsupported protocol {protocol}")
        self.protocol = protocol
        self.strict = strict

    # --- success ---------------------------------------------------------------------------------

    def serialize(
        self, operation: OperationModel, result: Mapping[str, Any] | None, request_id: str
    ) -> bytes:
        """The XML body of a successful ``operation`` answer."""
        name = operation.name
        namespace = _namespace(operation)
        shape = operation.output_shape
        parts: list[str] = [_XML_DECLARATION, f'<{name}Response xmlns="{namespace}">']
        result = result or {}
        if self.protocol == "ec2":
            parts.append(f"<requestId>{_escape(request_id)}</requestId>")
            if shape is not None:
                self._members(parts, shape, result, name)
            elif result and self.strict:
                raise SerializationError(
                    f"{name} has no output shape but returned {sorted(result)}"
                )
        else:
            wrapper = shape.serialization.get("resultWrapper") if shape is not None else None
            if shape is not None:
                tag = str(wrapper or f"{name}Result")
                parts.append(f"<{tag}>")
                self._members(parts, shape, result, name)
                parts.append(f"</{tag}>")
            parts.append(
                f"<ResponseMetadata><RequestId>{_escape(request_id)}</RequestId></ResponseMetadata>"
            )
        parts.append(f"</{name}Response>")
        return "".join(parts).encode("utf-8")

    # --- errors ----------------------------------------------------------------------------------

    def serialize_error(self, error: AwsError, request_id: str) -> bytes:
        """The XML body of an error answer, in this protocol's envelope."""
        code = _escape(error.code)
        message = _escape(error.message)
        rid = _escape(request_id)
        if self.protocol == "ec2":
            body = (
                f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
                f"</Error></Errors><RequestID>{rid}</RequestID></Response>"
            )
        else:
            fault = "Sender" if error.sender_fault else "Receiver"
            body = (
                f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
                f"<Type>{fault}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
                f"<RequestId>{rid}</RequestId></ErrorResponse>"
            )
        return (_XML_DECLARATION + body).encode("utf-8")

    # --- shapes ----------------------------------------------------------------------------------

    def _members(
        self, parts: list[str], shape: StructureShape, value: Mapping[str, Any], path: str
    ) -> None:
        if not isinstance(value, Mapping):
            self._reject(f"{path}: expected a mapping for {shape.name}, got {type(value).__name__}")
            return
        members = shape.members
        if self.strict:
            unknown = [key for key in value if key not in members]
            if unknown:
                raise SerializationError(f"{path}: {unknown} are not members of {shape.name}")
        for member_name, member in members.items():
            if member_name not in value:
                continue
            item = value[member_name]
            if item is None:
                continue
            tag = str(member.serialization.get("name", member_name))
            child_path = f"{path}.{member_name}"
            if isinstance(member, ListShape) and member.serialization.get("flattened"):
                # Each item is an element of its own, named by the item's locationName if any.
                item_tag = str(member.member.serialization.get("name", tag))
                if not isinstance(item, (list, tuple)):
                    self._reject(f"{child_path}: expected a list for {member.name}")
                    continue
                for index, element in enumerate(item):
                    if element is not None:
                        self._element(
                            parts, item_tag, member.member, element, f"{child_path}[{index}]"
                        )
                continue
            if isinstance(member, MapShape) and member.serialization.get("flattened"):
                # Each entry is an element of its own: <Tag><key/><value/></Tag>, no <entry>.
                if not isinstance(item, Mapping):
                    self._reject(f"{child_path}: expected a mapping for {member.name}")
                    continue
                for key, entry_value in item.items():
                    parts.append(f"<{tag}>")
                    self._entry(parts, member, key, entry_value, child_path)
                    parts.append(f"</{tag}>")
                continue
            self._element(parts, tag, member, item, child_path)

    def _element(self, parts: list[str], tag: str, shape: Shape, value: Any, path: str) -> None:
        parts.append(f"<{tag}>")
        if isinstance(shape, StructureShape):
            self._members(parts, shape, value, path)
        elif isinstance(shape, ListShape):
            self._list(parts, shape, value, path)
        elif isinstance(shape, MapShape):
            self._map(parts, shape, value, path)
        else:
            parts.append(self._scalar(shape, value, path))
        parts.append(f"</{tag}>")

    def _list(self, parts: list[str], shape: ListShape, value: Any, path: str) -> None:
        if not isinstance(value, (list, tuple)):
            self._reject(f"{path}: expected a list for {shape.name}, got {type(value).__name__}")
            return
        item_tag = str(shape.member.serialization.get("name", "member"))
        for index, element in enumerate(value):
            if element is None:
                continue
            self._element(parts, item_tag, shape.member, element, f"{path}[{index}]")

    def _map(self, parts: list[str], shape: MapShape, value: Any, path: str) -> None:
        if not isinstance(value, Mapping):
            self._reject(f"{path}: expected a mapping for {shape.name}")
            return
        for key, item in value.items():
            parts.append("<entry>")
            self._entry(parts, shape, key, item, path)
            parts.append("</entry>")

    def _entry(self, parts: list[str], shape: MapShape, key: Any, item: Any, path: str) -> None:
        key_tag = str(shape.key.serialization.get("name", "key"))
        value_tag = str(shape.value.serialization.get("name", "value"))
        self._element(parts, key_tag, shape.key, key, f"{path}.key")
        self._element(parts, value_tag, shape.value, item, f"{path}[{key}]")

    def _scalar(self, shape: Shape, value: Any, path: str) -> str:
        kind = shape.type_name
        if kind == "boolean":
            if not isinstance(value, bool):
                self._reject(f"{path}: expected a bool, got {value!r}")
            return "true" if value else "false"
        if kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                self._reject(f"{path}: expected an int, got {value!r}")
                return _lenient(int, value)
            return str(value)
        if kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self._reject(f"{path}: expected a number, got {value!r}")
                return _lenient(float, value)
            number = float(value)
            if math.isnan(number):
                return "NaN"
            if math.isinf(number):
                return "Infinity" if number > 0 else "-Infinity"
            return repr(number)
        if kind == "timestamp":
            if not isinstance(value, datetime):
                self._reject(f"{path}: expected a datetime, got {value!r}")
                return _escape(str(value))
            return format_timestamp(value)
        if kind == "blob":
            if not isinstance(value, (bytes, bytearray, memoryview, str)):
                self._reject(f"{path}: expected bytes, got {value!r}")
                value = str(value)
            raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            return base64.b64encode(raw).decode("ascii")
        if not isinstance(value, str):
            self._reject(f"{path}: expected a string, got {value!r}")
            value = str(value)
        bad = _NON_XML_CHAR.search(value)
        if bad is not None:
            self._reject(f"{path}: U+{ord(bad.group()):04X} cannot be carried by XML")
        return _escape(value)

    def _reject(self, message: str) -> None:
        if self.strict:
            raise SerializationError(message)
        LOG.warning("response does not fit its shape: %s", message)


def _lenient(convert: Callable[[Any], Any], value: Any) -> str:
    """Best effort for a mistyped value in lenient mode: converted if possible, else as text."""
    try:
        return str(convert(value))
    except (TypeError, ValueError, OverflowError):
        return _escape(str(value))


def _namespace(operation: OperationModel) -> str:
    namespace = str(operation.metadata.get("xmlNamespace", ""))
    if operation.metadata.get("protocol") == "ec2" and not namespace.endswith("/"):
        namespace += "/"
    return namespace
