"""The Terraform provider's call sequences for aws_vpc_peering_connection (auto_accept and
options), aws_vpn_gateway with its attachment and route propagation, aws_customer_gateway and
aws_flow_log, replayed against the gateway with every response under the strict XML check: the
creates' waiters end where the provider expects, a second refresh equals the first (the plan
after apply is empty), and after destroy every finder reports the resource gone."""

from __future__ import annotations

from typing import Any

import pytest

from hive_gateway.conformance.runner import Harness, NotFound
from hive_gateway.conformance.terraform import (
    aws_flow_log,
    aws_vpc_peering_connection,
    aws_vpn_gateway,
)
from hive_gateway.conformance.terraform.aws_flow_log import FlowLogConfig
from hive_gateway.conformance.terraform.aws_vpc_peering_connection import VpcPeeringConnectionConfig
from hive_gateway.conformance.terraform.aws_vpn_gateway import (
    CustomerGatewayConfig,
    VpnGatewayConfig,
)
from tests.fixtures.gateway import RunningGateway
from tests.helpers import new_vpc
from tests.vpc.test_terraform_replay import StrictXmlCheck


def replay(gateway: RunningGateway) -> Harness:
    ec2 = gateway.client("ec2")
    check = StrictXmlCheck()
    h = Harness(gateway.client("ec2"), check=check, poll=0.1, timeout=30)
    vpc_a, vpc_b = new_vpc(ec2, "10.120.0.0/16"), new_vpc(ec2, "10.121.0.0/16")
    table_id = ec2.create_route_table(VpcId=vpc_a)["RouteTable"]["RouteTableId"]

    peering = VpcPeeringConnectionConfig(
        vpc_a, vpc_b, auto_accept=True, accepter_dns=True, requester_dns=True, tags={"Name": "p"}
    )
    pcx_id, pcx = aws_vpc_peering_connection.create_vpc_peering_connection(h, peering)
    assert pcx["accept_status"] == "active"
    assert pcx["accepter"] == [{"allow_remote_vpc_dns_resolution": True}]
    assert pcx["requester"] == [{"allow_remote_vpc_dns_resolution": True}]
    assert (pcx["vpc_id"], pcx["peer_vpc_id"], pcx["tags"]) == (vpc_a, vpc_b, {"Name": "p"})
    assert aws_vpc_peering_connection.read_vpc_peering_connection(h, pcx_id) == pcx
    retagged = VpcPeeringConnectionConfig(
        vpc_a, vpc_b, auto_accept=True, accepter_dns=False, requester_dns=True, tags={"Name": "q"}
    )
    updated = aws_vpc_peering_connection.update_vpc_peering_connection(h, pcx_id, peering, retagged)
    assert updated["tags"] == {"Name": "q"}
    assert updated["accepter"] == [{"allow_remote_vpc_dns_resolution": False}]

    vgw_id, vgw = aws_vpn_gateway.create_vpn_gateway(
        h, VpnGatewayConfig(amazon_side_asn="64620", tags={"Name": "vgw"})
    )
    assert (vgw["amazon_side_asn"], vgw["vpc_id"]) == ("64620", None)
    aws_vpn_gateway.create_vpn_gateway_attachment(h, vgw_id, vpc_a)
    assert aws_vpn_gateway.read_vpn_gateway(h, vgw_id)["vpc_id"] == vpc_a
    aws_vpn_gateway.create_vpn_gateway_route_propagation(h, vgw_id, table_id)
    cgw_id, cgw = aws_vpn_gateway.create_customer_gateway(
        h, CustomerGatewayConfig(65010, "198.51.100.10", tags={"Name": "office"})
    )
    assert (cgw["bgp_asn"], cgw["ip_address"], cgw["type"]) == ("65010", "198.51.100.10", "ipsec.1")
    assert aws_vpn_gateway.read_customer_gateway(h, cgw_id) == cgw
    flow_log_id, flow_log = aws_flow_log.create_flow_log(
        h, FlowLogConfig(vpc_a, "ALL", "s3", "arn:aws:s3:::hive-flow-logs/app/")
    )
    assert flow_log["max_aggregation_interval"] == 600 and flow_log["log_format"]
    assert aws_flow_log.read_flow_log(h, flow_log_id) == flow_log

    aws_flow_log.delete_flow_log(h, flow_log_id)
    aws_vpn_gateway.delete_customer_gateway(h, cgw_id)
    aws_vpn_gateway.delete_vpn_gateway_route_propagation(h, vgw_id, table_id)
    aws_vpn_gateway.delete_vpn_gateway_attachment(h, vgw_id, vpc_a)
    aws_vpn_gateway.delete_vpn_gateway(h, vgw_id)
    aws_vpc_peering_connection.delete_vpc_peering_connection(h, pcx_id)
    for gone in (
        lambda: aws_flow_log.find_flow_log(h, flow_log_id),
        lambda: aws_vpn_gateway.find_customer_gateway(h, cgw_id),
        lambda: aws_vpn_gateway.find_vpn_gateway(h, vgw_id),
        lambda: aws_vpc_peering_connection.find_vpc_peering_connection(h, pcx_id),
    ):
        with pytest.raises(NotFound):
            gone()
    assert not h.failures(), h.failures()
    assert not h.check_failures(), h.check_failures()
    assert check.successes > 20
    return h


def test_replay_over_memory(gateway: RunningGateway) -> None:
    h = replay(gateway)
    operations: list[Any] = h.operations()
    assert operations.index("AcceptVpcPeeringConnection") < operations.index(
        "ModifyVpcPeeringConnectionOptions"
    )
    assert "DeleteVpnGateway" in operations


def test_replay_over_nats(nats_gateway: RunningGateway) -> None:
    replay(nats_gateway)
