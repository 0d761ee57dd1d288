"""RunInstances: launch through the daemons, roll back below MinCount, ClientToken idempotency."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from handlers import ebs, network_interfaces
from handlers.capacity_reservations import usage as capacity
from handlers.instances.constants import ENI, INSTANCE, SETTLED_STATES
from handlers.instances.errors import daemon_error, insufficient_capacity
from handlers.instances.placement import placement_targets
from handlers.instances.plans import InterfacePlan, RunPlan, VolumePlan
from handlers.instances.record_fields import iso_stamp, state_name, utc_now
from handlers.instances.runtime import daemon_client
from handlers.instances.spot import spot_fields
from handlers.instances.state import sync_states
from handlers.instances.validation import fingerprint_of, validate_run
from handlers.instances.views import gather_context, instance_to_api
from hive_gateway.core import dependents, idempotency, leases, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.hive import daemon_contract as contract
from hive_gateway.hive.bus import BusError

LOG = logging.getLogger(__name__)


@dataclass
class Launched:
    """One instance a daemon accepted, with what the gateway created for it."""

    index: int
    instance_id: str
    reservation_id: str
    node: str | None
    launch_time: datetime
    interfaces: list[tuple[InterfacePlan, Record]]
    volumes: list[tuple[VolumePlan, Record]]


async def _create_resources(
    ctx: RequestContext, plan: RunPlan
) -> tuple[list[tuple[InterfacePlan, Record]], list[tuple[VolumePlan, Record]]]:
    interfaces: list[tuple[InterfacePlan, Record]] = []
    created_volumes: list[tuple[VolumePlan, Record]] = []
    try:
        for spec in plan.interfaces:
            if spec.existing_id:
                interfaces.append((spec, await records.get(ctx, ENI, spec.existing_id)))
                continue
            record = await network_interfaces.create_interface(
                ctx,
                subnet=spec.subnet,
                security_group_ids=spec.group_ids,
                private_ip=spec.private_ip,
                secondary_count=spec.secondary_count,
                secondary_ips=spec.secondary_ips,
                description=spec.description,
                tags=plan.interface_tags,
                public_ip=spec.public_ip,
            )
            interfaces.append((spec, record))
        for volume in plan.volumes:
            created = (
                await ebs.create_root_volume(
                    ctx,
                    availability_zone=plan.zone,
                    size=volume.size or 0,
                    volume_type=volume.volume_type or "gp2",
                    snapshot_id=volume.snapshot_id,
                    encrypted=volume.encrypted,
                    iops=volume.iops,
                    throughput=volume.throughput,
                    tags=dict(plan.volume_tags),
                )
                if volume.size
                else await ebs.create_root_volume(
                    ctx,
                    availability_zone=plan.zone,
                    size=_snapshot_size(volume),
                    volume_type=volume.volume_type or "gp2",
                    snapshot_id=volume.snapshot_id,
                    encrypted=volume.encrypted,
                    iops=volume.iops,
                    throughput=volume.throughput,
                    tags=dict(plan.volume_tags),
                )
            )
            created_volumes.append((volume, created))
    except BaseException:
        await _delete_resources(ctx, interfaces, created_volumes)
        raise
    return interfaces, created_volumes


def _snapshot_size(volume: VolumePlan) -> int:
    from hive_gateway.catalogue import image_catalogue

    snapshot = (
        image_catalogue.find_snapshot(volume.snapshot_id or "") if volume.snapshot_id else None
    )
    return int((snapshot or {}).get("volume_size") or 8)


async def _delete_resources(
    ctx: RequestContext,
    interfaces: Sequence[tuple[InterfacePlan, Record]],
    created_volumes: Sequence[tuple[VolumePlan, Record]],
) -> None:
    """Undo :func:`_create_resources` (nothing is attached yet)."""
    for spec, record in interfaces:
        if spec.existing_id:
            continue
        try:
            await network_interfaces.delete_interface(
                ctx, str(record["network_interface_id"]), force=True
            )
        except Exception:
            LOG.warning(
                "rollback: interface %s not deleted",
                record.get("network_interface_id"),
                exc_info=True,
            )
    for _, volume in created_volumes:
        try:
            await records.delete(ctx, KINDS["volume"], str(volume["VolumeId"]))
        except Exception:
            LOG.warning("rollback: volume %s not deleted", volume.get("VolumeId"), exc_info=True)


def _daemon_input(
    plan: RunPlan,
    interfaces: Sequence[tuple[InterfacePlan, Record]],
    created_volumes: Sequence[tuple[VolumePlan, Record]],
) -> Record:
    """The RunInstancesInput a daemon gets: one instance, the interfaces the gateway made."""
    skip = {
        "SubnetId",
        "SecurityGroupIds",
        "SecurityGroups",
        "PrivateIpAddress",
        "NetworkInterfaces",
        "BlockDeviceMappings",
        "MinCount",
        "MaxCount",
        "DryRun",
    }
    forwarded: Record = {k: v for k, v in plan.params.items() if k not in skip}
    forwarded.update(
        InstanceType=plan.instance_type,
        MinCount=1,
        MaxCount=1,
        Placement={**(plan.params.get("Placement") or {}), "AvailabilityZone": plan.zone},
        NetworkInterfaces=[
            {
                "DeviceIndex": spec.device_index,
                "NetworkInterfaceId": record["network_interface_id"],
                "SubnetId": record["subnet_id"],
                "Groups": list(record.get("security_group_ids") or []),
                "PrivateIpAddress": record["private_ip_address"],
                "AssociatePublicIpAddress": spec.public_ip
                if spec.device_index == 0 and not spec.existing_id
                else None,
                "DeleteOnTermination": spec.delete_on_termination,
            }
            for spec, record in interfaces
        ],
        BlockDeviceMappings=[
            {
                "DeviceName": volume.device,
                "Ebs": {
                    "VolumeSize": created["Size"],
                    "VolumeType": created["VolumeType"],
                    "DeleteOnTermination": volume.delete_on_termination,
                    "Encrypted": created["Encrypted"],
                    **({"SnapshotId": created["SnapshotId"]} if created.get("SnapshotId") else {}),
                },
            }
            for volume, created in created_volumes
        ],
    )
    return forwarded


async def _launch_one(
    ctx: RequestContext, client: contract.DaemonClient, plan: RunPlan, index: int, node: str | None
) -> Launched:
    interfaces, created_volumes = await _create_resources(ctx, plan)
    try:
        reservation = await client.run_instances(
            ctx.account_id, _daemon_input(plan, interfaces, created_volumes), node=node
        )
        instances = reservation.get("Instances") or []
        if not instances or not instances[0].get("InstanceId"):
            raise contract.DaemonError("ServerInternal")
        if len(instances) > 1:
            LOG.warning("daemon launched %d instances for one request", len(instances))
    except BaseException:
        await _delete_resources(ctx, interfaces, created_volumes)
        raise
    first = instances[0]
    return Launched(
        index=index,
        instance_id=str(first["InstanceId"]),
        reservation_id=str(reservation.get("ReservationId") or ""),
        node=node,
        launch_time=first.get("LaunchTime") or utc_now(),
        interfaces=interfaces,
        volumes=created_volumes,
    )


async def _abandon(
    ctx: RequestContext, client: contract.DaemonClient, launched: Sequence[Launched]
) -> None:
    """Terminate instances of a launch that failed and delete what was made for them."""
    for item in launched:
        try:
            await client.command(
                ctx.account_id, contract.InstanceCommand.terminate(item.instance_id)
            )
        except (BusError, contract.DaemonError, contract.ContractError):
            LOG.warning("rollback: could not terminate %s", item.instance_id, exc_info=True)
        await _delete_resources(ctx, item.interfaces, item.volumes)


async def _finish(
    ctx: RequestContext, plan: RunPlan, item: Launched, position: int, reservation_id: str
) -> Record:
    """Attach interfaces and volumes to an accepted instance and store its record."""
    instance_id = item.instance_id
    for spec, record in item.interfaces:
        await network_interfaces.attach_to_instance(
            ctx,
            str(record["network_interface_id"]),
            instance_id,
            spec.device_index,
            delete_on_termination=spec.delete_on_termination,
        )
    for volume, created in item.volumes:
        await ebs.attach(
            ctx,
            str(created["VolumeId"]),
            instance_id,
            volume.device,
            delete_on_termination=volume.delete_on_termination,
        )
    primary = next(r for s, r in item.interfaces if s.device_index == 0)
    now = utc_now()
    group = plan.placement_group
    stored: Record = {
        **plan.record_defaults,
        "instance_id": instance_id,
        "account_id": ctx.account_id,
        "reservation_id": reservation_id,
        "state": "pending",
        "state_changed_at": iso_stamp(now),
        "state_transition_reason": "",
        "state_reason": None,
        "launch_time": iso_stamp(item.launch_time),
        "ami_launch_index": position,
        "client_token": plan.params.get("ClientToken") or None,
        "request_fingerprint": plan.fingerprint,
        "node": item.node,
        "availability_zone": plan.zone,
        "tenancy": plan.tenancy,
        "placement_group": str(group["group_name"]) if group else None,
        "placement_group_id": str(group["group_id"]) if group else None,
        "subnet_id": str(primary["subnet_id"]),
        "vpc_id": str(primary["vpc_id"]),
        "security_group_ids": list(primary.get("security_group_ids") or []),
        "private_ip_address": str(primary["private_ip_address"]),
        "root_device_name": plan.root_device,
        "tags": dict(plan.tags),
        "created_at": iso_stamp(now),
        "released": False,
    }
    hold = plan.capacity_hold
    if hold is not None and position < hold.count:
        stored["capacity_reservation_id"] = hold.reservation_id
    stored.update(spot_fields(plan.spot_options, plan.spot_request_ids, position))
    profile = stored.get("iam_instance_profile")
    if profile and "{account}" in profile.get("arn", ""):
        stored["iam_instance_profile"] = {
            **profile,
            "arn": profile["arn"].replace("{account}", ctx.account_id),
        }
    await records.create(ctx, INSTANCE, stored)
    if stored.get("spot_instance_request_id"):
        await dependents.fire(ctx, "instance", "spot-launched", stored)
    return stored


async def _launch(ctx: RequestContext, plan: RunPlan) -> Result:
    client = daemon_client(ctx)
    if client is None:
        raise insufficient_capacity(plan.instance_type, plan.zone)
    live = [
        r for r in await records.list_records(ctx, INSTANCE) if state_name(r) not in SETTLED_STATES
    ]
    limit = ctx.runtime.settings.instance_limit
    if len(live) + plan.min_count > limit:
        raise AwsError(
            "InstanceLimitExceeded",
            f"You have requested more instances ({len(live) + plan.min_count}) than your current "
            f"instance limit of {limit} allows for the specified instance type.",
        )
    plan.capacity_hold = await capacity.hold_for_launch(
        ctx,
        plan.params.get("CapacityReservationSpecification"),
        instance_type=plan.instance_type,
        zone=plan.zone,
        tenancy=plan.tenancy,
        min_count=plan.min_count,
        max_count=plan.max_count,
    )
    try:
        return await _launch_held(ctx, client, plan)
    finally:
        await capacity.release(ctx, plan.capacity_hold)


async def _launch_held(ctx: RequestContext, client: contract.DaemonClient, plan: RunPlan) -> Result:
    group = plan.placement_group
    # A lease, not a process lock: gateways sharing the store place one launch at a time per
    # group, so a spread group never gets two instances on one node.
    placing = leases.lease_name("placement", str(group["group_name"] if group else ""))
    async with leases.held(ctx, placing):
        targets = await placement_targets(ctx, client, plan)
        if len(targets) < plan.min_count:
            raise insufficient_capacity(plan.instance_type, plan.zone)
        outcomes = await asyncio.gather(
            *(_launch_one(ctx, client, plan, index, node) for index, node in enumerate(targets)),
            return_exceptions=True,
        )
        launched = [o for o in outcomes if isinstance(o, Launched)]
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        for error in errors:
            if not isinstance(
                error, (AwsError, BusError, contract.DaemonError, contract.ContractError)
            ):
                LOG.error("RunInstances: unexpected failure", exc_info=error)
        if len(launched) < plan.min_count:
            await _abandon(ctx, client, launched)
            raise _launch_error(plan, errors)
        launched.sort(key=lambda item: item.index)
        reservation_id = launched[0].reservation_id or _new_reservation_id()
        rows: list[Record] = []
        try:
            for position, item in enumerate(launched):
                rows.append(await _finish(ctx, plan, item, position, reservation_id))
        except BaseException:
            await _abandon(ctx, client, launched)
            for record in rows:
                await records.delete(ctx, INSTANCE, str(record["instance_id"]))
            raise
    view = await gather_context(ctx, rows)
    return {
        "ReservationId": reservation_id,
        "OwnerId": ctx.account_id,
        "Groups": [],
        "Instances": [instance_to_api(ctx, r, view) for r in rows],
    }


def _new_reservation_id() -> str:
    from hive_gateway.core.ids import new_id

    return new_id("reservation")


def _launch_error(plan: RunPlan, errors: Sequence[BaseException]) -> AwsError:
    """The error of a launch that got fewer than MinCount instances: a client error a daemon or
    the gateway raised wins over the generic capacity error (as Spinifex's ``extractClientError``)."""
    for error in errors:
        if isinstance(error, AwsError):
            return error
    for error in errors:
        if isinstance(error, contract.DaemonError) and error.code not in (
            "InsufficientInstanceCapacity",
            "ServerInternal",
            "ValidationError",
        ):
            return daemon_error(error, plan=plan)
    return insufficient_capacity(plan.instance_type, plan.zone)


async def _reservation_of(ctx: RequestContext, rows: Sequence[Record]) -> Result:
    rows = await sync_states(ctx, list(rows))
    rows = sorted(rows, key=lambda r: int(r.get("ami_launch_index") or 0))
    view = await gather_context(ctx, rows)
    return {
        "ReservationId": rows[0]["reservation_id"],
        "OwnerId": ctx.account_id,
        "Groups": [],
        "Instances": [instance_to_api(ctx, r, view) for r in rows],
    }


RUN_MISMATCH: Final = (
    "Arguments on this idempotent request are inconsistent with arguments used in previous "
    "request(s)."
)
"""RunInstances' ``IdempotentParameterMismatch`` message (AWS's, verbatim)."""


records.indexed(INSTANCE, "client_token")  # RunInstances' ClientToken


async def _launched_with(ctx: RequestContext, token: str) -> list[Record]:
    """The instances launched with ``token`` (terminated ones too, while still stored)."""
    return await records.where(ctx, INSTANCE, live_only=False, client_token=token)


@action("RunInstances")
async def run_instances(ctx: RequestContext, params: Params) -> Result:
    """Launch MinCount..MaxCount instances through the daemons; idempotent per ClientToken.

    The token is claimed in the store (:mod:`hive_gateway.core.idempotency`), so gateways sharing
    one store launch once for it; a retry answers the first reservation.
    """
    token = params.get("ClientToken")
    fingerprint = fingerprint_of(params)

    async def launch(_: str) -> Result:
        if token:  # instances launched before the token was claimed (an earlier version)
            earlier = await _launched_with(ctx, str(token))
            if earlier:
                if any(r.get("request_fingerprint") != fingerprint for r in earlier):
                    raise idempotency.mismatch(str(token), RUN_MISMATCH)
                return await _reservation_of(ctx, earlier)
        return await _launch(ctx, await validate_run(ctx, params))

    async def existing(_: str) -> Result | None:
        earlier = await _launched_with(ctx, str(token))
        return await _reservation_of(ctx, earlier) if earlier else None

    return await idempotency.create_once(
        ctx, INSTANCE, token, fingerprint, launch, existing, message=RUN_MISMATCH
    )


async def launch_for_spot_request(ctx: RequestContext, params: Params, request_id: str) -> Result:
    """Launch the one instance that fulfils spot instance request ``request_id`` (RunInstances
    parameters with ``InstanceMarketOptions``, as RequestSpotInstances builds them)."""
    plan = await validate_run(ctx, params)
    plan.spot_request_ids = [request_id]
    return await _launch(ctx, plan)
