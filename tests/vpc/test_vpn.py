"""Customer gateways, VPN gateways with their attachments, and route propagation: boto3
against a real gateway."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.gateway import RunningGateway
from tests.helpers import error_of, new_vpc, race, tag_specifications, wait_for


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch, gateway: RunningGateway) -> None:
    """Attachment transitions take 0.3 s."""
    settings = gateway.runtime.settings
    timings = replace(settings.timings, vpn_gateway_transition=0.3)
    monkeypatch.setattr(gateway.runtime, "settings", replace(settings, timings=timings))


def attachment(ec2: Any, vgw_id: str) -> list[dict[str, Any]]:
    found = ec2.describe_vpn_gateways(VpnGatewayIds=[vgw_id])["VpnGateways"][0]
    return list(found["VpcAttachments"])


def until_attachment(ec2: Any, vgw_id: str, state: str) -> list[dict[str, Any]]:
    def probe() -> list[dict[str, Any]] | None:
        found = attachment(ec2, vgw_id)
        return found if found and found[0]["State"] == state else None

    return wait_for(probe, timeout=10)


def test_customer_gateway_lifecycle(ec2: Any) -> None:
    created = ec2.create_customer_gateway(
        BgpAsn=65010,
        IpAddress="203.0.113.12",
        Type="ipsec.1",
        DeviceName="edge-1",
        TagSpecifications=tag_specifications("customer-gateway", Name="office"),
    )["CustomerGateway"]
    cgw_id = created["CustomerGatewayId"]
    assert cgw_id.startswith("cgw-")
    assert created["BgpAsn"] == "65010"
    assert created["IpAddress"] == "203.0.113.12"
    assert created["State"] == "available" and created["Type"] == "ipsec.1"
    assert created["DeviceName"] == "edge-1"
    assert created["Tags"] == [{"Key": "Name", "Value": "office"}]
    again = ec2.create_customer_gateway(BgpAsn=65010, IpAddress="203.0.113.12", Type="ipsec.1")
    assert again["CustomerGateway"]["CustomerGatewayId"] == cgw_id
    other = ec2.create_customer_gateway(IpAddress="203.0.113.13", Type="ipsec.1")
    assert other["CustomerGateway"]["BgpAsn"] == "65000"
    by_ip = ec2.describe_customer_gateways(
        Filters=[{"Name": "ip-address", "Values": ["203.0.113.12"]}]
    )["CustomerGateways"]
    assert [g["CustomerGatewayId"] for g in by_ip] == [cgw_id]
    by_asn = ec2.describe_customer_gateways(Filters=[{"Name": "bgp-asn", "Values": ["65000"]}])
    assert [g["IpAddress"] for g in by_asn["CustomerGateways"]] == ["203.0.113.13"]

    ec2.delete_customer_gateway(CustomerGatewayId=cgw_id)
    deleted = ec2.describe_customer_gateways(CustomerGatewayIds=[cgw_id])["CustomerGateways"]
    assert deleted[0]["State"] == "deleted"
    with pytest.raises(ClientError) as exc:
        ec2.delete_customer_gateway(CustomerGatewayId=cgw_id)
    assert error_of(exc) == (
        "InvalidCustomerGatewayID.NotFound",
        f"The customerGateway ID '{cgw_id}' does not exist",
    )
    fresh = ec2.create_customer_gateway(BgpAsn=65010, IpAddress="203.0.113.12", Type="ipsec.1")
    assert fresh["CustomerGateway"]["CustomerGatewayId"] != cgw_id


def test_customer_gateway_errors(ec2: Any) -> None:
    cases = [
        ({"BgpAsn": 65000, "IpAddress": "not-an-ip", "Type": "ipsec.1"}, "InvalidParameterValue"),
        ({"BgpAsn": 0, "IpAddress": "203.0.113.1", "Type": "ipsec.1"}, "InvalidParameterValue"),
        (
            {
                "BgpAsn": 1,
                "BgpAsnExtended": 2147483648,
                "IpAddress": "203.0.113.1",
                "Type": "ipsec.1",
            },
            "InvalidParameterCombination",
        ),
        ({"BgpAsn": 65000, "IpAddress": "203.0.113.1", "Type": "ipsec.2"}, "InvalidParameterValue"),
        ({"BgpAsn": 65000, "Type": "ipsec.1"}, "MissingParameter"),
        (
            {"BgpAsn": 65000, "IpAddress": "203.0.113.1", "Type": "ipsec.1", "DryRun": True},
            "DryRunOperation",
        ),
    ]
    for params, wanted in cases:
        with pytest.raises(ClientError) as exc:
            ec2.create_customer_gateway(**params)
        assert error_of(exc)[0] == wanted, params
    extended = ec2.create_customer_gateway(
        BgpAsnExtended=4200000001, IpAddress="203.0.113.2", Type="ipsec.1"
    )["CustomerGateway"]
    assert extended["BgpAsnExtended"] == "4200000001"
    with pytest.raises(ClientError) as exc:
        ec2.describe_customer_gateways(CustomerGatewayIds=["cgw-0123456789abcdef0"])
    assert error_of(exc)[0] == "InvalidCustomerGatewayID.NotFound"
    with pytest.raises(ClientError) as exc:
        ec2.describe_customer_gateways(Filters=[{"Name": "nope", "Values": ["1"]}])
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_vpn_gateway_attach_detach_delete(ec2: Any) -> None:
    """Terraform's sequence: create, attach (attaching → attached), detach (detaching →
    detached), delete (IncorrectState while still attached)."""
    vpc_id = new_vpc(ec2, "10.60.0.0/16")
    created = ec2.create_vpn_gateway(
        Type="ipsec.1",
        AmazonSideAsn=64600,
        TagSpecifications=tag_specifications("vpn-gateway", Name="vgw"),
    )["VpnGateway"]
    vgw_id = created["VpnGatewayId"]
    assert vgw_id.startswith("vgw-")
    assert created["State"] == "available"
    assert created["AmazonSideAsn"] == 64600
    assert created["VpcAttachments"] == []
    assert created["Tags"] == [{"Key": "Name", "Value": "vgw"}]
    default_asn = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]
    assert default_asn["AmazonSideAsn"] == 64512

    answer = ec2.attach_vpn_gateway(VpnGatewayId=vgw_id, VpcId=vpc_id)
    assert answer["VpcAttachment"] == {"VpcId": vpc_id, "State": "attaching"}
    assert attachment(ec2, vgw_id)[0]["State"] == "attaching"
    until_attachment(ec2, vgw_id, "attached")
    by_vpc = ec2.describe_vpn_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])[
        "VpnGateways"
    ]
    assert [g["VpnGatewayId"] for g in by_vpc] == [vgw_id]

    with pytest.raises(ClientError) as exc:
        ec2.attach_vpn_gateway(VpnGatewayId=default_asn["VpnGatewayId"], VpcId=vpc_id)
    assert error_of(exc) == (
        "InvalidVpcState",
        f"VPC {vpc_id} is currently attached to the Virtual Private Gateway.",
    )
    with pytest.raises(ClientError) as exc:
        ec2.attach_vpn_gateway(VpnGatewayId=vgw_id, VpcId=new_vpc(ec2, "10.61.0.0/16"))
    assert error_of(exc)[0] == "VpnGatewayAttachmentLimitExceeded"
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpn_gateway(VpnGatewayId=vgw_id)
    assert error_of(exc)[0] == "IncorrectState"
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc(VpcId=vpc_id)
    assert error_of(exc)[0] == "DependencyViolation"

    ec2.detach_vpn_gateway(VpnGatewayId=vgw_id, VpcId=vpc_id)
    assert attachment(ec2, vgw_id)[0]["State"] == "detaching"
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpn_gateway(VpnGatewayId=vgw_id)
    assert error_of(exc)[0] == "IncorrectState"
    until_attachment(ec2, vgw_id, "detached")
    with pytest.raises(ClientError) as exc:
        ec2.detach_vpn_gateway(VpnGatewayId=vgw_id, VpcId=vpc_id)
    assert error_of(exc) == (
        "InvalidVpnGatewayAttachment.NotFound",
        f"The attachment with vpn gateway ID '{vgw_id}' and vpc ID '{vpc_id}' does not exist",
    )
    ec2.delete_vpn_gateway(VpnGatewayId=vgw_id)
    gone = ec2.describe_vpn_gateways(VpnGatewayIds=[vgw_id])["VpnGateways"][0]
    assert gone["State"] == "deleted"
    with pytest.raises(ClientError) as exc:
        ec2.attach_vpn_gateway(VpnGatewayId=vgw_id, VpcId=vpc_id)
    assert error_of(exc) == (
        "InvalidVpnGatewayID.NotFound",
        f"The vpnGateway ID '{vgw_id}' does not exist",
    )
    ec2.delete_vpc(VpcId=vpc_id)


def test_vpn_gateway_errors(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=100)
    assert error_of(exc)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        ec2.create_vpn_gateway(Type="ipsec.1", AvailabilityZone="mars-1a")
    assert error_of(exc)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpn_gateways(VpnGatewayIds=["vgw-0123456789abcdef0"])
    assert error_of(exc)[0] == "InvalidVpnGatewayID.NotFound"
    vgw_id = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    with pytest.raises(ClientError) as exc:
        ec2.attach_vpn_gateway(VpnGatewayId=vgw_id, VpcId="vpc-0123456789abcdef0")
    assert error_of(exc)[0] == "InvalidVpcID.NotFound"
    with pytest.raises(ClientError) as exc:
        ec2.detach_vpn_gateway(VpnGatewayId=vgw_id, VpcId="vpc-0123456789abcdef0")
    assert error_of(exc)[0] == "InvalidVpnGatewayAttachment.NotFound"
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpn_gateways(Filters=[{"Name": "nope", "Values": ["1"]}])
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_route_propagation_and_vgw_routes(ec2: Any) -> None:
    vpc_id = new_vpc(ec2, "10.62.0.0/16")
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    vgw_id = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    with pytest.raises(ClientError) as exc:
        ec2.enable_vgw_route_propagation(GatewayId=vgw_id, RouteTableId=table_id)
    assert error_of(exc) == (
        "Gateway.NotAttached",
        f"resource {vgw_id} is not attached to network {vpc_id}",
    )
    ec2.attach_vpn_gateway(VpnGatewayId=vgw_id, VpcId=vpc_id)
    until_attachment(ec2, vgw_id, "attached")
    ec2.enable_vgw_route_propagation(GatewayId=vgw_id, RouteTableId=table_id)
    ec2.enable_vgw_route_propagation(GatewayId=vgw_id, RouteTableId=table_id)

    def table() -> dict[str, Any]:
        return dict(ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0])

    assert table()["PropagatingVgws"] == [{"GatewayId": vgw_id}]
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="192.168.0.0/16", GatewayId=vgw_id)
    vgw_routes = [r for r in table()["Routes"] if r.get("GatewayId") == vgw_id]
    assert [r["State"] for r in vgw_routes] == ["active"]
    ec2.disable_vgw_route_propagation(GatewayId=vgw_id, RouteTableId=table_id)
    assert table()["PropagatingVgws"] == []
    ec2.enable_vgw_route_propagation(GatewayId=vgw_id, RouteTableId=table_id)

    ec2.detach_vpn_gateway(VpnGatewayId=vgw_id, VpcId=vpc_id)
    vgw_routes = [r for r in table()["Routes"] if r.get("GatewayId") == vgw_id]
    assert [r["State"] for r in vgw_routes] == ["blackhole"]
    until_attachment(ec2, vgw_id, "detached")
    ec2.delete_vpn_gateway(VpnGatewayId=vgw_id)
    assert table()["PropagatingVgws"] == []
    with pytest.raises(ClientError) as exc:
        ec2.enable_vgw_route_propagation(GatewayId=vgw_id, RouteTableId="rtb-0123456789abcdef0")
    assert error_of(exc)[0] == "InvalidRouteTableID.NotFound"


@pytest.mark.parametrize("store", ["memory", "nats"])
def test_racing_attaches_to_one_vpc_leave_at_most_one(
    store: str, gateway: RunningGateway, request: pytest.FixtureRequest
) -> None:
    """Six gateways attached to one VPC at once: never two attached (write-then-verify)."""
    running = gateway if store == "memory" else request.getfixturevalue("nats_gateway")
    ec2 = running.client("ec2")
    vpc_id = new_vpc(ec2, "10.63.0.0/16")
    vgws = [ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"] for _ in range(6)]
    outcomes = race(lambda vgw: ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc_id), vgws)
    assert set(outcomes) <= {"ok", "InvalidVpcState"}, outcomes
    attached = ec2.describe_vpn_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["VpnGateways"]
    assert len(attached) == outcomes.count("ok") <= 1


def test_another_accounts_gateways_look_missing(gateway: RunningGateway, ec2: Any) -> None:
    """Account B gets, for A's VPN and customer gateways, exactly the answers of ids that exist
    nowhere; A's gateways are unchanged."""
    bob = gateway.client("ec2", gateway.create_account("bob"))
    vgw_id = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    cgw_id = ec2.create_customer_gateway(BgpAsn=65001, IpAddress="203.0.113.40", Type="ipsec.1")[
        "CustomerGateway"
    ]["CustomerGatewayId"]
    bob_vpc = new_vpc(bob, "10.64.0.0/16")
    bob_table = bob.create_route_table(VpcId=bob_vpc)["RouteTable"]["RouteTableId"]
    for real, fake, calls in (
        (
            vgw_id,
            "vgw-0123456789abcdef0",
            [
                lambda i: bob.describe_vpn_gateways(VpnGatewayIds=[i]),
                lambda i: bob.attach_vpn_gateway(VpnGatewayId=i, VpcId=bob_vpc),
                lambda i: bob.delete_vpn_gateway(VpnGatewayId=i),
                lambda i: bob.enable_vgw_route_propagation(GatewayId=i, RouteTableId=bob_table),
            ],
        ),
        (
            cgw_id,
            "cgw-0123456789abcdef0",
            [
                lambda i: bob.describe_customer_gateways(CustomerGatewayIds=[i]),
                lambda i: bob.delete_customer_gateway(CustomerGatewayId=i),
            ],
        ),
    ):
        for call in calls:
            with pytest.raises(ClientError) as theirs:
                call(real)
            with pytest.raises(ClientError) as nowhere:
                call(fake)
            code, text = error_of(theirs)
            assert (code, text.replace(real, "<id>")) == (
                error_of(nowhere)[0],
                error_of(nowhere)[1].replace(fake, "<id>"),
            )
    assert bob.describe_vpn_gateways()["VpnGateways"] == []
    assert [g["State"] for g in ec2.describe_vpn_gateways()["VpnGateways"]] == ["available"]
    assert ec2.describe_customer_gateways()["CustomerGateways"][0]["State"] == "available"
