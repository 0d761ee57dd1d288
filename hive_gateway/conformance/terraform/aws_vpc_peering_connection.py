"""``aws_vpc_peering_connection`` (``vpc_peering_connection.go``, provider v5): create, wait
``initiating-request``/``provisioning`` → ``pending-acceptance``/``active``; with ``auto_accept``
accept a ``pending-acceptance`` request and wait for ``active``; then set the requested
``accepter``/``requester`` options (``ModifyVpcPeeringConnectionOptions``, read back until
equal). The finder treats ``deleted``, ``expired``, ``failed`` and ``rejected`` as gone. Delete
tolerates ``InvalidVpcPeeringConnectionID.NotFound`` and ``InvalidStateTransition … to
deleting``, then waits until the finder reports gone.

The resource's configuration lives here (:class:`VpcPeeringConnectionConfig`), next to its calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from hive_gateway.conformance.runner import ApiError, Harness, NotFound, WaitError, wait_for_state
from hive_gateway.conformance.terraform.common import tag_specifications, tags_out, update_tags
from hive_gateway.conformance.terraform.config import Obj, State
from hive_gateway.conformance.terraform.finders import retry_new, status

GONE: Final = ("InvalidVpcPeeringConnectionID.NotFound",)
GONE_STATES: Final = ("deleted", "expired", "failed", "rejected")
DNS: Final = "AllowDnsResolutionFromRemoteVpc"


@dataclass(frozen=True)
class VpcPeeringConnectionConfig:
    """An ``aws_vpc_peering_connection`` block (same account and region)."""

    vpc_id: str
    peer_vpc_id: str
    auto_accept: bool = False
    accepter_dns: bool | None = None
    """``accepter { allow_remote_vpc_dns_resolution = … }`` (``None``: no block)."""
    requester_dns: bool | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


def find_vpc_peering_connection(h: Harness, pcx_id: str) -> Obj:
    """``findVPCPeeringConnectionByID``: gone codes, and the terminal states, are NotFound."""
    found = h.find(
        "DescribeVpcPeeringConnections",
        "VpcPeeringConnections",
        not_found_codes=GONE,
        id_field="VpcPeeringConnectionId",
        expected_id=pcx_id,
        VpcPeeringConnectionIds=[pcx_id],
    )
    code = str((found.get("Status") or {}).get("Code") or "")
    if code in GONE_STATES:
        raise NotFound(f"DescribeVpcPeeringConnections({pcx_id})", code)
    return found


def _status_code(pcx: Obj) -> str:
    return str(pcx["Status"]["Code"])


def _wait_active(h: Harness, pcx_id: str) -> Obj:
    """``waitVPCPeeringConnectionActive``: pending ``initiating-request``/``provisioning``,
    target ``pending-acceptance``/``active``."""
    found = wait_for_state(
        status(lambda: find_vpc_peering_connection(h, pcx_id), _status_code),
        pending=("initiating-request", "provisioning"),
        target=("pending-acceptance", "active"),
        what=f"peering connection {pcx_id} active",
        timeout=h.timeout,
        poll=h.poll,
    )
    if found is None:  # pragma: no cover - the target is non-empty
        raise WaitError(f"peering connection {pcx_id} not found")
    return found


def create_vpc_peering_connection(
    h: Harness, config: VpcPeeringConnectionConfig
) -> tuple[str, State]:
    """Create, wait, accept (``auto_accept``), options, Read."""
    response = h.call(
        "CreateVpcPeeringConnection",
        VpcId=config.vpc_id,
        PeerVpcId=config.peer_vpc_id,
        **tag_specifications("vpc-peering-connection", config.tags),
    )
    assert response is not None
    pcx_id = str(response["VpcPeeringConnection"]["VpcPeeringConnectionId"])
    pcx = _wait_active(h, pcx_id)
    if config.auto_accept and _status_code(pcx) == "pending-acceptance":
        h.call("AcceptVpcPeeringConnection", VpcPeeringConnectionId=pcx_id)
        pcx = _wait_active(h, pcx_id)
    _modify_options(h, pcx_id, pcx, config)
    return pcx_id, retry_new(h, True, lambda: read_vpc_peering_connection(h, pcx_id))


def _modify_options(h: Harness, pcx_id: str, pcx: Obj, config: VpcPeeringConnectionConfig) -> None:
    """``modifyVPCPeeringConnectionOptions``: only on an active (or provisioning) connection,
    then read back until the options are what was asked."""
    wanted: dict[str, Obj] = {}
    if config.accepter_dns is not None:
        wanted["AccepterPeeringConnectionOptions"] = {DNS: config.accepter_dns}
    if config.requester_dns is not None:
        wanted["RequesterPeeringConnectionOptions"] = {DNS: config.requester_dns}
    if not wanted:
        return
    if _status_code(pcx) not in ("active", "provisioning"):
        raise WaitError(f"peering connection {pcx_id} is not active: cannot modify options")
    h.call("ModifyVpcPeeringConnectionOptions", VpcPeeringConnectionId=pcx_id, **wanted)

    def stable() -> tuple[Obj | None, str]:
        current = find_vpc_peering_connection(h, pcx_id)
        for member, side in (
            ("AccepterPeeringConnectionOptions", "AccepterVpcInfo"),
            ("RequesterPeeringConnectionOptions", "RequesterVpcInfo"),
        ):
            options = (current.get(side) or {}).get("PeeringOptions") or {}
            if member in wanted and bool(options.get(DNS)) != wanted[member][DNS]:
                return current, "unstable"
        return current, "stable"

    wait_for_state(
        stable,
        pending=("unstable",),
        target=("stable",),
        what=f"peering connection {pcx_id} options",
        timeout=h.timeout,
        poll=h.poll,
    )


def _options(info: Obj) -> list[Obj] | None:
    options = info.get("PeeringOptions")
    if options is None:
        return None
    return [
        {
            "allow_remote_vpc_dns_resolution": bool(options.get(DNS, False)),
        }
    ]


def read_vpc_peering_connection(h: Harness, pcx_id: str) -> State:
    """The requester's view (same account): ids, status, both sides' options, tags."""
    pcx = find_vpc_peering_connection(h, pcx_id)
    requester, accepter = pcx["RequesterVpcInfo"], pcx["AccepterVpcInfo"]
    return {
        "id": pcx_id,
        "accept_status": _status_code(pcx),
        "vpc_id": requester.get("VpcId"),
        "peer_vpc_id": accepter.get("VpcId"),
        "peer_owner_id": accepter.get("OwnerId"),
        "peer_region": accepter.get("Region"),
        "accepter": _options(accepter),
        "requester": _options(requester),
        "tags": tags_out(pcx.get("Tags")),
    }


def update_vpc_peering_connection(
    h: Harness, pcx_id: str, old: VpcPeeringConnectionConfig, new: VpcPeeringConnectionConfig
) -> State:
    """Tags, then options that changed."""
    update_tags(h, pcx_id, old.tags, new.tags)
    if (old.accepter_dns, old.requester_dns) != (new.accepter_dns, new.requester_dns):
        _modify_options(h, pcx_id, find_vpc_peering_connection(h, pcx_id), new)
    return read_vpc_peering_connection(h, pcx_id)


def _to_deleting(error: ApiError) -> bool:
    return error.code == "InvalidStateTransition" and "to deleting" in error.message


def delete_vpc_peering_connection(h: Harness, pcx_id: str) -> None:
    """Delete (gone codes and "… to deleting" tolerated), wait until the finder says gone."""
    answer = h.call(
        "DeleteVpcPeeringConnection",
        tolerate=lambda e: e.code in GONE or _to_deleting(e),
        VpcPeeringConnectionId=pcx_id,
    )
    if answer is None:
        return
    wait_for_state(
        status(lambda: find_vpc_peering_connection(h, pcx_id), _status_code),
        pending=("active", "deleting", "pending-acceptance"),
        target=(),
        what=f"peering connection {pcx_id} deleted",
        timeout=h.timeout,
        poll=h.poll,
    )
