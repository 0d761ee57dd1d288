"""Spot instances through real boto3: RequestSpotInstances fulfilled at once, RunInstances with
InstanceMarketOptions, cancel (the instance keeps running), termination closes, price history."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compute.test_instances import DEBIAN_AMD64, ZONE, Network, describe, run, wait_state
from tests.fixtures.gateway import RunningGateway
from tests.helpers import admin_send, assert_matches_model, error_of


def request(ec2: Any, net: Network, **kwargs: Any) -> list[dict[str, Any]]:
    spec = {
        "ImageId": DEBIAN_AMD64,
        "InstanceType": "t3.small",
        "SubnetId": net.subnet_id,
        "SecurityGroupIds": [net.group_id],
    }
    spec.update(kwargs.pop("spec", {}))
    return list(
        ec2.request_spot_instances(LaunchSpecification=spec, **kwargs)["SpotInstanceRequests"]
    )


def get(ec2: Any, request_id: str) -> dict[str, Any]:
    (found,) = ec2.describe_spot_instance_requests(SpotInstanceRequestIds=[request_id])[
        "SpotInstanceRequests"
    ]
    return dict(found)


def test_request_is_fulfilled_at_once(gateway: RunningGateway, ec2: Any) -> None:
    net = Network(ec2)
    (made,) = request(
        ec2,
        net,
        SpotPrice="0.05",
        TagSpecifications=[
            {"ResourceType": "spot-instances-request", "Tags": [{"Key": "Name", "Value": "sp"}]}
        ],
    )
    request_id = made["SpotInstanceRequestId"]
    assert request_id.startswith("sir-")
    assert (made["State"], made["Status"]["Code"]) == ("active", "fulfilled")
    assert made["SpotPrice"] == "0.05" and made["Type"] == "one-time"
    assert made["Tags"] == [{"Key": "Name", "Value": "sp"}]
    assert made["LaunchedAvailabilityZone"] == ZONE
    assert made["LaunchSpecification"]["SecurityGroups"] == [
        {"GroupId": net.group_id, "GroupName": "ssh"}
    ]
    (instance,) = describe(ec2, made["InstanceId"])
    assert instance["InstanceLifecycle"] == "spot"
    assert instance["SpotInstanceRequestId"] == request_id
    assert get(ec2, request_id) == made
    by_lifecycle = describe(ec2, Filters=[{"Name": "instance-lifecycle", "Values": ["spot"]}])
    assert [i["InstanceId"] for i in by_lifecycle] == [made["InstanceId"]]
    response = admin_send(gateway, "Action=DescribeSpotInstanceRequests&Version=2016-11-15")
    assert response.status == 200
    assert_matches_model(response.body, "DescribeSpotInstanceRequests")


def test_cancel_keeps_the_instance_and_terminate_closes(ec2: Any) -> None:
    net = Network(ec2)
    first, second = request(ec2, net, InstanceCount=2)
    cancelled = ec2.cancel_spot_instance_requests(
        SpotInstanceRequestIds=[first["SpotInstanceRequestId"]]
    )["CancelledSpotInstanceRequests"]
    assert cancelled == [
        {"SpotInstanceRequestId": first["SpotInstanceRequestId"], "State": "cancelled"}
    ]
    found = get(ec2, first["SpotInstanceRequestId"])
    assert (found["State"], found["Status"]["Code"]) == (
        "cancelled",
        "request-canceled-and-instance-running",
    )
    (instance,) = describe(ec2, first["InstanceId"])
    assert instance["State"]["Name"] in ("pending", "running")
    ec2.terminate_instances(InstanceIds=[second["InstanceId"]])
    wait_state(ec2, [second["InstanceId"]], "terminated")
    closed = get(ec2, second["SpotInstanceRequestId"])
    assert (closed["State"], closed["Status"]["Code"]) == ("closed", "instance-terminated-by-user")


def test_unfulfilled_requests_stay_open(ec2: Any) -> None:
    net = Network(ec2)
    (cheap,) = request(ec2, net, SpotPrice="0.000001")
    assert (cheap["State"], cheap["Status"]["Code"]) == ("open", "price-too-low")
    assert "InstanceId" not in cheap
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    (scheduled,) = request(ec2, net, ValidFrom=later)
    assert (scheduled["State"], scheduled["Status"]["Code"]) == ("open", "not-scheduled-yet")
    ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[cheap["SpotInstanceRequestId"]])
    gone = get(ec2, cheap["SpotInstanceRequestId"])
    assert (gone["State"], gone["Status"]["Code"]) == ("cancelled", "canceled-before-fulfillment")
    assert describe(ec2) == []


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"spec": {"ImageId": "ami-0123456789abcdef0"}}, "InvalidAMIID.NotFound"),
        ({"InstanceCount": 0}, "InvalidParameterValue"),
        ({"SpotPrice": "cheap"}, "InvalidParameterValue"),
        ({"spec": {"InstanceType": "t9.huge"}}, "InvalidParameterValue"),
        (
            {"TagSpecifications": [{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}]},
            "InvalidParameterValue",
        ),
    ],
)
def test_request_errors(ec2: Any, kwargs: dict[str, Any], code: str) -> None:
    net = Network(ec2)
    with pytest.raises(ClientError) as exc:
        request(ec2, net, **kwargs)
    assert error_of(exc)[0] == code
    assert ec2.describe_spot_instance_requests()["SpotInstanceRequests"] == []
    assert describe(ec2) == []


def test_unknown_ids(ec2: Any, gateway: RunningGateway) -> None:
    for call, wanted in [
        (
            lambda: ec2.describe_spot_instance_requests(
                SpotInstanceRequestIds=["sir-0123456789abcdef0"]
            ),
            "InvalidSpotInstanceRequestID.NotFound",
        ),
        (
            lambda: ec2.cancel_spot_instance_requests(
                SpotInstanceRequestIds=["sir-0123456789abcdef0"]
            ),
            "InvalidSpotInstanceRequestID.NotFound",
        ),
        (
            lambda: ec2.describe_spot_instance_requests(SpotInstanceRequestIds=["nope"]),
            "InvalidSpotInstanceRequestID.Malformed",
        ),
    ]:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == wanted
    net = Network(ec2)
    (made,) = request(ec2, net)
    other = gateway.client(creds=gateway.create_account("other"))
    with pytest.raises(ClientError) as exc:
        other.cancel_spot_instance_requests(SpotInstanceRequestIds=[made["SpotInstanceRequestId"]])
    assert error_of(exc)[0] == "InvalidSpotInstanceRequestID.NotFound"


def test_run_instances_with_market_options(ec2: Any) -> None:
    net = Network(ec2)
    launched = run(
        ec2,
        SubnetId=net.subnet_id,
        MinCount=2,
        MaxCount=2,
        InstanceMarketOptions={"MarketType": "spot", "SpotOptions": {"MaxPrice": "0.5"}},
        TagSpecifications=[
            {"ResourceType": "spot-instances-request", "Tags": [{"Key": "k", "Value": "v"}]}
        ],
    )["Instances"]
    assert {i["InstanceLifecycle"] for i in launched} == {"spot"}
    ids = [i["SpotInstanceRequestId"] for i in launched]
    assert len(set(ids)) == 2
    requests = ec2.describe_spot_instance_requests(SpotInstanceRequestIds=ids)[
        "SpotInstanceRequests"
    ]
    assert {(r["State"], r["Status"]["Code"]) for r in requests} == {("active", "fulfilled")}
    assert {r["InstanceId"] for r in requests} == {i["InstanceId"] for i in launched}
    assert all(
        r["Tags"] == [{"Key": "k", "Value": "v"}] and r["SpotPrice"] == "0.5" for r in requests
    )
    for options, code in [
        ({"MarketType": "spot", "SpotOptions": {"MaxPrice": "0.000001"}}, "SpotMaxPriceTooLow"),
        (
            {"MarketType": "spot", "SpotOptions": {"SpotInstanceType": "persistent"}},
            "InvalidParameterCombination",
        ),
        ({"MarketType": "capacity-block"}, "InvalidParameterValue"),
    ]:
        with pytest.raises(ClientError) as exc:
            run(ec2, SubnetId=net.subnet_id, InstanceMarketOptions=options)
        assert error_of(exc)[0] == code
    assert len(describe(ec2)) == 2


def test_filters_and_pages(ec2: Any) -> None:
    net = Network(ec2)
    made = request(ec2, net, InstanceCount=3)
    (cheap,) = request(ec2, net, SpotPrice="0.000001")
    active = ec2.describe_spot_instance_requests(Filters=[{"Name": "state", "Values": ["active"]}])[
        "SpotInstanceRequests"
    ]
    assert sorted(r["SpotInstanceRequestId"] for r in active) == sorted(
        r["SpotInstanceRequestId"] for r in made
    )
    by_status = ec2.describe_spot_instance_requests(
        Filters=[{"Name": "status-code", "Values": ["price-too-low"]}]
    )["SpotInstanceRequests"]
    assert [r["SpotInstanceRequestId"] for r in by_status] == [cheap["SpotInstanceRequestId"]]
    by_instance = ec2.describe_spot_instance_requests(
        Filters=[{"Name": "instance-id", "Values": [made[0]["InstanceId"]]}]
    )["SpotInstanceRequests"]
    assert [r["SpotInstanceRequestId"] for r in by_instance] == [made[0]["SpotInstanceRequestId"]]
    with pytest.raises(ClientError) as exc:
        ec2.describe_spot_instance_requests(Filters=[{"Name": "bogus", "Values": ["x"]}])
    assert error_of(exc)[0] == "InvalidParameterValue"
    pages = ec2.get_paginator("describe_spot_instance_requests").paginate(
        PaginationConfig={"PageSize": 5}
    )
    assert len([r for p in pages for r in p["SpotInstanceRequests"]]) == 4


def test_client_token(ec2: Any) -> None:
    net = Network(ec2)
    one = request(ec2, net, ClientToken="spot-1")
    assert request(ec2, net, ClientToken="spot-1") == one
    assert len(describe(ec2)) == 1
    with pytest.raises(ClientError) as exc:
        request(ec2, net, ClientToken="spot-1", InstanceCount=2)
    assert error_of(exc)[0] == "IdempotentParameterMismatch"


def test_spot_price_history(gateway: RunningGateway, ec2: Any) -> None:
    now = ec2.describe_spot_price_history(
        InstanceTypes=["t3.small"], ProductDescriptions=["Linux/UNIX"]
    )["SpotPriceHistory"]
    zones = {z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]}
    assert {p["AvailabilityZone"] for p in now} == zones
    for price in now:
        assert 0.001 < float(price["SpotPrice"]) < 0.02  # t3.small on demand ≈ $0.02/h
    end = dt.datetime.now(dt.UTC)
    history = ec2.describe_spot_price_history(
        InstanceTypes=["t3.small"],
        ProductDescriptions=["Linux/UNIX"],
        AvailabilityZone=ZONE,
        StartTime=end - dt.timedelta(hours=5),
        EndTime=end,
    )["SpotPriceHistory"]
    assert 5 <= len(history) <= 6
    assert len({p["Timestamp"] for p in history}) == len(history)
    response = admin_send(
        gateway, "Action=DescribeSpotPriceHistory&Version=2016-11-15&InstanceType.1=t3.micro"
    )
    assert response.status == 200
    assert_matches_model(response.body, "DescribeSpotPriceHistory")
    with pytest.raises(ClientError) as exc:
        ec2.describe_spot_price_history(Filters=[{"Name": "bogus", "Values": ["x"]}])
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_persistent_request_with_terminate_behaviour(ec2: Any) -> None:
    """Terraform's defaults (``spot_type`` persistent, interruption ``terminate``) are valid
    for RequestSpotInstances (only RunInstances refuses them)."""
    net = Network(ec2)
    (made,) = request(ec2, net, Type="persistent", InstanceInterruptionBehavior="terminate")
    assert (made["Type"], made["State"]) == ("persistent", "active")
    assert made["InstanceInterruptionBehavior"] == "terminate"


def test_ended_requests_go_after_the_retention(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = gateway.runtime.settings
    timings = replace(settings.timings, spot_request_retention=1.0)
    monkeypatch.setattr(gateway.runtime, "settings", replace(settings, timings=timings))
    net = Network(ec2)
    (cheap,) = request(ec2, net, SpotPrice="0.000001")
    ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[cheap["SpotInstanceRequestId"]])
    assert get(ec2, cheap["SpotInstanceRequestId"])["State"] == "cancelled"
    time.sleep(1.3)
    assert ec2.describe_spot_instance_requests()["SpotInstanceRequests"] == []


def test_dry_run(ec2: Any) -> None:
    net = Network(ec2)
    with pytest.raises(ClientError) as exc:
        request(ec2, net, DryRun=True)
    assert error_of(exc)[0] == "DryRunOperation"
    assert ec2.describe_spot_instance_requests()["SpotInstanceRequests"] == []
    assert describe(ec2) == []
