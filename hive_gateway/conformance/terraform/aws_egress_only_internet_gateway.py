"""``aws_egress_only_internet_gateway`` (``vpc_egress_only_internet_gateway.go``): create with a
random ClientToken and no waiter; ``vpc_id`` is read only for exactly one attachment whose state
is ``attached``; only an empty list (never an error code) means gone."""

from __future__ import annotations

import uuid

from hive_gateway.conformance.runner import Harness
from hive_gateway.conformance.terraform.common import tag_specifications, tags_out, update_tags
from hive_gateway.conformance.terraform.config import EgressOnlyInternetGatewayConfig, State
from hive_gateway.conformance.terraform.finders import find, retry_new


def create_egress_only_internet_gateway(
    h: Harness, config: EgressOnlyInternetGatewayConfig
) -> tuple[str, State]:
    """Create (random ClientToken), no waiter, Read."""
    response = h.call(
        "CreateEgressOnlyInternetGateway",
        ClientToken=str(uuid.uuid4()),
        VpcId=config.vpc_id,
        **tag_specifications("egress-only-internet-gateway", config.tags),
    )
    assert response is not None
    eigw_id = str(response["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"])
    return eigw_id, retry_new(h, True, lambda: read_egress_only_internet_gateway(h, eigw_id))


def read_egress_only_internet_gateway(h: Harness, eigw_id: str) -> State:
    """``vpc_id`` only for exactly one attachment in state ``attached`` (else nil → replacement)."""
    gateway = find(h, "egress-only-internet-gateway", eigw_id)
    attachments = gateway.get("Attachments") or []
    vpc_id = None
    if len(attachments) == 1 and attachments[0].get("State") == "attached":
        vpc_id = attachments[0].get("VpcId")
    return {"id": eigw_id, "vpc_id": vpc_id, "tags": tags_out(gateway.get("Tags"))}


def update_egress_only_internet_gateway(
    h: Harness,
    eigw_id: str,
    old: EgressOnlyInternetGatewayConfig,
    new: EgressOnlyInternetGatewayConfig,
) -> State:
    update_tags(h, eigw_id, old.tags, new.tags)
    return read_egress_only_internet_gateway(h, eigw_id)


def delete_egress_only_internet_gateway(h: Harness, eigw_id: str) -> None:
    h.call(
        "DeleteEgressOnlyInternetGateway",
        tolerate=("InvalidGatewayID.NotFound",),
        EgressOnlyInternetGatewayId=eigw_id,
    )
