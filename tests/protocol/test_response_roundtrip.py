"""Responses: our serializer → botocore's response parser is identity, and the XML is strict.

For every ec2 and sts operation with an output shape, a result drawn from the output shape is
serialized by ``ResponseSerializer(protocol, strict=True)``, checked element by element against
the shape with :func:`hive_gateway.conformance.xml_check.assert_xml_matches_shape`, parsed by botocore's own
``create_parser(protocol)`` exactly as an SDK does, and must come back equal (``ResponseMetadata``
aside, whose ``RequestId`` must be ours).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.model import OperationModel
from botocore.parsers import create_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hive_gateway.conformance.xml_check import assert_error_envelope, assert_xml_matches_shape
from hive_gateway.core.errors import AwsError, internal_error, missing_parameter
from hive_gateway.api.protocol.models import operation_model, service_model
from hive_gateway.api.protocol.serializer import (
    ResponseSerializer,
    SerializationError,
    format_timestamp,
)
from tests.protocol.strategies import (
    examples_per_operation,
    output_result,
    synthetic_service_model,
)

SERVICES = ("ec2", "sts")
OPERATIONS = [
    (service, name)
    for service in SERVICES
    for name in service_model(service).operation_names
    if service_model(service).operation_model(name).output_shape is not None
]
PROPERTY_SETTINGS = settings(
    max_examples=examples_per_operation(),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REQUEST_ID = "5c3b7d1e-0f4a-4c1b-9e2d-7a6b5c4d3e2f"
SERIALIZERS = {protocol: ResponseSerializer(protocol, strict=True) for protocol in ("ec2", "query")}


def _op(service: str, name: str) -> OperationModel:
    model = operation_model(service, name)
    assert model is not None
    return model


def botocore_parse(op: OperationModel, body: bytes, status: int = 200) -> dict[str, Any]:
    parser = create_parser(op.metadata["protocol"])
    response = {"body": body, "headers": {}, "status_code": status}
    parsed: dict[str, Any] = parser.parse(response, op.output_shape)
    return parsed


def roundtrip_op(op: OperationModel, result: dict[str, Any]) -> dict[str, Any]:
    body = SERIALIZERS[op.metadata["protocol"]].serialize(op, result, REQUEST_ID)
    assert_xml_matches_shape(body, op, request_id=REQUEST_ID, ordered=True)
    parsed = botocore_parse(op, body)
    metadata = parsed.pop("ResponseMetadata")
    assert metadata["RequestId"] == REQUEST_ID
    return parsed


def roundtrip(service: str, name: str, result: dict[str, Any]) -> dict[str, Any]:
    return roundtrip_op(_op(service, name), result)


# --- the property -------------------------------------------------------------------------------


@pytest.mark.parametrize(("service", "name"), OPERATIONS, ids=[f"{s}:{n}" for s, n in OPERATIONS])
@PROPERTY_SETTINGS
@given(data=st.data())
def test_response_roundtrip(service: str, name: str, data: st.DataObject) -> None:
    op = _op(service, name)
    result = data.draw(output_result(op), label="result")
    assert roundtrip(service, name, result) == result


@pytest.mark.parametrize("protocol", ["ec2", "query"])
@settings(PROPERTY_SETTINGS, max_examples=examples_per_operation() * 20)
@given(data=st.data())
def test_response_roundtrip_synthetic_shapes(protocol: str, data: st.DataObject) -> None:
    """Maps, flattened lists/maps, lists of lists and recursion, which ec2/sts do not use."""
    op = synthetic_service_model(protocol).operation_model("Exercise")
    result = data.draw(output_result(op), label="result")
    assert roundtrip_op(op, result) == result


def test_operation_counts() -> None:
    ec2 = [name for service, name in OPERATIONS if service == "ec2"]
    sts = [name for service, name in OPERATIONS if service == "sts"]
    assert len(ec2) > 750 and len(sts) == len(service_model("sts").operation_names)


@pytest.mark.parametrize(
    ("service", "name"),
    [
        (service, name)
        for service in SERVICES
        for name in service_model(service).operation_names
        if service_model(service).operation_model(name).output_shape is None
    ][:5]
    + [("ec2", "DeleteVpc")],
)
def test_operations_without_output(service: str, name: str) -> None:
    op = _op(service, name)
    assert roundtrip(service, name, {}) == {}
    with pytest.raises(SerializationError):
        SERIALIZERS[op.metadata["protocol"]].serialize(op, {"Unexpected": 1}, REQUEST_ID)


# --- envelopes ----------------------------------------------------------------------------------


def test_ec2_envelope() -> None:
    op = _op("ec2", "DescribeVpcs")
    result = {"Vpcs": [{"VpcId": "vpc-1", "IsDefault": True}]}
    body = SERIALIZERS["ec2"].serialize(op, result, REQUEST_ID)
    # No Result wrapper, lowercase requestId first, members in shape order by locationName.
    assert body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        b"<requestId>" + REQUEST_ID.encode() + b"</requestId>"
        b"<vpcSet><item><isDefault>true</isDefault><vpcId>vpc-1</vpcId></item></vpcSet>"
        b"</DescribeVpcsResponse>"
    )
    assert roundtrip("ec2", "DescribeVpcs", result) == result


def test_sts_envelope() -> None:
    op = _op("sts", "GetCallerIdentity")
    result = {
        "UserId": "AIDA",
        "Account": "123456789012",
        "Arn": "arn:aws:iam::123456789012:user/u",
    }
    body = SERIALIZERS["query"].serialize(op, result, REQUEST_ID)
    assert (
        b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        b"<GetCallerIdentityResult><UserId>AIDA</UserId><Account>123456789012</Account>"
        b"<Arn>arn:aws:iam::123456789012:user/u</Arn></GetCallerIdentityResult>"
        b"<ResponseMetadata><RequestId>" + REQUEST_ID.encode() + b"</RequestId>"
        b"</ResponseMetadata></GetCallerIdentityResponse>"
    ) in body
    assert roundtrip("sts", "GetCallerIdentity", result) == result


def test_empty_containers_are_written_and_read_back() -> None:
    result: dict[str, Any] = {"Vpcs": [], "NextToken": ""}
    assert roundtrip("ec2", "DescribeVpcs", result) == result
    result = {"Vpcs": [{"CidrBlockAssociationSet": [], "Tags": [{}]}]}
    assert roundtrip("ec2", "DescribeVpcs", result) == result


def test_none_members_are_left_out() -> None:
    assert roundtrip("ec2", "DescribeVpcs", {"Vpcs": None, "NextToken": None}) == {}


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        AwsError("InvalidVpcID.NotFound", "The vpc ID 'vpc-1' does not exist"),
        missing_parameter("VpcId"),
        internal_error(),
        AwsError("InvalidParameterValue", "a & b < c > d \"e\" 'f'\r\n\tg \u20ac\U0001f600"),
        AwsError("Odd<Code>&", ""),
    ],
)
def test_ec2_error_envelope(error: AwsError) -> None:
    body = SERIALIZERS["ec2"].serialize_error(error, REQUEST_ID)
    assert b"<Response><Errors><Error><Code>" in body
    assert_error_envelope(
        body, "ec2", code=error.code, message=error.message, request_id=REQUEST_ID
    )
    op = _op("ec2", "DescribeVpcs")
    parsed = botocore_parse(op, body, status=error.status)
    assert parsed["Error"]["Code"] == error.code
    assert (parsed["Error"]["Message"] or "") == error.message
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == error.status


@pytest.mark.parametrize(
    "error",
    [
        AwsError("AccessDenied", "User is not authorized to perform: sts:AssumeRole"),
        AwsError("ValidationError", "1 validation error detected: a & b < c"),
        internal_error(),
        AwsError("InvalidParameterValue", 'x\r\ny "q" \u00e9'),
    ],
)
def test_query_error_envelope(error: AwsError) -> None:
    body = SERIALIZERS["query"].serialize_error(error, REQUEST_ID)
    assert b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>' in body
    assert_error_envelope(
        body, "query", code=error.code, message=error.message, request_id=REQUEST_ID
    )
    op = _op("sts", "AssumeRole")
    parsed = botocore_parse(op, body, status=error.status)
    assert parsed["Error"]["Code"] == error.code
    assert parsed["Error"]["Message"] == error.message
    assert parsed["Error"]["Type"] == ("Sender" if error.sender_fault else "Receiver")
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID


# --- strict mode --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "result",
    [
        {"VpcID": "vpc-1"},  # not a member (case matters)
        {"Vpcs": [{"VpcId": "vpc-1", "vpcId": "vpc-1"}]},  # location name is not a member name
        {"Vpcs": [{"VpcId": "vpc-1", "CidrBlockAssociationSet": [{"Bogus": 1}]}]},
        {"Vpcs": {"VpcId": "vpc-1"}},  # a mapping where a list belongs
        {"Vpcs": ["vpc-1"]},  # a string where a structure belongs
        {"Vpcs": [{"IsDefault": "true"}]},  # a string where a bool belongs
        {"Vpcs": [{"VpcId": 5}]},  # an int where a string belongs
        {"Vpcs": [{"State": 5}]},
    ],
)
def test_strict_mode_rejects(result: dict[str, Any]) -> None:
    op = _op("ec2", "DescribeVpcs")
    with pytest.raises(SerializationError):
        SERIALIZERS["ec2"].serialize(op, result, REQUEST_ID)


@pytest.mark.parametrize(
    ("result", "member"),
    [
        ({"Reservations": [{"Instances": [{"LaunchTime": "2026-01-01"}]}]}, "datetime"),
        ({"Reservations": [{"Instances": [{"AmiLaunchIndex": True}]}]}, "int"),
        ({"Reservations": [{"Instances": [{"AmiLaunchIndex": "1"}]}]}, "int"),
    ],
)
def test_strict_mode_rejects_scalar_types(result: dict[str, Any], member: str) -> None:
    op = _op("ec2", "DescribeInstances")
    with pytest.raises(SerializationError, match=member):
        SERIALIZERS["ec2"].serialize(op, result, REQUEST_ID)


@pytest.mark.parametrize(
    "result",
    [
        {"Ratio": "0.5"},
        {"Ratio": True},
        {"Ratio": [1.0]},
        {"When": "2026-01-01T00:00:00Z"},
        {"When": 0},
        # Regression: bytes(5) is five NUL bytes, so an int used to pass as a blob.
        {"Data": 5},
        {"Data": [1, 2]},
        {"Names": "abc"},  # a string where a flattened list belongs
        {"Counts": [("a", 1)]},
    ],
)
def test_strict_mode_rejects_synthetic(result: dict[str, Any]) -> None:
    op = synthetic_service_model("query").operation_model("Exercise")
    with pytest.raises(SerializationError):
        SERIALIZERS["query"].serialize(op, result, REQUEST_ID)


def test_lenient_mode_logs_but_does_not_fail() -> None:
    op = _op("ec2", "DescribeVpcs")
    lenient = ResponseSerializer("ec2")
    body = lenient.serialize(op, {"VpcID": "x", "Vpcs": [{"VpcId": "vpc-1"}]}, REQUEST_ID)
    assert botocore_parse(op, body)["Vpcs"] == [{"VpcId": "vpc-1"}]
    synthetic = synthetic_service_model("ec2").operation_model("Exercise")
    body = lenient.serialize(synthetic, {"Ratio": "0.5", "Tree": {"Name": 7}}, REQUEST_ID)
    assert botocore_parse(synthetic, body) == {
        "Ratio": 0.5,
        "Tree": {"Name": "7"},
        "ResponseMetadata": botocore_parse(synthetic, body)["ResponseMetadata"],
    }


# --- characters and values ----------------------------------------------------------------------


def test_xml_special_characters_survive() -> None:
    text = "a & b < c > d \"e\" 'f' \r\n\r x\ty ]]> &amp; \u20ac\U0001f600\x85\u2028 "
    result = {"Vpcs": [{"VpcId": text, "Tags": [{"Key": "\r", "Value": " "}]}]}
    body = SERIALIZERS["ec2"].serialize(_op("ec2", "DescribeVpcs"), result, REQUEST_ID)
    assert b"&#13;" in body and b"&amp;amp;" in body and b"]]&gt;" in body
    assert roundtrip("ec2", "DescribeVpcs", result) == result


def test_xml_invalid_characters() -> None:
    op = _op("ec2", "DescribeVpcs")
    bad = "vpc-\x01\ud800\uffff"
    # Strict mode refuses a string XML cannot carry...
    with pytest.raises(SerializationError, match="U\\+0001"):
        SERIALIZERS["ec2"].serialize(op, {"Vpcs": [{"VpcId": bad}]}, REQUEST_ID)
    # ...lenient mode keeps the document well-formed (regression: it wrote the raw characters,
    # and a lone surrogate made .encode() raise).
    body = ResponseSerializer("ec2").serialize(op, {"Vpcs": [{"VpcId": bad}]}, REQUEST_ID)
    assert botocore_parse(op, body)["Vpcs"] == [{"VpcId": "vpc-\ufffd\ufffd\ufffd"}]


@pytest.mark.parametrize("protocol", ["ec2", "query"])
def test_error_message_with_client_input_is_well_formed(protocol: str) -> None:
    # Regression: an error message quoting client input with control characters or a lone
    # surrogate produced XML no parser accepts (or an encoding error).
    error = AwsError("InvalidParameterValue", "Value (\x01\x1b\ud800) is invalid")
    body = SERIALIZERS[protocol].serialize_error(error, REQUEST_ID)
    assert_error_envelope(body, protocol, code="InvalidParameterValue", request_id=REQUEST_ID)
    op = _op("ec2", "DescribeVpcs") if protocol == "ec2" else _op("sts", "AssumeRole")
    parsed = botocore_parse(op, body, status=400)
    assert parsed["Error"]["Message"] == "Value (\ufffd\ufffd\ufffd) is invalid"


def test_timestamps() -> None:
    when = datetime(2026, 11, 21, 23, 42, 32, tzinfo=UTC)
    assert format_timestamp(when) == "2026-11-21T23:42:32.000Z"
    assert format_timestamp(when.replace(microsecond=120000)) == "2026-11-21T23:42:32.120Z"
    assert format_timestamp(when.replace(microsecond=120001)) == "2026-11-21T23:42:32.120001Z"
    # Naive means UTC; other zones are converted.
    assert format_timestamp(when.replace(tzinfo=None)) == "2026-11-21T23:42:32.000Z"
    plus_two = timezone(timedelta(hours=2))
    assert format_timestamp(when.astimezone(plus_two)) == "2026-11-21T23:42:32.000Z"
    # Regression: strftime("%Y") does not zero-pad years below 1000 ("999-01-01T…"), which
    # botocore then misreads; the year is always four digits.
    assert format_timestamp(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00.000Z"
    assert format_timestamp(datetime(1, 1, 1)) == "0001-01-01T00:00:00.000Z"
    for value in (datetime(5, 6, 7, 8, 9, 10, 11, tzinfo=UTC), when):
        result = {"SpotPriceHistory": [{"Timestamp": value}]}
        assert roundtrip("ec2", "DescribeSpotPriceHistory", result) == result


@pytest.mark.parametrize("value", [0.1, -0.0, 1e300, 5e-324, 123456789.125, 1e16, -2.5e-7, 3])
def test_doubles(value: float) -> None:
    op = synthetic_service_model("ec2").operation_model("Exercise")
    assert roundtrip_op(op, {"Ratio": value}) == {"Ratio": value}


def test_non_finite_doubles() -> None:
    # Not in the property (botocore reads "NaN" back, but NaN != NaN); written as AWS does.
    op = synthetic_service_model("ec2").operation_model("Exercise")
    for value, text in ((float("inf"), b"Infinity"), (float("-inf"), b"-Infinity")):
        body = SERIALIZERS["ec2"].serialize(op, {"Ratio": value}, REQUEST_ID)
        assert b"<Ratio>" + text + b"</Ratio>" in body
        assert roundtrip_op(op, {"Ratio": value}) == {"Ratio": value}
    body = SERIALIZERS["ec2"].serialize(op, {"Ratio": float("nan")}, REQUEST_ID)
    assert b"<Ratio>NaN</Ratio>" in body


def test_blobs() -> None:
    op = synthetic_service_model("ec2").operation_model("Exercise")
    assert roundtrip_op(op, {"Data": b"\x00\xff<&>"}) == {"Data": b"\x00\xff<&>"}
    body = SERIALIZERS["ec2"].serialize(op, {"Data": b"\x00\xff<&>"}, REQUEST_ID)
    assert b"<Data>AP88Jj4=</Data>" in body


def test_flattened_members_synthetic() -> None:
    # Regression: a flattened list was written under the list's name rather than its member's
    # locationName, and a flattened map was wrapped in <entry>: botocore read back neither.
    op = synthetic_service_model("query").operation_model("Exercise")
    result = {"Names": ["a", "b"], "Counts": {"x": 1, "y": -2}, "Tags": {"k": "v"}}
    body = SERIALIZERS["query"].serialize(op, result, REQUEST_ID)
    assert b"<Entry>a</Entry><Entry>b</Entry>" in body
    assert b"<Counts><key>x</key><value>1</value></Counts>" in body
    assert b"<tagSet><entry><tagKey>k</tagKey><tagValue>v</tagValue></entry></tagSet>" in body
    assert roundtrip_op(op, result) == result
