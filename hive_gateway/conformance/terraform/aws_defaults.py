"""The ``aws_default_*`` resources (``vpc_default_*.go``): each adopts what AWS made — the
account's default VPC, subnet and DHCP options, a VPC's default security group, main route table
and default network ACL — brings it to the configuration (revoking, deleting and re-creating rules,
routes and entries as the provider does) and tags it; Delete calls nothing."""

from __future__ import annotations

from collections.abc import Sequence

from hive_gateway.conformance.runner import ApiError, Harness
from hive_gateway.conformance.terraform.aws_network_acl import (
    delete_entries,
    modify_acl_on_create,
    modify_acl_on_update,
    read_network_acl,
)
from hive_gateway.conformance.terraform.aws_route_table import (
    create_route_in_table,
    read_route_table,
    wait_route_deleted,
)
from hive_gateway.conformance.terraform.aws_security_group import (
    read_security_group,
    sg_rule_update,
)
from hive_gateway.conformance.terraform.aws_subnet import modify_subnet_on_create, read_subnet
from hive_gateway.conformance.terraform.aws_vpc import (
    VPC_ATTRIBUTES,
    find_vpc_attribute,
    modify_vpc_attributes,
    read_vpc,
    vpc_attribute_config,
)
from hive_gateway.conformance.terraform.common import (
    arn_of,
    attribute_filters,
    region_of,
    tags_out,
    update_tags,
)
from hive_gateway.conformance.terraform.config import (
    DefaultDhcpOptionsConfig,
    DefaultNetworkAclConfig,
    DefaultRouteTableConfig,
    DefaultSecurityGroupConfig,
    DefaultSubnetConfig,
    DefaultVpcConfig,
    RouteSpec,
    State,
)
from hive_gateway.conformance.terraform.finders import find, find_where, retry_new

# --- aws_default_vpc -------------------------------------------------------------------------------


def create_default_vpc(h: Harness, config: DefaultVpcConfig) -> tuple[str, State]:
    """``resourceDefaultVPCCreate`` for an existing default VPC: ``DescribeVpcs(isDefault=true)``,
    3× DescribeVpcAttribute, attribute modifications, tags via ``updateTags``, Read."""
    vpc = find_where(h, "vpc", attribute_filters({"isDefault": "true"}))
    vpc_id = str(vpc["VpcId"])
    current = {
        state_name: find_vpc_attribute(h, vpc_id, attribute)
        for attribute, _, state_name in VPC_ATTRIBUTES
    }
    # enable_network_address_usage_metrics is Optional+Computed: unset reads as false.
    modify_vpc_attributes(h, vpc_id, vpc_attribute_config(config, False), current)
    update_tags(h, vpc_id, tags_out(vpc.get("Tags")), config.tags)
    return vpc_id, retry_new(h, True, lambda: read_vpc(h, vpc_id))


def delete_default_vpc(h: Harness, vpc_id: str) -> None:
    """``force_destroy = false``: nothing is called; the VPC only leaves the state."""


# --- aws_default_subnet ----------------------------------------------------------------------------


def create_default_subnet(h: Harness, config: DefaultSubnetConfig) -> tuple[str, State]:
    """``resourceDefaultSubnetCreate`` for an existing default subnet: ``DescribeSubnets`` with the
    legacy filters ``availabilityZone`` + ``defaultForAz``, modifications, tags, Read."""
    subnet = h.find(
        "DescribeSubnets",
        "Subnets",
        Filters=attribute_filters(
            {"availabilityZone": config.availability_zone, "defaultForAz": "true"}
        ),
    )
    subnet_id = str(subnet["SubnetId"])
    modify_subnet_on_create(h, subnet, config)
    update_tags(h, subnet_id, tags_out(subnet.get("Tags")), config.tags)
    return subnet_id, retry_new(h, True, lambda: read_subnet(h, subnet_id))


def delete_default_subnet(h: Harness, subnet_id: str) -> None:
    """``force_destroy = false``: nothing is called."""


# --- aws_default_security_group --------------------------------------------------------------------


def force_revoke_security_group_rules(h: Harness, group_id: str) -> None:
    """``forceRevokeSecurityGroupRules(searchAll=false)``: the group and the groups its rules name,
    ``DescribeSecurityGroupRules(group-id=…)``, then one revoke per rule id (rule-id and group
    NotFound tolerated)."""
    group = find(h, "security-group", group_id)
    related = [group_id]
    for permission in [
        *(group.get("IpPermissions") or []),
        *(group.get("IpPermissionsEgress") or []),
    ]:
        for pair in permission.get("UserIdGroupPairs") or []:
            if pair.get("GroupId") and pair["GroupId"] != group_id:
                related.append(str(pair["GroupId"]))
    rules = h.find_all(
        "DescribeSecurityGroupRules",
        "SecurityGroupRules",
        Filters=[{"Name": "group-id", "Values": related}],
    )
    for rule in rules:
        if not rule.get("GroupId"):
            continue
        referenced = (rule.get("ReferencedGroupInfo") or {}).get("GroupId")
        if rule["GroupId"] != group_id and referenced != group_id:
            continue
        operation = (
            "RevokeSecurityGroupEgress" if rule.get("IsEgress") else "RevokeSecurityGroupIngress"
        )
        h.call(
            operation,
            tolerate=("InvalidSecurityGroupRuleId.NotFound", "InvalidGroup.NotFound"),
            GroupId=rule["GroupId"],
            SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]],
        )


def create_default_security_group(
    h: Harness, config: DefaultSecurityGroupConfig
) -> tuple[str, State]:
    """``resourceDefaultSecurityGroupCreate``: find ``default`` by name and VPC, tags, revoke every
    existing rule by id, then Update (authorize the configured rules) and Read."""
    group = h.find(
        "DescribeSecurityGroups",
        "SecurityGroups",
        Filters=[
            *attribute_filters({"group-name": "default"}),
            *attribute_filters({"vpc-id": config.vpc_id}),
        ],
    )
    group_id = str(group["GroupId"])
    update_tags(h, group_id, tags_out(group.get("Tags")), config.tags)
    force_revoke_security_group_rules(h, group_id)
    sg_rule_update(h, group_id, ((), ()), (config.ingress, config.egress))
    return group_id, read_security_group(h, group_id)


def delete_default_security_group(h: Harness, group_id: str) -> None:
    """``schema.NoopContext``: nothing is called."""


# --- aws_default_route_table -----------------------------------------------------------------------


def create_default_route_table(h: Harness, config: DefaultRouteTableConfig) -> tuple[str, State]:
    """``resourceDefaultRouteTableCreate``: find by id, disable VGW propagation, delete every
    non-local, non-propagated, non-endpoint route (+ wait), add the configured routes, tag with
    ``CreateTags``, Read."""
    table = find(h, "route-table", config.default_route_table_id)
    route_table_id = str(table["RouteTableId"])
    for vgw in table.get("PropagatingVgws") or []:
        h.call(
            "DisableVgwRoutePropagation", GatewayId=vgw["GatewayId"], RouteTableId=route_table_id
        )
    for route in table.get("Routes") or []:
        gateway = str(route.get("GatewayId", ""))
        if gateway == "local" or route.get("Origin") == "EnableVgwRoutePropagation":
            continue
        if route.get("DestinationPrefixListId") and gateway.startswith("vpce-"):
            continue
        spec = RouteSpec(
            cidr_block=str(route.get("DestinationCidrBlock", "")),
            ipv6_cidr_block=str(route.get("DestinationIpv6CidrBlock", "")),
            destination_prefix_list_id=str(route.get("DestinationPrefixListId", "")),
        )
        member, value = spec.destination()
        response = h.call(
            "DeleteRoute",
            tolerate=("InvalidRoute.NotFound",),
            RouteTableId=route_table_id,
            **{member: value},
        )
        if response is not None:
            wait_route_deleted(h, route_table_id, spec)
    for spec in config.routes:
        create_route_in_table(h, route_table_id, spec)
    if config.tags:
        h.call(
            "CreateTags",
            Resources=[route_table_id],
            Tags=[{"Key": k, "Value": config.tags[k]} for k in sorted(config.tags)],
        )
    state = retry_new(h, True, lambda: read_route_table(h, route_table_id, config.routes))
    return route_table_id, {**state, "default_route_table_id": route_table_id}


def read_default_route_table(
    h: Harness, route_table_id: str, routes: Sequence[RouteSpec] = ()
) -> State:
    return {**read_route_table(h, route_table_id, routes), "default_route_table_id": route_table_id}


def delete_default_route_table(h: Harness, route_table_id: str) -> None:
    """Nothing is called: the table only leaves the state."""


# --- aws_default_network_acl -----------------------------------------------------------------------


def create_default_network_acl(h: Harness, config: DefaultNetworkAclConfig) -> tuple[str, State]:
    """``resourceDefaultNetworkACLCreate``: find by id (must be ``IsDefault``), delete every
    existing entry, create the configured ones and associations, tags via ``updateTags``, Read."""
    acl = find(h, "network-acl", config.default_network_acl_id)
    if not acl.get("IsDefault"):
        raise ApiError(
            "aws_default_network_acl", "NotDefault", "use the `aws_network_acl` resource instead"
        )
    acl_id = str(acl["NetworkAclId"])
    delete_entries(
        h, acl_id, [(int(e["RuleNumber"]), bool(e.get("Egress"))) for e in acl.get("Entries") or []]
    )
    modify_acl_on_create(h, acl_id, config)
    update_tags(h, acl_id, tags_out(acl.get("Tags")), config.tags)
    state = retry_new(h, True, lambda: read_network_acl(h, acl_id))
    return acl_id, {**state, "default_network_acl_id": acl_id}


def read_default_network_acl(h: Harness, acl_id: str) -> State:
    return {**read_network_acl(h, acl_id), "default_network_acl_id": acl_id}


def update_default_network_acl(
    h: Harness, acl_id: str, vpc_id: str, old: DefaultNetworkAclConfig, new: DefaultNetworkAclConfig
) -> State:
    """Associations are never removed from the default ACL (``deleteAssociations=false``)."""
    update_tags(h, acl_id, old.tags, new.tags)
    modify_acl_on_update(h, acl_id, vpc_id, old, new, False)
    return read_default_network_acl(h, acl_id)


def delete_default_network_acl(h: Harness, acl_id: str) -> None:
    """Nothing is called: a warning, and the ACL leaves the state."""


# --- aws_default_vpc_dhcp_options ------------------------------------------------------------------


def regional_private_dns_suffix(region: str) -> str:
    """``RegionalPrivateDNSSuffix``."""
    return "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"


def read_dhcp_options(h: Harness, dhcp_options_id: str) -> State:
    """``resourceVPCDHCPOptionsRead`` (the default resource's server lists are joined by ", ")."""
    options = find(h, "dhcp-options", dhcp_options_id)
    values: dict[str, list[str]] = {}
    for configuration in options.get("DhcpConfigurations") or []:
        values[str(configuration.get("Key"))] = [
            str(v.get("Value")) for v in configuration.get("Values") or []
        ]
    return {
        "id": dhcp_options_id,
        "arn": arn_of(h, str(options.get("OwnerId", "")), f"dhcp-options/{dhcp_options_id}"),
        "domain_name": " ".join(values.get("domain-name", [])),
        "domain_name_servers": ", ".join(values.get("domain-name-servers", [])),
        "ipv6_address_preferred_lease_time": " ".join(
            values.get("ipv6-address-preferred-lease-time", [])
        ),
        "netbios_name_servers": ", ".join(values.get("netbios-name-servers", [])),
        "netbios_node_type": " ".join(values.get("netbios-node-type", [])),
        "ntp_servers": ", ".join(values.get("ntp-servers", [])),
        "owner_id": options.get("OwnerId"),
        "tags": tags_out(options.get("Tags")),
    }


def create_default_dhcp_options(h: Harness, config: DefaultDhcpOptionsConfig) -> tuple[str, State]:
    """``resourceDefaultVPCDHCPOptionsCreate``: ``DescribeDhcpOptions`` with the repeated filters
    ``key=domain-name, value=<regional suffix>, key=domain-name-servers, value=AmazonProvidedDNS``
    (exactly one set must match), then tags and Read."""
    options = h.find(
        "DescribeDhcpOptions",
        "DhcpOptions",
        Filters=[
            {"Name": "key", "Values": ["domain-name"]},
            {"Name": "value", "Values": [regional_private_dns_suffix(region_of(h))]},
            {"Name": "key", "Values": ["domain-name-servers"]},
            {"Name": "value", "Values": ["AmazonProvidedDNS"]},
        ],
    )
    dhcp_options_id = str(options["DhcpOptionsId"])
    update_tags(h, dhcp_options_id, tags_out(options.get("Tags")), config.tags)
    return dhcp_options_id, retry_new(h, True, lambda: read_dhcp_options(h, dhcp_options_id))


def delete_default_dhcp_options(h: Harness, dhcp_options_id: str) -> None:
    """``schema.NoopContext``."""
