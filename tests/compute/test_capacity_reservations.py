"""Capacity reservations through real boto3: lifecycle, counts consumed by running instances
(targeted and open), cancel, expiry, modify, filters, pages, errors, concurrent launches."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compute.test_instances import ZONE, Network, describe, run, wait_state
from tests.fixtures.gateway import RunningGateway
from tests.helpers import admin_send, assert_matches_model, error_of, race


def reserve(ec2: Any, count: int = 2, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("InstanceType", "t3.small")
    kwargs.setdefault("InstancePlatform", "Linux/UNIX")
    kwargs.setdefault("AvailabilityZone", ZONE)
    result: dict[str, Any] = ec2.create_capacity_reservation(InstanceCount=count, **kwargs)[
        "CapacityReservation"
    ]
    return result


def get(ec2: Any, reservation_id: str) -> dict[str, Any]:
    (found,) = ec2.describe_capacity_reservations(CapacityReservationIds=[reservation_id])[
        "CapacityReservations"
    ]
    return dict(found)


def test_create_describe_and_model(gateway: RunningGateway, ec2: Any) -> None:
    created = reserve(
        ec2,
        3,
        TagSpecifications=[
            {"ResourceType": "capacity-reservation", "Tags": [{"Key": "Name", "Value": "cr"}]}
        ],
    )
    reservation_id = created["CapacityReservationId"]
    assert reservation_id.startswith("cr-") and len(reservation_id) == 20
    assert created["State"] == "active"
    assert (created["TotalInstanceCount"], created["AvailableInstanceCount"]) == (3, 3)
    assert created["EndDateType"] == "unlimited" and "EndDate" not in created
    assert created["InstanceMatchCriteria"] == "open"
    assert created["CapacityReservationArn"] == (
        f"arn:aws:ec2:{gateway.settings.region}:000000000001:capacity-reservation/{reservation_id}"
    )
    assert created["Tags"] == [{"Key": "Name", "Value": "cr"}]
    assert get(ec2, reservation_id) == created
    response = admin_send(gateway, "Action=DescribeCapacityReservations&Version=2016-11-15")
    assert response.status == 200
    assert_matches_model(response.body, "DescribeCapacityReservations")


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"InstanceType": "t9.huge"}, "InvalidParameterValue"),
        ({"AvailabilityZone": "ap-southeast-2z"}, "InvalidParameterValue"),
        ({"InstancePlatform": "BeOS"}, "InvalidParameterValue"),
        ({"InstanceMatchCriteria": "sometimes"}, "InvalidParameterValue"),
        ({"EndDateType": "limited"}, "MissingParameter"),
        (
            {"EndDateType": "unlimited", "EndDate": dt.datetime(2099, 1, 1)},
            "InvalidParameterCombination",
        ),
        ({"EndDateType": "limited", "EndDate": dt.datetime(2001, 1, 1)}, "InvalidParameterValue"),
        (
            {"TagSpecifications": [{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}]},
            "InvalidParameterValue",
        ),
    ],
)
def test_create_errors(ec2: Any, kwargs: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as exc:
        reserve(ec2, **kwargs)
    assert error_of(exc)[0] == code
    assert ec2.describe_capacity_reservations()["CapacityReservations"] == []


def test_count_bounds(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        reserve(ec2, 0)
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_unknown_ids(ec2: Any) -> None:
    for call, wanted in [
        (
            lambda: ec2.describe_capacity_reservations(
                CapacityReservationIds=["cr-0123456789abcdef0"]
            ),
            "InvalidCapacityReservationId.NotFound",
        ),
        (
            lambda: ec2.describe_capacity_reservations(CapacityReservationIds=["nope"]),
            "InvalidCapacityReservationId.Malformed",
        ),
        (
            lambda: ec2.cancel_capacity_reservation(CapacityReservationId="cr-0123456789abcdef0"),
            "InvalidCapacityReservationId.NotFound",
        ),
        (
            lambda: ec2.modify_capacity_reservation(
                CapacityReservationId="cr-0123456789abcdef0", InstanceCount=2
            ),
            "InvalidCapacityReservationId.NotFound",
        ),
    ]:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == wanted


def test_targeted_instances_consume_and_cancel_frees(ec2: Any) -> None:
    net = Network(ec2)
    reservation_id = reserve(ec2, 2, InstanceMatchCriteria="targeted")["CapacityReservationId"]
    target = {"CapacityReservationTarget": {"CapacityReservationId": reservation_id}}
    plain = run(ec2, SubnetId=net.subnet_id)["Instances"][0]  # targeted: an open launch skips it
    assert "CapacityReservationId" not in plain
    assert get(ec2, reservation_id)["AvailableInstanceCount"] == 2
    launched = run(
        ec2, SubnetId=net.subnet_id, MinCount=2, MaxCount=2, CapacityReservationSpecification=target
    )["Instances"]
    assert {i["CapacityReservationId"] for i in launched} == {reservation_id}
    assert launched[0]["CapacityReservationSpecification"] == target
    assert get(ec2, reservation_id)["AvailableInstanceCount"] == 0
    with pytest.raises(ClientError) as exc:
        run(ec2, SubnetId=net.subnet_id, CapacityReservationSpecification=target)
    assert error_of(exc)[0] == "ReservationCapacityExceeded"
    (shown,) = describe(ec2, launched[0]["InstanceId"])
    assert shown["CapacityReservationId"] == reservation_id
    ec2.terminate_instances(InstanceIds=[launched[0]["InstanceId"]])
    assert get(ec2, reservation_id)["AvailableInstanceCount"] == 1
    assert ec2.cancel_capacity_reservation(CapacityReservationId=reservation_id)["Return"] is True
    cancelled = get(ec2, reservation_id)
    assert (cancelled["State"], cancelled["AvailableInstanceCount"]) == ("cancelled", 0)
    (still,) = describe(ec2, launched[1]["InstanceId"])
    assert still["State"]["Name"] in ("pending", "running")  # instances keep running
    for call in (
        lambda: ec2.cancel_capacity_reservation(CapacityReservationId=reservation_id),
        lambda: ec2.modify_capacity_reservation(
            CapacityReservationId=reservation_id, InstanceCount=3
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == "IncorrectCapacityReservationState"
    with pytest.raises(ClientError) as exc:
        run(ec2, SubnetId=net.subnet_id, CapacityReservationSpecification=target)
    assert error_of(exc)[0] == "ReservationCapacityExceeded"


def test_open_reservation_is_filled_by_matching_launches(ec2: Any) -> None:
    net = Network(ec2)
    reservation_id = reserve(ec2, 1)["CapacityReservationId"]
    other_type = run(ec2, SubnetId=net.subnet_id, InstanceType="t3.micro")["Instances"][0]
    assert "CapacityReservationId" not in other_type
    declined = run(
        ec2,
        SubnetId=net.subnet_id,
        CapacityReservationSpecification={"CapacityReservationPreference": "none"},
    )["Instances"][0]
    assert "CapacityReservationId" not in declined
    assert declined["CapacityReservationSpecification"] == {"CapacityReservationPreference": "none"}
    first, second = run(ec2, SubnetId=net.subnet_id, MinCount=2, MaxCount=2)["Instances"]
    assert first["CapacityReservationId"] == reservation_id  # the first fills it...
    assert "CapacityReservationId" not in second  # ...the second runs on demand
    assert get(ec2, reservation_id)["AvailableInstanceCount"] == 0
    wait_state(ec2, [first["InstanceId"]], "running")
    ec2.stop_instances(InstanceIds=[first["InstanceId"]])
    assert get(ec2, reservation_id)["AvailableInstanceCount"] == 1  # a stopped one frees it


def test_concurrent_targeted_launches_never_overfill(ec2: Any) -> None:
    net = Network(ec2)
    reservation_id = reserve(ec2, 2, InstanceMatchCriteria="targeted")["CapacityReservationId"]
    target = {"CapacityReservationTarget": {"CapacityReservationId": reservation_id}}
    outcomes = race(
        lambda _: run(ec2, SubnetId=net.subnet_id, CapacityReservationSpecification=target)[
            "Instances"
        ][0]["InstanceId"],
        range(5),
    )
    assert sum(o.startswith("i-") for o in outcomes) == 2
    assert {o for o in outcomes if not o.startswith("i-")} == {"ReservationCapacityExceeded"}
    assert get(ec2, reservation_id)["AvailableInstanceCount"] == 0


def test_modify_count_end_and_expiry(ec2: Any) -> None:
    reservation_id = reserve(ec2, 2)["CapacityReservationId"]
    assert (
        ec2.modify_capacity_reservation(CapacityReservationId=reservation_id, InstanceCount=4)[
            "Return"
        ]
        is True
    )
    assert get(ec2, reservation_id)["TotalInstanceCount"] == 4
    end = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    ec2.modify_capacity_reservation(
        CapacityReservationId=reservation_id, EndDateType="limited", EndDate=end
    )
    found = get(ec2, reservation_id)
    assert found["EndDateType"] == "limited" and found["State"] == "active"
    time.sleep(2.5)
    expired = ec2.describe_capacity_reservations(
        Filters=[{"Name": "state", "Values": ["expired"]}]
    )["CapacityReservations"]
    assert [r["CapacityReservationId"] for r in expired] == [reservation_id]
    assert expired[0]["AvailableInstanceCount"] == 0


def test_filters_pages_and_isolation(gateway: RunningGateway, ec2: Any) -> None:
    ids = [
        reserve(ec2, 1, InstanceType=t)["CapacityReservationId"]
        for t in ("t3.small", "t3.micro", "t3.small")
    ]
    small = ec2.describe_capacity_reservations(
        Filters=[{"Name": "instance-type", "Values": ["t3.small"]}]
    )["CapacityReservations"]
    assert sorted(r["CapacityReservationId"] for r in small) == sorted([ids[0], ids[2]])
    with pytest.raises(ClientError) as exc:
        ec2.describe_capacity_reservations(Filters=[{"Name": "bogus", "Values": ["x"]}])
    assert error_of(exc)[0] == "InvalidParameterValue"
    pages = ec2.get_paginator("describe_capacity_reservations").paginate(
        PaginationConfig={"PageSize": 2}
    )
    assert sorted(
        r["CapacityReservationId"] for p in pages for r in p["CapacityReservations"]
    ) == sorted(ids)
    other = gateway.client(creds=gateway.create_account("other"))
    assert other.describe_capacity_reservations()["CapacityReservations"] == []
    with pytest.raises(ClientError) as exc:
        other.cancel_capacity_reservation(CapacityReservationId=ids[0])
    assert error_of(exc)[0] == "InvalidCapacityReservationId.NotFound"


def test_client_token(ec2: Any) -> None:
    one = reserve(ec2, 1, ClientToken="cr-token")
    assert reserve(ec2, 1, ClientToken="cr-token") == one
    with pytest.raises(ClientError) as exc:
        reserve(ec2, 2, ClientToken="cr-token")
    assert error_of(exc)[0] == "IdempotentParameterMismatch"


def test_cancelled_reservations_go_after_the_retention(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = gateway.runtime.settings
    timings = replace(settings.timings, capacity_reservation_retention=1.0)
    monkeypatch.setattr(gateway.runtime, "settings", replace(settings, timings=timings))
    reservation_id = reserve(ec2, 1)["CapacityReservationId"]
    ec2.cancel_capacity_reservation(CapacityReservationId=reservation_id)
    assert get(ec2, reservation_id)["State"] == "cancelled"
    time.sleep(1.3)
    assert ec2.describe_capacity_reservations()["CapacityReservations"] == []
    with pytest.raises(ClientError) as exc:
        get(ec2, reservation_id)
    assert error_of(exc)[0] == "InvalidCapacityReservationId.NotFound"


def test_dry_run(ec2: Any) -> None:
    reservation_id = reserve(ec2, 1)["CapacityReservationId"]
    for call in (
        lambda: reserve(ec2, 1, DryRun=True),
        lambda: ec2.cancel_capacity_reservation(CapacityReservationId=reservation_id, DryRun=True),
        lambda: ec2.describe_capacity_reservations(DryRun=True),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == "DryRunOperation"
    assert get(ec2, reservation_id)["State"] == "active"
    assert len(ec2.describe_capacity_reservations()["CapacityReservations"]) == 1
