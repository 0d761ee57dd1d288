"""Route tables, routes and associations end to end: boto3 against a real gateway.

Includes the Terraform sequences of aws_route_table (inline routes), aws_route,
aws_route_table_association and the main-route-table lookup (``association.main`` + ``vpc-id``).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers import route_tables
from hive_gateway.core import vpc_index
from tests.fixtures.gateway import RunningGateway
from tests.helpers import (
    ADMIN,
    admin_send,
    assert_matches_model,
    error_of,
    new_vpc,
    race,
    request_context,
    tag_specifications,
)

MISSING_RTB = "rtb-0123456789abcdef0"


def new_subnet(ec2: Any, vpc_id: str, cidr: str) -> str:
    return str(ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr)["Subnet"]["SubnetId"])


def new_table(ec2: Any, vpc_id: str, **tags: str) -> str:
    params: dict[str, Any] = {"VpcId": vpc_id}
    if tags:
        params["TagSpecifications"] = tag_specifications("route-table", **tags)
    return str(ec2.create_route_table(**params)["RouteTable"]["RouteTableId"])


def attached_igw(ec2: Any, vpc_id: str) -> str:
    igw_id = str(ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"])
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    return igw_id


def table(ec2: Any, table_id: str) -> dict[str, Any]:
    found = ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"]
    assert len(found) == 1
    return dict(found[0])


def routes(ec2: Any, table_id: str) -> list[dict[str, Any]]:
    return list(table(ec2, table_id)["Routes"])


def route_to(ec2: Any, table_id: str, destination: str) -> dict[str, Any] | None:
    for route in routes(ec2, table_id):
        if destination in (
            route.get("DestinationCidrBlock"),
            route.get("DestinationIpv6CidrBlock"),
            route.get("DestinationPrefixListId"),
        ):
            return dict(route)
    return None


def main_table(ec2: Any, vpc_id: str) -> dict[str, Any]:
    """Terraform's lookup of a VPC's main route table."""
    found = ec2.describe_route_tables(
        Filters=[
            {"Name": "association.main", "Values": ["true"]},
            {"Name": "vpc-id", "Values": [vpc_id]},
        ]
    )["RouteTables"]
    assert len(found) == 1
    return dict(found[0])


def fails(call: Any, code: str, message: str | None = None) -> None:
    with pytest.raises(ClientError) as exc:
        call()
    got_code, got_message = error_of(exc)
    assert got_code == code, got_message
    if message is not None:
        assert got_message == message


LOCAL_10 = {
    "DestinationCidrBlock": "10.0.0.0/16",
    "GatewayId": "local",
    "Origin": "CreateRouteTable",
    "State": "active",
}


# --- the main route table --------------------------------------------------------------------


def test_create_vpc_makes_a_main_table_found_by_terraforms_filters(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    main = main_table(ec2, vpc_id)
    assert main["VpcId"] == vpc_id and main["OwnerId"] == ADMIN
    assert main["Routes"] == [LOCAL_10]
    [association] = main["Associations"]
    assert association["Main"] is True
    assert association["RouteTableId"] == main["RouteTableId"]
    assert association["RouteTableAssociationId"].startswith("rtbassoc-")
    assert association["AssociationState"] == {"State": "associated"}
    assert "SubnetId" not in association and "GatewayId" not in association
    assert main["PropagatingVgws"] == [] and main["Tags"] == []


def test_vpc_cidr_blocks_add_and_remove_local_routes_in_every_table(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    custom = new_table(ec2, vpc_id)
    main_id = main_table(ec2, vpc_id)["RouteTableId"]
    association = ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="10.1.0.0/16")[
        "CidrBlockAssociation"
    ]
    local_11 = {**LOCAL_10, "DestinationCidrBlock": "10.1.0.0/16"}
    for table_id in (main_id, custom):
        assert routes(ec2, table_id) == [LOCAL_10, local_11]
    later = new_table(ec2, vpc_id)
    assert routes(ec2, later) == [LOCAL_10, local_11]
    ec2.disassociate_vpc_cidr_block(AssociationId=association["AssociationId"])
    for table_id in (main_id, custom, later):
        assert routes(ec2, table_id) == [LOCAL_10]


def test_ipv6_vpc_tables_get_an_ipv6_local_route(ec2: Any) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    block = vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    expected = [
        LOCAL_10,
        {
            "DestinationIpv6CidrBlock": block,
            "GatewayId": "local",
            "Origin": "CreateRouteTable",
            "State": "active",
        },
    ]
    assert main_table(ec2, vpc["VpcId"])["Routes"] == expected
    assert routes(ec2, new_table(ec2, vpc["VpcId"])) == expected


# --- CreateRouteTable / DeleteRouteTable -----------------------------------------------------


def test_create_route_table_with_tags_and_client_token(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    spec = [{"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "private"}]}]
    created = ec2.create_route_table(VpcId=vpc_id, ClientToken="tf-token-1", TagSpecifications=spec)
    assert created["ClientToken"] == "tf-token-1"
    rtb = created["RouteTable"]
    assert rtb["RouteTableId"].startswith("rtb-") and len(rtb["RouteTableId"]) == 21
    assert rtb["Associations"] == [] and rtb["Routes"] == [LOCAL_10]
    assert rtb["Tags"] == [{"Key": "Name", "Value": "private"}]
    assert rtb["OwnerId"] == ADMIN and rtb["VpcId"] == vpc_id and rtb["PropagatingVgws"] == []
    assert table(ec2, rtb["RouteTableId"]) == rtb
    # Same token and parameters: the same table; other parameters: a mismatch.
    again = ec2.create_route_table(VpcId=vpc_id, ClientToken="tf-token-1", TagSpecifications=spec)
    assert again["RouteTable"]["RouteTableId"] == rtb["RouteTableId"]
    fails(
        lambda: ec2.create_route_table(VpcId=vpc_id, ClientToken="tf-token-1"),
        "IdempotentParameterMismatch",
    )
    fails(
        lambda: ec2.create_route_table(
            VpcId=new_vpc(ec2, "10.9.0.0/16"), ClientToken="tf-token-1", TagSpecifications=spec
        ),
        "IdempotentParameterMismatch",
    )
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "RouteTables"
    ]
    assert len(tables) == 2  # main + the one created (once)


def test_create_route_table_errors(ec2: Any) -> None:
    fails(
        lambda: ec2.create_route_table(VpcId="vpc-0123456789abcdef0"),
        "InvalidVpcID.NotFound",
        "The vpc ID 'vpc-0123456789abcdef0' does not exist",
    )
    vpc_id = new_vpc(ec2)
    fails(
        lambda: ec2.create_route_table(
            VpcId=vpc_id,
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}],
        ),
        "InvalidParameterValue",
        "'vpc' is not a valid taggable resource type for this operation.",
    )


def test_delete_route_table_rules(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    main_id = main_table(ec2, vpc_id)["RouteTableId"]
    fails(
        lambda: ec2.delete_route_table(RouteTableId=main_id),
        "DependencyViolation",
        f"The routeTable '{main_id}' has dependencies and cannot be deleted.",
    )
    table_id = new_table(ec2, vpc_id)
    subnet_id = new_subnet(ec2, vpc_id, "10.0.1.0/24")
    association_id = ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)[
        "AssociationId"
    ]
    fails(
        lambda: ec2.delete_route_table(RouteTableId=table_id),
        "DependencyViolation",
        f"The routeTable '{table_id}' has dependencies and cannot be deleted.",
    )
    ec2.disassociate_route_table(AssociationId=association_id)
    ec2.delete_route_table(RouteTableId=table_id)
    fails(
        lambda: ec2.describe_route_tables(RouteTableIds=[table_id]),
        "InvalidRouteTableID.NotFound",
        f"The routeTable ID '{table_id}' does not exist",
    )
    fails(lambda: ec2.delete_route_table(RouteTableId=table_id), "InvalidRouteTableID.NotFound")
    fails(lambda: ec2.delete_route_table(RouteTableId="igw-0123"), "InvalidRouteTableID.Malformed")


def test_vpc_with_a_custom_table_cannot_be_deleted_but_its_main_table_goes_with_it(
    ec2: Any,
) -> None:
    vpc_id = new_vpc(ec2)
    main_id = main_table(ec2, vpc_id)["RouteTableId"]
    table_id = new_table(ec2, vpc_id)
    fails(lambda: ec2.delete_vpc(VpcId=vpc_id), "DependencyViolation")
    ec2.delete_route_table(RouteTableId=table_id)
    ec2.delete_vpc(VpcId=vpc_id)
    fails(
        lambda: ec2.describe_route_tables(RouteTableIds=[main_id]), "InvalidRouteTableID.NotFound"
    )
    # A table made main by ReplaceRouteTableAssociation goes with its VPC too.
    vpc_id = new_vpc(ec2)
    old_main = main_table(ec2, vpc_id)
    custom = new_table(ec2, vpc_id)
    ec2.replace_route_table_association(
        AssociationId=old_main["Associations"][0]["RouteTableAssociationId"], RouteTableId=custom
    )
    fails(lambda: ec2.delete_vpc(VpcId=vpc_id), "DependencyViolation")  # the old main table
    ec2.delete_route_table(RouteTableId=old_main["RouteTableId"])
    ec2.delete_vpc(VpcId=vpc_id)
    fails(lambda: ec2.describe_route_tables(RouteTableIds=[custom]), "InvalidRouteTableID.NotFound")


def test_no_table_lands_in_a_vpc_being_deleted(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    ctx = request_context(gateway)
    gateway.run(vpc_index.begin_delete(ctx, vpc_id))  # DeleteVpc has passed its dependents check
    try:
        fails(
            lambda: ec2.create_route_table(VpcId=vpc_id),
            "InvalidVpcID.NotFound",
            f"The vpc ID '{vpc_id}' does not exist",
        )
        fails(
            lambda: ec2.create_egress_only_internet_gateway(VpcId=vpc_id), "InvalidVpcID.NotFound"
        )
    finally:
        gateway.run(vpc_index.abort_delete(ctx, vpc_id))
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    assert len(tables["RouteTables"]) == 1  # only the main table
    assert ec2.describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"] == []


# --- routes: the Terraform sequences ---------------------------------------------------------


def test_terraform_route_table_with_an_inline_route(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = attached_igw(ec2, vpc_id)
    table_id = ec2.create_route_table(VpcId=vpc_id, ClientToken="tf-1")["RouteTable"][
        "RouteTableId"
    ]
    assert (
        ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)[
            "Return"
        ]
        is True
    )
    # waitRouteReady / Read: same destination string, only the target that was set.
    assert routes(ec2, table_id) == [
        LOCAL_10,
        {
            "DestinationCidrBlock": "0.0.0.0/0",
            "GatewayId": igw_id,
            "Origin": "CreateRoute",
            "State": "active",
        },
    ]
    # Destroy: disassociate everything (nothing here), delete, NotFound twice.
    ec2.delete_route_table(RouteTableId=table_id)
    fails(
        lambda: ec2.describe_route_tables(RouteTableIds=[table_id]), "InvalidRouteTableID.NotFound"
    )


def new_peering(ec2: Any, vpc_id: str) -> str:
    """A peering connection from ``vpc_id`` to a new VPC (10.250.0.0/16)."""
    peer_id = new_vpc(ec2, "10.250.0.0/16")
    created = ec2.create_vpc_peering_connection(VpcId=vpc_id, PeerVpcId=peer_id)
    return str(created["VpcPeeringConnection"]["VpcPeeringConnectionId"])


def test_terraform_aws_route_lifecycle(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = attached_igw(ec2, vpc_id)
    table_id = new_table(ec2, vpc_id)
    # Pre-check: no CreateRoute-origin route with that destination.
    assert route_to(ec2, table_id, "192.168.0.0/16") is None
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="192.168.0.0/16", GatewayId=igw_id)
    assert route_to(ec2, table_id, "192.168.0.0/16") == {
        "DestinationCidrBlock": "192.168.0.0/16",
        "GatewayId": igw_id,
        "Origin": "CreateRoute",
        "State": "active",
    }
    # Update: the target changes → ReplaceRoute.
    pcx_id = new_peering(ec2, vpc_id)
    ec2.replace_route(
        RouteTableId=table_id,
        DestinationCidrBlock="192.168.0.0/16",
        VpcPeeringConnectionId=pcx_id,
    )
    assert route_to(ec2, table_id, "192.168.0.0/16") == {
        "DestinationCidrBlock": "192.168.0.0/16",
        "VpcPeeringConnectionId": pcx_id,
        "Origin": "CreateRoute",
        "State": "active",
    }
    ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock="192.168.0.0/16")
    assert route_to(ec2, table_id, "192.168.0.0/16") is None
    fails(
        lambda: ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock="192.168.0.0/16"),
        "InvalidRoute.NotFound",
        "There is no route defined for '192.168.0.0/16' in the route table. Use a different destination.",
    )


def test_route_destinations(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = attached_igw(ec2, vpc_id)
    table_id = new_table(ec2, vpc_id)
    # AWS canonicalises IPv4 destinations (100.68.0.18/18 → 100.68.0.0/18).
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="100.68.0.18/18", GatewayId=igw_id)
    assert route_to(ec2, table_id, "100.68.0.0/18") is not None
    ec2.create_route(
        RouteTableId=table_id, DestinationIpv6CidrBlock="2001:DB8::/32", GatewayId=igw_id
    )
    assert route_to(ec2, table_id, "2001:db8::/32") == {
        "DestinationIpv6CidrBlock": "2001:db8::/32",
        "GatewayId": igw_id,
        "Origin": "CreateRoute",
        "State": "active",
    }
    ec2.create_route(RouteTableId=table_id, DestinationPrefixListId="pl-1869ddea", GatewayId=igw_id)
    assert route_to(ec2, table_id, "pl-1869ddea") == {
        "DestinationPrefixListId": "pl-1869ddea",
        "GatewayId": igw_id,
        "Origin": "CreateRoute",
        "State": "active",
    }
    ec2.delete_route(RouteTableId=table_id, DestinationIpv6CidrBlock="2001:db8::/32")
    ec2.delete_route(RouteTableId=table_id, DestinationPrefixListId="pl-1869ddea")
    ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock="100.68.0.0/18")
    assert routes(ec2, table_id) == [LOCAL_10]


def test_route_errors(ec2: Any) -> None:
    vpc_id, other_vpc = new_vpc(ec2), new_vpc(ec2, "10.1.0.0/16")
    igw_id = attached_igw(ec2, vpc_id)
    foreign_igw = attached_igw(ec2, other_vpc)
    loose_igw = str(ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"])
    table_id = new_table(ec2, vpc_id)

    def create(**params: Any) -> Any:
        return lambda: ec2.create_route(RouteTableId=table_id, **params)

    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
    fails(
        create(DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id),
        "RouteAlreadyExists",
        "The route identified by 0.0.0.0/0 already exists.",
    )
    fails(create(DestinationCidrBlock="10.0.0.0/16", GatewayId=igw_id), "RouteAlreadyExists")
    fails(
        create(DestinationCidrBlock="10.0.0.0/33", GatewayId=igw_id),
        "InvalidParameterValue",
        "Value (10.0.0.0/33) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.",
    )
    fails(create(DestinationCidrBlock="2001:db8::/32", GatewayId=igw_id), "InvalidParameterValue")
    fails(
        create(DestinationIpv6CidrBlock="10.2.0.0/16", GatewayId=igw_id),
        "InvalidParameterValue",
        "Value (10.2.0.0/16) for parameter destinationIpv6CidrBlock is invalid. This is not a valid CIDR block.",
    )
    fails(
        create(DestinationCidrBlock="10.3.0.0/16", GatewayId=foreign_igw),
        "InvalidParameterValue",
        f"route table {table_id} and network gateway {foreign_igw} belong to different networks",
    )
    fails(
        create(DestinationCidrBlock="10.3.0.0/16", GatewayId=loose_igw),
        "InvalidParameterValue",
        f"route table {table_id} and network gateway {loose_igw} belong to different networks",
    )
    fails(
        create(DestinationCidrBlock="10.3.0.0/16", GatewayId="igw-0123456789abcdef0"),
        "InvalidGatewayID.NotFound",
        "The gateway ID 'igw-0123456789abcdef0' does not exist",
    )
    fails(
        create(DestinationCidrBlock="10.3.0.0/16", GatewayId="local"),
        "InvalidGatewayID.NotFound",
        "The gateway ID 'local' does not exist",
    )
    fails(
        create(DestinationCidrBlock="10.3.0.0/16", GatewayId="nat-0123456789abcdef0"),
        "InvalidGatewayID.NotFound",
        "The gateway ID 'nat-0123456789abcdef0' does not exist",
    )
    fails(create(DestinationCidrBlock="10.3.0.0/16"), "MissingParameter")
    fails(
        create(DestinationCidrBlock="10.3.0.0/16", GatewayId=igw_id, TransitGatewayId="tgw-0123"),
        "InvalidParameterCombination",
    )
    fails(create(GatewayId=igw_id), "MissingParameter")
    fails(
        create(
            DestinationCidrBlock="10.3.0.0/16", DestinationIpv6CidrBlock="::/0", GatewayId=igw_id
        ),
        "InvalidParameterCombination",
    )
    fails(
        create(DestinationCidrBlock="10.3.0.0/16", NatGatewayId="nat-0123456789abcdef0"),
        "NatGatewayNotFound",
        "The Nat Gateway nat-0123456789abcdef0 was not found",
    )
    fails(
        create(DestinationCidrBlock="10.3.0.0/16", NetworkInterfaceId="eni-0123456789abcdef0"),
        "InvalidNetworkInterfaceID.NotFound",
    )
    fails(
        create(DestinationCidrBlock="10.3.0.0/16", InstanceId="i-0123456789abcdef0"),
        "InvalidInstanceID.NotFound",
        "The instance ID 'i-0123456789abcdef0' does not exist",
    )
    fails(
        create(
            DestinationCidrBlock="10.3.0.0/16", EgressOnlyInternetGatewayId="eigw-0123456789abcdef0"
        ),
        "InvalidGatewayID.NotFound",
    )
    fails(
        create(DestinationCidrBlock="10.3.0.0/16", TransitGatewayId="igw-0123"),
        "InvalidTransitGatewayID.NotFound",
        "The transitGateway ID 'igw-0123' does not exist.",
    )
    fails(
        create(DestinationCidrBlock="10.3.0.0/16", VpcPeeringConnectionId="vpc-0123"),
        "InvalidVpcPeeringConnectionID.NotFound",
    )
    fails(
        lambda: ec2.create_route(
            RouteTableId=MISSING_RTB, DestinationCidrBlock="10.3.0.0/16", GatewayId=igw_id
        ),
        "InvalidRouteTableID.NotFound",
        f"The routeTable ID '{MISSING_RTB}' does not exist",
    )
    assert len(routes(ec2, table_id)) == 2


def test_targets_we_do_not_store_are_taken_as_given_and_rendered_alone(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    table_id = new_table(ec2, vpc_id)
    cases = {
        "10.10.0.0/16": ("TransitGatewayId", "tgw-0123456789abcdef0"),
        "10.12.0.0/16": ("CarrierGatewayId", "cagw-0123456789abcdef0"),
        "10.13.0.0/16": ("LocalGatewayId", "lgw-0123456789abcdef0"),
        "10.14.0.0/16": ("GatewayId", "vgw-0123456789abcdef0"),
        "10.15.0.0/16": ("CoreNetworkArn", "arn:aws:networkmanager::1:core-network/core-network-1"),
    }
    for destination, (member, value) in cases.items():
        ec2.create_route(RouteTableId=table_id, DestinationCidrBlock=destination, **{member: value})
    for destination, (member, value) in cases.items():
        assert route_to(ec2, table_id, destination) == {
            "DestinationCidrBlock": destination,
            member: value,
            "Origin": "CreateRoute",
            "State": "active",
        }
    # A Gateway Load Balancer endpoint is rendered as GatewayId (Terraform maps vpce- back).
    ec2.create_route(
        RouteTableId=table_id,
        DestinationCidrBlock="10.16.0.0/16",
        VpcEndpointId="vpce-0123456789abcdef0",
    )
    assert route_to(ec2, table_id, "10.16.0.0/16") == {
        "DestinationCidrBlock": "10.16.0.0/16",
        "GatewayId": "vpce-0123456789abcdef0",
        "Origin": "CreateRoute",
        "State": "active",
    }


def test_gateway_id_of_an_egress_only_gateway_is_filed_as_such(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    table_id = new_table(ec2, vpc_id)
    eigw_id = ec2.create_egress_only_internet_gateway(VpcId=vpc_id)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"
    ]
    ec2.create_route(RouteTableId=table_id, DestinationIpv6CidrBlock="::/0", GatewayId=eigw_id)
    assert route_to(ec2, table_id, "::/0") == {
        "DestinationIpv6CidrBlock": "::/0",
        "EgressOnlyInternetGatewayId": eigw_id,
        "Origin": "CreateRoute",
        "State": "active",
    }
    other_table = new_table(ec2, new_vpc(ec2, "10.1.0.0/16"))
    fails(
        lambda: ec2.create_route(
            RouteTableId=other_table,
            DestinationIpv6CidrBlock="::/0",
            EgressOnlyInternetGatewayId=eigw_id,
        ),
        "InvalidParameterValue",
        f"route table {other_table} and network gateway {eigw_id} belong to different networks",
    )


def test_local_routes_cannot_be_deleted_but_can_be_retargeted_and_restored(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    table_id = new_table(ec2, vpc_id)
    fails(
        lambda: ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock="10.0.0.0/16"),
        "InvalidParameterValue",
        f"cannot remove local route 10.0.0.0/16 in route table {table_id}",
    )
    igw_id = attached_igw(ec2, vpc_id)
    fails(
        lambda: ec2.replace_route(
            RouteTableId=table_id, DestinationCidrBlock="10.0.0.0/16", GatewayId=igw_id
        ),
        "InvalidParameterValue",
    )
    ec2.replace_route(
        RouteTableId=table_id,
        DestinationCidrBlock="10.0.0.0/16",
        VpcEndpointId="vpce-0123456789abcdef0",
    )
    assert route_to(ec2, table_id, "10.0.0.0/16") == {
        "DestinationCidrBlock": "10.0.0.0/16",
        "GatewayId": "vpce-0123456789abcdef0",
        "Origin": "CreateRouteTable",
        "State": "active",
    }
    ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock="10.0.0.0/16", LocalTarget=True)
    assert routes(ec2, table_id) == [LOCAL_10]
    # Terraform's gateway_id = "local" is sent as LocalTarget; GatewayId=local is accepted too.
    ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock="10.0.0.0/16", GatewayId="local")
    assert routes(ec2, table_id) == [LOCAL_10]


def test_replace_route_errors(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = attached_igw(ec2, vpc_id)
    table_id = new_table(ec2, vpc_id)
    fails(
        lambda: ec2.replace_route(
            RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id
        ),
        "InvalidParameterValue",
        "There is no route defined for '0.0.0.0/0' in the route table. Use CreateRoute instead.",
    )
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
    fails(
        lambda: ec2.replace_route(
            RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", LocalTarget=True
        ),
        "InvalidParameterValue",
    )
    fails(
        lambda: ec2.replace_route(
            RouteTableId=table_id,
            DestinationCidrBlock="0.0.0.0/0",
            LocalTarget=True,
            TransitGatewayId="tgw-0123",
        ),
        "InvalidParameterCombination",
    )
    fails(
        lambda: ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0"),
        "MissingParameter",
    )
    fails(
        lambda: ec2.replace_route(
            RouteTableId=MISSING_RTB, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id
        ),
        "InvalidRouteTableID.NotFound",
    )
    fails(
        lambda: ec2.delete_route(RouteTableId=MISSING_RTB, DestinationCidrBlock="0.0.0.0/0"),
        "InvalidRouteTableID.NotFound",
    )
    ec2.replace_route(
        RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", TransitGatewayId="tgw-0123"
    )
    assert route_to(ec2, table_id, "0.0.0.0/0") == {
        "DestinationCidrBlock": "0.0.0.0/0",
        "TransitGatewayId": "tgw-0123",
        "Origin": "CreateRoute",
        "State": "active",
    }


def test_blackhole_routes_marks_routes_of_a_deleted_target(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = new_vpc(ec2)
    first, second = new_table(ec2, vpc_id), new_table(ec2, vpc_id)
    for table_id in (first, second):
        ec2.create_route(
            RouteTableId=table_id, DestinationCidrBlock="10.50.0.0/16", TransitGatewayId="tgw-1234"
        )
    ec2.create_route(
        RouteTableId=first, DestinationCidrBlock="10.51.0.0/16", TransitGatewayId="tgw-5678"
    )
    gateway.run(route_tables.blackhole_routes(request_context(gateway), "transit_gateway_id", "tgw-1234"))
    for table_id in (first, second):
        assert route_to(ec2, table_id, "10.50.0.0/16")["State"] == "blackhole"  # type: ignore[index]
    assert route_to(ec2, first, "10.51.0.0/16")["State"] == "active"  # type: ignore[index]


def test_add_route_export_is_idempotent(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = attached_igw(ec2, vpc_id)
    main_id = main_table(ec2, vpc_id)["RouteTableId"]
    ctx = request_context(gateway)
    gateway.run(route_tables.add_route(ctx, main_id, "0.0.0.0/0", gateway_id=igw_id))
    gateway.run(route_tables.add_route(ctx, main_id, "0.0.0.0/0", gateway_id=igw_id))
    assert routes(ec2, main_id) == [
        LOCAL_10,
        {
            "DestinationCidrBlock": "0.0.0.0/0",
            "GatewayId": igw_id,
            "Origin": "CreateRoute",
            "State": "active",
        },
    ]


# --- associations ----------------------------------------------------------------------------


def test_terraform_route_table_association_lifecycle(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    subnet_id = new_subnet(ec2, vpc_id, "10.0.1.0/24")
    table_id = new_table(ec2, vpc_id)
    created = ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
    association_id = created["AssociationId"]
    assert association_id.startswith("rtbassoc-")
    assert created["AssociationState"] == {"State": "associated"}
    by_association = [
        {"Name": "association.route-table-association-id", "Values": [association_id]}
    ]
    found = ec2.describe_route_tables(Filters=by_association)["RouteTables"]
    assert [t["RouteTableId"] for t in found] == [table_id]
    assert found[0]["Associations"] == [
        {
            "Main": False,
            "RouteTableAssociationId": association_id,
            "RouteTableId": table_id,
            "SubnetId": subnet_id,
            "AssociationState": {"State": "associated"},
        }
    ]
    ec2.disassociate_route_table(AssociationId=association_id)
    assert ec2.describe_route_tables(Filters=by_association)["RouteTables"] == []
    fails(
        lambda: ec2.disassociate_route_table(AssociationId=association_id),
        "InvalidAssociationID.NotFound",
        f"The association ID '{association_id}' does not exist",
    )


def test_association_errors(ec2: Any) -> None:
    vpc_id, other_vpc = new_vpc(ec2), new_vpc(ec2, "10.1.0.0/16")
    subnet_id = new_subnet(ec2, vpc_id, "10.0.1.0/24")
    foreign_subnet = new_subnet(ec2, other_vpc, "10.1.1.0/24")
    table_id, second = new_table(ec2, vpc_id), new_table(ec2, vpc_id)
    first = ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)["AssociationId"]
    # The same association again (Terraform's retry of a call that did succeed) is answered
    # with the existing association, not Resource.AlreadyAssociated.
    again = ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
    assert again["AssociationId"] == first
    assert len(table(ec2, table_id)["Associations"]) == 1
    fails(
        lambda: ec2.associate_route_table(RouteTableId=second, SubnetId=subnet_id),
        "Resource.AlreadyAssociated",
        f"the specified association for route table {second} conflicts with an existing association",
    )
    fails(
        lambda: ec2.associate_route_table(RouteTableId=table_id, SubnetId=foreign_subnet),
        "InvalidParameterValue",
        f"Route table {table_id} and subnet {foreign_subnet} belong to different networks",
    )
    fails(
        lambda: ec2.associate_route_table(
            RouteTableId=table_id, SubnetId="subnet-0123456789abcdef0"
        ),
        "InvalidSubnetID.NotFound",
        "The subnet ID 'subnet-0123456789abcdef0' does not exist",
    )
    fails(
        lambda: ec2.associate_route_table(RouteTableId=MISSING_RTB, SubnetId=subnet_id),
        "InvalidRouteTableID.NotFound",
    )
    fails(lambda: ec2.associate_route_table(RouteTableId=table_id), "MissingParameter")
    fails(
        lambda: ec2.associate_route_table(
            RouteTableId=table_id, SubnetId=subnet_id, GatewayId="igw-0123"
        ),
        "InvalidParameterCombination",
    )
    main = main_table(ec2, vpc_id)
    main_association = main["Associations"][0]["RouteTableAssociationId"]
    fails(
        lambda: ec2.disassociate_route_table(AssociationId=main_association),
        "InvalidParameterValue",
        f"cannot disassociate the main route table association {main_association}",
    )
    fails(
        lambda: ec2.disassociate_route_table(AssociationId="rtbassoc-0123456789abcdef0"),
        "InvalidAssociationID.NotFound",
        "The association ID 'rtbassoc-0123456789abcdef0' does not exist",
    )


def test_gateway_edge_association(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = attached_igw(ec2, vpc_id)
    table_id, second = new_table(ec2, vpc_id), new_table(ec2, vpc_id)
    association_id = ec2.associate_route_table(RouteTableId=table_id, GatewayId=igw_id)[
        "AssociationId"
    ]
    found = ec2.describe_route_tables(
        Filters=[{"Name": "association.gateway-id", "Values": [igw_id]}]
    )["RouteTables"]
    assert [t["RouteTableId"] for t in found] == [table_id]
    assert (
        found[0]["Associations"][0]["GatewayId"] == igw_id
        and "SubnetId" not in found[0]["Associations"][0]
    )
    fails(
        lambda: ec2.associate_route_table(RouteTableId=second, GatewayId=igw_id),
        "Resource.AlreadyAssociated",
    )
    loose = str(ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"])
    fails(
        lambda: ec2.associate_route_table(RouteTableId=second, GatewayId=loose),
        "InvalidParameterValue",
    )
    fails(
        lambda: ec2.associate_route_table(RouteTableId=second, GatewayId="igw-0123456789abcdef0"),
        "InvalidGatewayID.NotFound",
    )
    ec2.disassociate_route_table(AssociationId=association_id)


def test_replace_a_subnet_association(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    subnet_id = new_subnet(ec2, vpc_id, "10.0.1.0/24")
    first, second = new_table(ec2, vpc_id), new_table(ec2, vpc_id)
    old_id = ec2.associate_route_table(RouteTableId=first, SubnetId=subnet_id)["AssociationId"]
    replaced = ec2.replace_route_table_association(AssociationId=old_id, RouteTableId=second)
    new_id = replaced["NewAssociationId"]
    assert new_id.startswith("rtbassoc-") and new_id != old_id
    assert replaced["AssociationState"] == {"State": "associated"}
    assert table(ec2, first)["Associations"] == []
    assert table(ec2, second)["Associations"] == [
        {
            "Main": False,
            "RouteTableAssociationId": new_id,
            "RouteTableId": second,
            "SubnetId": subnet_id,
            "AssociationState": {"State": "associated"},
        }
    ]
    fails(
        lambda: ec2.replace_route_table_association(AssociationId=old_id, RouteTableId=first),
        "InvalidAssociationID.NotFound",
    )
    fails(
        lambda: ec2.replace_route_table_association(AssociationId=new_id, RouteTableId=MISSING_RTB),
        "InvalidRouteTableID.NotFound",
    )
    foreign = new_table(ec2, new_vpc(ec2, "10.1.0.0/16"))
    fails(
        lambda: ec2.replace_route_table_association(AssociationId=new_id, RouteTableId=foreign),
        "InvalidParameterValue",
    )
    # Replacing with the same table still issues a new id.
    again = ec2.replace_route_table_association(AssociationId=new_id, RouteTableId=second)[
        "NewAssociationId"
    ]
    assert again != new_id
    assert [a["RouteTableAssociationId"] for a in table(ec2, second)["Associations"]] == [again]


def test_replace_the_main_association(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    old_main = main_table(ec2, vpc_id)
    old_association = old_main["Associations"][0]["RouteTableAssociationId"]
    custom = new_table(ec2, vpc_id)
    new_association = ec2.replace_route_table_association(
        AssociationId=old_association, RouteTableId=custom
    )["NewAssociationId"]
    assert new_association != old_association
    now_main = main_table(ec2, vpc_id)
    assert now_main["RouteTableId"] == custom
    assert now_main["Associations"] == [
        {
            "Main": True,
            "RouteTableAssociationId": new_association,
            "RouteTableId": custom,
            "AssociationState": {"State": "associated"},
        }
    ]
    assert table(ec2, old_main["RouteTableId"])["Associations"] == []
    # The old main table is now an ordinary table: deletable; the new one is not.
    fails(lambda: ec2.delete_route_table(RouteTableId=custom), "DependencyViolation")
    ec2.delete_route_table(RouteTableId=old_main["RouteTableId"])
    fails(
        lambda: ec2.disassociate_route_table(AssociationId=new_association), "InvalidParameterValue"
    )


def test_remove_subnet_associations_export(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    subnet_id = new_subnet(ec2, vpc_id, "10.0.1.0/24")
    kept_subnet = new_subnet(ec2, vpc_id, "10.0.2.0/24")
    table_id = new_table(ec2, vpc_id)
    ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
    kept = ec2.associate_route_table(RouteTableId=table_id, SubnetId=kept_subnet)["AssociationId"]
    gateway.run(route_tables.remove_subnet_associations(request_context(gateway), subnet_id))
    assert [a["RouteTableAssociationId"] for a in table(ec2, table_id)["Associations"]] == [kept]
    assert len(main_table(ec2, vpc_id)["Associations"]) == 1
    # DeleteSubnet does the same (AWS drops the subnet's explicit association with it).
    ec2.delete_subnet(SubnetId=kept_subnet)
    assert table(ec2, table_id)["Associations"] == []
    fails(lambda: ec2.disassociate_route_table(AssociationId=kept), "InvalidAssociationID.NotFound")


def test_concurrent_associations_of_one_subnet(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    subnet_id = new_subnet(ec2, vpc_id, "10.0.1.0/24")
    tables = [new_table(ec2, vpc_id) for _ in range(8)]
    clients = [gateway.client("ec2") for _ in tables]

    def associate(pair: tuple[Any, str]) -> None:
        client, table_id = pair
        client.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)

    outcomes = race(associate, zip(clients, tables))
    assert outcomes.count("ok") <= 1
    assert set(outcomes) <= {"ok", "Resource.AlreadyAssociated"}
    holders = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["RouteTables"]
    assert len(holders) == outcomes.count("ok")
    if not holders:  # both racers backed off: the subnet is still free
        ec2.associate_route_table(RouteTableId=tables[0], SubnetId=subnet_id)


def test_concurrent_routes_to_one_destination(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    table_id = new_table(ec2, vpc_id)
    clients = [gateway.client("ec2") for _ in range(10)]

    def create(pair: tuple[int, Any]) -> None:
        index, client = pair
        client.create_route(
            RouteTableId=table_id,
            DestinationCidrBlock="10.99.0.0/16",
            TransitGatewayId=f"tgw-{index:017x}",
        )

    outcomes = race(create, enumerate(clients))
    assert outcomes.count("ok") == 1
    assert set(outcomes) == {"ok", "RouteAlreadyExists"}
    assert len(routes(ec2, table_id)) == 2


# --- filters, pagination, tenancy, wire ------------------------------------------------------


def test_every_filter(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = attached_igw(ec2, vpc_id)
    subnet_id = new_subnet(ec2, vpc_id, "10.0.1.0/24")
    main_id = main_table(ec2, vpc_id)["RouteTableId"]
    public = new_table(ec2, vpc_id, Name="public-rt", tier="web")
    private = new_table(ec2, vpc_id, Name="private-rt")
    edge = new_table(ec2, vpc_id)
    eigw_id = ec2.create_egress_only_internet_gateway(VpcId=vpc_id)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"
    ]
    association_id = ec2.associate_route_table(RouteTableId=public, SubnetId=subnet_id)[
        "AssociationId"
    ]
    ec2.associate_route_table(RouteTableId=edge, GatewayId=igw_id)
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
    ec2.create_route(
        RouteTableId=public, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw_id
    )
    ec2.create_route(
        RouteTableId=private, DestinationPrefixListId="pl-051213b5", TransitGatewayId="tgw-0123"
    )
    pcx_id = new_peering(ec2, vpc_id)
    ec2.create_route(
        RouteTableId=private,
        DestinationCidrBlock="172.16.0.0/12",
        VpcPeeringConnectionId=pcx_id,
    )
    ec2.create_route(
        RouteTableId=private, DestinationCidrBlock="192.168.0.0/16", TransitGatewayId="tgw-9999"
    )
    gateway_tables = {main_id, public, private, edge}

    def ids(name: str, *values: str) -> set[str]:
        found = ec2.describe_route_tables(Filters=[{"Name": name, "Values": list(values)}])[
            "RouteTables"
        ]
        return {t["RouteTableId"] for t in found} & gateway_tables

    assert ids("association.gateway-id", igw_id) == {edge}
    assert ids("association.route-table-association-id", association_id) == {public}
    assert ids("association.route-table-id", public, main_id) == {public, main_id}
    assert ids("association.subnet-id", subnet_id) == {public}
    assert ids("association.main", "true") == {main_id}
    assert ids("association.main", "false") == {
        public,
        edge,
    }  # tables without associations never match
    assert ids("owner-id", ADMIN) == gateway_tables
    assert ids("route-table-id", private) == {private}
    assert ids("route.destination-cidr-block", "0.0.0.0/0") == {public}
    assert ids("route.destination-cidr-block", "10.0.0.0/16") == gateway_tables
    assert ids("route.destination-ipv6-cidr-block", "::/0") == {public}
    assert ids("route.destination-prefix-list-id", "pl-*") == {private}
    assert ids("route.egress-only-internet-gateway-id", eigw_id) == {public}
    assert ids("route.gateway-id", igw_id) == {public}
    assert ids("route.gateway-id", "local") == gateway_tables
    assert ids("route.instance-id", "i-*") == set()
    assert ids("route.nat-gateway-id", "nat-*") == set()
    assert ids("route.transit-gateway-id", "tgw-9999") == {private}
    assert ids("route.origin", "CreateRoute") == {public, private}
    assert ids("route.origin", "CreateRouteTable") == gateway_tables
    assert ids("route.state", "active") == gateway_tables
    assert ids("route.state", "blackhole") == set()
    assert ids("route.vpc-peering-connection-id", pcx_id) == {private}
    assert ids("tag:Name", "*-rt") == {public, private}
    assert ids("tag-key", "tier") == {public}
    assert ids("tag-value", "private-rt") == {private}
    assert ids("vpc-id", vpc_id) == gateway_tables
    fails(
        lambda: ec2.describe_route_tables(Filters=[{"Name": "route.bogus", "Values": ["x"]}]),
        "InvalidParameterValue",
        "The filter 'route.bogus' is invalid",
    )


def test_pagination(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    created = {new_table(ec2, vpc_id) for _ in range(6)}
    vpc_filter = [{"Name": "vpc-id", "Values": [vpc_id]}]
    seen: list[str] = []
    kwargs: dict[str, Any] = {"MaxResults": 5, "Filters": vpc_filter}
    pages = 0
    while True:
        page = ec2.describe_route_tables(**kwargs)
        assert len(page["RouteTables"]) <= 5
        seen += [t["RouteTableId"] for t in page["RouteTables"]]
        pages += 1
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert pages == 2 and len(seen) == 7 and created <= set(seen)
    fails(
        lambda: ec2.describe_route_tables(RouteTableIds=sorted(created)[:1], MaxResults=5),
        "InvalidParameterCombination",
    )
    fails(
        lambda: ec2.describe_route_tables(RouteTableIds=[min(created), MISSING_RTB]),
        "InvalidRouteTableID.NotFound",
        f"The routeTable ID '{MISSING_RTB}' does not exist",
    )


def test_another_accounts_tables_are_not_found(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    table_id = new_table(ec2, vpc_id)
    subnet_id = new_subnet(ec2, vpc_id, "10.0.1.0/24")
    association_id = ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)[
        "AssociationId"
    ]
    tenant = gateway.create_account("tenant-rtb")
    other = gateway.client("ec2", creds=tenant)
    not_found = ("InvalidRouteTableID.NotFound", f"The routeTable ID '{table_id}' does not exist")
    for call in (
        lambda: other.describe_route_tables(RouteTableIds=[table_id]),
        lambda: other.delete_route_table(RouteTableId=table_id),
        lambda: other.create_route(
            RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", TransitGatewayId="tgw-1"
        ),
        lambda: other.delete_route(RouteTableId=table_id, DestinationCidrBlock="10.0.0.0/16"),
        lambda: other.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id),
    ):
        fails(call, *not_found)
    fails(
        lambda: other.disassociate_route_table(AssociationId=association_id),
        "InvalidAssociationID.NotFound",
    )
    fails(lambda: other.create_route_table(VpcId=vpc_id), "InvalidVpcID.NotFound")
    own_vpc = new_vpc(other)
    own_table = new_table(other, own_vpc)
    fails(
        lambda: other.associate_route_table(RouteTableId=own_table, SubnetId=subnet_id),
        "InvalidSubnetID.NotFound",
    )
    listed = {t["RouteTableId"] for t in other.describe_route_tables()["RouteTables"]}
    assert own_table in listed and table_id not in listed
    assert {t["OwnerId"] for t in other.describe_route_tables()["RouteTables"]} == {
        tenant.account_id
    }


def test_describe_xml_matches_the_model(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = attached_igw(ec2, vpc_id)
    table_id = new_table(ec2, vpc_id, Name="wire")
    subnet_id = new_subnet(ec2, vpc_id, "10.0.1.0/24")
    ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
    answer = admin_send(
        gateway, f"Action=DescribeRouteTables&Version=2016-11-15&RouteTableId.1={table_id}"
    )
    assert answer.status == 200
    assert_matches_model(answer.body, "DescribeRouteTables")
    assert "<gatewayId>local</gatewayId>" in answer.text
    assert (
        "<propagatingVgwSet/>" in answer.text
        or "<propagatingVgwSet></propagatingVgwSet>" in answer.text
    )
