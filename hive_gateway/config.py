"""Gateway settings: one frozen value built from the command line (and environment)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_REGION = "ap-southeast-2"
DEFAULT_PORT = 9999
ADMIN_ACCOUNT_ID = "000000000001"
"""Hive's default admin account (``admin.DefaultAccountID()``)."""
SYSTEM_ACCOUNT_ID = "000000000000"
"""Hive's system/global account; owner of public images."""


@dataclass(frozen=True, slots=True)
class NatsOptions:
    """How to reach an external NATS server (``--nats-url``); unset means embedded."""

    url: str | None = None
    token: str | None = None
    user: str | None = None
    password: str | None = None
    creds: Path | None = None
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None


@dataclass(frozen=True, slots=True)
class Timings:
    """How long the gateway's state machines take, in seconds (read via
    ``ctx.runtime.settings.timings``; tests and ``serve`` flags replace them, nothing mutates them).

    Transitions are named as records store them: :meth:`seconds` takes ``"volume-create"``.
    """

    volume_create: float = 1.0
    volume_delete: float = 1.0
    volume_attach: float = 1.0
    volume_detach: float = 1.0
    volume_optimizing: float = 1.0
    volume_modified: float = 2.0
    snapshot_complete: float = 1.0
    image_available: float = 2.0
    image_deregistered: float = 2.0
    terminated_retention: float = 3600.0
    """How long a terminated instance stays describable (``--terminated-retention``)."""
    metadata_apply: float = 2.0
    """How long changed instance metadata options stay ``pending``."""
    status_initializing: float = 2.0
    """How long instance status checks stay ``initializing``."""
    termination_watch: float = 900.0
    """How long the gateway watches a terminating instance."""
    termination_poll: float = 0.5
    placement_group_pending: float = 1.0
    """How long a new placement group shows ``pending``."""
    placement_group_deleting: float = 1.0
    """How long a deleted placement group shows ``deleting``."""
    nat_gateway_pending: float = 1.0
    """How long a new NAT gateway shows ``pending`` before ``available``."""
    nat_gateway_deleting: float = 1.0
    """How long a deleted NAT gateway shows ``deleting`` before ``deleted``."""
    nat_gateway_retention: float = 3600.0
    """How long a deleted NAT gateway stays describable as ``deleted`` (AWS: about an hour)."""
    prefix_list_create: float = 1.0
    """How long a new managed prefix list shows ``create-in-progress``."""
    prefix_list_modify: float = 1.0
    """How long a modified (or restored) prefix list shows ``modify-in-progress``."""
    prefix_list_delete: float = 1.0
    """How long a deleted prefix list shows ``delete-in-progress``."""
    vpc_endpoint_pending: float = 1.0
    """How long a new (or modified) VPC endpoint shows ``pending``."""
    vpc_endpoint_deleting: float = 1.0
    """How long a deleted VPC endpoint shows ``deleting``."""
    vpc_endpoint_deleted_retention: float = 60.0
    """How long a deleted VPC endpoint then stays describable as ``deleted``."""
    capacity_reservation_retention: float = 3600.0
    """How long a cancelled or expired capacity reservation stays describable."""
    capacity_hold: float = 120.0
    """How long room held in a capacity reservation for a launch lasts if the launch crashed."""
    spot_request_retention: float = 14400.0
    """How long a cancelled or closed spot instance request stays describable (AWS: ~4 h)."""
    vpc_peering_transition: float = 0.5
    """How long a peering connection shows ``initiating-request``, ``provisioning`` or
    ``deleting``/``rejecting`` before its next state."""
    vpc_peering_retention: float = 7200.0
    """How long a deleted, rejected or failed peering connection stays describable (AWS: 2 h)."""
    vpn_gateway_transition: float = 1.0
    """How long a VPN gateway attachment shows ``attaching``/``detaching`` (and a new gateway
    ``pending``, a deleted one ``deleting``)."""
    vpn_retention: float = 600.0
    """How long deleted VPN and customer gateways (and detached attachments) stay describable."""

    def seconds(self, name: str) -> float:
        """The timing named ``name`` (``"volume-create"`` or ``"volume_create"``)."""
        value = getattr(self, name.replace("-", "_"), None)
        if not isinstance(value, float | int):
            raise KeyError(name)
        return float(value)

    @classmethod
    def instant(cls) -> Timings:
        """Every volume, snapshot and image transition immediate (tests)."""
        return cls(**{name: 0.0 for name in _TRANSITIONS})


_TRANSITIONS: tuple[str, ...] = (
    "volume_create",
    "volume_delete",
    "volume_attach",
    "volume_detach",
    "volume_optimizing",
    "volume_modified",
    "snapshot_complete",
    "image_available",
    "image_deregistered",
    "prefix_list_create",
    "prefix_list_modify",
    "prefix_list_delete",
    "vpc_endpoint_pending",
    "vpc_endpoint_deleting",
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the gateway needs to know to serve."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = Path("./hive-data")
    tls: bool = True
    tls_cert: Path | None = None
    tls_key: Path | None = None
    nats: NatsOptions = field(default_factory=NatsOptions)
    nats_port: int = 4222
    """Port of the embedded nats-server (0 picks a free one)."""
    nats_port_explicit: bool = False
    """``nats_port`` was asked for: if busy, fail (instead of taking a free port)."""
    kv_replicas: int = 1
    request_timeout: float = 20.0
    body_timeout: float = 10.0
    """Seconds a client may take to send a request body (Hive: 10 s ReadHeaderTimeout)."""
    """Seconds a request may take; past it the gateway answers a retryable 503."""
    auth_failure_limit: int = 10
    """Failed SigV4 attempts from one source address within ``auth_failure_window`` seconds
    that lock it out (Hive: 10 in 60 s); 0 turns the throttle off."""
    auth_failure_window: float = 60.0
    auth_lockout: float = 30.0
    """First lockout (seconds); each further one doubles, up to ``auth_lockout_max``."""
    auth_lockout_max: float = 300.0
    """Replicas of every KV bucket the gateway creates (3 on a JetStream cluster)."""
    region: str = DEFAULT_REGION
    azs: tuple[str, ...] = ()
    """Availability zones served; empty means ``<region>a``, ``b`` and ``c``."""
    accept_any_region: bool = False
    bucket_prefix: str = "hive"
    strict_serializer: bool = False
    """Raise instead of logging when a handler result does not fit its output shape."""
    ipv6_pool: str = "2001:db8::/32"
    """Pool of Amazon-provided IPv6 /56 blocks (``AmazonProvidedIpv6CidrBlock``)."""
    public_pool: str = "198.51.100.0/24"
    """Public IPv4 addresses for Elastic IPs and instances' public IPs (TEST-NET-2 by default)."""
    default_vpc: bool = True
    """Give every account a default VPC before its first EC2 request (as Hive does)."""
    public_endpoint: str | None = None
    """URL advertised by DescribeRegions; defaults to the listen address."""
    read_replica: bool = True
    """Serve reads from the watch-fed in-memory replica (:mod:`kv.replica`) with its indexes."""
    always_sync_reads: bool = False
    """Never take the lease of being the only writer (:mod:`kv.peers`): every read fetches the
    bucket's latest revision, for stores that programs other than hive-gateway write too."""
    instance_limit: int = 1000
    """Live instances an account may have (``InstanceLimitExceeded`` past it; ``--instance-limit``)."""
    timings: Timings = field(default_factory=Timings)
    """State-machine timings (volumes, snapshots, images, instances, placement groups)."""

    @property
    def zones(self) -> tuple[str, ...]:
        """The availability zones, defaulting to three, ``<region>a``, ``b`` and ``c`` (as AWS's
        regions; Hive serves one, ``<region>a``: give ``--az <region>a`` to match it)."""
        return self.azs or tuple(f"{self.region}{letter}" for letter in "abc")

    @property
    def endpoint(self) -> str:
        """The URL clients use to reach this gateway."""
        if self.public_endpoint:
            return self.public_endpoint
        scheme = "https" if self.tls else "http"
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::", "::1") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}"
