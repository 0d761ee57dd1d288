"""The catalogue of AWS services reachable through VPC endpoints, per region.

``DescribeVpcEndpointServices`` lists one ``ServiceDetail`` per service and endpoint type:
gateway endpoints for ``s3`` and ``dynamodb`` (routes to the service's prefix list), interface
endpoints (PrivateLink: an ENI per subnet, DNS names) for ``ec2``, ``ssm``, ``logs``, … and also
for ``s3``, which therefore appears twice under one name, as on AWS::

    DescribeVpcEndpointServices ServiceName.1=com.amazonaws.ap-southeast-2.s3
    → ServiceDetails: [{ServiceType: [{ServiceType: Gateway}], …}, {…Interface…}]

Service ids (``vpce-svc-…``) are derived from the region, name and type, so they are stable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

GATEWAY: Final = "Gateway"
INTERFACE: Final = "Interface"
OWNER: Final = "amazon"

_GATEWAY_SERVICES: Final = ("s3", "dynamodb")
_INTERFACE_SERVICES: Final = (
    "autoscaling", "ebs", "ec2", "ec2messages", "ecr.api", "ecr.dkr", "ecs", "ecs-agent",
    "ecs-telemetry", "elasticfilesystem", "elasticloadbalancing", "events", "execute-api",
    "kinesis-streams", "kms", "lambda", "logs", "monitoring", "rds", "s3", "secretsmanager",
    "sns", "sqs", "ssm", "ssmmessages", "states", "sts",
)  # fmt: skip

# Private DNS names that are not ``<service>.<region>.amazonaws.com``.
_PRIVATE_DNS: Final = {
    "ecr.api": "api.ecr.{region}.amazonaws.com",
    "ecr.dkr": "*.dkr.ecr.{region}.amazonaws.com",
    "s3": "*.s3.{region}.amazonaws.com",
    "kinesis-streams": "kinesis.{region}.amazonaws.com",
    "execute-api": "*.execute-api.{region}.amazonaws.com",
}


@dataclass(frozen=True, slots=True)
class Service:
    """One endpoint service of a region and type."""

    short: str
    """``ssm``, ``ecr.dkr``, ``s3``."""
    region: str
    type: str
    """``Gateway`` or ``Interface``."""

    @property
    def name(self) -> str:
        """``com.amazonaws.<region>.<short>``."""
        return f"com.amazonaws.{self.region}.{self.short}"

    @property
    def service_id(self) -> str:
        """A stable ``vpce-svc-…`` id."""
        seed = f"{self.region}\x00{self.short}\x00{self.type}".encode()
        return f"vpce-svc-{hashlib.sha256(seed).hexdigest()[:17]}"

    @property
    def private_dns_name(self) -> str | None:
        """The name private DNS answers inside the VPC (interface endpoints only)."""
        if self.type != INTERFACE:
            return None
        pattern = _PRIVATE_DNS.get(self.short, "{short}.{region}.amazonaws.com")
        return pattern.format(short=self.short, region=self.region)

    @property
    def base_dns_name(self) -> str:
        """The endpoint-specific DNS suffix (``ssm.<region>.vpce.amazonaws.com``)."""
        if self.type == GATEWAY:
            return f"{self.short}.{self.region}.amazonaws.com"
        return f"{self.short}.{self.region}.vpce.amazonaws.com"


def services(region: str) -> list[Service]:
    """Every endpoint service of ``region``, sorted by name then type."""
    found = [Service(short, region, GATEWAY) for short in _GATEWAY_SERVICES]
    found += [Service(short, region, INTERFACE) for short in _INTERFACE_SERVICES]
    return sorted(found, key=lambda s: (s.name, s.type))


def find(region: str, name: str, endpoint_type: str | None = None) -> list[Service]:
    """The services called ``name`` in ``region`` (of ``endpoint_type`` when given)."""
    return [
        s
        for s in services(region)
        if s.name == name and (endpoint_type is None or s.type == endpoint_type)
    ]


def service_detail(service: Service, zone_names: list[str]) -> dict[str, object]:
    """A ``ServiceDetail`` with every field the provider's data source reads."""
    detail: dict[str, object] = {
        "AcceptanceRequired": False,
        "AvailabilityZones": zone_names,
        "BaseEndpointDnsNames": [service.base_dns_name],
        "ManagesVpcEndpoints": False,
        "Owner": OWNER,
        "PrivateDnsNameVerificationState": "verified",
        "ServiceId": service.service_id,
        "ServiceName": service.name,
        "ServiceRegion": service.region,
        "ServiceType": [{"ServiceType": service.type}],
        "SupportedIpAddressTypes": ["ipv4"],
        "Tags": [],
        "VpcEndpointPolicySupported": True,
    }
    if service.private_dns_name:
        detail["PrivateDnsName"] = service.private_dns_name
        detail["PrivateDnsNames"] = [{"PrivateDnsName": service.private_dns_name}]
    return detail
