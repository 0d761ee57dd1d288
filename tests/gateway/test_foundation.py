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


def test_describe_regions_lists_the_commercial_regions(ec2: Any, gateway: RunningGateway) -> None:
    regions = ec2.describe_regions()["Regions"]
    by_name = {r["RegionName"]: r for r in regions}
    assert by_name["ap-southeast-2"] == {
        "Endpoint": gateway.settings.endpoint, "RegionName": "ap-southeast-2",
        "OptInStatus": "opt-in-not-required"}
    assert by_name["eu-west-1"] == {
        "Endpoint": "ec2.eu-west-1.amazonaws.com", "RegionName": "eu-west-1",
        "OptInStatus": "opt-in-not-required"}
    assert {"us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1", "sa-east-1"} <= set(by_name)
    assert "af-south-1" not in by_name  # opt-in regions only with AllRegions
    assert all(r["OptInStatus"] == "opt-in-not-required" for r in regions)
    every = {r["RegionName"]: r["OptInStatus"] for r in ec2.describe_regions(AllRegions=True)["Regions"]}
    assert every["af-south-1"] == every["ap-southeast-4"] == "not-opted-in"
    assert len(every) > len(regions) >= 17
    us = ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["us-*"]}])["Regions"]
    assert sorted(r["RegionName"] for r in us) == ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]
    opted = ec2.describe_regions(
        AllRegions=True, Filters=[{"Name": "opt-in-status", "Values": ["not-opted-in"]}])["Regions"]
    assert "me-south-1" in {r["RegionName"] for r in opted}
    named = ec2.describe_regions(RegionNames=["eu-west-2", "ap-east-1"])["Regions"]
    assert sorted(r["RegionName"] for r in named) == ["ap-east-1", "eu-west-2"]
    with pytest.raises(ClientError) as exc:
        ec2.describe_regions(RegionNames=["mars-north-1"])
    assert error_code(exc) == "InvalidParameterValue"


def test_each_region_serves_three_zones_by_default(ec2: Any) -> None:
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [(z["ZoneName"], z["ZoneId"], z["ZoneType"], z["RegionName"]) for z in zones] == [
        (f"ap-southeast-2{letter}", f"apse2-az{i}", "availability-zone", "ap-southeast-2")
        for i, letter in enumerate("abc", start=1)
    ]
    assert all(z["OptInStatus"] == "opt-in-not-required" and z["State"] == "available" for z in zones)


def test_accept_any_region_serves_the_signed_regions_zones(tmp_path: Any) -> None:
    """Modules with hard-coded zones (eu-west-1a …) work against an --accept-any-region gateway."""
    from kv.memory import MemoryStore
    from tests.fixtures.gateway import start_gateway

    async def memory() -> Any:
        return MemoryStore()

    running = start_gateway(memory, tmp_path, accept_any_region=True)
    try:
        import boto3
        from botocore.config import Config

        def client(region: str) -> Any:
            return boto3.client(
                "ec2", endpoint_url=running.url, region_name=region,
                aws_access_key_id=running.admin.access_key_id,
                aws_secret_access_key=running.admin.secret_access_key,
                config=Config(retries={"max_attempts": 1}))

        eu = client("eu-west-1")
        zones = eu.describe_availability_zones()["AvailabilityZones"]
        assert [(z["ZoneName"], z["ZoneId"]) for z in zones] == [
            ("eu-west-1a", "euw1-az1"), ("eu-west-1b", "euw1-az2"), ("eu-west-1c", "euw1-az3")]
        use1 = client("us-east-1").describe_availability_zones()["AvailabilityZones"]
        assert [z["ZoneId"] for z in use1] == ["use1-az1", "use1-az2", "use1-az3"]
        home = client("ap-southeast-2").describe_availability_zones()["AvailabilityZones"]
        assert [z["ZoneName"] for z in home] == ["ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"]
        vpc = eu.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        subnet = eu.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24", AvailabilityZone="eu-west-1b")
        assert subnet["Subnet"]["AvailabilityZoneId"] == "euw1-az2"
        offerings = eu.describe_instance_type_offerings(
            Filters=[{"Name": "instance-type", "Values": ["t3.micro"]}])["InstanceTypeOfferings"]
        assert [o["Location"] for o in offerings] == ["eu-west-1"]
        regions = {r["RegionName"]: r for r in eu.describe_regions(AllRegions=True)["Regions"]}
        assert regions["af-south-1"]["OptInStatus"] == "opted-in"
        assert regions["eu-west-1"]["Endpoint"] == running.settings.endpoint
    finally:
        running._stop()


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
            ("ap-southeast-2a", "apse2-az1"), ("ap-southeast-2b", "apse2-az2")
        ]
        assert all(z["State"] == "available" and z["ZoneType"] == "availability-zone" for z in zones)
        only_b = ec2.describe_availability_zones(Filters=[{"Name": "zone-name", "Values": ["*b"]}])
        assert [z["ZoneName"] for z in only_b["AvailabilityZones"]] == ["ap-southeast-2b"]
        by_state = ec2.describe_availability_zones(
            Filters=[{"Name": "state", "Values": ["available"]}, {"Name": "zone-id", "Values": ["apse2-az1"]}]
        )
        assert [z["ZoneName"] for z in by_state["AvailabilityZones"]] == ["ap-southeast-2a"]
        assert ec2.describe_availability_zones(ZoneIds=["apse2-az2"])["AvailabilityZones"][0]["ZoneName"] == "ap-southeast-2b"
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
    assert attributes["max-instances"] == ["1000"]  # what RunInstances enforces (--instance-limit)
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
