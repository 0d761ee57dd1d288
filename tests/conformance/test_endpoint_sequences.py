"""The provider's call sequences for ``aws_vpc_endpoint`` and ``aws_ec2_managed_prefix_list``
(``hive_gateway.conformance.terraform``), replayed against a real gateway: create → read →
update → read (no drift) → delete, every response checked against the model."""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel

from hive_gateway.conformance.runner import Harness, ec2_client
from hive_gateway.conformance.terraform import aws_ec2_managed_prefix_list as pl
from hive_gateway.conformance.terraform import aws_vpc_endpoint as vpce
from hive_gateway.conformance.xml_check import assert_xml_matches_shape
from tests.fixtures.gateway import RunningGateway
from tests.vpc.test_vpc_endpoints import REGION, S3, S3_LIST, SSM, gateway, network  # noqa: F401


def _check(operation: OperationModel, status: int, body: bytes) -> None:
    if status == 200:
        assert_xml_matches_shape(body, operation)


def harness(gateway: RunningGateway) -> Harness:  # noqa: F811
    client = ec2_client(
        gateway.url,
        region=REGION,
        access_key=gateway.admin.access_key_id,
        secret_key=gateway.admin.secret_access_key,
    )
    return Harness(client, check=_check, poll=0.05, timeout=15.0)


def test_managed_prefix_list_sequence(gateway: RunningGateway) -> None:  # noqa: F811
    h = harness(gateway)
    first = pl.ManagedPrefixListConfig(
        name="office", max_entries=2, entries=frozenset({("10.1.0.0/16", "hq")}),
        tags={"Name": "office"},
    )  # fmt: skip
    pl_id, state = pl.create_managed_prefix_list(h, first)
    assert state["entry"] == [("10.1.0.0/16", "hq")] and state["version"] == 1
    assert pl.read_managed_prefix_list(h, pl_id) == state
    second = pl.ManagedPrefixListConfig(
        name="office", max_entries=4,
        entries=frozenset({("10.2.0.0/16", ""), ("10.3.0.0/16", "lab")}), tags={"Name": "lab"},
    )  # fmt: skip
    updated = pl.update_managed_prefix_list(h, pl_id, first, second)
    assert updated["max_entries"] == 4 and updated["version"] == 2
    assert updated["entry"] == [("10.2.0.0/16", ""), ("10.3.0.0/16", "lab")]
    assert updated["tags"] == {"Name": "lab"}
    assert pl.read_managed_prefix_list(h, pl_id) == updated
    pl.delete_managed_prefix_list(h, pl_id)
    pl.delete_managed_prefix_list(h, pl_id)  # gone: tolerated
    assert not h.check_failures(), h.check_failures()


def test_vpc_endpoint_sequences(gateway: RunningGateway, network: dict[str, Any]) -> None:  # noqa: F811
    h = harness(gateway)
    table_a, table_b = network["tables"]
    s3 = vpce.VpcEndpointConfig(
        vpc_id=network["vpc"], service_name=S3, route_table_ids=frozenset({table_a})
    )
    s3_id, state = vpce.create_vpc_endpoint(h, s3)
    assert state["state"] == "available" and state["prefix_list_id"] == S3_LIST
    assert state["cidr_blocks"] and state["route_table_ids"] == [table_a]
    moved = vpce.VpcEndpointConfig(
        vpc_id=network["vpc"], service_name=S3, route_table_ids=frozenset({table_b})
    )
    state = vpce.update_vpc_endpoint(h, s3_id, s3, moved)
    assert state["route_table_ids"] == [table_b]
    assert vpce.read_vpc_endpoint(h, s3_id) == state
    ssm = vpce.VpcEndpointConfig(
        vpc_id=network["vpc"], service_name=SSM, vpc_endpoint_type="Interface",
        subnet_ids=frozenset(network["subnets"]), private_dns_enabled=True,
    )  # fmt: skip
    ssm_id, state = vpce.create_vpc_endpoint(h, ssm)
    assert state["cidr_blocks"] is None and len(state["network_interface_ids"]) == 2
    assert sorted(s for s, _ in state["subnet_configuration"]) == sorted(network["subnets"])
    assert f"ssm.{REGION}.amazonaws.com" in state["dns_entry"]
    assert vpce.read_vpc_endpoint(h, ssm_id) == state
    for endpoint_id in (s3_id, ssm_id):
        vpce.delete_vpc_endpoint(h, endpoint_id)
        vpce.delete_vpc_endpoint(h, endpoint_id)  # gone: the Unsuccessful item is tolerated
    assert not h.check_failures(), h.check_failures()
