"""The strict XML checker accepts what the serializer writes and rejects everything off-shape."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.model import OperationModel

from hive_gateway.conformance.xml_check import (
    XmlShapeError,
    assert_error_envelope,
    assert_xml_matches_shape,
)
from hive_gateway.core.errors import AwsError
from hive_gateway.api.protocol.models import operation_model
from hive_gateway.api.protocol.serializer import ResponseSerializer
from tests.protocol.strategies import synthetic_service_model

RID = "req-1"
EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


def _op(service: str, name: str) -> OperationModel:
    model = operation_model(service, name)
    assert model is not None
    return model


def ec2(body: str, name: str = "DescribeVpcs", ns: str = EC2_NS) -> str:
    declaration = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return f'{declaration}<{name}Response xmlns="{ns}">{body}</{name}Response>'


def sts(body: str, name: str = "GetCallerIdentity", ns: str = STS_NS) -> str:
    return f'<{name}Response xmlns="{ns}">{body}</{name}Response>'


META = f"<ResponseMetadata><RequestId>{RID}</RequestId></ResponseMetadata>"
VPCS = _op("ec2", "DescribeVpcs")
CALLER = _op("sts", "GetCallerIdentity")


# --- accepted -----------------------------------------------------------------------------------


def test_accepts_serializer_output() -> None:
    result: dict[str, Any] = {
        "Vpcs": [
            {
                "VpcId": "vpc-1",
                "State": "available",
                "IsDefault": False,
                "Tags": [{"Key": "Name", "Value": "a & b"}],
                "CidrBlockAssociationSet": [],
            }
        ],
        "NextToken": "t",
    }
    body = ResponseSerializer("ec2", strict=True).serialize(VPCS, result, RID)
    assert_xml_matches_shape(body, VPCS, request_id=RID, ordered=True)
    body = ResponseSerializer("query", strict=True).serialize(
        CALLER, {"Account": "123456789012"}, RID
    )
    assert_xml_matches_shape(body, CALLER, request_id=RID, ordered=True)


def test_accepts_whitespace_between_elements_and_any_order_unless_ordered() -> None:
    xml = ec2(
        f"\n  <requestId>{RID}</requestId>\n  <nextToken>t</nextToken>\n"
        "  <vpcSet>\n    <item>\n      <vpcId>v</vpcId>\n      <ownerId>1</ownerId>\n"
        "    </item>\n  </vpcSet>\n"
    )
    assert_xml_matches_shape(xml, VPCS)
    with pytest.raises(XmlShapeError, match="order"):
        assert_xml_matches_shape(xml, VPCS, ordered=True)


def test_accepts_operation_without_output_shape() -> None:
    op = _op("ec2", "DeleteVpc")
    assert op.output_shape is None
    assert_xml_matches_shape(ResponseSerializer("ec2").serialize(op, None, RID), op)
    with pytest.raises(XmlShapeError, match="no output shape"):
        assert_xml_matches_shape(
            ec2(f"<requestId>{RID}</requestId><return>true</return>", "DeleteVpc"), op
        )


def test_accepts_synthetic_shapes() -> None:
    for protocol in ("ec2", "query"):
        op = synthetic_service_model(protocol).operation_model("Exercise")
        result = {
            "Tags": {"k": "v"},
            "Counts": {"a": 1, "b": 2},
            "Names": ["x", "y"],
            "Numbers": [1],
            "Matrix": [["a"], []],
            "Tree": {"Name": "n", "Children": [{"Name": "c", "Parent": {"Name": "n"}}]},
            "Ratio": 1.5,
            "Data": b"\x00",
            "Flag": True,
            "Color": "red",
        }
        body = ResponseSerializer(protocol, strict=True).serialize(op, result, RID)
        assert_xml_matches_shape(body, op, ordered=True)


# --- rejected: envelope -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "problem"),
    [
        ("<DescribeVpcsResponse><requestId>r</requestId></DescribeVpcsResponse>", "root"),
        (
            ec2(f"<requestId>{RID}</requestId>", ns="http://ec2.amazonaws.com/doc/2016-11-15"),
            "root",
        ),
        (ec2(f"<requestId>{RID}</requestId>", name="DescribeSubnets"), "root"),
        (ec2("<vpcSet/>"), "requestId"),
        (ec2("<vpcSet/><requestId>r</requestId>"), "requestId"),
        (ec2("<requestId></requestId>"), "empty request id"),
        (ec2("<requestId>other</requestId>"), "expected 'req-1'"),
        (ec2(f"<requestId>{RID}</requestId><vpcSet xmlns='urn:x'/>"), "namespace"),
        (ec2(f"<requestId>{RID}</requestId><vpcSet a='1'/>"), "attributes"),
        (ec2(f"<requestId>{RID}</requestId>stray"), "text"),
        (ec2(f"<requestId>{RID}</requestId><vpcSet>"), "well-formed"),
        ("not xml at all", "well-formed"),
    ],
)
def test_rejects_bad_ec2_envelope(xml: str, problem: str) -> None:
    with pytest.raises(XmlShapeError, match=problem):
        assert_xml_matches_shape(xml, VPCS, request_id=RID)


@pytest.mark.parametrize(
    ("xml", "problem"),
    [
        (sts("<GetCallerIdentityResult/>"), "ResponseMetadata"),
        (sts(META), "GetCallerIdentityResult"),
        (sts(f"<GetCallerIdentityResponseResult/>{META}"), "GetCallerIdentityResult"),
        (sts(f"{META}<GetCallerIdentityResult/>"), "expected children"),
        (
            sts(f"<GetCallerIdentityResult/>{META}", ns="http://sts.amazonaws.com/doc/2011-06-15/"),
            "root",
        ),
        (sts(f"<requestId>{RID}</requestId><Account>1</Account>"), "expected children"),
        (
            sts(
                "<GetCallerIdentityResult/><ResponseMetadata><RequestID>r</RequestID></ResponseMetadata>"
            ),
            "RequestId",
        ),
        (sts("<GetCallerIdentityResult/><ResponseMetadata/>"), "RequestId"),
        (
            sts(
                "<GetCallerIdentityResult><Account>1</Account><Account>2</Account></GetCallerIdentityResult>"
                + META
            ),
            "more than once",
        ),
    ],
)
def test_rejects_bad_query_envelope(xml: str, problem: str) -> None:
    with pytest.raises(XmlShapeError, match=problem):
        assert_xml_matches_shape(xml, CALLER)


# --- rejected: members --------------------------------------------------------------------------


def vpcs(inner: str) -> str:
    return ec2(f"<requestId>{RID}</requestId>{inner}")


@pytest.mark.parametrize(
    ("inner", "problem"),
    [
        ("<vpcID>x</vpcID>", "not a member of DescribeVpcsResult"),
        ("<VpcSet/>", "not a member"),  # member name casing: locationName is vpcSet
        ("<Vpcs/>", "not a member"),  # botocore member name instead of locationName
        ("<vpcSet><member><vpcId>v</vpcId></member></vpcSet>", "items of VpcList are <item>"),
        (
            "<vpcSet><item><vpcID>v</vpcID></item></vpcSet>",
            r"vpcSet/item\[1\]/vpcID: not a member of Vpc",
        ),
        ("<vpcSet><item><vpcId>v</vpcId><vpcId>w</vpcId></item></vpcSet>", "more than once"),
        ("<vpcSet/><vpcSet/>", "more than once"),
        ("<vpcSet>text<item/></vpcSet>", "text"),
        ("<vpcSet><item><vpcId><x/></vpcId></item></vpcSet>", "child elements"),
        ("<vpcSet><item><isDefault>True</isDefault></item></vpcSet>", "true/false"),
        ("<vpcSet><item><isDefault>1</isDefault></item></vpcSet>", "true/false"),
        ("<vpcSet><item><state>Available</state></item></vpcSet>", "not one of"),
        (
            "<vpcSet><item><tagSet><item><Key>k</Key></item></tagSet></item></vpcSet>",
            "not a member of Tag",
        ),
    ],
)
def test_rejects_off_shape_members(inner: str, problem: str) -> None:
    with pytest.raises(XmlShapeError, match=problem):
        assert_xml_matches_shape(vpcs(inner), VPCS)


def test_enum_check_can_be_disabled() -> None:
    xml = vpcs("<vpcSet><item><state>Available</state></item></vpcSet>")
    assert_xml_matches_shape(xml, VPCS, check_enums=False)


@pytest.mark.parametrize(
    ("member", "text", "ok"),
    [
        ("AmiLaunchIndex", "0", True),
        ("AmiLaunchIndex", "-7", True),
        ("AmiLaunchIndex", "2147483647", True),
        ("AmiLaunchIndex", "2147483648", False),  # beyond 32 bits
        ("AmiLaunchIndex", "1.0", False),
        ("AmiLaunchIndex", "", False),
        ("AmiLaunchIndex", " 1", False),
        ("LaunchTime", "2026-11-21T23:42:32.000Z", True),
        ("LaunchTime", "2026-11-21T23:42:32Z", True),
        ("LaunchTime", "2026-11-21T23:42:32.123456Z", True),
        ("LaunchTime", "2026-11-21T23:42:32+00:00", False),
        ("LaunchTime", "2026-11-21 23:42:32Z", False),
        ("LaunchTime", "2026-13-21T23:42:32.000Z", False),
        ("LaunchTime", "1700000000", False),
        ("EbsOptimized", "false", True),
        ("EbsOptimized", "FALSE", False),
    ],
)
def test_scalar_text(member: str, text: str, ok: bool) -> None:
    op = _op("ec2", "DescribeInstances")
    shape = op.output_shape.members["Reservations"].member.members["Instances"].member
    tag = shape.members[member].serialization.get("name", member)
    xml = ec2(
        f"<requestId>{RID}</requestId><reservationSet><item><instancesSet><item>"
        f"<{tag}>{text}</{tag}></item></instancesSet></item></reservationSet>",
        name="DescribeInstances",
    )
    if ok:
        assert_xml_matches_shape(xml, op)
    else:
        with pytest.raises(XmlShapeError, match=tag):
            assert_xml_matches_shape(xml, op)


@pytest.mark.parametrize(
    ("inner", "problem"),
    [
        ("<Ratio>abc</Ratio>", "not a number"),
        ("<Ratio>NaN</Ratio>", None),
        ("<Ratio>-Infinity</Ratio>", None),
        ("<Ratio>inf</Ratio>", "not a number"),
        ("<Data>AAE=</Data>", None),
        ("<Data>not base64</Data>", "not base64"),
        ("<tagSet><entry><tagKey>k</tagKey><tagValue>v</tagValue></entry></tagSet>", None),
        ("<tagSet><item><tagKey>k</tagKey><tagValue>v</tagValue></item></tagSet>", "<entry>"),
        ("<tagSet><entry><key>k</key><value>v</value></entry></tagSet>", "tagKey"),
        ("<tagSet><entry><tagKey>k</tagKey></entry></tagSet>", "tagValue"),
        (
            "<Counts><key>a</key><value>1</value></Counts><Counts><key>b</key><value>2</value></Counts>",
            None,
        ),
        ("<Counts><entry><key>a</key><value>1</value></entry></Counts>", "Counts"),
        ("<Entry>a</Entry><Entry>b</Entry>", None),  # flattened list, named by its member
        ("<nameSet>a</nameSet>", "not a member"),
        ("<Entry>a</Entry><Ratio>1</Ratio><Entry>b</Entry>", "more than once"),
        (
            "<Matrix><item><member>x</member></item></Matrix>",
            "items of StringListList are <member>",
        ),
        ("<Matrix><member><member>x</member></member></Matrix>", "items of StringList are <item>"),
        (
            (
                "<tree><name>n</name><childSet><item><name>c</name><Parent><name>p</name></Parent>"
                "</item></childSet></tree>"
            ),
            None,
        ),
        ("<tree><name>n</name><childSet><item><Name>c</Name></item></childSet></tree>", "Name"),
    ],
)
def test_synthetic_shapes(inner: str, problem: str | None) -> None:
    op = synthetic_service_model("query").operation_model("Exercise")
    xml = (
        '<ExerciseResponse xmlns="https://synthetic.example.com/doc/2020-01-01/">'
        f"<ExerciseResult>{inner}</ExerciseResult>{META}</ExerciseResponse>"
    )
    if problem is None:
        assert_xml_matches_shape(xml, op)
    else:
        with pytest.raises(XmlShapeError, match=problem):
            assert_xml_matches_shape(xml, op)


def test_error_message_names_the_path() -> None:
    with pytest.raises(XmlShapeError) as err:
        assert_xml_matches_shape(vpcs("<vpcSet><item/><item><bogus/></item></vpcSet>"), VPCS)
    assert str(err.value).startswith(
        "DescribeVpcsResponse/vpcSet/item[2]/bogus: not a member of Vpc"
    )


def test_is_an_assertion_error() -> None:
    with pytest.raises(AssertionError):
        assert_xml_matches_shape(vpcs("<bogus/>"), VPCS)


# --- error envelopes ----------------------------------------------------------------------------


def test_error_envelopes_from_the_serializer() -> None:
    error = AwsError("InvalidVpcID.NotFound", "The vpc ID 'vpc-1' does not exist")
    body = ResponseSerializer("ec2").serialize_error(error, RID)
    assert_error_envelope(body, "ec2", code=error.code, message=error.message, request_id=RID)
    body = ResponseSerializer("query").serialize_error(AwsError("AccessDenied", "no"), RID)
    assert_error_envelope(body, "query", code="AccessDenied", message="no", request_id=RID)


@pytest.mark.parametrize(
    ("xml", "protocol"),
    [
        (
            (
                "<Response><Errors><Error><Code>X</Code><Message>m</Message></Error></Errors>"
                "<RequestId>r</RequestId></Response>"
            ),
            "ec2",
        ),  # EC2 spells it RequestID
        (
            (
                "<Response><Error><Code>X</Code><Message>m</Message></Error><RequestID>r</RequestID>"
                "</Response>"
            ),
            "ec2",
        ),
        ("<Response><Errors/><RequestID>r</RequestID></Response>", "ec2"),
        (
            (
                "<Response><Errors><Error><Code></Code><Message>m</Message></Error></Errors>"
                "<RequestID>r</RequestID></Response>"
            ),
            "ec2",
        ),
        (
            (
                "<ErrorResponse><Error><Code>X</Code><Message>m</Message></Error>"
                "<RequestId>r</RequestId></ErrorResponse>"
            ),
            "query",
        ),  # no Type
        (
            (
                "<ErrorResponse><Error><Type>Client</Type><Code>X</Code><Message>m</Message></Error>"
                "<RequestId>r</RequestId></ErrorResponse>"
            ),
            "query",
        ),
        (
            (
                "<Response><Errors><Error><Code>X</Code><Message>m</Message></Error></Errors>"
                "<RequestID>r</RequestID></Response>"
            ),
            "query",
        ),
        (
            (
                "<ErrorResponse><Error><Type>Sender</Type><Code>X</Code><Message>m</Message></Error>"
                "<RequestId></RequestId></ErrorResponse>"
            ),
            "query",
        ),
    ],
)
def test_rejects_bad_error_envelopes(xml: str, protocol: str) -> None:
    with pytest.raises(XmlShapeError):
        assert_error_envelope(xml, protocol)


def test_error_envelope_expectations() -> None:
    body = ResponseSerializer("ec2").serialize_error(AwsError("A", "m"), RID)
    for kwargs in ({"code": "B"}, {"message": "n"}, {"request_id": "other"}):
        with pytest.raises(XmlShapeError):
            assert_error_envelope(body, "ec2", **kwargs)
