"""The AWS-managed prefix lists of a region (a catalogue: computed, never stored).

AWS publishes one list per gateway-endpoint service and a few more, owned by ``AWS`` and visible
to every account: ``com.amazonaws.<region>.s3``, ``com.amazonaws.<region>.dynamodb`` and
``com.amazonaws.<region>.ec2-instance-connect``. Their ids are fixed per region on AWS
(``pl-6ca54005`` is S3 in ap-southeast-2); here they are derived from the region and the name,
so every gateway and every restart hands out the same ``pl-…`` for a region. The CIDRs are the
published ranges of the best-known regions, and a deterministic stand-in elsewhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

OWNER: Final = "AWS"
"""``OwnerId`` of an AWS-managed list."""

SERVICES: Final = ("s3", "dynamodb", "ec2-instance-connect")
"""The services with an AWS-managed list, as the last part of its name."""

# Published ranges (ip-ranges.json, service S3 / DYNAMODB / EC2_INSTANCE_CONNECT) of a few regions.
_KNOWN: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("ap-southeast-2", "s3"): (
        "3.5.164.0/22",
        "3.5.168.0/23",
        "3.26.88.0/28",
        "3.26.88.16/28",
        "52.92.52.0/22",
        "52.95.128.0/21",
        "54.231.248.0/22",
        "54.231.252.0/24",
    ),
    ("ap-southeast-2", "dynamodb"): ("52.94.12.0/22", "52.119.212.0/23"),
    ("ap-southeast-2", "ec2-instance-connect"): ("13.239.158.0/29",),
    ("us-east-1", "s3"): (
        "3.5.0.0/19",
        "16.15.176.0/20",
        "16.182.0.0/16",
        "18.34.0.0/19",
        "18.34.232.0/21",
        "52.216.0.0/15",
        "54.231.0.0/16",
    ),
    ("us-east-1", "dynamodb"): ("3.218.180.0/22", "35.71.64.0/22", "52.94.0.0/22"),
    ("us-east-1", "ec2-instance-connect"): ("18.206.107.24/29",),
    ("us-west-2", "s3"): ("3.5.76.0/22", "3.5.80.0/21", "52.92.128.0/17", "52.218.128.0/17"),
    ("us-west-2", "dynamodb"): ("35.71.104.0/22", "52.94.10.0/24", "52.119.224.0/20"),
    ("us-west-2", "ec2-instance-connect"): ("18.237.140.160/29",),
    ("eu-west-1", "s3"): ("3.5.64.0/21", "3.5.72.0/23", "52.92.0.0/17", "52.218.0.0/17"),
    ("eu-west-1", "dynamodb"): ("52.94.5.0/24", "52.119.240.0/21"),
    ("eu-west-1", "ec2-instance-connect"): ("18.202.216.48/29",),
}


@dataclass(frozen=True, slots=True)
class ManagedList:
    """One AWS-managed prefix list of a region."""

    prefix_list_id: str
    name: str
    region: str
    cidrs: tuple[str, ...]

    @property
    def arn(self) -> str:
        """``arn:aws:ec2:<region>:aws:prefix-list/<id>`` (AWS's account part is ``aws``)."""
        return f"arn:aws:ec2:{self.region}:aws:prefix-list/{self.prefix_list_id}"


def _digest(region: str, service: str) -> str:
    return hashlib.sha256(f"{region}\x00{service}".encode()).hexdigest()


def _stand_in(region: str, service: str) -> tuple[str, ...]:
    """Deterministic public-looking ranges for a region without published ones here."""
    digest = _digest(region, service)
    second, third = int(digest[8:10], 16), int(digest[10:12], 16) & 0xF0
    if service == "ec2-instance-connect":
        return (f"18.{second}.{third}.0/29",)
    return (f"52.{second}.{third}.0/22", f"54.{second}.{third}.0/21")


def prefix_list_id(region: str, service: str) -> str:
    """The stable id of a region's list: 8 hex digits as AWS's S3/DynamoDB ones, 17 for the
    newer lists (``pl-0e4bcff02b13bef1e``)."""
    digest = _digest(region, service)
    return f"pl-{digest[:8]}" if service in ("s3", "dynamodb") else f"pl-0{digest[:16]}"


def managed_lists(region: str) -> list[ManagedList]:
    """Every AWS-managed list of ``region``, sorted by id."""
    found = [
        ManagedList(
            prefix_list_id(region, service),
            f"com.amazonaws.{region}.{service}",
            region,
            _KNOWN.get((region, service)) or _stand_in(region, service),
        )
        for service in SERVICES
    ]
    return sorted(found, key=lambda pl: pl.prefix_list_id)


def managed_list(region: str, pl_id: str) -> ManagedList | None:
    """The AWS-managed list ``pl_id`` of ``region``, if it is one."""
    return next((pl for pl in managed_lists(region) if pl.prefix_list_id == pl_id), None)


def managed_list_named(region: str, name: str) -> ManagedList | None:
    """The AWS-managed list called ``name`` (``com.amazonaws.<region>.s3``) in ``region``."""
    return next((pl for pl in managed_lists(region) if pl.name == name), None)
