"""``aws_internet_gateway`` (``vpc_internet_gateway.go``): create, attach with
``waitInternetGatewayAttached`` (target ``available``), detach with retries before delete.
``vpc_id`` is read from ``Attachments[0]``."""

from __future__ import annotations

from hive_gateway.conformance.runner import Harness, NotFound, wait_for_state
from hive_gateway.conformance.terraform.common import (
    arn_of,
    tag_specifications,
    tags_out,
    update_tags,
)
from hive_gateway.conformance.terraform.config import InternetGatewayConfig, Obj, State
from hive_gateway.conformance.terraform.finders import IGW_GONE, find, retry_new, status


def find_internet_gateway_attachment(h: Harness, igw_id: str, vpc_id: str) -> Obj:
    """``findInternetGatewayAttachment``: exactly one attachment, to ``vpc_id``."""
    gateway = find(h, "internet-gateway", igw_id)
    attachments = gateway.get("Attachments") or []
    if len(attachments) != 1:
        raise NotFound(f"IGW {igw_id} attachment", "empty" if not attachments else "too many")
    if attachments[0].get("VpcId") != vpc_id:
        raise NotFound(f"IGW {igw_id} attachment", "id mismatch")
    return dict(attachments[0])


def attach_internet_gateway(h: Harness, igw_id: str, vpc_id: str) -> None:
    """``AttachInternetGateway`` (retried on the IGW's NotFound) + ``waitInternetGatewayAttached``:
    Pending ``attaching`` → Target **``available``** (``attached`` is an unexpected state)."""
    h.call("AttachInternetGateway", retry_on=IGW_GONE, InternetGatewayId=igw_id, VpcId=vpc_id)
    wait_for_state(
        status(
            lambda: find_internet_gateway_attachment(h, igw_id, vpc_id),
            lambda a: str(a.get("State", "")),
        ),
        pending=("attaching",),
        target=("available",),
        what=f"IGW {igw_id} attach",
        timeout=h.timeout,
        poll=h.poll,
        not_found_checks=1000,
    )


def detach_internet_gateway(h: Harness, igw_id: str, vpc_id: str) -> None:
    """``DetachInternetGateway`` (retried on ``DependencyViolation``; ``Gateway.NotAttached`` ok) +
    ``waitInternetGatewayDetached`` (Pending ``available|detaching`` → gone)."""
    h.call(
        "DetachInternetGateway",
        tolerate=("Gateway.NotAttached",),
        retry_on=("DependencyViolation",),
        InternetGatewayId=igw_id,
        VpcId=vpc_id,
    )
    wait_for_state(
        status(
            lambda: find_internet_gateway_attachment(h, igw_id, vpc_id),
            lambda a: str(a.get("State", "")),
        ),
        pending=("available", "detaching"),
        target=(),
        what=f"IGW {igw_id} detach",
        timeout=h.timeout,
        poll=h.poll,
    )


def create_internet_gateway(h: Harness, config: InternetGatewayConfig) -> tuple[str, State]:
    response = h.call(
        "CreateInternetGateway", **tag_specifications("internet-gateway", config.tags)
    )
    assert response is not None
    igw_id = str(response["InternetGateway"]["InternetGatewayId"])
    if config.vpc_id:
        attach_internet_gateway(h, igw_id, config.vpc_id)
    return igw_id, retry_new(h, True, lambda: read_internet_gateway(h, igw_id))


def read_internet_gateway(h: Harness, igw_id: str) -> State:
    """``vpc_id`` from ``Attachments[0].VpcId`` ("" without attachments)."""
    gateway = find(h, "internet-gateway", igw_id)
    attachments = gateway.get("Attachments") or []
    return {
        "id": igw_id,
        "arn": arn_of(h, str(gateway.get("OwnerId", "")), f"internet-gateway/{igw_id}"),
        "owner_id": gateway.get("OwnerId"),
        "vpc_id": attachments[0].get("VpcId", "") if attachments else "",
        "tags": tags_out(gateway.get("Tags")),
    }


def update_internet_gateway(
    h: Harness, igw_id: str, old: InternetGatewayConfig, new: InternetGatewayConfig
) -> State:
    update_tags(h, igw_id, old.tags, new.tags)
    if old.vpc_id != new.vpc_id:
        if old.vpc_id:
            detach_internet_gateway(h, igw_id, old.vpc_id)
        if new.vpc_id:
            attach_internet_gateway(h, igw_id, new.vpc_id)
    return read_internet_gateway(h, igw_id)


def delete_internet_gateway(h: Harness, igw_id: str, vpc_id: str) -> None:
    if vpc_id:
        detach_internet_gateway(h, igw_id, vpc_id)
    h.call(
        "DeleteInternetGateway",
        tolerate=IGW_GONE,
        retry_on=("DependencyViolation",),
        InternetGatewayId=igw_id,
    )
