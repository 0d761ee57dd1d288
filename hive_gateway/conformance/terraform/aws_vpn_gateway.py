"""``aws_vpn_gateway``, ``aws_vpn_gateway_attachment`` and ``aws_vpn_gateway_route_propagation``
(``vpnsite_gateway*.go``, provider v5), and ``aws_customer_gateway`` (``vpnsite_customer_gateway.go``).

* gateway: create (no waiter), Read retried while new; the finder treats ``deleted`` as gone;
  ``vpc_id`` is the VPC of an ``attached`` attachment; delete retries ``IncorrectState`` (still
  detaching) and tolerates ``InvalidVpnGatewayID.NotFound``;
* attachment: attach, wait ``attaching`` → ``attached``; detach (tolerating
  ``InvalidVpnGatewayAttachment.NotFound``/``InvalidVpnGatewayID.NotFound``), wait until the
  attachment is ``detached`` (gone for the finder);
* route propagation: enable, wait until ``PropagatingVgws`` lists the gateway; disable;
* customer gateway: create, wait ``pending`` → ``available``; delete, wait until ``deleted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from hive_gateway.conformance.runner import Harness, NotFound, wait_for_state
from hive_gateway.conformance.terraform.common import tag_specifications, tags_out
from hive_gateway.conformance.terraform.config import Obj, State
from hive_gateway.conformance.terraform.finders import retry_new, retry_until_not_found, status

VGW_GONE: Final = ("InvalidVpnGatewayID.NotFound",)
ATTACHMENT_GONE: Final = ("InvalidVpnGatewayAttachment.NotFound", "InvalidVpnGatewayID.NotFound")
CGW_GONE: Final = ("InvalidCustomerGatewayID.NotFound",)
RT_GONE: Final = ("InvalidRouteTableID.NotFound",)


@dataclass(frozen=True)
class VpnGatewayConfig:
    """An ``aws_vpn_gateway`` block (attached separately)."""

    amazon_side_asn: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomerGatewayConfig:
    """An ``aws_customer_gateway`` block."""

    bgp_asn: int
    ip_address: str
    tags: Mapping[str, str] = field(default_factory=dict)


# --- aws_vpn_gateway -------------------------------------------------------------------------


def find_vpn_gateway(h: Harness, vgw_id: str) -> Obj:
    """``findVPNGatewayByID``: ``deleted`` is gone."""
    found = h.find(
        "DescribeVpnGateways",
        "VpnGateways",
        not_found_codes=VGW_GONE,
        id_field="VpnGatewayId",
        expected_id=vgw_id,
        paginate=False,
        VpnGatewayIds=[vgw_id],
    )
    if found.get("State") == "deleted":
        raise NotFound(f"DescribeVpnGateways({vgw_id})", "deleted")
    return found


def create_vpn_gateway(h: Harness, config: VpnGatewayConfig) -> tuple[str, State]:
    params: Obj = {"Type": "ipsec.1", **tag_specifications("vpn-gateway", config.tags)}
    if config.amazon_side_asn is not None:
        params["AmazonSideAsn"] = int(config.amazon_side_asn)
    response = h.call("CreateVpnGateway", **params)
    assert response is not None
    vgw_id = str(response["VpnGateway"]["VpnGatewayId"])
    return vgw_id, retry_new(h, True, lambda: read_vpn_gateway(h, vgw_id))


def read_vpn_gateway(h: Harness, vgw_id: str) -> State:
    gateway = find_vpn_gateway(h, vgw_id)
    vpc_id = None
    for attachment in gateway.get("VpcAttachments") or []:
        if attachment.get("State") == "attached":
            vpc_id = attachment.get("VpcId")
    return {
        "id": vgw_id,
        "amazon_side_asn": str(gateway.get("AmazonSideAsn")),
        "availability_zone": gateway.get("AvailabilityZone"),
        "vpc_id": vpc_id,
        "tags": tags_out(gateway.get("Tags")),
    }


def delete_vpn_gateway(h: Harness, vgw_id: str) -> None:
    h.call(
        "DeleteVpnGateway",
        tolerate=VGW_GONE,
        retry_on=("IncorrectState",),
        VpnGatewayId=vgw_id,
    )


# --- aws_vpn_gateway_attachment --------------------------------------------------------------


def find_attachment(h: Harness, vgw_id: str, vpc_id: str) -> Obj:
    """``findVPNGatewayVPCAttachment``: a ``detached`` attachment is gone."""
    gateway = find_vpn_gateway(h, vgw_id)
    for attachment in gateway.get("VpcAttachments") or []:
        if attachment.get("VpcId") == vpc_id:
            if attachment.get("State") == "detached":
                raise NotFound(f"attachment {vgw_id}/{vpc_id}", "detached")
            return dict(attachment)
    raise NotFound(f"attachment {vgw_id}/{vpc_id}", "empty")


def _attachment_state(attachment: Obj) -> str:
    return str(attachment.get("State"))


def create_vpn_gateway_attachment(h: Harness, vgw_id: str, vpc_id: str) -> State:
    h.call("AttachVpnGateway", VpnGatewayId=vgw_id, VpcId=vpc_id)
    wait_for_state(
        status(lambda: find_attachment(h, vgw_id, vpc_id), _attachment_state),
        pending=("attaching",),
        target=("attached",),
        what=f"{vgw_id} attached to {vpc_id}",
        timeout=h.timeout,
        poll=h.poll,
    )
    return read_vpn_gateway_attachment(h, vgw_id, vpc_id)


def read_vpn_gateway_attachment(h: Harness, vgw_id: str, vpc_id: str) -> State:
    find_attachment(h, vgw_id, vpc_id)
    return {"id": f"vpn-attachment-{vgw_id}-{vpc_id}", "vpc_id": vpc_id, "vpn_gateway_id": vgw_id}


def delete_vpn_gateway_attachment(h: Harness, vgw_id: str, vpc_id: str) -> None:
    answer = h.call("DetachVpnGateway", tolerate=ATTACHMENT_GONE, VpnGatewayId=vgw_id, VpcId=vpc_id)
    if answer is None:
        return
    wait_for_state(
        status(lambda: find_attachment(h, vgw_id, vpc_id), _attachment_state),
        pending=("attached", "detaching"),
        target=(),
        what=f"{vgw_id} detached from {vpc_id}",
        timeout=h.timeout,
        poll=h.poll,
    )


# --- aws_vpn_gateway_route_propagation -------------------------------------------------------


def find_propagation(h: Harness, vgw_id: str, table_id: str) -> Obj:
    """``findVPNGatewayRoutePropagationExists``."""
    table = h.find(
        "DescribeRouteTables",
        "RouteTables",
        not_found_codes=RT_GONE,
        id_field="RouteTableId",
        expected_id=table_id,
        RouteTableIds=[table_id],
    )
    for vgw in table.get("PropagatingVgws") or []:
        if vgw.get("GatewayId") == vgw_id:
            return dict(vgw)
    raise NotFound(f"propagation {vgw_id}/{table_id}", "empty")


def create_vpn_gateway_route_propagation(h: Harness, vgw_id: str, table_id: str) -> State:
    h.call("EnableVgwRoutePropagation", GatewayId=vgw_id, RouteTableId=table_id)
    retry_new(h, True, lambda: find_propagation(h, vgw_id, table_id))
    return {"id": f"{vgw_id}_{table_id}", "vpn_gateway_id": vgw_id, "route_table_id": table_id}


def delete_vpn_gateway_route_propagation(h: Harness, vgw_id: str, table_id: str) -> None:
    h.call(
        "DisableVgwRoutePropagation",
        tolerate=RT_GONE + VGW_GONE,
        GatewayId=vgw_id,
        RouteTableId=table_id,
    )
    retry_until_not_found(
        h, f"propagation {vgw_id}/{table_id}", lambda: find_propagation(h, vgw_id, table_id)
    )


# --- aws_customer_gateway --------------------------------------------------------------------


def find_customer_gateway(h: Harness, cgw_id: str) -> Obj:
    """``findCustomerGatewayByID``: ``deleted`` is gone."""
    found = h.find(
        "DescribeCustomerGateways",
        "CustomerGateways",
        not_found_codes=CGW_GONE,
        id_field="CustomerGatewayId",
        expected_id=cgw_id,
        paginate=False,
        CustomerGatewayIds=[cgw_id],
    )
    if found.get("State") == "deleted":
        raise NotFound(f"DescribeCustomerGateways({cgw_id})", "deleted")
    return found


def _cgw_state(gateway: Obj) -> str:
    return str(gateway.get("State"))


def create_customer_gateway(h: Harness, config: CustomerGatewayConfig) -> tuple[str, State]:
    response = h.call(
        "CreateCustomerGateway",
        BgpAsn=config.bgp_asn,
        IpAddress=config.ip_address,
        Type="ipsec.1",
        **tag_specifications("customer-gateway", config.tags),
    )
    assert response is not None
    cgw_id = str(response["CustomerGateway"]["CustomerGatewayId"])
    wait_for_state(
        status(lambda: find_customer_gateway(h, cgw_id), _cgw_state),
        pending=("pending",),
        target=("available",),
        what=f"customer gateway {cgw_id} available",
        timeout=h.timeout,
        poll=h.poll,
    )
    return cgw_id, read_customer_gateway(h, cgw_id)


def read_customer_gateway(h: Harness, cgw_id: str) -> State:
    gateway = find_customer_gateway(h, cgw_id)
    return {
        "id": cgw_id,
        "bgp_asn": gateway.get("BgpAsn"),
        "bgp_asn_extended": gateway.get("BgpAsnExtended"),
        "ip_address": gateway.get("IpAddress"),
        "type": gateway.get("Type"),
        "certificate_arn": gateway.get("CertificateArn"),
        "device_name": gateway.get("DeviceName"),
        "tags": tags_out(gateway.get("Tags")),
    }


def delete_customer_gateway(h: Harness, cgw_id: str) -> None:
    h.call("DeleteCustomerGateway", tolerate=CGW_GONE, CustomerGatewayId=cgw_id)
    wait_for_state(
        status(lambda: find_customer_gateway(h, cgw_id), _cgw_state),
        pending=("available", "deleting"),
        target=(),
        what=f"customer gateway {cgw_id} deleted",
        timeout=h.timeout,
        poll=h.poll,
    )
