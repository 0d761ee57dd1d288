"""Placement groups through real boto3: strategies, lifecycle states, in-use rule, filters, races."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers import placement_groups
from hive_gateway.core import records
from hive_gateway.core.errors import AwsError
from kv.buckets import account_key
from tests.fixtures.gateway import RunningGateway
from tests.helpers import admin_send, assert_matches_model, error_of, put_raw, race, request_context

WINDOW = 2.0
"""Tests widen the pending/deleting windows (1 s in production) so a slow, shared CI machine
cannot miss a transient state between two calls."""
WAIT = WINDOW + 0.2


@pytest.fixture(autouse=True)
def wide_windows(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("gateway", "nats_gateway"):
        if name in request.fixturenames:
            running: RunningGateway = request.getfixturevalue(name)
            settings = running.runtime.settings
            timings = replace(
                settings.timings, placement_group_pending=WINDOW, placement_group_deleting=WINDOW
            )
            monkeypatch.setattr(running.runtime, "settings", replace(settings, timings=timings))


def describe(ec2: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return list(ec2.describe_placement_groups(**kwargs)["PlacementGroups"])


# --- create ----------------------------------------------------------------------------------------


def test_create_spread_group_pending_then_available(gateway: RunningGateway, ec2: Any) -> None:
    created = ec2.create_placement_group(
        GroupName="web", Strategy="spread",
        TagSpecifications=[{"ResourceType": "placement-group", "Tags": [{"Key": "Name", "Value": "web"}]}],
    )["PlacementGroup"]
    region = gateway.settings.region
    assert created == {
        "GroupName": "web", "State": "pending", "Strategy": "spread", "GroupId": created["GroupId"],
        "Tags": [{"Key": "Name", "Value": "web"}],
        "GroupArn": f"arn:aws:ec2:{region}:000000000001:placement-group/web", "SpreadLevel": "rack",
    }
    assert created["GroupId"].startswith("pg-") and len(created["GroupId"]) == 20
    assert describe(ec2, GroupNames=["web"])[0]["State"] == "pending"
    time.sleep(WAIT)
    (group,) = describe(ec2, GroupNames=["web"])
    assert group == {**created, "State": "available"}


@pytest.mark.parametrize(
    ("kwargs", "partition_count", "spread_level"),
    [
        ({"Strategy": "partition", "PartitionCount": 3}, 3, None),
        ({"Strategy": "partition"}, 2, None),
        ({"Strategy": "partition", "PartitionCount": 7}, 7, None),
        ({"Strategy": "cluster"}, None, None),
        ({}, None, None),
        ({"Strategy": "spread", "SpreadLevel": "host"}, None, "host"),
    ],
    ids=["partition-3", "partition-default", "partition-7", "cluster", "default-cluster", "spread-host"],
)
def test_strategies(ec2: Any, kwargs: dict[str, Any], partition_count: int | None,
                    spread_level: str | None) -> None:
    created = ec2.create_placement_group(GroupName="g", **kwargs)["PlacementGroup"]
    (group,) = describe(ec2, GroupNames=["g"])
    assert group["Strategy"] == kwargs.get("Strategy", "cluster") == created["Strategy"]
    assert group.get("PartitionCount") == partition_count
    assert group.get("SpreadLevel") == spread_level


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        ({"Strategy": "partition", "PartitionCount": 8}, "InvalidParameterValue",
         "Invalid value '8' for partition-count, the value must be between 1 and 7."),
        ({"Strategy": "partition", "PartitionCount": 0}, "InvalidParameterValue",
         "Invalid value '0' for partition-count, the value must be between 1 and 7."),
        ({"Strategy": "spread", "PartitionCount": 2}, "InvalidParameterCombination",
         "PartitionCount can only be specified for the partition placement strategy."),
        ({"Strategy": "precision-time"}, "InvalidParameterValue",
         "The precision-time placement strategy is not supported."),
    ],
)
def test_create_invalid_parameters(ec2: Any, kwargs: dict[str, Any], code: str, message: str) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_placement_group(GroupName="bad", **kwargs)
    assert error_of(exc) == (code, message)
    assert describe(ec2) == []


def test_group_names_must_be_kv_keys(ec2: Any) -> None:
    for name in ("has space", ".leading", "trailing.", "dou..ble", "x" * 256, "ünï"):
        with pytest.raises(ClientError) as exc:
            ec2.create_placement_group(GroupName=name, Strategy="spread")
        code, message = error_of(exc)
        assert code == "InvalidParameterValue" and message.startswith(f"Invalid placement group name '{name}'")
    with pytest.raises(ClientError) as exc:
        ec2.create_placement_group(Strategy="spread")
    assert error_of(exc) == ("MissingParameter", "The request must contain the parameter GroupName")
    for name in ("a.b", "A-b_c=d/e", "x" * 255):
        ec2.create_placement_group(GroupName=name, Strategy="cluster")
    assert len(describe(ec2)) == 3
    with pytest.raises(ClientError) as exc:
        ec2.delete_placement_group(GroupName="has space")
    assert error_of(exc) == ("InvalidPlacementGroup.Unknown", "The Placement Group 'has space' is unknown.")


def test_duplicate_name(ec2: Any) -> None:
    ec2.create_placement_group(GroupName="dup", Strategy="spread")
    with pytest.raises(ClientError) as exc:
        ec2.create_placement_group(GroupName="dup", Strategy="cluster")
    assert error_of(exc) == ("InvalidPlacementGroup.Duplicate", "The placement group 'dup' already exists.")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert [g["Strategy"] for g in describe(ec2)] == ["spread"]


def test_concurrent_creates_of_one_name(gateway: RunningGateway) -> None:
    clients = [gateway.client("ec2") for _ in range(10)]

    def attempt(index: int) -> None:
        clients[index].create_placement_group(GroupName="race", Strategy="spread")

    outcomes = race(attempt, range(10))
    assert outcomes.count("ok") == 1
    assert outcomes.count("InvalidPlacementGroup.Duplicate") == 9
    assert len(describe(clients[0])) == 1


# --- delete --------------------------------------------------------------------------------------


def test_terraform_aws_placement_group_sequence(ec2: Any) -> None:
    """create (pending → available), tags by id, delete (deleting → gone), re-create the name."""
    created = ec2.create_placement_group(
        GroupName="tf", Strategy="spread",
        TagSpecifications=[{"ResourceType": "placement-group", "Tags": [{"Key": "a", "Value": "1"}]}],
    )["PlacementGroup"]
    states = [describe(ec2, GroupNames=["tf"])[0]["State"]]
    deadline = time.monotonic() + 10
    while states[-1] != "available" and time.monotonic() < deadline:
        time.sleep(0.2)
        states.append(describe(ec2, GroupNames=["tf"])[0]["State"])
    assert states[0] == "pending" and states[-1] == "available"
    assert set(states) == {"pending", "available"}
    ec2.delete_tags(Resources=[created["GroupId"]], Tags=[{"Key": "a", "Value": "1"}])
    ec2.create_tags(Resources=[created["GroupId"]], Tags=[{"Key": "b", "Value": "2"}])
    assert describe(ec2, GroupNames=["tf"])[0]["Tags"] == [{"Key": "b", "Value": "2"}]

    ec2.delete_placement_group(GroupName="tf")
    (deleting,) = describe(ec2, GroupNames=["tf"])
    assert deleting["State"] == "deleting" and deleting["GroupId"] == created["GroupId"]
    with pytest.raises(ClientError) as exc:  # a second delete while deleting: already gone
        ec2.delete_placement_group(GroupName="tf")
    assert error_of(exc) == ("InvalidPlacementGroup.Unknown", "The Placement Group 'tf' is unknown.")
    with pytest.raises(ClientError) as exc:  # the name is not free until the group is gone
        ec2.create_placement_group(GroupName="tf", Strategy="spread")
    assert error_of(exc)[0] == "InvalidPlacementGroup.Duplicate"
    time.sleep(WAIT)
    with pytest.raises(ClientError) as exc:
        describe(ec2, GroupNames=["tf"])
    assert error_of(exc) == ("InvalidPlacementGroup.Unknown", "The Placement Group 'tf' is unknown.")
    assert describe(ec2) == []
    again = ec2.create_placement_group(GroupName="tf", Strategy="cluster")["PlacementGroup"]
    assert again["GroupId"] != created["GroupId"] and again["Tags"] == []


def test_recreate_right_after_the_deleting_window(ec2: Any) -> None:
    """Gone but not yet purged: the name is taken over (no Describe in between)."""
    ec2.create_placement_group(GroupName="quick", Strategy="spread")
    ec2.delete_placement_group(GroupName="quick")
    time.sleep(WINDOW + 0.05)
    created = ec2.create_placement_group(GroupName="quick", Strategy="partition")["PlacementGroup"]
    assert created["State"] == "pending" and created["PartitionCount"] == 2
    time.sleep(0.6)  # past the scheduled purge of the old record: the new group survives
    assert describe(ec2, GroupNames=["quick"])[0]["GroupId"] == created["GroupId"]


def test_delete_unknown(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.delete_placement_group(GroupName="nope")
    assert error_of(exc) == ("InvalidPlacementGroup.Unknown", "The Placement Group 'nope' is unknown.")


def test_delete_in_use_by_instances(gateway: RunningGateway, ec2: Any) -> None:
    ec2.create_placement_group(GroupName="busy", Strategy="spread")
    key = account_key("000000000001", "i-0123456789abcdef0")
    instance = {"instance_id": "i-0123456789abcdef0", "state": "running", "placement_group": "busy"}
    put_raw(gateway, "instances", key, instance)
    put_raw(gateway, "instances", account_key("000000000001", "i-0000000000000000a"),
            {"instance_id": "i-0000000000000000a", "state": "running", "placement_group": "other"})
    for state in ("running", "stopped", "pending", "shutting-down"):
        put_raw(gateway, "instances", key, {**instance, "state": state})
        with pytest.raises(ClientError) as exc:
            ec2.delete_placement_group(GroupName="busy")
        assert error_of(exc) == ("InvalidPlacementGroup.InUse",
                                 "The placement group 'busy' is in use and may not be deleted.")
    assert describe(ec2, GroupNames=["busy"])[0]["State"] in ("pending", "available")
    put_raw(gateway, "instances", key, {**instance, "state": "terminated"})
    ec2.delete_placement_group(GroupName="busy")
    assert describe(ec2, GroupNames=["busy"])[0]["State"] == "deleting"


def test_delete_in_use_by_hive_node_instances(gateway: RunningGateway, ec2: Any) -> None:
    """Hive's daemons record placed instances in ``node_instances``; those block a delete too."""
    put_raw(gateway, "placement_groups", account_key("000000000001", "hive-pg"), {
        "group_id": "pg-0123456789abcdef0", "group_name": "hive-pg", "strategy": "spread",
        "state": "available", "spread_level": "host", "account_id": "000000000001",
        "node_instances": {"node1": ["i-0123456789abcdef0"]},
    })
    (group,) = describe(ec2, GroupNames=["hive-pg"])  # a Hive-written record reads fine
    assert group["State"] == "available" and group["SpreadLevel"] == "host" and group["Tags"] == []
    with pytest.raises(ClientError) as exc:
        ec2.delete_placement_group(GroupName="hive-pg")
    assert error_of(exc)[0] == "InvalidPlacementGroup.InUse"
    put_raw(gateway, "placement_groups", account_key("000000000001", "hive-pg"), {
        "group_id": "pg-0123456789abcdef0", "group_name": "hive-pg", "strategy": "spread",
        "state": "available", "spread_level": "host", "account_id": "000000000001",
        "node_instances": {"node1": None, "node2": []},
    })
    ec2.delete_placement_group(GroupName="hive-pg")


# --- describe --------------------------------------------------------------------------------------


def test_describe_ids_names_and_every_filter(gateway: RunningGateway, ec2: Any) -> None:
    a = ec2.create_placement_group(GroupName="a-spread", Strategy="spread", TagSpecifications=[
        {"ResourceType": "placement-group", "Tags": [{"Key": "team", "Value": "red"}]}])["PlacementGroup"]
    b = ec2.create_placement_group(GroupName="b-cluster", Strategy="cluster", TagSpecifications=[
        {"ResourceType": "placement-group", "Tags": [{"Key": "x", "Value": "blue"}]}])["PlacementGroup"]
    ec2.create_placement_group(GroupName="c-host", Strategy="spread", SpreadLevel="host")
    time.sleep(WAIT)
    ec2.create_placement_group(GroupName="d-part", Strategy="partition", PartitionCount=4)

    def names(**kwargs: Any) -> list[str]:
        return [g["GroupName"] for g in describe(ec2, **kwargs)]

    def by(name: str, *values: str) -> list[str]:
        return names(Filters=[{"Name": name, "Values": list(values)}])

    assert names() == ["a-spread", "b-cluster", "c-host", "d-part"]
    assert names(GroupIds=[b["GroupId"], a["GroupId"]]) == ["a-spread", "b-cluster"]
    assert names(GroupNames=["c-host", "a-spread"]) == ["a-spread", "c-host"]
    assert by("group-name", "*-spread", "c-h?st") == ["a-spread", "c-host"]
    assert by("group-id", a["GroupId"]) == ["a-spread"]
    assert by("group-arn", a["GroupArn"]) == ["a-spread"]
    assert by("spread-level", "rack") == ["a-spread"]
    assert by("spread-level", "host") == ["c-host"]
    assert by("strategy", "cluster", "partition") == ["b-cluster", "d-part"]
    assert by("state", "pending") == ["d-part"]
    assert by("state", "available") == ["a-spread", "b-cluster", "c-host"]
    assert by("tag:team", "red") == ["a-spread"]
    assert by("tag-key", "x") == ["b-cluster"]
    assert by("tag-value", "blue", "red") == ["a-spread", "b-cluster"]
    with pytest.raises(ClientError) as exc:
        by("owner-id", "1")
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'owner-id' is invalid")
    with pytest.raises(ClientError) as exc:
        describe(ec2, GroupNames=["a-spread", "zzz"])
    assert error_of(exc) == ("InvalidPlacementGroup.Unknown", "The Placement Group 'zzz' is unknown.")
    with pytest.raises(ClientError) as exc:
        describe(ec2, GroupIds=["pg-00000000000000000"])
    assert error_of(exc) == ("InvalidPlacementGroup.Unknown", "The Placement Group 'pg-00000000000000000' is unknown.")


def test_describe_placement_groups_wire_format(gateway: RunningGateway, ec2: Any) -> None:
    ec2.create_placement_group(GroupName="wire", Strategy="partition", PartitionCount=2,
                               TagSpecifications=[{"ResourceType": "placement-group",
                                                   "Tags": [{"Key": "a", "Value": "b"}]}])
    answer = admin_send(gateway, "Action=DescribePlacementGroups&Version=2016-11-15&GroupName.1=wire")
    assert answer.status == 200
    assert_matches_model(answer.body, "DescribePlacementGroups")
    assert "<state>pending</state>" in answer.text and "<partitionCount>2</partitionCount>" in answer.text
    deleted = admin_send(gateway, "Action=DeletePlacementGroup&Version=2016-11-15&GroupName=wire")
    assert deleted.status == 200
    assert_matches_model(deleted.body, "DeletePlacementGroup")


# --- isolation and exports -----------------------------------------------------------------------


def test_tenant_isolation(gateway: RunningGateway, ec2: Any) -> None:
    mine = ec2.create_placement_group(GroupName="same", Strategy="spread")["PlacementGroup"]
    other = gateway.client("ec2", creds=gateway.create_account("tenant-pg"))
    assert describe(other) == []
    with pytest.raises(ClientError) as exc:
        describe(other, GroupNames=["same"])
    assert error_of(exc) == ("InvalidPlacementGroup.Unknown", "The Placement Group 'same' is unknown.")
    with pytest.raises(ClientError) as exc:
        describe(other, GroupIds=[mine["GroupId"]])
    assert error_of(exc)[0] == "InvalidPlacementGroup.Unknown"
    with pytest.raises(ClientError) as exc:
        other.delete_placement_group(GroupName="same")
    assert error_of(exc)[0] == "InvalidPlacementGroup.Unknown"
    with pytest.raises(ClientError) as exc:
        other.create_tags(Resources=[mine["GroupId"]], Tags=[{"Key": "a", "Value": "b"}])
    assert error_of(exc)[0] == "InvalidPlacementGroup.Unknown"
    theirs = other.create_placement_group(GroupName="same", Strategy="cluster")["PlacementGroup"]
    assert theirs["GroupArn"].split(":")[4] != mine["GroupArn"].split(":")[4]
    assert describe(ec2, GroupNames=["same"])[0]["GroupId"] == mine["GroupId"]


def test_get_placement_group(gateway: RunningGateway, ec2: Any) -> None:
    created = ec2.create_placement_group(GroupName="run-here", Strategy="spread")["PlacementGroup"]
    ctx = request_context(gateway)
    record = gateway.run(placement_groups.get_placement_group(ctx, "run-here"))  # usable while pending
    assert record["group_id"] == created["GroupId"] and record["strategy"] == "spread"
    assert record["group_name"] == "run-here" and record["node_instances"] == {}
    for name, account in (("missing", "000000000001"), ("run-here", "000000000077"), ("bad name", "000000000001")):
        with pytest.raises(AwsError) as exc:
            gateway.run(placement_groups.get_placement_group(request_context(gateway, account), name))
        assert (exc.value.code, exc.value.message) == (
            "InvalidPlacementGroup.Unknown", f"The Placement Group '{name}' is unknown.")
    ec2.delete_placement_group(GroupName="run-here")
    with pytest.raises(AwsError):
        gateway.run(placement_groups.get_placement_group(ctx, "run-here"))


def test_stored_record_is_hive_shaped(gateway: RunningGateway, ec2: Any) -> None:
    created = ec2.create_placement_group(GroupName="stored", Strategy="partition", PartitionCount=5)
    bucket = gateway.run(records.records(request_context(gateway), placement_groups.PLACEMENT_GROUP))
    found = gateway.run(bucket.get(account_key("000000000001", "stored")))
    assert found is not None
    record = found[0]
    assert {k: record[k] for k in ("group_id", "group_name", "strategy", "state", "spread_level",
                                   "account_id", "node_instances", "partition_count")} == {
        "group_id": created["PlacementGroup"]["GroupId"], "group_name": "stored", "strategy": "partition",
        "state": "available", "spread_level": "", "account_id": "000000000001", "node_instances": {},
        "partition_count": 5,
    }
    ec2.delete_placement_group(GroupName="stored")
    time.sleep(WINDOW + 0.8)  # the scheduled purge removes the record
    assert gateway.run(bucket.get(account_key("000000000001", "stored"))) is None


def test_placement_groups_over_nats(nats_gateway: RunningGateway) -> None:
    """Create-if-absent on the name key and the delete/purge cycle over real JetStream KV."""
    ec2 = nats_gateway.client("ec2")
    created = ec2.create_placement_group(GroupName="nats.pg", Strategy="spread")["PlacementGroup"]
    with pytest.raises(ClientError) as exc:
        ec2.create_placement_group(GroupName="nats.pg", Strategy="spread")
    assert error_of(exc)[0] == "InvalidPlacementGroup.Duplicate"
    assert describe(ec2, GroupNames=["nats.pg"])[0]["GroupId"] == created["GroupId"]
    ec2.delete_placement_group(GroupName="nats.pg")
    assert describe(ec2, GroupNames=["nats.pg"])[0]["State"] == "deleting"
    time.sleep(WAIT)
    assert describe(ec2) == []
    assert ec2.create_placement_group(GroupName="nats.pg", Strategy="cluster")["PlacementGroup"]["Strategy"] == "cluster"
