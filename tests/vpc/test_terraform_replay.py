"""The Terraform AWS provider's full VPC-stack call sequence, replayed against the gateway.

``hive_gateway.conformance.replay.replay_vpc_stack`` creates aws_vpc, aws_subnet,
aws_security_group (inline rules), aws_internet_gateway, aws_egress_only_internet_gateway,
aws_route_table (inline routes), aws_route_table_association, aws_route, aws_network_acl and every
aws_default_* resource with the provider's waiters, refreshes twice (the second refresh must equal
the first, and both must match the configuration: the plan after apply is empty), updates tags,
attributes, rules, routes and an association, refreshes again, destroys in reverse order and
checks every id is gone with the exact NotFound code. Every response of the whole run — success or
error — goes through the strict XML check.

The tests below run it over the in-memory store and over real NATS, then check the recorded call
sequence for the provider's calls; further tests show that the replay does fail when the endpoint
misbehaves (a tampered response, an unexpected waiter state, a foreign filter result).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from botocore.model import OperationModel

from hive_gateway.conformance.replay import StackSettings, replay_vpc_stack
from hive_gateway.conformance.runner import Call, Report
from hive_gateway.conformance.stack import (
    DEFAULT_NACL,
    DEFAULT_SG,
    EIGW,
    IGW,
    NACL,
    RT_PRIVATE,
    RT_PUBLIC,
    RTA,
    SG,
    SUBNET_A,
    SUBNET_B,
    VPC,
)
from hive_gateway.conformance.xml_check import (
    assert_error_envelope,
    assert_xml_matches_shape,
)
from tests.fixtures.gateway import RunningGateway


class StrictXmlCheck:
    """The per-response check: success bodies element by element against the output shape
    (member order included), error bodies against the EC2 error envelope."""

    def __init__(self) -> None:
        self.successes = 0
        self.errors = 0

    def __call__(self, operation: OperationModel, status: int, body: bytes) -> None:
        if status >= 300:
            self.errors += 1
            assert_error_envelope(body, "ec2")
            return
        self.successes += 1
        assert_xml_matches_shape(body, operation, ordered=True)


def _filters(call: Call) -> list[tuple[str, tuple[str, ...]]]:
    return [(f["Name"], tuple(f["Values"])) for f in call.params.get("Filters", [])]


def _calls(report: Report, operation: str, **params: Any) -> list[Call]:
    return [
        c
        for c in report.calls
        if c.operation == operation and all(c.params.get(k) == v for k, v in params.items())
    ]


def _index_after(calls: Sequence[Call], start: int, match: Callable[[Call], bool]) -> int:
    for index in range(start, len(calls)):
        if match(calls[index]):
            return index
    raise AssertionError(f"no matching call after #{start}")


def _assert_full_replay(gateway: RunningGateway, *, factory: bool = False) -> Report:
    check = StrictXmlCheck()
    client = (lambda: gateway.client("ec2")) if factory else gateway.client("ec2")
    report = replay_vpc_stack(client, check=check)
    assert report.ok, report.summary()
    calls = report.calls
    ids = report.ids

    # Every response of the run went through the strict check, and passed.
    assert check.successes + check.errors == len(calls)
    assert check.errors == sum(1 for c in calls if c.outcome == "error")
    assert [c for c in calls if c.check_failure] == []
    # No error except those the provider tolerates (gone codes while waiting/verifying).
    assert [c for c in calls if c.outcome == "error" and not c.tolerated] == []
    assert {c.error_code for c in calls if c.outcome == "error"} <= {
        "InvalidVpcID.NotFound",
        "InvalidSubnetID.NotFound",
        "InvalidGroup.NotFound",
        "InvalidInternetGatewayID.NotFound",
        "InvalidRouteTableID.NotFound",
        "InvalidNetworkAclID.NotFound",
    }

    # Refresh B equals refresh A, and both hold every resource and data source.
    state_a, state_b = report.states["A"], report.states["B"]
    assert state_a == state_b
    assert len(state_a) == 24
    assert state_a[VPC]["enable_dns_support"] is True
    assert report.states["updated"][VPC]["enable_dns_hostnames"] is False
    assert report.states["updated"][SUBNET_A]["map_public_ip_on_launch"] is True

    # Each VPC read: DescribeVpcs, the three attributes in order, then the default NACL, main
    # route table and default SG lookups — each answered with exactly one item.
    vpc_id = ids[VPC]
    reads = [
        i
        for i, c in enumerate(calls)
        if c.operation == "DescribeVpcs" and c.params == {"VpcIds": [vpc_id]}
    ]
    full_reads = 0
    for start in reads:
        window = calls[start + 1 : start + 7]
        if [c.operation for c in window[:3]] != ["DescribeVpcAttribute"] * 3:
            continue  # the delete waiter's DescribeVpcs
        full_reads += 1
        assert [c.params["Attribute"] for c in window[:3]] == [
            "enableDnsHostnames",
            "enableDnsSupport",
            "enableNetworkAddressUsageMetrics",
        ]
        assert [(c.operation, _filters(c)) for c in window[3:]] == [
            ("DescribeNetworkAcls", [("default", ("true",)), ("vpc-id", (vpc_id,))]),
            ("DescribeRouteTables", [("association.main", ("true",)), ("vpc-id", (vpc_id,))]),
            ("DescribeSecurityGroups", [("group-name", ("default",)), ("vpc-id", (vpc_id,))]),
        ]
        for call, key in zip(
            window[3:], ("NetworkAcls", "RouteTables", "SecurityGroups"), strict=True
        ):
            assert call.response is not None and len(call.response[key]) == 1
    assert full_reads == 5  # after create, refresh A, refresh B, after update, refresh after update

    # CreateVpc: IPv6 requested, tenancy always sent; then the waiters.
    (create_vpc,) = _calls(report, "CreateVpc")
    assert create_vpc.params["AmazonProvidedIpv6CidrBlock"] is True
    assert create_vpc.params["InstanceTenancy"] == "default"
    assert create_vpc.params["TagSpecifications"][0]["ResourceType"] == "vpc"
    assert any(
        _filters(c)
        == [("ipv6-cidr-block-association.association-id", (state_a[VPC]["ipv6_association_id"],))]
        for c in _calls(report, "DescribeVpcs")
    )
    modifies = _calls(report, "ModifyVpcAttribute", VpcId=vpc_id)
    assert [c.params["EnableDnsHostnames"] for c in modifies] == [{"Value": True}, {"Value": False}]

    # The security group: 3 consecutive finds, then the two default egress revokes.
    sg_id = ids[SG]
    create_sg = next(i for i, c in enumerate(calls) if c.operation == "CreateSecurityGroup")
    assert [c.operation for c in calls[create_sg + 1 : create_sg + 6]] == [
        "DescribeSecurityGroups",
        "DescribeSecurityGroups",
        "DescribeSecurityGroups",
        "RevokeSecurityGroupEgress",
        "RevokeSecurityGroupEgress",
    ]
    v4, v6 = calls[create_sg + 4], calls[create_sg + 5]
    assert v4.params == {
        "GroupId": sg_id,
        "IpPermissions": [
            {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    }
    assert v4.outcome == "ok"
    assert v6.params["IpPermissions"][0]["Ipv6Ranges"] == [{"CidrIpv6": "::/0"}]
    assert v6.outcome == "ok"  # the VPC has IPv6, so the group got the ::/0 egress rule too

    # The default security group: every rule revoked by id, then the configured ones authorized.
    default_sg = ids[DEFAULT_SG]
    (rules_lookup,) = _calls(report, "DescribeSecurityGroupRules")
    assert _filters(rules_lookup) == [("group-id", (default_sg,))]
    revoked = [c for c in calls if c.params.get("SecurityGroupRuleIds")]
    assert len(revoked) == len(rules_lookup.response["SecurityGroupRules"]) == 3  # type: ignore[index]
    assert all(c.params["GroupId"] == default_sg and c.outcome == "ok" for c in revoked)

    # Internet gateway: attached, then polled until the attachment reads "available".
    attach = next(i for i, c in enumerate(calls) if c.operation == "AttachInternetGateway")
    poll = calls[_index_after(calls, attach, lambda c: c.operation == "DescribeInternetGateways")]
    assert poll.response["InternetGateways"][0]["Attachments"] == [
        {"State": "available", "VpcId": vpc_id}
    ]  # type: ignore[index]

    # Route waiters: each CreateRoute is followed by two consecutive finds of the route.
    for index, call in enumerate(calls):
        if call.operation in ("CreateRoute", "ReplaceRoute"):
            follow = calls[index + 1 : index + 3]
            assert [c.operation for c in follow] == ["DescribeRouteTables"] * 2
            assert all(c.params == {"RouteTableIds": [call.params["RouteTableId"]]} for c in follow)

    # Tags: removed keys are deleted with their old value, then added/changed keys created.
    (delete_tags,) = _calls(report, "DeleteTags")
    assert delete_tags.params == {
        "Resources": [vpc_id],
        "Tags": [{"Key": "Retired", "Value": "yes"}],
    }
    after = calls[calls.index(delete_tags) + 1]
    assert after.operation == "CreateTags"
    assert after.params["Tags"] == [
        {"Key": "Env", "Value": "prod"},
        {"Key": "Owner", "Value": "platform"},
    ]

    # The association moved to the private table under a new id.
    (replace,) = _calls(report, "ReplaceRouteTableAssociation")
    assert replace.params["RouteTableId"] == ids[RT_PRIVATE]
    assert replace.response is not None and replace.response["NewAssociationId"] == ids[RTA]
    assert replace.params["AssociationId"] != ids[RTA]

    # Network ACLs: the custom ACL took subnet b, the default ACL kept subnet a; entries created
    # with PortRange always sent and the protocol as a number.
    assert state_a[NACL]["subnet_ids"] == [ids[SUBNET_B]]
    assert state_a[DEFAULT_NACL]["subnet_ids"] == [ids[SUBNET_A]]
    entries = _calls(report, "CreateNetworkAclEntry", NetworkAclId=ids[NACL])
    assert {c.params["Protocol"] for c in entries} == {"-1", "6", "17"}
    assert all("PortRange" in c.params for c in entries)
    deleted_defaults = _calls(report, "DeleteNetworkAclEntry", NetworkAclId=ids[DEFAULT_NACL])
    assert sorted((c.params["RuleNumber"], c.params["Egress"]) for c in deleted_defaults) == [
        (100, False),
        (100, True),
        (101, False),
        (101, True),
    ]

    # Data sources sent the legacy filter names, sorted.
    assert any(
        _filters(c)[:1] == [("cidr", ("10.42.0.0/16",))] for c in _calls(report, "DescribeVpcs")
    )
    assert any(_filters(c) == [("isDefault", ("true",))] for c in _calls(report, "DescribeVpcs"))
    assert any(
        [name for name, _ in _filters(c)] == ["availabilityZone", "cidrBlock", "vpc-id"]
        for c in _calls(report, "DescribeSubnets")
    )
    assert any(
        [name for name, _ in _filters(c)] == ["availabilityZone", "defaultForAz"]
        for c in _calls(report, "DescribeSubnets")
    )

    # Destroy: nothing of the stack remains.
    ec2 = gateway.client("ec2")
    with pytest.raises(ec2.exceptions.ClientError) as gone:
        ec2.describe_vpcs(VpcIds=[vpc_id])
    assert gone.value.response["Error"]["Code"] == "InvalidVpcID.NotFound"
    for key, describe in (
        ("Subnets", ec2.describe_subnets),
        ("SecurityGroups", ec2.describe_security_groups),
        ("RouteTables", ec2.describe_route_tables),
        ("NetworkAcls", ec2.describe_network_acls),
        ("InternetGateways", ec2.describe_internet_gateways),
    ):
        filter_name = "attachment.vpc-id" if key == "InternetGateways" else "vpc-id"
        assert describe(Filters=[{"Name": filter_name, "Values": [vpc_id]}])[key] == []
    eigws = ec2.describe_egress_only_internet_gateways(EgressOnlyInternetGatewayIds=[ids[EIGW]])
    assert eigws["EgressOnlyInternetGateways"] == []
    for address in (IGW, RT_PUBLIC):
        assert address in ids
    return report


def test_full_replay_over_memory(gateway: RunningGateway) -> None:
    _assert_full_replay(gateway)


def test_full_replay_over_nats(nats_gateway: RunningGateway) -> None:
    _assert_full_replay(nats_gateway, factory=True)


def test_replay_twice_in_one_account_adopts_the_same_defaults(gateway: RunningGateway) -> None:
    """A second apply of the same stack (new VPC, same default VPC/subnet/DHCP set): the
    aws_default_* finders still match exactly one object, and no tag call is needed for them."""
    first = replay_vpc_stack(gateway.client("ec2"), check=StrictXmlCheck())
    second = replay_vpc_stack(
        gateway.client("ec2"), check=StrictXmlCheck(), settings=StackSettings(name="second")
    )
    assert first.ok, first.summary()
    assert second.ok, second.summary()
    for address in (
        "aws_default_vpc.default",
        "aws_default_subnet.default",
        "aws_default_vpc_dhcp_options.default",
    ):
        assert first.ids[address] == second.ids[address]
    default_ids = {second.ids[a] for a in ("aws_default_vpc.default", "aws_default_subnet.default")}
    tagged = [
        c
        for c in second.calls
        if c.operation == "CreateTags" and set(c.params["Resources"]) & default_ids
    ]
    assert tagged == []  # already tagged by the first run: updateTags sees no change
    assert first.ids[VPC] != second.ids[VPC]


# --- the replay fails when the endpoint misbehaves ------------------------------------------------


@pytest.fixture
def tampered_client(
    gateway: RunningGateway,
) -> Iterator[Callable[[str, Callable[[bytes], bytes]], Any]]:
    """A client whose responses for one operation are rewritten before parsing (and before the
    replay's own check sees them), as a misbehaving endpoint would send them."""

    def make(operation: str, rewrite: Callable[[bytes], bytes]) -> Any:
        client = gateway.client("ec2")

        def tamper(
            operation_model: OperationModel, response_dict: dict[str, Any], **_: Any
        ) -> None:
            if operation_model.name == operation and response_dict["status_code"] < 300:
                response_dict["body"] = rewrite(response_dict["body"])

        client.meta.events.register(f"before-parse.ec2.{operation}", tamper)
        return client

    yield make


def test_replay_reports_dns_support_drift(tampered_client: Callable[..., Any]) -> None:
    """``enableDnsSupport`` reading false (a new VPC's default is true) is a perpetual diff on
    aws_vpc — and the replay still destroys everything."""

    def flip(body: bytes) -> bytes:
        return re.sub(rb"(<enableDnsSupport>\s*<value>)true(</value>)", rb"\1false\2", body)

    # Without the aws_default_* resources: aws_default_vpc would try to turn the attribute on
    # and wait for it forever (the provider's 5-minute waiter), which is not this test's point.
    report = replay_vpc_stack(
        tampered_client("DescribeVpcAttribute", flip),
        settings=StackSettings(include_defaults=False),
    )
    assert not report.ok
    drifts = {(d.address, d.attribute) for d in report.drifts}
    assert (VPC, "enable_dns_support") in drifts
    assert ("data.aws_vpc.main", "enable_dns_support") not in drifts  # not compared for data
    assert report.problems == []


def test_replay_fails_on_an_attached_igw_state(
    tampered_client: Callable[..., Any], gateway: RunningGateway
) -> None:
    """An IGW attachment reported as ``attached`` (not ``available``) is an "unexpected state"
    in ``waitInternetGatewayAttached``: the apply fails, and the best-effort destroy cleans up."""
    client = tampered_client(
        "DescribeInternetGateways",
        lambda body: body.replace(b"<state>available</state>", b"<state>attached</state>"),
    )
    report = replay_vpc_stack(client)
    assert not report.ok
    assert any("unexpected state 'attached'" in p for p in report.problems), report.problems
    assert report.problems[0].startswith("create: WaitError")
    vpc_id = report.ids[VPC]
    ec2 = gateway.client("ec2")
    assert ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"] == []
    with pytest.raises(ec2.exceptions.ClientError):
        ec2.describe_vpcs(VpcIds=[vpc_id])


def test_replay_reports_numeric_protocols_as_rule_drift(
    tampered_client: Callable[..., Any],
) -> None:
    """``IpProtocol=6`` instead of ``tcp`` never matches the configured rule (the API value is
    only lower-cased): the security group shows a diff on every plan."""
    client = tampered_client(
        "DescribeSecurityGroups",
        lambda body: body.replace(b"<ipProtocol>tcp</ipProtocol>", b"<ipProtocol>6</ipProtocol>"),
    )
    report = replay_vpc_stack(client)
    drifts = {(d.address, d.attribute, d.note.split(":")[0]) for d in report.drifts}
    assert (SG, "ingress", "after apply") in drifts
    assert (SG, "ingress", "after update") in drifts
    assert (SG, "egress", "after apply") not in drifts  # protocol -1 is untouched


def test_replay_flags_responses_the_check_rejects(gateway: RunningGateway) -> None:
    """The check hook sees every raw response; a rejection is recorded on the call."""
    seen: list[str] = []

    def reject_route_tables(operation: OperationModel, status: int, body: bytes) -> None:
        seen.append(operation.name)
        if operation.name == "CreateRouteTable":
            raise AssertionError("rejected")

    report = replay_vpc_stack(gateway.client("ec2"), check=reject_route_tables)
    assert not report.ok
    rejected = [c for c in report.calls if c.check_failure]
    assert [c.operation for c in rejected] == ["CreateRouteTable", "CreateRouteTable"]
    assert rejected[0].check_failure == "AssertionError: rejected"
    assert len(seen) == len(report.calls)
    assert report.drifts == [] and report.problems == []
