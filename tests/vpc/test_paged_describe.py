"""A ``MaxResults`` page renders only what fills it, and pages still answer what one unpaged
``Describe*`` answers.

``DescribeVpcs MaxResults=5`` over many VPCs walks the ids in order and renders 6 of them (one
more tells whether a next page exists), not every VPC of the account; with a filter it renders
on until the page is full. Walking every page with ``NextToken`` must give exactly the unpaged
answer, filtered or not, through an index or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

import handlers.vpcs.views as vpc_views
from kv.memory import MemoryStore
from kv.store import Store
from tests.fixtures.gateway import RunningGateway, start_gateway

VPCS = 30
PICKED = (3, 17, 28)
"""The VPCs tagged ``pick=yes``: a filter no index answers, matching few and far apart."""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    async def memory() -> Store:
        return MemoryStore()

    running = start_gateway(memory, tmp_path_factory.mktemp("paged"))
    yield running
    running._stop()


@pytest.fixture(scope="module")
def ec2(gateway: RunningGateway) -> Any:
    return gateway.client("ec2")


@pytest.fixture(scope="module")
def vpcs(ec2: Any) -> list[str]:
    """``VPCS`` VPCs (three tagged ``pick=yes``); the first holds 7 subnets and 4 groups."""
    made = [ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")["Vpc"]["VpcId"] for n in range(VPCS)]
    ec2.create_tags(Resources=[made[n] for n in PICKED], Tags=[{"Key": "pick", "Value": "yes"}])
    for n in range(7):
        ec2.create_subnet(VpcId=made[0], CidrBlock=f"10.0.{n}.0/24")
    for n in range(3):
        ec2.create_security_group(VpcId=made[0], GroupName=f"g{n}", Description="paged")
    ec2.create_subnet(VpcId=made[1], CidrBlock="10.1.0.0/24")
    return made


def walk(call: Any, member: str, size: int, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of ``call`` at ``MaxResults=size``, following ``NextToken``."""
    pages: list[list[dict[str, Any]]] = []
    token = None
    while True:
        answer = call(MaxResults=size, **params, **({"NextToken": token} if token else {}))
        pages.append(answer[member])
        token = answer.get("NextToken")
        if not token:
            return pages


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the VPCs DescribeVpcs rendered."""
    seen: list[str] = []
    original = vpc_views.vpc_to_api

    def counting(ctx: Any, record: Any) -> Any:
        seen.append(str(record["vpc_id"]))
        return original(ctx, record)

    monkeypatch.setattr(vpc_views, "vpc_to_api", counting)
    return seen


def test_a_page_renders_one_vpc_more_than_it_returns(
    ec2: Any, vpcs: list[str], rendered: list[str]
) -> None:
    first = ec2.describe_vpcs(MaxResults=5)
    everything = sorted(vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"])
    assert len(everything) >= VPCS
    assert [vpc["VpcId"] for vpc in first["Vpcs"]] == everything[:5]
    assert rendered[:6] == everything[:6] and len(rendered) == 6 + len(everything)
    rendered.clear()
    second = ec2.describe_vpcs(MaxResults=5, NextToken=first["NextToken"])
    assert [vpc["VpcId"] for vpc in second["Vpcs"]] == everything[5:10]
    assert rendered == everything[5:11]


@pytest.mark.parametrize("size", [5, 7, 100])
def test_pages_answer_what_one_unpaged_describe_answers(
    ec2: Any, vpcs: list[str], size: int
) -> None:
    cases: list[tuple[Any, str, str, dict[str, Any]]] = [
        (ec2.describe_vpcs, "Vpcs", "VpcId", {}),
        (
            ec2.describe_vpcs,
            "Vpcs",
            "VpcId",
            {"Filters": [{"Name": "tag:pick", "Values": ["yes"]}]},
        ),
        (ec2.describe_subnets, "Subnets", "SubnetId", {}),
        (
            ec2.describe_subnets,
            "Subnets",
            "SubnetId",
            {"Filters": [{"Name": "vpc-id", "Values": [vpcs[0]]}]},
        ),
        (
            ec2.describe_security_groups,
            "SecurityGroups",
            "GroupId",
            {"Filters": [{"Name": "vpc-id", "Values": [vpcs[0]]}]},
        ),
        (ec2.describe_route_tables, "RouteTables", "RouteTableId", {}),
    ]
    for call, member, id_member, params in cases:
        whole = call(**params)[member]
        pages = walk(call, member, size, **params)
        assert all(0 < len(page) <= size for page in pages) or pages == [[]]
        assert [item for page in pages for item in page] == sorted(
            whole, key=lambda item: item[id_member]
        ), (member, params)
    picked = walk(
        ec2.describe_vpcs, "Vpcs", size, Filters=[{"Name": "tag:pick", "Values": ["yes"]}]
    )
    assert sorted(vpc["VpcId"] for page in picked for vpc in page) == sorted(
        vpcs[n] for n in PICKED
    )
    in_first = walk(
        ec2.describe_subnets, "Subnets", size, Filters=[{"Name": "vpc-id", "Values": [vpcs[0]]}]
    )
    assert sum(len(page) for page in in_first) == 7


def test_a_vpc_deleted_between_pages_does_not_break_the_walk(ec2: Any, vpcs: list[str]) -> None:
    spare = sorted(ec2.create_vpc(CidrBlock="10.200.0.0/16")["Vpc"]["VpcId"] for _ in range(7))
    spare_filter = [{"Name": "cidr", "Values": ["10.200.0.0/16"]}]
    first = ec2.describe_vpcs(MaxResults=5, Filters=spare_filter)
    assert [vpc["VpcId"] for vpc in first["Vpcs"]] == spare[:5]
    ec2.delete_vpc(VpcId=spare[4])  # the id the token resumes after
    ec2.delete_vpc(VpcId=spare[5])
    rest = ec2.describe_vpcs(MaxResults=5, Filters=spare_filter, NextToken=first["NextToken"])
    assert [vpc["VpcId"] for vpc in rest["Vpcs"]] == [spare[6]]
    assert "NextToken" not in rest
    for vpc_id in spare[:4] + spare[6:]:
        ec2.delete_vpc(VpcId=vpc_id)


def test_an_unknown_filter_is_refused_on_a_page_with_nothing_to_render(
    ec2: Any, vpcs: list[str]
) -> None:
    for call in (ec2.describe_egress_only_internet_gateways, ec2.describe_vpcs):
        with pytest.raises(ClientError) as caught:
            call(MaxResults=5, Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
        assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
        assert "no-such-filter" in caught.value.response["Error"]["Message"]
    empty = ec2.describe_egress_only_internet_gateways(MaxResults=5)
    assert empty["EgressOnlyInternetGateways"] == [] and "NextToken" not in empty
