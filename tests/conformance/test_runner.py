"""The conformance harness on its own, against a fake botocore client: it must report drift and
fail waits exactly where the Terraform provider would (so a green replay means something)."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from botocore.hooks import HierarchicalEmitter

from hive_gateway.conformance.expectations import (
    NONEMPTY,
    RoutesMatch,
    SgRulesMatch,
    compare_state,
    state_differences,
)
from hive_gateway.conformance.runner import (
    ApiError,
    Harness,
    NotFound,
    WaitError,
    assert_single_value,
    wait_for_state,
)
from hive_gateway.conformance.terraform.aws_egress_only_internet_gateway import (
    read_egress_only_internet_gateway,
)
from hive_gateway.conformance.terraform.aws_network_acl import flatten_nacl_entries, nacl_rule_key
from hive_gateway.conformance.terraform.aws_route_table import flatten_routes
from hive_gateway.conformance.terraform.aws_security_group import (
    config_atoms,
    expand_permissions,
    gather_permissions,
)
from hive_gateway.conformance.terraform.aws_vpc import read_vpc
from hive_gateway.conformance.terraform.common import (
    attribute_filters,
    tag_specifications,
    update_tags,
)
from hive_gateway.conformance.terraform.config import NaclRule, RouteSpec, SgRule
from hive_gateway.conformance.terraform.data_sources import read_data_subnets
from hive_gateway.conformance.terraform.finders import find

Responder = Any  # a dict, a ClientError, a list of those (consumed in order) or a callable


def client_error(operation: str, code: str, message: str = "") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}},
        operation,
    )


class FakeEC2:
    """Just enough of a botocore client: snake_case methods, ``meta.events``, ``meta.region_name``."""

    def __init__(self, responses: dict[str, Responder]) -> None:
        self.meta = SimpleNamespace(events=HierarchicalEmitter(), region_name="us-east-1")
        self.responses = responses
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._methods = {xform_name(op): op for op in responses}

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        operation = self._methods.get(name)
        if operation is None:
            raise AttributeError(name)

        def method(**params: Any) -> dict[str, Any]:
            self.requests.append((operation, params))
            answer = self.responses[operation]
            if isinstance(answer, list):
                answer = answer.pop(0) if len(answer) > 1 else answer[0]
            if callable(answer):
                answer = answer(params)
            if isinstance(answer, ClientError):
                raise answer
            return dict(answer)

        return method


def harness(responses: dict[str, Responder], **kwargs: Any) -> Harness:
    return Harness(FakeEC2(responses), poll=0.001, timeout=kwargs.pop("timeout", 0.5), **kwargs)


VPC = {
    "VpcId": "vpc-1",
    "OwnerId": "111122223333",
    "CidrBlock": "10.0.0.0/16",
    "DhcpOptionsId": "dopt-1",
    "InstanceTenancy": "default",
    "State": "available",
    "Tags": [{"Key": "Name", "Value": "x"}, {"Key": "aws:cloudformation:stack-name", "Value": "s"}],
}


def vpc_endpoint(**attributes: bool | None) -> dict[str, Responder]:
    """DescribeVpcs + DescribeVpcAttribute answering ``attributes`` (None: struct missing)."""
    values = {
        "enableDnsHostnames": False,
        "enableDnsSupport": True,
        "enableNetworkAddressUsageMetrics": False,
    }
    values.update(attributes)

    def attribute(params: dict[str, Any]) -> dict[str, Any]:
        name = params["Attribute"]
        value = values[name]
        answer: dict[str, Any] = {"VpcId": params["VpcId"]}
        if value is not None:
            answer[name[0].upper() + name[1:]] = {"Value": value}
        return answer

    return {
        "DescribeVpcs": {"Vpcs": [VPC]},
        "DescribeVpcAttribute": attribute,
        "DescribeNetworkAcls": {"NetworkAcls": [{"NetworkAclId": "acl-1"}]},
        "DescribeRouteTables": {"RouteTables": [{"RouteTableId": "rtb-1"}]},
        "DescribeSecurityGroups": {"SecurityGroups": [{"GroupId": "sg-1"}]},
    }


# --- read_vpc + compare_state ---------------------------------------------------------------------


def test_read_vpc_flattens_and_strips_aws_tags() -> None:
    h = harness(vpc_endpoint())
    state = read_vpc(h, "vpc-1")
    assert state["tags"] == {"Name": "x"}
    assert state["arn"] == "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1"
    assert (
        state["default_network_acl_id"],
        state["main_route_table_id"],
        state["default_security_group_id"],
    ) == (
        "acl-1",
        "rtb-1",
        "sg-1",
    )
    assert [op for op in h.operations()] == [
        "DescribeVpcs",
        "DescribeVpcAttribute",
        "DescribeVpcAttribute",
        "DescribeVpcAttribute",
        "DescribeNetworkAcls",
        "DescribeRouteTables",
        "DescribeSecurityGroups",
    ]
    assert (
        compare_state({"vpc": state}, {"vpc": {"enable_dns_support": True, "tags": {"Name": "x"}}})
        == []
    )


def test_dns_support_false_is_reported_as_drift() -> None:
    state = read_vpc(harness(vpc_endpoint(enableDnsSupport=False)), "vpc-1")
    drifts = compare_state(
        {"aws_vpc.main": state}, {"aws_vpc.main": {"enable_dns_support": True}}, phase="A"
    )
    assert [(d.address, d.attribute, d.expected, d.actual) for d in drifts] == [
        ("aws_vpc.main", "enable_dns_support", True, False)
    ]
    assert str(drifts[0]) == "aws_vpc.main.enable_dns_support: expected True, got False (A)"


def test_a_missing_attribute_struct_fails_the_read() -> None:
    """``findVPCAttribute``: no ``EnableNetworkAddressUsageMetrics`` element → EmptyResult."""
    with pytest.raises(NotFound, match="empty"):
        read_vpc(harness(vpc_endpoint(enableNetworkAddressUsageMetrics=None)), "vpc-1")


def test_a_failed_default_lookup_leaves_the_id_empty_and_nonempty_flags_it() -> None:
    """An emulator ignoring the ``default``/``vpc-id`` filters returns every ACL: TooManyResults,
    only logged by the provider — the computed id is empty, which NONEMPTY reports."""
    responses = vpc_endpoint()
    responses["DescribeNetworkAcls"] = {
        "NetworkAcls": [{"NetworkAclId": "acl-1"}, {"NetworkAclId": "acl-2"}]
    }
    state = read_vpc(harness(responses), "vpc-1")
    assert state["default_network_acl_id"] == ""
    drifts = compare_state({"v": state}, {"v": {"default_network_acl_id": NONEMPTY}})
    assert len(drifts) == 1 and "must be set" in drifts[0].note


def test_missing_resource_and_state_differences() -> None:
    assert compare_state({}, {"aws_vpc.main": {"id": "vpc-1"}})[0].attribute == "*"
    diffs = state_differences({"r": {"a": 1, "b": 2}}, {"r": {"a": 1, "b": 3}}, phase="B")
    assert [(d.attribute, d.expected, d.actual) for d in diffs] == [("b", 2, 3)]


# --- finders --------------------------------------------------------------------------------------


def test_assert_single_value() -> None:
    assert assert_single_value([1], "x") == 1
    with pytest.raises(NotFound, match="empty"):
        assert_single_value([], "x")
    with pytest.raises(NotFound, match="too many"):
        assert_single_value([1, 2], "x")


def test_find_maps_gone_codes_and_checks_the_id() -> None:
    h = harness({"DescribeSubnets": client_error("DescribeSubnets", "InvalidSubnetID.NotFound")})
    with pytest.raises(NotFound) as gone:
        find(h, "subnet", "subnet-1")
    assert gone.value.reason == "InvalidSubnetID.NotFound"
    assert h.calls[-1].tolerated and not h.calls[-1].failed

    h = harness({"DescribeSubnets": {"Subnets": [{"SubnetId": "subnet-2"}]}})
    with pytest.raises(NotFound, match="id mismatch"):
        find(h, "subnet", "subnet-1")

    h = harness({"DescribeSubnets": client_error("DescribeSubnets", "UnauthorizedOperation", "no")})
    with pytest.raises(ApiError) as error:
        find(h, "subnet", "subnet-1")
    assert (error.value.code, error.value.message) == ("UnauthorizedOperation", "no")
    assert h.failures() == [h.calls[-1]]


def test_find_follows_next_token() -> None:
    pages = [
        {"Subnets": [{"SubnetId": "subnet-1"}], "NextToken": "t"},
        {"Subnets": [{"SubnetId": "subnet-2"}]},
    ]
    h = harness({"DescribeSubnets": pages})
    assert read_data_subnets(h)["ids"] == ["subnet-1", "subnet-2"]
    assert [c.params for c in h.calls] == [{}, {"NextToken": "t"}]


def test_eigw_with_any_error_code_fails_the_refresh() -> None:
    """No error code means "gone" for EIGWs: only an empty list does."""
    code = "InvalidEgressOnlyInternetGatewayId.NotFound"
    h = harness(
        {
            "DescribeEgressOnlyInternetGateways": client_error(
                "DescribeEgressOnlyInternetGateways", code
            )
        }
    )
    with pytest.raises(ApiError):
        read_egress_only_internet_gateway(h, "eigw-1")
    h = harness({"DescribeEgressOnlyInternetGateways": {"EgressOnlyInternetGateways": []}})
    with pytest.raises(NotFound):
        read_egress_only_internet_gateway(h, "eigw-1")


@pytest.mark.parametrize(
    ("attachments", "vpc_id"),
    [
        ([{"State": "attached", "VpcId": "vpc-1"}], "vpc-1"),
        ([{"State": "attaching", "VpcId": "vpc-1"}], None),
        ([{"State": "attached", "VpcId": "vpc-1"}, {"State": "attached", "VpcId": "vpc-2"}], None),
        ([], None),
    ],
)
def test_eigw_vpc_id_only_for_one_attached_attachment(
    attachments: list[Any], vpc_id: str | None
) -> None:
    gateway = {"EgressOnlyInternetGatewayId": "eigw-1", "Attachments": attachments}
    h = harness({"DescribeEgressOnlyInternetGateways": {"EgressOnlyInternetGateways": [gateway]}})
    state = read_egress_only_internet_gateway(h, "eigw-1")
    assert state["vpc_id"] == vpc_id
    assert bool(compare_state({"e": state}, {"e": {"vpc_id": "vpc-1"}})) is (vpc_id is None)


# --- waiters --------------------------------------------------------------------------------------


def sequence(*states: tuple[Any, str]) -> Callable[[], tuple[Any, str]]:
    answers = list(states)
    return lambda: answers.pop(0) if len(answers) > 1 else answers[0]


def wait(refresh: Callable[[], tuple[Any, str]], **kwargs: Any) -> Any:
    options: dict[str, Any] = {"what": "w", "timeout": 0.5, "poll": 0.001}
    options.update(kwargs)
    return wait_for_state(refresh, **options)


def test_wait_reaches_target_through_pending() -> None:
    result = wait(
        sequence(({"n": 1}, "pending"), ({"n": 2}, "available")),
        pending=["pending"],
        target=["available"],
    )
    assert result == {"n": 2}


def test_wait_fails_at_once_on_an_unexpected_state() -> None:
    """IGW attach: ``attached`` is neither Pending (``attaching``) nor Target (``available``)."""
    started = time.monotonic()
    with pytest.raises(WaitError, match="unexpected state 'attached'"):
        wait(sequence(({}, "attached")), pending=["attaching"], target=["available"])
    assert time.monotonic() - started < 0.2


def test_wait_without_pending_polls_unknown_states_until_timeout() -> None:
    with pytest.raises(WaitError, match="timeout"):
        wait(sequence(({}, "false")), pending=[], target=["true"], timeout=0.05)


def test_continuous_target_occurence_resets_on_pending() -> None:
    states = [({}, "ready"), ({}, "pending"), ({}, "ready"), ({}, "ready"), ({}, "ready")]
    calls: list[int] = []

    def refresh() -> tuple[Any, str]:
        calls.append(1)
        return states[len(calls) - 1]

    wait(refresh, pending=["pending"], target=["ready"], continuous_target_occurence=3)
    assert len(calls) == 5


def test_not_found_tolerance_and_deleted_waiters() -> None:
    with pytest.raises(WaitError, match="couldn't find resource"):
        wait(sequence((None, "")), pending=["pending"], target=["available"], not_found_checks=3)
    # Target empty: not found is success, CTO times in a row.
    calls: list[int] = []

    def gone() -> tuple[Any, str]:
        calls.append(1)
        return (None, "") if len(calls) > 1 else ({}, "ready")

    assert wait(gone, pending=["ready"], target=[], continuous_target_occurence=2) is None
    assert len(calls) == 3


def test_retry_on_and_tolerate() -> None:
    h = harness(
        {
            "DeleteVpc": [client_error("DeleteVpc", "DependencyViolation"), {}],
            "DeleteSubnet": client_error("DeleteSubnet", "InvalidSubnetID.NotFound"),
        }
    )
    assert h.call("DeleteVpc", retry_on=("DependencyViolation",), VpcId="vpc-1") == {}
    assert [c.tolerated for c in h.calls] == [True, False]
    assert h.call("DeleteSubnet", tolerate=("InvalidSubnetID.NotFound",), SubnetId="s") is None
    assert h.failures() == []
    h = harness({"DeleteVpc": client_error("DeleteVpc", "DependencyViolation")}, timeout=0.02)
    with pytest.raises(ApiError, match="DependencyViolation"):
        h.call("DeleteVpc", retry_on=("DependencyViolation",), VpcId="vpc-1")
    assert h.failures() == [h.calls[-1]]


# --- flattening -----------------------------------------------------------------------------------


def test_security_group_rules_flatten_as_the_provider_gathers_them() -> None:
    permissions = [
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},  # ports omitted → 0
        {
            "IpProtocol": "TCP",
            "FromPort": 22,
            "ToPort": 22,
            "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}],
            "UserIdGroupPairs": [
                {"GroupId": "sg-self", "UserId": "111122223333", "Description": "ssh"},
                {"GroupId": "sg-other", "UserId": "444455556666", "Description": "ssh"},
            ],
        },
    ]
    rules = gather_permissions("sg-self", "111122223333", permissions)
    assert rules == [
        {
            "protocol": "-1",
            "from_port": 0,
            "to_port": 0,
            "description": "",
            "cidr_blocks": ["0.0.0.0/0"],
            "ipv6_cidr_blocks": [],
            "prefix_list_ids": [],
            "security_groups": [],
            "self": False,
        },
        {
            "protocol": "tcp",
            "from_port": 22,
            "to_port": 22,
            "description": "ssh",
            "cidr_blocks": ["10.0.0.0/8"],
            "ipv6_cidr_blocks": [],
            "prefix_list_ids": [],
            "security_groups": ["444455556666/sg-other"],
            "self": True,
        },
    ]
    config = (
        SgRule("all", cidr_blocks=("0.0.0.0/0",)),
        SgRule(
            "6",
            22,
            22,
            cidr_blocks=("10.0.0.0/8",),
            security_groups=("444455556666/sg-other",),
            self_ref=True,
            description="ssh",
        ),
    )
    assert SgRulesMatch(config).problem(rules) is None


@pytest.mark.parametrize(
    ("permission", "problem"),
    [
        (
            {
                "IpProtocol": "6",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
            "missing",
        ),
        (
            {
                "IpProtocol": "-1",
                "FromPort": -1,
                "ToPort": -1,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
            "missing",
        ),
        (
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
            None,
        ),
    ],
)
def test_numeric_protocols_and_minus_one_ports_are_drift(
    permission: dict[str, Any], problem: str | None
) -> None:
    protocol = "tcp" if permission["IpProtocol"] != "-1" else "-1"
    port = 443 if protocol == "tcp" else 0
    config = (SgRule(protocol, port, port, cidr_blocks=("0.0.0.0/0",)),)
    found = SgRulesMatch(config).problem(gather_permissions("sg-1", "1", [permission]))
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_expand_permissions_collapses_and_omits_ports_for_all_traffic() -> None:
    atoms = config_atoms(
        [
            SgRule("-1", cidr_blocks=("0.0.0.0/0",), ipv6_cidr_blocks=("::/0",)),
            SgRule("tcp", 80, 80, cidr_blocks=("10.0.0.0/8",), self_ref=True, description="web"),
        ]
    )
    assert expand_permissions("sg-1", atoms) == [
        {
            "IpProtocol": "-1",
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
        },
        {
            "IpProtocol": "tcp",
            "FromPort": 80,
            "ToPort": 80,
            "UserIdGroupPairs": [{"GroupId": "sg-1", "Description": "web"}],
            "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "web"}],
        },
    ]


def test_route_table_flattening_skips_local_propagated_and_endpoint_routes() -> None:
    table = {
        "RouteTableId": "rtb-1",
        "Routes": [
            {
                "DestinationCidrBlock": "10.0.0.0/16",
                "GatewayId": "local",
                "Origin": "CreateRouteTable",
            },
            {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "Origin": "CreateRoute"},
            {
                "DestinationCidrBlock": "172.16.0.0/12",
                "GatewayId": "vgw-1",
                "Origin": "EnableVgwRoutePropagation",
            },
            {"DestinationPrefixListId": "pl-1", "GatewayId": "vpce-1", "Origin": "CreateRoute"},
            {
                "DestinationIpv6CidrBlock": "::/0",
                "EgressOnlyInternetGatewayId": "eigw-1",
                "Origin": "CreateRoute",
            },
        ],
    }
    routes = flatten_routes(harness({}), table)
    expected = (
        RouteSpec(cidr_block="0.0.0.0/0", gateway_id="igw-1"),
        RouteSpec(ipv6_cidr_block="::/0", egress_only_gateway_id="eigw-1"),
    )
    assert RoutesMatch(expected).problem(routes) is None
    assert RoutesMatch(expected[:1]).problem(routes) is not None
    assert RoutesMatch(None).problem(routes) is None  # route not configured: Computed
    # A local route is kept only when the same destination is configured with gateway_id=local.
    assert len(flatten_routes(harness({}), table, ["10.0.0.0/16"])) == 3


def test_network_acl_entries_flatten_with_protocol_numbers_and_skip_catch_alls() -> None:
    entries = [
        {
            "RuleNumber": 100,
            "Protocol": "6",
            "RuleAction": "allow",
            "Egress": False,
            "CidrBlock": "0.0.0.0/0",
            "PortRange": {"From": 443, "To": 443},
        },
        {
            "RuleNumber": 110,
            "Protocol": "-1",
            "RuleAction": "deny",
            "Egress": False,
            "CidrBlock": "10.0.0.0/8",
        },
        {
            "RuleNumber": 32767,
            "Protocol": "-1",
            "RuleAction": "deny",
            "Egress": False,
            "CidrBlock": "0.0.0.0/0",
        },
        {
            "RuleNumber": 100,
            "Protocol": "-1",
            "RuleAction": "allow",
            "Egress": True,
            "CidrBlock": "0.0.0.0/0",
        },
    ]
    ingress = flatten_nacl_entries(entries, egress=False)
    assert [(r["rule_no"], r["protocol"], r["from_port"]) for r in ingress] == [
        (100, "6", 443),
        (110, "-1", 0),
    ]
    configured = {
        nacl_rule_key(
            NaclRule(100, "tcp", "ALLOW", cidr_block="0.0.0.0/0", from_port=443, to_port=443)
        )
    }
    assert nacl_rule_key(ingress[0]) in configured


# --- requests -------------------------------------------------------------------------------------


def test_filters_are_sorted_and_empty_values_dropped() -> None:
    assert attribute_filters({"vpc-id": "vpc-1", "group-name": "default", "state": ""}) == [
        {"Name": "group-name", "Values": ["default"]},
        {"Name": "vpc-id", "Values": ["vpc-1"]},
    ]
    assert tag_specifications("vpc", {}) == {}


def test_update_tags_deletes_with_old_values_then_creates() -> None:
    h = harness({"DeleteTags": {}, "CreateTags": {}})
    update_tags(h, "vpc-1", {"A": "1", "B": "2", "C": "3"}, {"A": "1", "B": "9", "D": "4"})
    assert [(c.operation, c.params) for c in h.calls] == [
        ("DeleteTags", {"Resources": ["vpc-1"], "Tags": [{"Key": "C", "Value": "3"}]}),
        (
            "CreateTags",
            {
                "Resources": ["vpc-1"],
                "Tags": [{"Key": "B", "Value": "9"}, {"Key": "D", "Value": "4"}],
            },
        ),
    ]
    h = harness({})
    update_tags(h, "vpc-1", {"A": "1"}, {"A": "1"})
    assert h.calls == []


def test_the_check_hook_receives_raw_responses_and_records_rejections() -> None:
    """``before-parse.ec2.*`` handlers get (operation_model, response_dict); a check that raises is
    recorded on the call, not raised into botocore."""
    seen: list[tuple[str, int, bytes]] = []

    def check(operation: Any, status: int, body: bytes) -> None:
        seen.append((operation.name, status, body))
        raise AssertionError("bad element")

    h = harness({"DescribeVpcs": {"Vpcs": []}}, check=check)
    client = h.client
    original = client.describe_vpcs

    def describe_vpcs(**params: Any) -> dict[str, Any]:
        client.meta.events.emit(
            "before-parse.ec2.DescribeVpcs",
            operation_model=SimpleNamespace(name="DescribeVpcs"),
            response_dict={"status_code": 200, "body": b"<x/>"},
        )
        return original(**params)

    client.describe_vpcs = describe_vpcs
    h.call("DescribeVpcs")
    assert seen == [("DescribeVpcs", 200, b"<x/>")]
    assert h.calls[0].check_failure == "AssertionError: bad element"
    assert h.calls[0].status == 200
    assert h.check_failures() == h.calls
