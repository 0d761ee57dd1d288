"""VPC flow logs end to end: boto3 against a real gateway."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.gateway import RunningGateway
from tests.helpers import error_of, new_vpc, tag_specifications

BUCKET = "arn:aws:s3:::flow-log-bucket/vpc/"
ROLE = "arn:aws:iam::000000000001:role/flow-logs"
DEFAULT_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)


def flow_log(ec2: Any, flow_log_id: str) -> dict[str, Any]:
    found = ec2.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"]
    assert len(found) == 1
    return dict(found[0])


def test_terraform_s3_flow_log(ec2: Any) -> None:
    vpc_id = new_vpc(ec2, "10.70.0.0/16")
    created = ec2.create_flow_logs(
        ClientToken="terraform-1",
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination=BUCKET,
        MaxAggregationInterval=600,
        TagSpecifications=tag_specifications("vpc-flow-log", Name="vpc-flows"),
    )
    assert created["Unsuccessful"] == []
    assert created["ClientToken"] == "terraform-1"
    [flow_log_id] = created["FlowLogIds"]
    assert flow_log_id.startswith("fl-")
    retry = ec2.create_flow_logs(
        ClientToken="terraform-1",
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination=BUCKET,
        MaxAggregationInterval=600,
        TagSpecifications=tag_specifications("vpc-flow-log", Name="vpc-flows"),
    )
    assert retry["FlowLogIds"] == [flow_log_id]
    read = flow_log(ec2, flow_log_id)
    assert read["ResourceId"] == vpc_id
    assert read["TrafficType"] == "ALL"
    assert read["LogDestinationType"] == "s3"
    assert read["LogDestination"] == BUCKET
    assert read["LogFormat"] == DEFAULT_FORMAT
    assert read["MaxAggregationInterval"] == 600
    assert read["FlowLogStatus"] == "ACTIVE" and read["DeliverLogsStatus"] == "SUCCESS"
    assert read["DestinationOptions"] == {
        "FileFormat": "plain-text",
        "HiveCompatiblePartitions": False,
        "PerHourPartition": False,
    }
    assert read["Tags"] == [{"Key": "Name", "Value": "vpc-flows"}]
    assert "CreationTime" in read and "LogGroupName" not in read

    deleted = ec2.delete_flow_logs(FlowLogIds=[flow_log_id])
    assert deleted["Unsuccessful"] == []
    assert ec2.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"] == []
    again = ec2.delete_flow_logs(FlowLogIds=[flow_log_id])["Unsuccessful"]
    assert again == [
        {
            "ResourceId": flow_log_id,
            "Error": {
                "Code": "InvalidFlowLogId.NotFound",
                "Message": "These flow log ids in the input list are not found: "
                f"[TotalCount: 1] {flow_log_id}",
            },
        }
    ]


def test_cloud_watch_subnet_and_eni_flow_logs(ec2: Any) -> None:
    vpc_id = new_vpc(ec2, "10.71.0.0/16")
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.71.1.0/24")["Subnet"]["SubnetId"]
    eni_id = ec2.create_network_interface(SubnetId=subnet_id)["NetworkInterface"][
        "NetworkInterfaceId"
    ]
    by_group = ec2.create_flow_logs(
        ResourceIds=[subnet_id],
        ResourceType="Subnet",
        TrafficType="REJECT",
        LogGroupName="subnet-flows",
        DeliverLogsPermissionArn=ROLE,
        MaxAggregationInterval=60,
        LogFormat="${srcaddr} ${dstaddr}",
    )["FlowLogIds"][0]
    read = flow_log(ec2, by_group)
    assert read["LogDestinationType"] == "cloud-watch-logs"
    assert read["LogGroupName"] == "subnet-flows"
    assert (
        read["LogDestination"] == "arn:aws:logs:ap-southeast-2:000000000001:log-group:subnet-flows"
    )
    assert read["DeliverLogsPermissionArn"] == ROLE
    assert read["MaxAggregationInterval"] == 60
    assert read["LogFormat"] == "${srcaddr} ${dstaddr}"
    firehose = "arn:aws:firehose:ap-southeast-2:000000000001:deliverystream/flows"
    by_eni = ec2.create_flow_logs(
        ResourceIds=[eni_id],
        ResourceType="NetworkInterface",
        TrafficType="ACCEPT",
        LogDestinationType="kinesis-data-firehose",
        LogDestination=firehose,
    )["FlowLogIds"][0]
    assert flow_log(ec2, by_eni)["LogDestination"] == firehose
    filtered = ec2.describe_flow_logs(Filter=[{"Name": "resource-id", "Values": [subnet_id]}])
    assert [f["FlowLogId"] for f in filtered["FlowLogs"]] == [by_group]
    by_type = ec2.describe_flow_logs(
        Filter=[{"Name": "log-destination-type", "Values": ["kinesis-data-firehose"]}]
    )
    assert [f["FlowLogId"] for f in by_type["FlowLogs"]] == [by_eni]

    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    assert ec2.describe_flow_logs(FlowLogIds=[by_eni])["FlowLogs"] == []
    ec2.delete_subnet(SubnetId=subnet_id)
    assert ec2.describe_flow_logs(FlowLogIds=[by_group])["FlowLogs"] == []


def test_per_resource_failures_and_deleted_vpc(ec2: Any) -> None:
    vpc_id = new_vpc(ec2, "10.72.0.0/16")
    params: dict[str, Any] = {
        "ResourceType": "VPC",
        "TrafficType": "ALL",
        "LogDestinationType": "s3",
        "LogDestination": BUCKET,
    }
    created = ec2.create_flow_logs(
        ResourceIds=[vpc_id, "vpc-0123456789abcdef0", "subnet-0123456789abcdef0"], **params
    )
    assert len(created["FlowLogIds"]) == 1
    assert [(u["ResourceId"], u["Error"]["Code"]) for u in created["Unsuccessful"]] == [
        ("vpc-0123456789abcdef0", "InvalidVpcID.NotFound"),
        ("subnet-0123456789abcdef0", "InvalidVpcID.NotFound"),
    ]
    duplicate = ec2.create_flow_logs(ResourceIds=[vpc_id], **params)
    assert duplicate["FlowLogIds"] == []
    assert duplicate["Unsuccessful"][0]["Error"]["Code"] == "FlowLogAlreadyExists"
    ec2.delete_vpc(VpcId=vpc_id)
    assert (
        ec2.describe_flow_logs(Filter=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
        == []
    )


@pytest.mark.parametrize(
    ("extra", "wanted"),
    [
        ({"LogDestinationType": "s3"}, "MissingParameter"),
        ({"LogDestinationType": "s3", "LogDestination": "bucket"}, "InvalidParameterValue"),
        ({"LogGroupName": "g"}, "MissingParameter"),
        (
            {
                "LogGroupName": "g",
                "DeliverLogsPermissionArn": ROLE,
                "LogDestination": "arn:aws:logs:x",
            },
            "InvalidParameterCombination",
        ),
        (
            {"LogDestinationType": "s3", "LogDestination": BUCKET, "LogGroupName": "g"},
            "InvalidParameterCombination",
        ),
        (
            {"LogDestinationType": "s3", "LogDestination": BUCKET, "MaxAggregationInterval": 30},
            "InvalidParameterValue",
        ),
        (
            {"LogDestinationType": "s3", "LogDestination": BUCKET, "TrafficType": None},
            "MissingParameter",
        ),
        (
            {
                "LogDestinationType": "s3",
                "LogDestination": BUCKET,
                "ResourceType": "TransitGateway",
            },
            "InvalidParameterValue",
        ),
        ({"LogDestinationType": "s3", "LogDestination": BUCKET, "DryRun": True}, "DryRunOperation"),
    ],
)
def test_create_errors(ec2: Any, extra: dict[str, Any], wanted: str) -> None:
    params: dict[str, Any] = {
        "ResourceIds": ["vpc-0123456789abcdef0"],
        "ResourceType": "VPC",
        "TrafficType": "ALL",
        **extra,
    }
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(ClientError) as exc:
        ec2.create_flow_logs(**params)
    assert error_of(exc)[0] == wanted


def test_describe_filters_and_pages(ec2: Any) -> None:
    vpcs = [new_vpc(ec2, f"10.{80 + i}.0.0/16") for i in range(3)]
    ids = [
        ec2.create_flow_logs(
            ResourceIds=[v],
            ResourceType="VPC",
            TrafficType="ALL",
            LogDestinationType="s3",
            LogDestination=BUCKET,
        )["FlowLogIds"][0]
        for v in vpcs
    ]
    ec2.create_tags(Resources=[ids[1]], Tags=[{"Key": "team", "Value": "net"}])
    tagged = ec2.describe_flow_logs(Filter=[{"Name": "tag:team", "Values": ["net"]}])
    assert [f["FlowLogId"] for f in tagged["FlowLogs"]] == [ids[1]]
    with pytest.raises(ClientError) as exc:
        ec2.describe_flow_logs(Filter=[{"Name": "nope", "Values": ["x"]}])
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'nope' is invalid")
    seen: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = ec2.describe_flow_logs(MaxResults=2, **token)
        assert len(page["FlowLogs"]) <= 2
        seen += [f["FlowLogId"] for f in page["FlowLogs"]]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert sorted(seen) == sorted(ids)


def test_another_accounts_flow_logs_look_missing(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2, "10.90.0.0/16")
    flow_log_id = ec2.create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination=BUCKET,
    )["FlowLogIds"][0]
    bob = gateway.client("ec2", gateway.create_account("bob"))
    assert bob.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"] == []
    assert bob.describe_flow_logs()["FlowLogs"] == []
    failed = bob.delete_flow_logs(FlowLogIds=[flow_log_id])["Unsuccessful"]
    assert failed[0]["Error"]["Code"] == "InvalidFlowLogId.NotFound"
    mine = bob.create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination=BUCKET,
    )
    assert mine["FlowLogIds"] == []
    assert mine["Unsuccessful"][0]["Error"] == {
        "Code": "InvalidVpcID.NotFound",
        "Message": f"The vpc ID '{vpc_id}' does not exist",
    }
    assert flow_log(ec2, flow_log_id)["ResourceId"] == vpc_id
