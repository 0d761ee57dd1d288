"""VPC peering connections end to end: boto3 against a real gateway."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers.vpc_peering.store import PCX
from hive_gateway.core import clock, records, startup
from hive_gateway.core.ids import new_id
from tests.fixtures.gateway import RunningGateway
from tests.helpers import error_of, new_vpc, request_context, tag_specifications, wait_for


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch, gateway: RunningGateway) -> None:
    """Peering transitions take 0.3 s (AWS: a few seconds); retention stays long."""
    settings = gateway.runtime.settings
    timings = replace(settings.timings, vpc_peering_transition=0.3)
    monkeypatch.setattr(gateway.runtime, "settings", replace(settings, timings=timings))


def state_of(ec2: Any, pcx_id: str) -> str:
    found = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])
    return str(found["VpcPeeringConnections"][0]["Status"]["Code"])


def until_state(ec2: Any, pcx_id: str, state: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        found = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])
        pcx = found["VpcPeeringConnections"][0]
        return pcx if pcx["Status"]["Code"] == state else None

    return wait_for(probe, timeout=10)


def request(ec2: Any, vpc_id: str, peer_vpc_id: str, **extra: Any) -> str:
    created = ec2.create_vpc_peering_connection(VpcId=vpc_id, PeerVpcId=peer_vpc_id, **extra)
    return str(created["VpcPeeringConnection"]["VpcPeeringConnectionId"])


def test_terraform_auto_accept_flow(ec2: Any, gateway: RunningGateway) -> None:
    """Create (initiating-request → pending-acceptance), accept (provisioning → active),
    options, delete (deleting → deleted, still describable but gone for tags)."""
    vpc_a = new_vpc(ec2, "10.1.0.0/16")
    vpc_b = new_vpc(ec2, "10.2.0.0/16")
    created = ec2.create_vpc_peering_connection(
        VpcId=vpc_a,
        PeerVpcId=vpc_b,
        TagSpecifications=tag_specifications("vpc-peering-connection", Name="a-b"),
    )["VpcPeeringConnection"]
    pcx_id = created["VpcPeeringConnectionId"]
    assert pcx_id.startswith("pcx-") and len(pcx_id) == 21
    assert created["Status"]["Code"] == "initiating-request"
    assert created["RequesterVpcInfo"]["VpcId"] == vpc_a
    assert created["RequesterVpcInfo"]["OwnerId"] == gateway.admin.account_id
    assert created["RequesterVpcInfo"]["CidrBlockSet"] == [{"CidrBlock": "10.1.0.0/16"}]
    assert created["AccepterVpcInfo"]["VpcId"] == vpc_b
    assert created["AccepterVpcInfo"]["Region"] == gateway.settings.region
    assert created["Tags"] == [{"Key": "Name", "Value": "a-b"}]

    pending = until_state(ec2, pcx_id, "pending-acceptance")
    assert pending["Status"]["Message"] == f"Pending Acceptance by {gateway.admin.account_id}"
    assert "ExpirationTime" in pending
    assert "PeeringOptions" not in pending["AccepterVpcInfo"]

    accepted = ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert accepted["VpcPeeringConnection"]["Status"]["Code"] == "provisioning"
    active = until_state(ec2, pcx_id, "active")
    assert active["AccepterVpcInfo"]["CidrBlock"] == "10.2.0.0/16"
    assert active["AccepterVpcInfo"]["PeeringOptions"] == {
        "AllowDnsResolutionFromRemoteVpc": False,
        "AllowEgressFromLocalClassicLinkToRemoteVpc": False,
        "AllowEgressFromLocalVpcToRemoteClassicLink": False,
    }
    assert "ExpirationTime" not in active

    modified = ec2.modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx_id,
        AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True},
    )
    assert modified["AccepterPeeringConnectionOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
    assert "RequesterPeeringConnectionOptions" not in modified
    read = until_state(ec2, pcx_id, "active")
    assert read["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
    assert read["RequesterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is False

    assert ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)["Return"] is True
    assert state_of(ec2, pcx_id) == "deleting"
    gone = until_state(ec2, pcx_id, "deleted")
    assert gone["Status"]["Message"] == f"Deleted by {gateway.admin.account_id}"
    with pytest.raises(ClientError) as exc:
        ec2.create_tags(Resources=[pcx_id], Tags=[{"Key": "k", "Value": "v"}])
    assert error_of(exc)[0] == "InvalidVpcPeeringConnectionID.NotFound"
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert error_of(exc) == (
        "InvalidStateTransition",
        f"Invalid state transition for {pcx_id}, attempted to transition from deleted to deleting",
    )


def test_overlapping_cidrs_fail(ec2: Any) -> None:
    vpc_a = new_vpc(ec2, "10.3.0.0/16")
    vpc_b = new_vpc(ec2, "10.3.128.0/17")
    pcx_id = request(ec2, vpc_a, vpc_b)
    failed = until_state(ec2, pcx_id, "failed")
    assert failed["Status"]["Message"] == "Overlapping IPv4 CIDR blocks"
    with pytest.raises(ClientError) as exc:
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert error_of(exc)[0] == "InvalidStateTransition"
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert "from failed to deleting" in error_of(exc)[1]


def test_errors(ec2: Any) -> None:
    vpc_a = new_vpc(ec2, "10.4.0.0/16")
    with pytest.raises(ClientError) as exc:
        request(ec2, vpc_a, "vpc-0123456789abcdef0")
    assert error_of(exc) == (
        "InvalidVpcID.NotFound",
        "The vpc ID 'vpc-0123456789abcdef0' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=["pcx-0123456789abcdef0"])
    assert error_of(exc) == (
        "InvalidVpcPeeringConnectionID.NotFound",
        "The vpcPeeringConnection ID 'pcx-0123456789abcdef0' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId="pcx-0123456789abcdef0")
    assert error_of(exc)[0] == "InvalidVpcPeeringConnectionID.NotFound"
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpc_peering_connections(Filters=[{"Name": "nope", "Values": ["x"]}])
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'nope' is invalid")
    with pytest.raises(ClientError) as exc:
        request(ec2, vpc_a, new_vpc(ec2, "10.5.0.0/16"), PeerOwnerId="12ab")
    assert error_of(exc)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        request(ec2, vpc_a, new_vpc(ec2, "10.6.0.0/16"), DryRun=True)
    assert error_of(exc)[0] == "DryRunOperation"
    assert ec2.describe_vpc_peering_connections()["VpcPeeringConnections"] == []


def test_options_need_an_active_connection_and_reject(ec2: Any) -> None:
    pcx_id = request(ec2, new_vpc(ec2, "10.7.0.0/16"), new_vpc(ec2, "10.8.0.0/16"))
    until_state(ec2, pcx_id, "pending-acceptance")
    with pytest.raises(ClientError) as exc:
        ec2.modify_vpc_peering_connection_options(
            VpcPeeringConnectionId=pcx_id,
            RequesterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True},
        )
    assert error_of(exc) == (
        "OperationNotPermitted",
        f"Peering {pcx_id} is not active. Peering options can be added only to active peerings.",
    )
    assert ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)["Return"] is True
    assert state_of(ec2, pcx_id) == "rejected"
    with pytest.raises(ClientError) as exc:
        ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert error_of(exc)[0] == "InvalidStateTransition"


def test_filters_and_pages(ec2: Any) -> None:
    vpc_a = new_vpc(ec2, "10.10.0.0/16")
    ids = [request(ec2, vpc_a, new_vpc(ec2, f"10.{11 + i}.0.0/16")) for i in range(3)]
    ec2.create_tags(Resources=[ids[0]], Tags=[{"Key": "team", "Value": "net"}])
    by_tag = ec2.describe_vpc_peering_connections(Filters=[{"Name": "tag:team", "Values": ["net"]}])
    assert [p["VpcPeeringConnectionId"] for p in by_tag["VpcPeeringConnections"]] == [ids[0]]
    by_vpc = ec2.describe_vpc_peering_connections(
        Filters=[{"Name": "requester-vpc-info.vpc-id", "Values": [vpc_a]}]
    )
    assert sorted(p["VpcPeeringConnectionId"] for p in by_vpc["VpcPeeringConnections"]) == sorted(
        ids
    )
    by_cidr = ec2.describe_vpc_peering_connections(
        Filters=[{"Name": "accepter-vpc-info.cidr-block", "Values": ["10.12.0.0/16"]}]
    )
    assert [p["VpcPeeringConnectionId"] for p in by_cidr["VpcPeeringConnections"]] == [ids[1]]
    first = ec2.describe_vpc_peering_connections(MaxResults=5)
    page = ec2.describe_vpc_peering_connections(
        MaxResults=5, Filters=[{"Name": "status-code", "Values": ["*"]}]
    )
    assert len(first["VpcPeeringConnections"]) == 3 and "NextToken" not in page
    seen: list[str] = []
    token: dict[str, str] = {}
    while True:
        got = ec2.describe_vpc_peering_connections(MaxResults=5, **token)
        seen += [p["VpcPeeringConnectionId"] for p in got["VpcPeeringConnections"]]
        if "NextToken" not in got:
            break
        token = {"NextToken": got["NextToken"]}
    assert sorted(seen) == sorted(ids)


def test_routes_to_a_connection_blackhole_when_it_goes(ec2: Any) -> None:
    vpc_a = new_vpc(ec2, "10.20.0.0/16")
    vpc_b = new_vpc(ec2, "10.21.0.0/16")
    pcx_id = request(ec2, vpc_a, vpc_b)
    until_state(ec2, pcx_id, "pending-acceptance")
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    tables = {}
    for vpc_id, cidr in ((vpc_a, "10.21.0.0/16"), (vpc_b, "10.20.0.0/16")):
        table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        ec2.create_route(
            RouteTableId=table_id, DestinationCidrBlock=cidr, VpcPeeringConnectionId=pcx_id
        )
        tables[table_id] = cidr
    with pytest.raises(ClientError) as exc:
        ec2.create_route(
            RouteTableId=next(iter(tables)),
            DestinationCidrBlock="10.99.0.0/16",
            VpcPeeringConnectionId="pcx-0123456789abcdef0",
        )
    assert error_of(exc)[0] == "InvalidVpcPeeringConnectionID.NotFound"

    def routes() -> list[dict[str, Any]]:
        described = ec2.describe_route_tables(RouteTableIds=list(tables))["RouteTables"]
        return [r for t in described for r in t["Routes"] if "VpcPeeringConnectionId" in r]

    assert [r["State"] for r in routes()] == ["active", "active"]
    filtered = ec2.describe_route_tables(
        Filters=[{"Name": "route.vpc-peering-connection-id", "Values": [pcx_id]}]
    )
    assert sorted(t["RouteTableId"] for t in filtered["RouteTables"]) == sorted(tables)
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert [r["State"] for r in routes()] == ["blackhole", "blackhole"]


def test_delete_vpc_deletes_its_active_connection(ec2: Any) -> None:
    vpc_a = new_vpc(ec2, "10.30.0.0/16")
    vpc_b = new_vpc(ec2, "10.31.0.0/16")
    pcx_id = request(ec2, vpc_a, vpc_b)
    until_state(ec2, pcx_id, "pending-acceptance")
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    table_id = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_a]}])[
        "RouteTables"
    ][0]["RouteTableId"]
    ec2.create_route(
        RouteTableId=table_id, DestinationCidrBlock="10.31.0.0/16", VpcPeeringConnectionId=pcx_id
    )
    other_table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_b]}])[
        "RouteTables"
    ][0]["RouteTableId"]
    ec2.create_route(
        RouteTableId=other_table, DestinationCidrBlock="10.30.0.0/16", VpcPeeringConnectionId=pcx_id
    )
    ec2.delete_vpc(VpcId=vpc_a)
    assert state_of(ec2, pcx_id) in ("deleting", "deleted")
    remaining = ec2.describe_route_tables(RouteTableIds=[other_table])["RouteTables"][0]
    peered = [r for r in remaining["Routes"] if r.get("VpcPeeringConnectionId") == pcx_id]
    assert [r["State"] for r in peered] == ["blackhole"]


def test_cross_account_peering(gateway: RunningGateway, ec2: Any) -> None:
    """The accepter account sees and accepts the request; a third account sees nothing; tags
    are each side's own; a pending request from another account blocks the accepter's
    DeleteVpc until rejected."""
    bob_creds = gateway.create_account("bob")
    eve_creds = gateway.create_account("eve")
    bob = gateway.client("ec2", bob_creds)
    eve = gateway.client("ec2", eve_creds)
    vpc_a = new_vpc(ec2, "10.40.0.0/16")
    vpc_b = new_vpc(bob, "10.41.0.0/16")
    pcx_id = request(
        ec2,
        vpc_a,
        vpc_b,
        PeerOwnerId=bob_creds.account_id,
        TagSpecifications=tag_specifications("vpc-peering-connection", Name="mine"),
    )
    seen = until_state(bob, pcx_id, "pending-acceptance")
    assert seen["RequesterVpcInfo"]["OwnerId"] == gateway.admin.account_id
    assert seen["AccepterVpcInfo"]["OwnerId"] == bob_creds.account_id
    assert seen["Tags"] == []
    for call in (
        lambda: eve.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id]),
        lambda: eve.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id),
        lambda: eve.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id),
        lambda: eve.create_tags(Resources=[pcx_id], Tags=[{"Key": "k", "Value": "v"}]),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == (
            "InvalidVpcPeeringConnectionID.NotFound",
            f"The vpcPeeringConnection ID '{pcx_id}' does not exist",
        )
    assert eve.describe_vpc_peering_connections()["VpcPeeringConnections"] == []
    with pytest.raises(ClientError) as exc:
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert error_of(exc)[0] == "OperationNotPermitted"
    with pytest.raises(ClientError) as exc:
        bob.delete_vpc(VpcId=vpc_b)
    assert error_of(exc)[0] == "DependencyViolation"

    bob.create_tags(Resources=[pcx_id], Tags=[{"Key": "Name", "Value": "theirs"}])
    bob.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    until_state(ec2, pcx_id, "active")
    assert until_state(bob, pcx_id, "active")["Tags"] == [{"Key": "Name", "Value": "theirs"}]
    assert state_of(ec2, pcx_id) == "active"
    mine = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])
    assert mine["VpcPeeringConnections"][0]["Tags"] == [{"Key": "Name", "Value": "mine"}]
    with pytest.raises(ClientError) as exc:
        ec2.modify_vpc_peering_connection_options(
            VpcPeeringConnectionId=pcx_id,
            AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True},
        )
    assert error_of(exc)[0] == "OperationNotPermitted"
    table_b = bob.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_b]}])[
        "RouteTables"
    ][0]["RouteTableId"]
    bob.create_route(
        RouteTableId=table_b, DestinationCidrBlock="10.40.0.0/16", VpcPeeringConnectionId=pcx_id
    )
    bob.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert until_state(ec2, pcx_id, "deleted")["Status"]["Message"] == (
        f"Deleted by {bob_creds.account_id}"
    )
    routes = bob.describe_route_tables(RouteTableIds=[table_b])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("VpcPeeringConnectionId")] == ["blackhole"]

    second = request(ec2, vpc_a, vpc_b, PeerOwnerId=bob_creds.account_id)
    until_state(bob, second, "pending-acceptance")
    with pytest.raises(ClientError) as exc:
        bob.delete_vpc(VpcId=vpc_b)
    assert error_of(exc)[0] == "DependencyViolation"
    bob.reject_vpc_peering_connection(VpcPeeringConnectionId=second)
    assert state_of(ec2, second) == "rejected"
    bob.delete_vpc(VpcId=vpc_b)


def test_cross_account_request_for_an_unknown_vpc_fails(gateway: RunningGateway, ec2: Any) -> None:
    bob_creds = gateway.create_account("bob")
    pcx_id = request(
        ec2, new_vpc(ec2, "10.50.0.0/16"), "vpc-0123456789abcdef0", PeerOwnerId=bob_creds.account_id
    )
    failed = until_state(ec2, pcx_id, "failed")
    assert failed["Status"]["Message"] == "The vpc ID 'vpc-0123456789abcdef0' does not exist"
    bob = gateway.client("ec2", bob_creds)
    assert bob.describe_vpc_peering_connections()["VpcPeeringConnections"] == []


def test_cross_account_peering_over_nats(nats_gateway: RunningGateway) -> None:
    """The two-record layout (the requester's connection, the accepter's link) on a real
    JetStream store: accept, options, delete seen from both accounts."""
    ec2 = nats_gateway.client("ec2")
    bob_creds = nats_gateway.create_account("bob")
    bob = nats_gateway.client("ec2", bob_creds)
    vpc_a = new_vpc(ec2, "10.90.0.0/16")
    vpc_b = new_vpc(bob, "10.91.0.0/16")
    pcx_id = request(ec2, vpc_a, vpc_b, PeerOwnerId=bob_creds.account_id)
    until_state(bob, pcx_id, "pending-acceptance")
    bob.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    until_state(ec2, pcx_id, "active")
    bob.modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx_id,
        AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True},
    )
    seen = until_state(ec2, pcx_id, "active")
    assert seen["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert until_state(bob, pcx_id, "deleted")["Status"]["Message"] == (
        f"Deleted by {nats_gateway.admin.account_id}"
    )


def test_startup_repair_mends_cross_account_links(gateway: RunningGateway, ec2: Any) -> None:
    """A link lost (create cut after the connection), a stale link state (a change cut before
    its mirror) and an orphan link (a connection gone) are made whole at start-up."""
    bob_creds = gateway.create_account("bob")
    bob = gateway.client("ec2", bob_creds)
    vpc_b = new_vpc(bob, "10.95.0.0/16")
    pcx_id = request(ec2, new_vpc(ec2, "10.94.0.0/16"), vpc_b, PeerOwnerId=bob_creds.account_id)
    until_state(bob, pcx_id, "pending-acceptance")
    bob_ctx = request_context(gateway, bob_creds.account_id)
    gateway.run(records.delete(bob_ctx, PCX, pcx_id))
    assert bob.describe_vpc_peering_connections()["VpcPeeringConnections"] == []
    orphan = new_id("vpc-peering-connection")
    gateway.run(
        records.create(
            bob_ctx,
            PCX,
            {
                "vpc_peering_connection_id": orphan,
                "link": True,
                "owner_id": gateway.admin.account_id,
                "state": "pending-acceptance",
                "accepter_vpc_id": vpc_b,
                "accepter_owner_id": bob_creds.account_id,
                "tags": {},
                "created_at": clock.utc_now(),
                "account_id": bob_creds.account_id,
            },
        )
    )
    with pytest.raises(ClientError) as exc:
        bob.delete_vpc(VpcId=vpc_b)  # the orphan link holds it
    assert error_of(exc)[0] == "DependencyViolation"

    fixed = gateway.run(startup.run_repairs(gateway.runtime, grace=0.0))
    assert fixed.get("peering-links") == 2
    assert until_state(bob, pcx_id, "pending-acceptance")["VpcPeeringConnectionId"] == pcx_id
    assert gateway.run(records.find(bob_ctx, PCX, orphan, live_only=False)) is None

    gateway.run(records.mutate(bob_ctx, PCX, pcx_id, lambda r: {**r, "state": "active"}))
    assert gateway.run(startup.run_repairs(gateway.runtime, grace=0.0)).get("peering-links") == 1
    link = gateway.run(records.find(bob_ctx, PCX, pcx_id, live_only=False))
    assert link is not None and link["state"] == "pending-acceptance"
    assert gateway.run(startup.run_repairs(gateway.runtime, grace=0.0)).get("peering-links") is None
