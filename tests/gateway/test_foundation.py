"""End-to-end behaviour of the foundation: real boto3 against a real gateway on loopback."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.gateway import RunningGateway
from tests.helpers import admin_send
from tests.helpers import code as error_code


def xml_error(body: bytes) -> tuple[str, str, str]:
    """(root tag, code, request id) of an error envelope."""
    root = ET.fromstring(body)
    tag = re.sub(r"\{.*\}", "", root.tag)
    code = root.findtext(".//{*}Code") or root.findtext(".//Code") or ""
    rid = root.findtext("RequestID") or root.findtext("{*}RequestId") or ""
    return tag, code, rid


# --- STS --------------------------------------------------------------------------------------


def test_get_caller_identity_names_the_admin_account(gateway: RunningGateway) -> None:
    identity = gateway.client("sts").get_caller_identity()
    assert identity["Account"] == "000000000001"
    assert identity["Arn"].startswith("arn:aws:iam::000000000001:user/")
    assert re.fullmatch(r"AIDA[0-9A-Z]{17}", identity["UserId"])


def test_each_account_sees_its_own_identity(gateway: RunningGateway) -> None:
    other = gateway.create_account("tenant-a")
    identity = gateway.client("sts", creds=other).get_caller_identity()
    assert identity["Account"] == other.account_id != "000000000001"
    admin = gateway.client("sts").get_caller_identity()
    assert admin["UserId"] != identity["UserId"]


def test_sts_error_uses_the_query_envelope(gateway: RunningGateway) -> None:
    answer = admin_send(gateway, "Action=AssumeRole&Version=2011-06-15&RoleArn=x&RoleSessionName=y", service="sts")
    assert answer.status == 400
    root = ET.fromstring(answer.body)
    assert root.tag.endswith("ErrorResponse")
    assert root.findtext("{*}Error/{*}Type") == "Sender"
    assert root.findtext("{*}Error/{*}Code") == "UnsupportedOperation"
    assert root.findtext("{*}RequestId") == answer.headers["x-amzn-RequestId"]


# --- regions, zones, account attributes ---------------------------------------------------------


def test_describe_regions_returns_the_served_region(ec2: Any, gateway: RunningGateway) -> None:
    regions = ec2.describe_regions()["Regions"]
    assert regions == [
        {"Endpoint": gateway.settings.endpoint, "RegionName": "ap-southeast-2",
         "OptInStatus": "opt-in-not-required"}
    ]
    assert ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["us-*"]}])["Regions"] == []
    with pytest.raises(ClientError) as exc:
        ec2.describe_regions(RegionNames=["mars-north-1"])
    assert error_code(exc) == "InvalidParameterValue"


def test_availability_zone_filters(tmp_path: Any) -> None:
    from kv.memory import MemoryStore
    from tests.fixtures.gateway import start_gateway

    async def memory() -> Any:
        return MemoryStore()

    running = start_gateway(memory, tmp_path, azs=("ap-southeast-2a", "ap-southeast-2b"))
    try:
        ec2 = running.client()
        zones = ec2.describe_availability_zones()["AvailabilityZones"]
        assert [(z["ZoneName"], z["ZoneId"]) for z in zones] == [
            ("ap-southeast-2a", "hivez1"), ("ap-southeast-2b", "hivez2")
        ]
        assert all(z["State"] == "available" and z["ZoneType"] == "availability-zone" for z in zones)
        only_b = ec2.describe_availability_zones(Filters=[{"Name": "zone-name", "Values": ["*b"]}])
        assert [z["ZoneName"] for z in only_b["AvailabilityZones"]] == ["ap-southeast-2b"]
        by_state = ec2.describe_availability_zones(
            Filters=[{"Name": "state", "Values": ["available"]}, {"Name": "zone-id", "Values": ["hivez1"]}]
        )
        assert [z["ZoneName"] for z in by_state["AvailabilityZones"]] == ["ap-southeast-2a"]
        assert ec2.describe_availability_zones(ZoneIds=["hivez2"])["AvailabilityZones"][0]["ZoneName"] == "ap-southeast-2b"
        with pytest.raises(ClientError) as exc:
            ec2.describe_availability_zones(ZoneNames=["ap-southeast-2z"])
        assert error_code(exc) == "InvalidParameterValue"
        with pytest.raises(ClientError) as exc:
            ec2.describe_availability_zones(Filters=[{"Name": "colour", "Values": ["blue"]}])
        assert error_code(exc) == "InvalidParameterValue"
        assert "colour" in exc.value.response["Error"]["Message"]
    finally:
        running._stop()


def test_account_attributes_are_hives_values(ec2: Any) -> None:
    attributes = {
        a["AttributeName"]: [v["AttributeValue"] for v in a["AttributeValues"]]
        for a in ec2.describe_account_attributes()["AccountAttributes"]
    }
    assert attributes["supported-platforms"] == ["VPC"]
    assert attributes["max-instances"] == ["100"]
    only = ec2.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"]
    assert [a["AttributeName"] for a in only] == ["default-vpc"]
    # names the model's enum omits are valid on AWS too
    limits = ec2.describe_account_attributes(AttributeNames=["max-instances", "vpc-max-elastic-ips"])
    assert [a["AttributeName"] for a in limits["AccountAttributes"]] == ["max-instances", "vpc-max-elastic-ips"]


# --- protocol errors --------------------------------------------------------------------------


def test_dry_run_answers_dry_run_operation(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.describe_regions(DryRun=True)
    assert error_code(exc) == "DryRunOperation"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


def test_missing_action(gateway: RunningGateway) -> None:
    answer = admin_send(gateway, "Version=2016-11-15")
    assert answer.status == 400
    tag, code, rid = xml_error(answer.body)
    assert (tag, code) == ("Response", "MissingAction")
    assert rid == answer.headers["x-amzn-RequestId"]


def test_invalid_action(gateway: RunningGateway) -> None:
    answer = admin_send(gateway, "Action=LaunchRockets&Version=2016-11-15")
    assert answer.status == 400
    assert xml_error(answer.body)[1] == "InvalidAction"


def test_unimplemented_model_action_is_a_4xx_naming_the_action(gateway: RunningGateway) -> None:
    answer = admin_send(gateway, "Action=DescribeTransitGateways&Version=2016-11-15")
    assert answer.status == 400
    assert xml_error(answer.body)[1] == "UnsupportedOperation"
    assert b"DescribeTransitGateways" in answer.body


@pytest.mark.parametrize("body", ["Action=DescribeRegions&Version=2016-11-15&RegionName.1=%zz",
                                  "Action=DescribeRegions&Version=2016-11-15&x=%4",
                                  "Action=DescribeRegions&Version=2016-11-15&x=%ff%fe"])
def test_malformed_query_string(gateway: RunningGateway, body: str) -> None:
    answer = admin_send(gateway, body)
    assert answer.status == 400
    assert xml_error(answer.body)[1] == "MalformedQueryString"


def test_missing_required_parameter(gateway: RunningGateway) -> None:
    answer = admin_send(gateway, "Action=DeleteVpc&Version=2016-11-15")
    assert answer.status == 400
    tag, code, _ = xml_error(answer.body)
    assert code == "MissingParameter"
    assert b"VpcId" in answer.body


def test_invalid_parameter_value_for_bad_types(gateway: RunningGateway) -> None:
    answer = admin_send(gateway, "Action=DescribeRegions&Version=2016-11-15&AllRegions=maybe")
    assert answer.status == 400
    assert xml_error(answer.body)[1] == "InvalidParameterValue"


def test_get_query_string_requests_work(gateway: RunningGateway) -> None:
    answer = admin_send(gateway, "", method="GET", query="Action=DescribeRegions&Version=2016-11-15")
    assert answer.status == 200, answer.text
    root = ET.fromstring(answer.body)
    assert root.tag == "{http://ec2.amazonaws.com/doc/2016-11-15/}DescribeRegionsResponse"
    assert root.findtext("{*}requestId") == answer.headers["x-amzn-RequestId"]


def test_each_request_gets_a_fresh_uuid_request_id(ec2: Any) -> None:
    first = ec2.describe_regions()["ResponseMetadata"]["RequestId"]
    second = ec2.describe_regions()["ResponseMetadata"]["RequestId"]
    assert first != second
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", first)


def test_body_over_10_mb_is_refused(gateway: RunningGateway) -> None:
    body = "Action=DescribeRegions&Version=2016-11-15&Pad=" + "a" * (10 * 1024 * 1024)
    answer = admin_send(gateway, body)
    assert answer.status == 413
    assert xml_error(answer.body)[1] == "RequestEntityTooLarge"


def test_healthz_reports_the_store(gateway: RunningGateway) -> None:
    import json
    import urllib.request

    with urllib.request.urlopen(gateway.url + "/healthz", timeout=10) as answer:
        assert answer.status == 200
        assert json.loads(answer.read())["status"] == "ok"
    gateway.run(gateway.runtime.store.close())
    try:
        urllib.request.urlopen(gateway.url + "/healthz", timeout=10)
    except urllib.error.HTTPError as error:
        assert error.code == 503
    else:
        raise AssertionError("healthz answered 200 with the store closed")


def test_sts_accepts_the_global_endpoint_scope_but_ec2_does_not(gateway: RunningGateway) -> None:
    """Legacy clients sign STS for us-east-1 (AWS's global endpoint) whatever their region."""
    body = "Action=GetCallerIdentity&Version=2011-06-15"
    answer = admin_send(gateway, body, service="sts", region="us-east-1")
    assert answer.status == 200, answer.text
    assert b"<Account>000000000001</Account>" in answer.body
    wrong = admin_send(gateway, "Action=DescribeRegions&Version=2016-11-15", region="us-east-1")
    assert wrong.status == 403
    assert xml_error(wrong.body)[1] == "AuthFailure"
