"""The mission (``scripts/iac/aws/main.tf``) with real Terraform against ``hive-gateway serve``
over TLS (the generated CA through ``AWS_CA_BUNDLE``), and what a real user does next.

1. **cycle**: ``init`` → ``plan -out`` → ``apply`` → ``output -json`` (three ``i-`` ids, three
   distinct public IPs in the pool, private IPs in the subnet, one zone) → ``plan
   -detailed-exitcode`` is 0 → the aws CLI sees every id of the state, the instances running in
   the spread group;
2. **update**: tags, a security-group rule, ``map_public_ip_on_launch``, the instance type, the
   default route's target (internet gateway → a network interface) and a new subnet; apply; the
   next plan is empty and the aws CLI sees each change;
3. ``apply -refresh-only`` shows no changes;
4. **out-of-band deletion**: boto3 terminates an instance and deletes a subnet; ``plan``
   proposes to create exactly those again, without an error;
5. ``destroy`` → nothing of the mission is left.

Alongside, ``terraform import`` adopts a VPC and a security group made with boto3 into a fresh
configuration (through ``hive-gateway terraform``), whose next plan is empty.
"""

from __future__ import annotations

import ipaddress
import json
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.terraform.harness import (
    IAC,
    REGION,
    ZONES,
    Gateway,
    Job,
    assert_all_exist,
    assert_nothing_left,
    start_gateway,
    tools,
)

pytestmark = pytest.mark.timeout(2400)

UPDATES: list[tuple[str, str]] = [
    # (text of main.tf, its replacement): each must occur exactly once
    (
        'enable_dns_hostnames = true\n\n  tags = {\n    Name = "mission"\n  }',
        'enable_dns_hostnames = true\n\n  tags = {\n    Name = "mission"\n    Stage = "updated"\n  }',
    ),
    ("  map_public_ip_on_launch = true\n", "  map_public_ip_on_launch = false\n"),
    ('instance_type               = "t3.small"', 'instance_type               = "t3.medium"'),
    (
        "    gateway_id = aws_internet_gateway.mission.id\n",
        "    network_interface_id = aws_network_interface.appliance.id\n",
    ),
    (
        "  egress {\n    from_port   = 0",
        (
            '  ingress {\n    description = "HTTPS"\n    from_port   = 443\n    to_port     = 443\n'
            '    protocol    = "tcp"\n    cidr_blocks = ["10.0.0.0/8"]\n  }\n\n'
            "  egress {\n    from_port   = 0"
        ),
    ),
]
ADDED = """
resource "aws_network_interface" "appliance" {
  subnet_id = aws_subnet.public.id
  tags      = { Name = "mission-appliance" }
}

resource "aws_subnet" "spare" {
  vpc_id            = aws_vpc.mission.id
  cidr_block        = "10.0.2.0/24"
  availability_zone = data.aws_availability_zones.available.names[0]
  tags              = { Name = "mission-spare" }
}

output "spare_subnet_id" {
  value = aws_subnet.spare.id
}
"""

IMPORT_CONFIG = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region = "ap-southeast-2"
}

resource "aws_vpc" "imported" {
  cidr_block = "10.77.0.0/16"
  tags       = { Name = "imported" }
}

resource "aws_security_group" "imported" {
  name        = "imported"
  description = "made outside terraform"
  vpc_id      = aws_vpc.imported.id
}
"""


def updated(main_tf: str) -> str:
    for old, new in UPDATES:
        assert main_tf.count(old) == 1, old
        main_tf = main_tf.replace(old, new)
    return main_tf + ADDED


def boto(job: Job) -> Any:
    return boto3.client(
        "ec2",
        endpoint_url=job.gateway.url,
        region_name=REGION,
        aws_access_key_id=job.account["AccessKeyId"],
        aws_secret_access_key=job.account["SecretAccessKey"],
        verify=str(job.gateway.ca_bundle),
        config=Config(retries={"max_attempts": 3}),
    )


def described(job: Job, *args: str) -> Any:
    done = job.aws("ec2", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def mission(job: Job) -> dict[str, Any]:
    """Every phase; returns what the tests assert on (phases record themselves as they pass)."""
    seen: dict[str, Any] = {"phases": []}
    applied = False
    try:
        job.terraform("init")
        job.terraform("plan", "-out=mission.tfplan")
        applied = True
        job.terraform("apply", "mission.tfplan")
        seen["outputs"] = out = job.outputs()
        job.terraform("plan", "-detailed-exitcode")
        ids = job.state_ids()
        seen["checked"] = assert_all_exist(job, ids)
        reservations = described(job, "describe-instances", "--instance-ids", *out["instance_ids"])
        seen["instances"] = [i for r in reservations["Reservations"] for i in r["Instances"]]
        seen["phases"].append("cycle")

        main_tf = job.directory / "main.tf"
        main_tf.write_text(updated(main_tf.read_text()))
        job.terraform("apply", "-auto-approve")
        job.terraform("plan", "-detailed-exitcode")
        out = job.outputs()
        seen["updated_instances"] = [
            i
            for r in described(job, "describe-instances", "--instance-ids", *out["instance_ids"])[
                "Reservations"
            ]
            for i in r["Instances"]
        ]
        seen["updated_subnet"] = described(
            job, "describe-subnets", "--subnet-ids", out["subnet_id"]
        )["Subnets"][0]
        seen["updated_vpc"] = described(job, "describe-vpcs", "--vpc-ids", out["vpc_id"])["Vpcs"][0]
        seen["updated_routes"] = described(
            job, "describe-route-tables", "--filters", f"Name=vpc-id,Values={out['vpc_id']}",
            "Name=association.subnet-id,Values=" + out["subnet_id"],
        )["RouteTables"][0]["Routes"]  # fmt: skip
        seen["updated_groups"] = described(
            job, "describe-security-groups", "--filters", f"Name=vpc-id,Values={out['vpc_id']}",
            "Name=group-name,Values=mission-ssh",
        )["SecurityGroups"][0]  # fmt: skip
        seen["phases"].append("update")

        refresh = job.terraform("apply", "-refresh-only", "-auto-approve")
        seen["refresh_only"] = refresh.stdout
        seen["phases"].append("refresh-only")

        ec2 = boto(job)
        victim = out["instance_ids"][0]
        ec2.terminate_instances(InstanceIds=[victim])
        ec2.get_waiter("instance_terminated").wait(
            InstanceIds=[victim], WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
        ec2.delete_subnet(SubnetId=out["spare_subnet_id"])
        job.terraform("plan", "-detailed-exitcode", "-out=oob.tfplan", ok=(2,))
        shown = json.loads(job.terraform("show", "-json", "oob.tfplan").stdout)
        seen["oob_changes"] = {
            change["address"]: change["change"]["actions"]
            for change in shown.get("resource_changes", [])
            if change["change"]["actions"] != ["no-op"]
        }
        seen["phases"].append("out-of-band")

        ids |= job.state_ids()
        job.terraform("destroy", "-auto-approve")
        applied = False
        assert_nothing_left(job, ids)
        seen["phases"].append("destroy")
    except Exception:  # noqa: BLE001 - reported by the tests
        seen["error"] = traceback.format_exc() + "\n" + "\n".join(job.logs)[-20000:]
        if applied:
            try:
                job.terraform("destroy", "-auto-approve")
            except Exception:  # noqa: BLE001
                seen["error"] += "\n(destroy after the failure failed too)"
    return seen


def imports(job: Job) -> dict[str, Any]:
    """A VPC and a group made with boto3, imported; the next plan is empty; destroy."""
    seen: dict[str, Any] = {}
    try:
        ec2 = boto(job)
        vpc = ec2.create_vpc(
            CidrBlock="10.77.0.0/16",
            TagSpecifications=[
                {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "imported"}]}
            ],
        )["Vpc"]["VpcId"]
        group = ec2.create_security_group(
            GroupName="imported", Description="made outside terraform", VpcId=vpc
        )["GroupId"]
        (job.directory / "main.tf").write_text(IMPORT_CONFIG)
        job.terraform("init")
        job.terraform("import", "aws_vpc.imported", vpc)
        job.terraform("import", "aws_security_group.imported", group)
        seen["plan"] = job.terraform("plan", "-detailed-exitcode").stdout
        seen["state"] = job.state_ids()
        seen["created"] = {vpc, group}
        job.terraform("destroy", "-auto-approve")
        assert_nothing_left(job, {vpc, group})
        seen["done"] = True
    except Exception:  # noqa: BLE001
        seen["error"] = traceback.format_exc() + "\n" + "\n".join(job.logs)[-20000:]
    return seen


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("tf-mission")
    found = tools(tmp)
    gateway: Gateway = start_gateway(tmp, tls=True)
    try:
        mission_dir = tmp / "mission"
        mission_dir.mkdir()
        (mission_dir / "main.tf").write_text((IAC / "main.tf").read_text())
        import_dir = tmp / "import"
        import_dir.mkdir()
        mission_job = Job(found, gateway, mission_dir, gateway.account("mission"), wrapper=False)
        import_job = Job(found, gateway, import_dir, gateway.account("import"), wrapper=True)
        with ThreadPoolExecutor(max_workers=2) as pool:
            first = pool.submit(mission, mission_job)
            second = pool.submit(imports, import_job)
            yield {"mission": first.result(), "import": second.result()}
    finally:
        gateway.stop()


def _phase(runs: dict[str, dict[str, Any]], phase: str) -> dict[str, Any]:
    seen = runs["mission"]
    assert phase in seen["phases"], seen.get("error", "")
    return seen


def test_mission_applies_with_expected_outputs_and_replans_empty(
    runs: dict[str, dict[str, Any]],
) -> None:
    seen = _phase(runs, "cycle")
    out = seen["outputs"]
    assert [i[:2] for i in out["instance_ids"]] == ["i-"] * 3
    assert out["vpc_id"].startswith("vpc-") and out["subnet_id"].startswith("subnet-")
    assert out["ami_id"].startswith("ami-")
    public = [ipaddress.ip_address(ip) for ip in out["public_ips"]]
    assert len(set(public)) == 3
    assert all(ip in ipaddress.ip_network("198.51.100.0/24") for ip in public)
    assert all(
        ipaddress.ip_address(ip) in ipaddress.ip_network("10.0.1.0/24") for ip in out["private_ips"]
    )
    assert seen["checked"] >= 8  # vpc, subnet, igw, rtb, sg, three instances (+ by-name ids)
    instances = seen["instances"]
    assert {i["State"]["Name"] for i in instances} == {"running"}
    assert {i["Placement"]["AvailabilityZone"] for i in instances} == {ZONES[0]}
    assert {i["Placement"]["GroupName"] for i in instances} == {"mission-spread"}
    assert {i["InstanceType"] for i in instances} == {"t3.small"}


def test_mission_update_applies_and_replans_empty(runs: dict[str, dict[str, Any]]) -> None:
    seen = _phase(runs, "update")
    assert {i["InstanceType"] for i in seen["updated_instances"]} == {"t3.medium"}
    assert {i["State"]["Name"] for i in seen["updated_instances"]} == {"running"}
    assert seen["updated_subnet"]["MapPublicIpOnLaunch"] is False
    assert {"Key": "Stage", "Value": "updated"} in seen["updated_vpc"]["Tags"]
    default = [r for r in seen["updated_routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    assert default and default[0].get("NetworkInterfaceId", "").startswith("eni-"), default
    ports = sorted(p.get("FromPort", -1) for p in seen["updated_groups"]["IpPermissions"])
    assert ports == [22, 443]


def test_mission_refresh_only_shows_no_changes(runs: dict[str, dict[str, Any]]) -> None:
    seen = _phase(runs, "refresh-only")
    assert "No changes" in seen["refresh_only"], seen["refresh_only"][-3000:]


def test_mission_out_of_band_deletion_is_planned_for_re_creation(
    runs: dict[str, dict[str, Any]],
) -> None:
    seen = _phase(runs, "out-of-band")
    changes = seen["oob_changes"]
    assert changes.get("aws_instance.node[0]") == ["create"], changes
    assert changes.get("aws_subnet.spare") == ["create"], changes
    # nothing else is replaced or deleted because of them
    assert all(actions in (["create"], ["update"]) for actions in changes.values()), changes


def test_mission_destroy_leaves_nothing(runs: dict[str, dict[str, Any]]) -> None:
    _phase(runs, "destroy")


def test_import_of_a_vpc_and_a_security_group_plans_empty(runs: dict[str, dict[str, Any]]) -> None:
    seen = runs["import"]
    assert "error" not in seen, seen.get("error")
    assert seen["created"] <= seen["state"]
    assert "No changes" in seen["plan"]
    assert seen["done"] is True


def test_harness_skips_or_fails_without_terraform(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No terraform on PATH: a skip naming the reason, or a failure when it is required."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("HIVE_REQUIRE_TERRAFORM", raising=False)
    with pytest.raises(pytest.skip.Exception, match="terraform is not on PATH"):
        tools(tmp_path)
    monkeypatch.setenv("HIVE_REQUIRE_TERRAFORM", "1")
    with pytest.raises(pytest.fail.Exception, match="HIVE_REQUIRE_TERRAFORM"):
        tools(tmp_path)
