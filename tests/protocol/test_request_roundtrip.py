"""Requests: botocore's serializer → form encoding → ``decode_form`` + ``parse`` is identity.

For every operation of ec2 and sts, parameters drawn from the input shape are serialized by
botocore exactly as an SDK does (``create_serializer(protocol).serialize_to_request``, with
botocore's parameter validation), encoded by botocore's own request preparation
(``AWSRequest.prepare()``: ``urlencode(body, doseq=True)``, i.e. ``quote_plus`` — ``+`` for a
space) and also as a presigned GET query string (``percent_encode_sequence``: ``%20``), decoded by
the gateway and must come back equal.

Normalisations (documented in ``strategies``): empty structures/maps are never generated (they put
nothing on the wire), nor are empty ec2 lists (ec2 drops them); the explicit tests below pin down
what the parser does with those instead.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.awsrequest import AWSRequest
from botocore.model import OperationModel
from botocore.serialize import create_serializer
from botocore.utils import percent_encode_sequence
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hive_gateway.core.errors import AwsError
from hive_gateway.api.protocol.models import operation_model, service_model
from hive_gateway.api.protocol.parser import decode_form, parser_for
from tests.protocol.strategies import (
    examples_per_operation,
    input_params,
    synthetic_service_model,
)

SERVICES = ("ec2", "sts")
OPERATIONS = [
    (service, name) for service in SERVICES for name in service_model(service).operation_names
]
PROPERTY_SETTINGS = settings(
    max_examples=examples_per_operation(),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _op(service: str, name: str) -> OperationModel:
    model = operation_model(service, name)
    assert model is not None
    return model


def botocore_body(params: dict[str, Any], op: OperationModel) -> dict[str, Any]:
    """The form dict botocore builds for ``params`` (validated like an SDK call)."""
    protocol = op.metadata["protocol"]
    request = create_serializer(protocol, include_validation=True).serialize_to_request(params, op)
    body: dict[str, Any] = request["body"]
    return body


def wire_post(body: dict[str, Any]) -> bytes:
    """The POST body exactly as botocore's ``AWSPreparedRequest`` carries it."""
    prepared = AWSRequest(method="POST", url="https://example.com/", data=body).prepare()
    raw = prepared.body
    return raw.encode("ascii") if isinstance(raw, str) else bytes(raw)


def wire_query_string(body: dict[str, Any]) -> str:
    """The same fields as a presigned-URL query string (``%20``, not ``+``)."""
    return percent_encode_sequence(body)


def gateway_parse(op: OperationModel, raw: bytes | str) -> dict[str, Any]:
    fields = decode_form(raw)
    assert fields["Action"] == op.name
    assert fields["Version"] == op.metadata["apiVersion"]
    return parser_for(op.metadata["protocol"]).parse(op, fields)


def roundtrip(service: str, name: str, params: dict[str, Any]) -> dict[str, Any]:
    return roundtrip_op(_op(service, name), params)


def roundtrip_op(op: OperationModel, params: dict[str, Any]) -> dict[str, Any]:
    body = botocore_body(params, op)
    parsed = gateway_parse(op, wire_post(body))
    assert gateway_parse(op, wire_query_string(body)) == parsed
    return parsed


# --- the property -------------------------------------------------------------------------------


@pytest.mark.parametrize(("service", "name"), OPERATIONS, ids=[f"{s}:{n}" for s, n in OPERATIONS])
@PROPERTY_SETTINGS
@given(data=st.data())
def test_request_roundtrip(service: str, name: str, data: st.DataObject) -> None:
    op = _op(service, name)
    params = data.draw(input_params(op), label="params")
    assert roundtrip(service, name, params) == params


@pytest.mark.parametrize("protocol", ["ec2", "query"])
@settings(PROPERTY_SETTINGS, max_examples=examples_per_operation() * 20)
@given(data=st.data())
def test_request_roundtrip_synthetic_shapes(protocol: str, data: st.DataObject) -> None:
    """Maps, flattened lists/maps, lists of lists and recursion, which ec2/sts do not use."""
    op = synthetic_service_model(protocol).operation_model("Exercise")
    params = data.draw(input_params(op), label="params")
    assert roundtrip_op(op, params) == params


def test_synthetic_wire_names() -> None:
    for protocol, expected in [
        (
            "query",
            {
                "tagSet.entry.1.tagKey": "k",
                "tagSet.entry.1.tagValue": "v",
                "Counts.1.key": "c",
                "Counts.1.value": "1",
                "Entry.1": "n",  # flattened list: the member's name replaces the list's
                "Numbers.1": "2",
                "Matrix.member.1.item.1": "x",
                "color": "red",
                "tree.name": "root",
                "tree.childSet.item.1.name": "leaf",
            },
        ),
        (
            "ec2",
            {
                "TagSet.entry.1.TagKey": "k",  # ec2 capitalises map key/value names too
                "TagSet.entry.1.TagValue": "v",
                "Counts.1.key": "c",  # flattened maps are flattened in ec2 as well
                "Counts.1.value": "1",
                "NameSet.1": "n",  # but lists are always flat, with no member name
                "Numbers.1": "2",
                "Matrix.1.1": "x",
                "Colour": "red",
                "Tree.Name": "root",
                "Tree.ChildSet.1.Name": "leaf",
            },
        ),
    ]:
        op = synthetic_service_model(protocol).operation_model("Exercise")
        params = {
            "Tags": {"k": "v"},
            "Counts": {"c": 1},
            "Names": ["n"],
            "Numbers": [2],
            "Matrix": [["x"]],
            "Color": "red",
            "Tree": {"Name": "root", "Children": [{"Name": "leaf"}]},
        }
        body = botocore_body(params, op)
        assert {k: str(v) for k, v in body.items() if k not in ("Action", "Version")} == expected
        # Regression: the parser read ec2 map keys uncapitalised and flattened query lists
        # under the list's own name, losing both.
        assert roundtrip_op(op, params) == params
    # An empty flattened query list goes out under the list's own name ("nameSet="), not the
    # member's: the parser accepts both.
    op = synthetic_service_model("query").operation_model("Exercise")
    assert botocore_body({"Names": []}, op)["nameSet"] == ""
    assert roundtrip_op(op, {"Names": []}) == {"Names": []}


def test_every_operation_is_covered() -> None:
    assert len([op for op in OPERATIONS if op[0] == "ec2"]) == len(
        service_model("ec2").operation_names
    )
    assert len(OPERATIONS) > 800


# --- wire names ---------------------------------------------------------------------------------


def parse_fields(service: str, name: str, fields: dict[str, str]) -> dict[str, Any]:
    op = _op(service, name)
    form = urlencode({"Action": name, "Version": op.metadata["apiVersion"], **fields})
    return gateway_parse(op, form.encode("ascii"))


def test_ec2_nested_lists_use_capitalised_location_names() -> None:
    parsed = parse_fields(
        "ec2",
        "AuthorizeSecurityGroupIngress",
        {
            "GroupId": "sg-1",
            "IpPermissions.1.IpProtocol": "tcp",
            "IpPermissions.1.FromPort": "22",
            "IpPermissions.1.ToPort": "22",
            "IpPermissions.1.Groups.1.GroupId": "sg-2",
            "IpPermissions.1.Groups.2.GroupId": "sg-3",
            "IpPermissions.1.IpRanges.1.CidrIp": "10.0.0.0/8",
            "IpPermissions.1.IpRanges.1.Description": "a & b",
        },
    )
    assert parsed == {
        "GroupId": "sg-1",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "UserIdGroupPairs": [{"GroupId": "sg-2"}, {"GroupId": "sg-3"}],
                "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "a & b"}],
            }
        ],
    }


def test_ec2_filters_and_query_names() -> None:
    # Filters → "Filter" (queryName), VpcIds → "VpcId" (queryName), Values → "Value".
    parsed = parse_fields(
        "ec2",
        "DescribeVpcs",
        {
            "VpcId.1": "vpc-1",
            "Filter.1.Name": "tag:Name",
            "Filter.1.Value.1": "web",
            "Filter.1.Value.2": "db",
            "Filter.2.Name": "state",
            "Filter.2.Value.1": "available",
            "MaxResults": "5",
            "DryRun": "false",
        },
    )
    assert parsed == {
        "VpcIds": ["vpc-1"],
        "Filters": [
            {"Name": "tag:Name", "Values": ["web", "db"]},
            {"Name": "state", "Values": ["available"]},
        ],
        "MaxResults": 5,
        "DryRun": False,
    }


def test_ec2_member_names_are_not_wire_names() -> None:
    # The botocore member names ("VpcIds", "Filters") are not what EC2 sends: ignored.
    assert parse_fields("ec2", "DescribeVpcs", {"VpcIds.1": "vpc-1", "Filters.1.Name": "x"}) == {}


def test_query_lists_use_member_level() -> None:
    parsed = parse_fields(
        "sts",
        "AssumeRole",
        {
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "RoleSessionName": "s",
            "PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/A",
            "PolicyArns.member.2.arn": "arn:aws:iam::aws:policy/B",
            "Tags.member.1.Key": "k",
            "Tags.member.1.Value": "v",
            "DurationSeconds": "900",
        },
    )
    assert parsed == {
        "RoleArn": "arn:aws:iam::123456789012:role/r",
        "RoleSessionName": "s",
        "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/A"}, {"arn": "arn:aws:iam::aws:policy/B"}],
        "Tags": [{"Key": "k", "Value": "v"}],
        "DurationSeconds": 900,
    }


def test_query_empty_list_is_name_equals_nothing() -> None:
    op = _op("sts", "AssumeRole")
    params = {
        "RoleArn": "arn:aws:iam::1:role/role",
        "RoleSessionName": "s1",
        "TransitiveTagKeys": [],
    }
    assert "TransitiveTagKeys=" in wire_post(botocore_body(params, op)).decode()
    assert roundtrip("sts", "AssumeRole", params) == params


def test_ec2_empty_list_is_not_sent() -> None:
    # Normalisation: ec2 drops an empty list, so it comes back absent.
    params: dict[str, Any] = {"VpcIds": [], "MaxResults": 5}
    assert roundtrip("ec2", "DescribeVpcs", params) == {"MaxResults": 5}


def test_empty_structure_is_not_sent() -> None:
    # Normalisation: a structure with nothing in it puts no field on the wire.
    params: dict[str, Any] = {"LaunchTemplateName": "t", "LaunchTemplateData": {"ImageId": "ami-1"}}
    assert roundtrip("ec2", "CreateLaunchTemplate", params) == params
    op = _op("ec2", "CreateLaunchTemplate")
    body = botocore_body({"LaunchTemplateName": "t", "LaunchTemplateData": {}}, op)
    with pytest.raises(AwsError) as err:
        gateway_parse(op, wire_post(body))
    assert err.value.code == "MissingParameter"
    assert "LaunchTemplateData" in err.value.message


def test_lists_stop_at_the_first_gap() -> None:
    parsed = parse_fields(
        "ec2", "DescribeVpcs", {"VpcId.1": "a", "VpcId.2": "b", "VpcId.4": "d", "VpcId.0": "z"}
    )
    assert parsed == {"VpcIds": ["a", "b"]}
    assert parse_fields("ec2", "DescribeVpcs", {"VpcId.2": "b"}) == {"VpcIds": []}
    parsed = parse_fields(
        "sts",
        "AssumeRole",
        {
            "RoleArn": "r" * 20,
            "RoleSessionName": "s",
            "TransitiveTagKeys.member.1": "a",
            "TransitiveTagKeys.member.3": "c",
        },
    )
    assert parsed["TransitiveTagKeys"] == ["a"]


def test_unknown_parameters_are_ignored() -> None:
    assert parse_fields("ec2", "DescribeVpcs", {"Bogus": "1", "Filter.1.Nope": "x"}) == {
        "Filters": [{}]
    }
    # Regression: an unknown sub-key of a scalar used to raise InvalidParameterValue ("Value for
    # parameter VpcId.1 is missing"); it is an unknown parameter like any other.
    assert parse_fields("ec2", "DescribeVpcs", {"VpcId.1.Extra": "x"}) == {"VpcIds": []}
    assert parse_fields("ec2", "DescribeVpcs", {"VpcId.1": "a", "VpcId.1.Extra": "x"}) == {
        "VpcIds": ["a"]
    }
    with pytest.raises(AwsError) as err:
        parse_fields("ec2", "DeleteVpc", {"VpcId.Extra": "x"})
    assert err.value.code == "MissingParameter"


def test_special_characters_survive_form_encoding() -> None:
    text = "a+b c&d=e%f/g?h#i;j\u00e9\u20ac\U0001f600\r\n\t<>\"'"
    assert roundtrip(
        "ec2", "DescribeVpcs", {"Filters": [{"Name": text, "Values": [text, ""]}]}
    ) == {"Filters": [{"Name": text, "Values": [text, ""]}]}


def test_timestamps_keep_microseconds() -> None:
    start = datetime(2026, 11, 21, 23, 42, 32, 120001, tzinfo=timezone.utc)
    end = datetime(2026, 11, 22, 0, 0, 0, tzinfo=timezone.utc)
    params = {"StartTime": start, "EndTime": end, "InstanceTypes": ["t3.micro"]}
    op = _op("ec2", "DescribeSpotPriceHistory")
    body = botocore_body(params, op)
    assert body["StartTime"] == "2026-11-21T23:42:32.120001Z"
    assert body["EndTime"] == "2026-11-22T00:00:00Z"
    assert roundtrip("ec2", "DescribeSpotPriceHistory", params) == params


def test_blobs_are_base64() -> None:
    params = {"KeyName": "k", "PublicKeyMaterial": b"\x00\xffssh-ed25519 AAAA"}
    assert roundtrip("ec2", "ImportKeyPair", params) == params
    with pytest.raises(AwsError) as err:
        parse_fields("ec2", "ImportKeyPair", {"KeyName": "k", "PublicKeyMaterial": "not base64!"})
    assert err.value.code == "InvalidParameterValue"


# --- errors -------------------------------------------------------------------------------------


def test_missing_required_member() -> None:
    with pytest.raises(AwsError) as err:
        parse_fields("ec2", "DeleteVpc", {})
    assert err.value.code == "MissingParameter"
    assert err.value.message == "The request must contain the parameter VpcId"
    assert err.value.status == 400


def test_missing_required_member_nested() -> None:
    with pytest.raises(AwsError) as err:
        parse_fields(
            "sts",
            "AssumeRole",
            {"RoleArn": "r" * 20, "RoleSessionName": "s", "Tags.member.1.Key": "k"},
        )
    assert err.value.code == "MissingParameter"
    # Regression: the path used to leave out the ``member`` level ("Tags.1.Value").
    assert err.value.message == "The request must contain the parameter Tags.member.1.Value"


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"MaxResults": "3"}, "greater than or equal to 5"),  # below min 5
        ({"MaxResults": "1001"}, "less than or equal to 1000"),  # above max 1000
        ({"MaxResults": "ten"}, "Integer"),
        ({"MaxResults": "5.0"}, "Integer"),
        ({"MaxResults": ""}, "Integer"),
        ({"DryRun": "yes"}, "'true' or 'false'"),
        ({"DryRun": ""}, "'true' or 'false'"),
    ],
)
def test_invalid_parameter_values(fields: dict[str, str], fragment: str) -> None:
    with pytest.raises(AwsError) as err:
        parse_fields("ec2", "DescribeVpcs", fields)
    assert err.value.code == "InvalidParameterValue"
    assert fragment in err.value.message


def test_huge_integer_is_invalid_not_a_crash() -> None:
    # Regression: int() of more than 4300 digits raises ValueError (CPython's
    # int_max_str_digits), which escaped the parser as an internal error.
    for text in ("9" * 5000, "-" + "1" * 5000, "0" * 65 + "5"):
        with pytest.raises(AwsError) as err:
            parse_fields("ec2", "DescribeVpcs", {"MaxResults": text})
        assert err.value.code == "InvalidParameterValue"
        assert len(err.value.message) < 200
    assert parse_fields("ec2", "DescribeVpcs", {"MaxResults": "+0005"}) == {"MaxResults": 5}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.5", 1.5),
        ("-2e-05", -2e-05),
        ("1e+16", 1e16),
        (".5", 0.5),
        ("7", 7.0),
        ("5.", 5.0),
        ("Infinity", float("inf")),
        ("-Infinity", float("-inf")),
    ],
)
def test_double_syntax(text: str, value: float) -> None:
    op = synthetic_service_model("ec2").operation_model("Exercise")
    assert parser_for("ec2").parse(op, {"Ratio": text}) == {"Ratio": value}


@pytest.mark.parametrize(
    "text", ["1_000", " 1", "1 ", "inf", "nan", "0x10", "", "1e", "--1", "\u0661"]
)
def test_double_rejects_python_only_syntax(text: str) -> None:
    # Regression: float() accepted "1_000", " 1 ", "inf" and non-ASCII digits.
    op = synthetic_service_model("ec2").operation_model("Exercise")
    with pytest.raises(AwsError) as err:
        parser_for("ec2").parse(op, {"Ratio": text})
    assert err.value.code == "InvalidParameterValue"


def test_bool_is_case_insensitive() -> None:
    assert parse_fields("ec2", "DescribeVpcs", {"DryRun": "TRUE"}) == {"DryRun": True}


def test_integer_outside_32_bits() -> None:
    with pytest.raises(AwsError) as err:
        parse_fields(
            "ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16", "Ipv4NetmaskLength": str(2**31)}
        )
    assert err.value.code == "InvalidParameterValue"


def test_invalid_enum() -> None:
    with pytest.raises(AwsError) as err:
        parse_fields("ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16", "InstanceTenancy": "shared"})
    assert err.value.code == "InvalidParameterValue"
    assert "shared" in err.value.message


def test_invalid_timestamp() -> None:
    with pytest.raises(AwsError) as err:
        parse_fields("ec2", "DescribeSpotPriceHistory", {"StartTime": "yesterday"})
    assert err.value.code == "InvalidParameterValue"


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "9" * 400, "\x01"]
)
def test_timestamp_out_of_range_is_invalid_not_a_crash(text: str) -> None:
    # Regression: converting 0001-01-01T00:00:00+01:00 to UTC overflowed outside the try
    # (OverflowError → internal error).
    with pytest.raises(AwsError) as err:
        parse_fields("ec2", "DescribeSpotPriceHistory", {"StartTime": text})
    assert err.value.code == "InvalidParameterValue"


def test_timestamp_offsets_are_converted_to_utc() -> None:
    parsed = parse_fields(
        "ec2", "DescribeSpotPriceHistory", {"StartTime": "2026-01-01T02:00:00+02:00"}
    )
    assert parsed == {"StartTime": datetime(2026, 1, 1, tzinfo=timezone.utc)}
    assert parsed["StartTime"].tzinfo is timezone.utc


def test_error_messages_quoting_client_input_stay_xml_safe() -> None:
    # Regression: InvalidParameterValue quoted the raw value, control characters included, and
    # the error response built from it was not well-formed XML.
    for fields in ({"MaxResults": "\x01\x02"}, {"DryRun": "\x00"}, {"MaxResults": "\x1b[0m"}):
        with pytest.raises(AwsError) as err:
            parse_fields("ec2", "DescribeVpcs", fields)
        assert err.value.code == "InvalidParameterValue"
        assert not any(ord(c) < 0x20 for c in err.value.message), err.value.message


def test_xml_invalid_character_in_string() -> None:
    with pytest.raises(AwsError) as err:
        parse_fields("ec2", "DeleteVpc", {"VpcId": "vpc-\x01"})
    assert err.value.code == "InvalidParameterValue"
    assert "U+0001" in err.value.message


@pytest.mark.parametrize(
    "raw",
    [
        b"Action=DescribeVpcs&VpcId.1=%zz",
        b"Action=DescribeVpcs&VpcId.1=%4",
        b"Action=DescribeVpcs&VpcId.1=a%",
        b"Action=DescribeVpcs&Vpc%g1Id.1=a",
        b"Action=DescribeVpcs&VpcId.1=%ff",  # not UTF-8
        b"Action=DescribeVpcs&VpcId.1=%c3%28",  # bad continuation byte
        b"Action=DescribeVpcs&VpcId.1=%ed%a0%80",  # encoded surrogate
        b"Action=DescribeVpcs&VpcId.1=\xff",  # raw non-UTF-8 byte
    ],
)
def test_malformed_query_string(raw: bytes) -> None:
    with pytest.raises(AwsError) as err:
        decode_form(raw)
    assert err.value.code == "MalformedQueryString"
    assert err.value.status == 400


def test_decode_form_basics() -> None:
    assert decode_form(b"a=1&b=x+y&c=%2B%26&&d&a=2") == {"a": "2", "b": "x y", "c": "+&", "d": ""}
    assert decode_form(b"") == {}
    # Unencoded UTF-8 bytes are tolerated.
    assert decode_form("k=\u00e9\u20ac".encode()) == {"k": "\u00e9\u20ac"}
    # Regression: a str holding non-ASCII text was rejected ("é" as invalid UTF-8, "€" as
    # "unencoded non-ASCII"); a str is text, its characters are themselves.
    assert decode_form("k=\u00e9\u20ac&%C3%A9=%E2%82%AC") == {
        "k": "\u00e9\u20ac",
        "\u00e9": "\u20ac",
    }
    with pytest.raises(AwsError):
        decode_form("k=\ud800")  # a lone surrogate is no text
