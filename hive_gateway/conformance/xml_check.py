"""A strict checker for the gateway's XML responses, shape by shape.

SDK parsers are lenient: botocore silently ignores an element it does not know, so a response
with ``<vpcID>`` instead of ``<vpcId>`` "works" and the field is just missing on the client. This
checker is not lenient. It walks the XML alongside the operation's output shape and fails on:

* a wrong envelope — EC2: root ``<{Op}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">``
  whose first child is a non-empty ``<requestId>``; Query (STS): root ``<{Op}Response>`` in the
  service namespace holding exactly ``<{Op}Result>`` (when the operation has an output shape) and
  ``<ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>``;
* an element that is not a member of its structure (by ``locationName``), or a member repeated;
* a list item not named as the model says (``<item>`` for EC2, ``<member>`` unless the model names
  it), a map entry that is not ``<entry><key/><value/></entry>`` (or the model's names);
* elements in another namespace, attributes, text mixed into containers, children in scalars;
* a scalar that does not read as its type: integers (and 32/64-bit range), ``true``/``false``,
  numbers, ISO-8601 UTC timestamps, base64 blobs, and — unless ``check_enums=False`` — enum
  strings outside the model's values.

With ``ordered=True`` members must also appear in the shape's member order, as the gateway's
serializer writes them.

Values real AWS sends that botocore's enums do not list are accepted from :data:`ENUM_GAPS`
(an attached internet gateway's attachment reads ``available``, which the Terraform provider
waits for, though ``AttachmentStatus`` lists only ``attaching|attached|detaching|detached``).

Usage (end-to-end tests, ``hive-gateway conformance``)::

    from hive_gateway.conformance.xml_check import assert_xml_matches_shape, assert_error_envelope
    assert_xml_matches_shape(body, operation_model("ec2", "DescribeVpcs"))
    assert_error_envelope(body, "ec2", code="InvalidVpcID.NotFound")
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Final

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

__all__ = [
    "ENUM_GAPS",
    "XmlShapeError",
    "assert_error_envelope",
    "assert_xml_matches_shape",
    "namespace_of",
]

_INTEGER: Final = re.compile(r"-?[0-9]+")
_TIMESTAMP: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z"
)
_BITS: Final = {"integer": 32, "long": 64}
_CONTAINERS: Final = (StructureShape, ListShape, MapShape)


#: (enum shape name, value) pairs AWS really answers although the model's enum omits them.
ENUM_GAPS: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        ("AttachmentStatus", "available"),
        # VpcEndpoint.State: the model lists "Available" …, AWS answers (and the provider's
        # waiters compare) lower camel case.
        *(
            ("State", value)
            for value in ("pendingAcceptance", "pending", "available", "deleting", "deleted")
        ),
    }
)


class XmlShapeError(AssertionError):
    """The XML does not match the model; the message names the element path."""


def namespace_of(operation: OperationModel) -> str:
    """The XML namespace of ``operation``'s responses (EC2's always ends with ``/``)."""
    namespace = str(operation.metadata.get("xmlNamespace", ""))
    if operation.metadata.get("protocol") == "ec2" and not namespace.endswith("/"):
        namespace += "/"
    return namespace


def assert_xml_matches_shape(
    xml: bytes | str,
    operation: OperationModel,
    *,
    request_id: str | None = None,
    check_enums: bool = True,
    ordered: bool = False,
) -> None:
    """Fail (:class:`XmlShapeError`, an ``AssertionError``) unless ``xml`` is exactly a success
    response of ``operation`` as its protocol and output shape describe it."""
    _Checker(operation, request_id=request_id, check_enums=check_enums, ordered=ordered).check(xml)


def assert_error_envelope(
    xml: bytes | str,
    protocol: str,
    *,
    code: str | None = None,
    message: str | None = None,
    request_id: str | None = None,
) -> None:
    """Fail unless ``xml`` is an AWS error response of ``protocol`` (``ec2`` or ``query``).

    EC2: ``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>``
    (no namespace, capital ``ID``). Query: ``<ErrorResponse><Error><Type/><Code/><Message/>
    </Error><RequestId/></ErrorResponse>``, ``Type`` being ``Sender`` or ``Receiver``.
    """
    root = _parse(xml)
    if protocol == "ec2":
        _expect(root.tag == "Response", "", f"EC2 error root must be <Response>, got <{root.tag}>")
        _expect_children(root, ["Errors", "RequestID"], "Response")
        errors = root.find("Errors")
        assert errors is not None
        _expect(len(errors) >= 1, "Response/Errors", "no <Error>")
        for index, error in enumerate(errors):
            path = f"Response/Errors/Error[{index + 1}]"
            _expect(error.tag == "Error", path, f"expected <Error>, got <{error.tag}>")
            _expect_children(error, ["Code", "Message"], path)
        first = errors[0]
        rid_tag = "RequestID"
    elif protocol == "query":
        local = _local(root.tag)
        _expect(
            local == "ErrorResponse", "", f"Query error root must be <ErrorResponse>, got <{local}>"
        )
        namespace = _namespace(root.tag)
        for element in root.iter():
            _expect(_namespace(element.tag) == namespace, _local(element.tag), "mixed namespaces")
        _expect_children(root, ["Error", "RequestId"], "ErrorResponse")
        first = root[0]
        _expect_children(first, ["Type", "Code", "Message"], "ErrorResponse/Error")
        fault = first[0].text
        _expect(fault in ("Sender", "Receiver"), "ErrorResponse/Error/Type", f"bad Type {fault!r}")
        rid_tag = "RequestId"
    else:
        raise ValueError(f"unknown protocol {protocol}")
    code_text = first[len(first) - 2].text or ""
    message_text = first[len(first) - 1].text or ""
    rid_text = root[len(root) - 1].text or ""
    _expect(bool(code_text), "Error/Code", "empty error code")
    _expect(bool(rid_text.strip()), rid_tag, "empty request id")
    if code is not None:
        _expect(code_text == code, "Error/Code", f"expected {code!r}, got {code_text!r}")
    if message is not None:
        _expect(
            message_text == message, "Error/Message", f"expected {message!r}, got {message_text!r}"
        )
    if request_id is not None:
        _expect(rid_text == request_id, rid_tag, f"expected {request_id!r}, got {rid_text!r}")


# --- implementation -----------------------------------------------------------------------------


def _parse(xml: bytes | str) -> ET.Element:
    try:
        return ET.fromstring(xml)
    except ET.ParseError as exc:
        raise XmlShapeError(f"not well-formed XML: {exc}") from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _expect(condition: bool, path: str, problem: str) -> None:
    if not condition:
        raise XmlShapeError(f"{path or '/'}: {problem}")


def _expect_children(element: ET.Element, tags: list[str], path: str) -> None:
    found = [_local(child.tag) for child in element]
    _expect(found == tags, path, f"expected children {tags}, got {found}")
    _expect(not (element.text or "").strip(), path, f"unexpected text {element.text!r}")
    for child in element:
        _expect(not (child.tail or "").strip(), path, f"unexpected text {child.tail!r}")


def _xml_name(member: Shape, member_name: str) -> str:
    """The element name of a structure member, as botocore's XML parser looks it up."""
    if isinstance(member, ListShape) and member.serialization.get("flattened"):
        item_name = member.member.serialization.get("name")
        if item_name:
            return str(item_name)
    return str(member.serialization.get("name", member_name))


class _Checker:
    def __init__(
        self,
        operation: OperationModel,
        *,
        request_id: str | None,
        check_enums: bool,
        ordered: bool,
    ) -> None:
        self.operation = operation
        self.protocol = str(operation.metadata.get("protocol"))
        self.namespace = namespace_of(operation)
        self.request_id = request_id
        self.check_enums = check_enums
        self.ordered = ordered

    def check(self, xml: bytes | str) -> None:
        root = _parse(xml)
        name = self.operation.name
        expected_root = f"{{{self.namespace}}}{name}Response"
        _expect(root.tag == expected_root, "", f"root must be <{expected_root}>, got <{root.tag}>")
        for element in root.iter():
            _expect(
                _namespace(element.tag) == self.namespace,
                _local(element.tag),
                f"element in namespace {_namespace(element.tag)!r}, expected {self.namespace!r}",
            )
            _expect(not element.attrib, _local(element.tag), f"attributes {element.attrib}")
        shape = self.operation.output_shape
        path = f"{name}Response"
        self._no_text(root, path)
        children = list(root)
        if self.protocol == "ec2":
            _expect(
                bool(children) and _local(children[0].tag) == "requestId",
                path,
                "the first child must be <requestId>",
            )
            self._request_id(children[0], f"{path}/requestId")
            body = children[1:]
            if shape is None:
                _expect(not body, path, f"no output shape, yet {[_local(c.tag) for c in body]}")
            else:
                self._members(shape, body, path)
        elif self.protocol == "query":
            expected = ["ResponseMetadata"]
            wrapper = None
            if shape is not None:
                wrapper = str(shape.serialization.get("resultWrapper") or f"{name}Result")
                expected.insert(0, wrapper)
            found = [_local(child.tag) for child in children]
            _expect(found == expected, path, f"expected children {expected}, got {found}")
            if shape is not None:
                self._structure(shape, children[0], f"{path}/{wrapper}")
            metadata = children[-1]
            _expect_children(metadata, ["RequestId"], f"{path}/ResponseMetadata")
            self._request_id(metadata[0], f"{path}/ResponseMetadata/RequestId")
        else:
            raise ValueError(f"unsupported protocol {self.protocol}")

    def _request_id(self, element: ET.Element, path: str) -> None:
        _expect(len(element) == 0, path, "request id has children")
        text = element.text or ""
        _expect(bool(text.strip()), path, "empty request id")
        if self.request_id is not None:
            _expect(text == self.request_id, path, f"expected {self.request_id!r}, got {text!r}")

    @staticmethod
    def _no_text(element: ET.Element, path: str) -> None:
        _expect(not (element.text or "").strip(), path, f"text {element.text!r} in a container")
        for child in element:
            _expect(
                not (child.tail or "").strip(),
                path,
                f"text {child.tail!r} after <{_local(child.tag)}> in a container",
            )

    # --- shapes ----------------------------------------------------------------------------------

    def _value(self, shape: Shape, element: ET.Element, path: str) -> None:
        if isinstance(shape, StructureShape):
            self._structure(shape, element, path)
        elif isinstance(shape, ListShape):
            self._list(shape, element, path)
        elif isinstance(shape, MapShape):
            self._map(shape, element, path)
        else:
            self._scalar(shape, element, path)

    def _structure(self, shape: StructureShape, element: ET.Element, path: str) -> None:
        self._no_text(element, path)
        self._members(shape, list(element), path)

    def _members(self, shape: StructureShape, children: list[ET.Element], path: str) -> None:
        by_tag = {_xml_name(member, name): name for name, member in shape.members.items()}
        order = {name: index for index, name in enumerate(shape.members)}
        seen: set[str] = set()
        last = -1
        flattened_items: dict[str, int] = {}
        for child in children:
            tag = _local(child.tag)
            member_name = by_tag.get(tag)
            if member_name is None:
                known = ", ".join(sorted(by_tag)) or "none"
                raise XmlShapeError(
                    f"{path}/{tag}: not a member of {shape.name} (members: {known})"
                )
            member = shape.members[member_name]
            flattened = member.serialization.get("flattened") and isinstance(
                member, (ListShape, MapShape)
            )
            if member_name in seen and not (flattened and last == order[member_name]):
                raise XmlShapeError(f"{path}/{tag}: {member_name} appears more than once")
            if self.ordered and order[member_name] < last:
                raise XmlShapeError(
                    f"{path}/{tag}: {member_name} is out of the shape's member order"
                )
            seen.add(member_name)
            last = order[member_name]
            if flattened:
                index = flattened_items.get(member_name, 0) + 1
                flattened_items[member_name] = index
                child_path = f"{path}/{tag}[{index}]"
                if isinstance(member, ListShape):
                    self._value(member.member, child, child_path)
                else:
                    assert isinstance(member, MapShape)
                    self._entry(member, child, child_path)
            else:
                self._value(member, child, f"{path}/{tag}")

    def _list(self, shape: ListShape, element: ET.Element, path: str) -> None:
        self._no_text(element, path)
        item_tag = str(shape.member.serialization.get("name", "member"))
        for index, child in enumerate(element, 1):
            tag = _local(child.tag)
            _expect(
                tag == item_tag, f"{path}/{tag}", f"list items of {shape.name} are <{item_tag}>"
            )
            self._value(shape.member, child, f"{path}/{item_tag}[{index}]")

    def _map(self, shape: MapShape, element: ET.Element, path: str) -> None:
        self._no_text(element, path)
        for index, child in enumerate(element, 1):
            tag = _local(child.tag)
            _expect(tag == "entry", f"{path}/{tag}", f"map entries of {shape.name} are <entry>")
            self._entry(shape, child, f"{path}/entry[{index}]")

    def _entry(self, shape: MapShape, element: ET.Element, path: str) -> None:
        key_tag = str(shape.key.serialization.get("name", "key"))
        value_tag = str(shape.value.serialization.get("name", "value"))
        found = [_local(child.tag) for child in element]
        _expect(
            sorted(found) == sorted([key_tag, value_tag]),
            path,
            f"a map entry holds <{key_tag}> and <{value_tag}>, got {found}",
        )
        self._no_text(element, path)
        for child in element:
            tag = _local(child.tag)
            if tag == key_tag:
                self._scalar(shape.key, child, f"{path}/{tag}")
            else:
                self._value(shape.value, child, f"{path}/{tag}")

    def _scalar(self, shape: Shape, element: ET.Element, path: str) -> None:
        _expect(
            len(element) == 0,
            path,
            f"a {shape.type_name} has child elements {[_local(c.tag) for c in element]}",
        )
        text = element.text or ""
        kind = shape.type_name
        if kind in ("string", "character"):
            enum = getattr(shape, "enum", None)
            if self.check_enums and enum and (shape.name, text) not in ENUM_GAPS:
                _expect(text in enum, path, f"{text!r} is not one of {shape.name}'s values {enum}")
        elif kind in _BITS:
            _expect(bool(_INTEGER.fullmatch(text)), path, f"{text!r} is not an integer")
            bits = _BITS[kind]
            value = int(text)
            _expect(-(2 ** (bits - 1)) <= value < 2 ** (bits - 1), path, f"{value} is not {kind}")
        elif kind == "boolean":
            _expect(text in ("true", "false"), path, f"{text!r} is not true/false")
        elif kind in ("float", "double"):
            if text not in ("NaN", "Infinity", "-Infinity"):
                try:
                    number = float(text)
                except ValueError:
                    raise XmlShapeError(f"{path}: {text!r} is not a number") from None
                _expect(
                    math.isfinite(number) and text.strip() == text,
                    path,
                    f"{text!r} is not a number",
                )
        elif kind == "timestamp":
            _expect(bool(_TIMESTAMP.fullmatch(text)), path, f"{text!r} is not an ISO-8601 UTC time")
            try:
                datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")
            except ValueError:
                raise XmlShapeError(f"{path}: {text!r} is not a valid time") from None
        elif kind == "blob":
            try:
                base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise XmlShapeError(f"{path}: {text!r} is not base64") from None
        else:
            raise XmlShapeError(f"{path}: no check for shape type {kind}")
