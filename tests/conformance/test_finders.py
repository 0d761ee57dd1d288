"""The one table-driven finder: every row names a real EC2 operation, parameter and member, and
``find`` / ``find_member`` keep the provider's per-resource differences (id check or not, which
codes mean gone)."""

from __future__ import annotations

import botocore.session
import pytest

from hive_gateway.conformance.runner import ApiError, NotFound
from hive_gateway.conformance.terraform.finders import FINDERS, find, find_member
from tests.conformance.test_runner import client_error, harness

EC2 = botocore.session.get_session().get_service_model("ec2")


@pytest.mark.parametrize("kind", sorted(FINDERS))
def test_every_finder_row_matches_the_ec2_model(kind: str) -> None:
    finder = FINDERS[kind]
    operation = EC2.operation_model(finder.operation)
    assert finder.ids_param in operation.input_shape.members
    items = operation.output_shape.members[finder.result_key]
    if finder.id_field is not None:
        assert finder.id_field in items.member.members
    for code in finder.gone:
        assert code.endswith(".NotFound")


def test_find_checks_the_id_except_for_vpcs() -> None:
    h = harness({"DescribeSubnets": {"Subnets": [{"SubnetId": "subnet-2"}]}})
    with pytest.raises(NotFound, match="id mismatch"):
        find(h, "subnet", "subnet-1")
    assert h.client.requests == [("DescribeSubnets", {"SubnetIds": ["subnet-1"]})]

    # findVPCByID has no id check: whatever single VPC comes back is the VPC.
    h = harness({"DescribeVpcs": {"Vpcs": [{"VpcId": "vpc-2"}]}})
    assert find(h, "vpc", "vpc-1")["VpcId"] == "vpc-2"


@pytest.mark.parametrize(
    ("kind", "operation", "code"),
    [
        ("security-group", "DescribeSecurityGroups", "InvalidGroup.NotFound"),
        ("security-group", "DescribeSecurityGroups", "InvalidSecurityGroupID.NotFound"),
        ("route-table", "DescribeRouteTables", "InvalidRouteTableID.NotFound"),
        ("dhcp-options", "DescribeDhcpOptions", "InvalidDhcpOptionID.NotFound"),
    ],
)
def test_find_maps_each_kinds_gone_codes(kind: str, operation: str, code: str) -> None:
    h = harness({operation: client_error(operation, code)})
    with pytest.raises(NotFound) as gone:
        find(h, kind, "x-1")
    assert gone.value.reason == code
    assert h.calls[-1].tolerated


def test_another_kinds_gone_code_is_an_error() -> None:
    h = harness(
        {"DescribeRouteTables": client_error("DescribeRouteTables", "InvalidSubnetID.NotFound")}
    )
    with pytest.raises(ApiError):
        find(h, "route-table", "rtb-1")
    assert h.failures() == [h.calls[-1]]


def test_find_member_picks_the_element_or_reports_it_missing() -> None:
    table = {"RouteTableId": "rtb-1", "Associations": [{"RouteTableAssociationId": "rtbassoc-1"}]}
    h = harness({"DescribeRouteTables": {"RouteTables": [table]}})
    filters = [{"Name": "association.route-table-association-id", "Values": ["rtbassoc-1"]}]
    found = find_member(
        h, "route-table", filters, "Associations", "RouteTableAssociationId", "rtbassoc-1", "a"
    )
    assert found == {"RouteTableAssociationId": "rtbassoc-1"}
    with pytest.raises(NotFound, match="association rtbassoc-2: not found \\(empty\\)"):
        find_member(
            h,
            "route-table",
            filters,
            "Associations",
            "RouteTableAssociationId",
            "rtbassoc-2",
            "association rtbassoc-2",
        )
