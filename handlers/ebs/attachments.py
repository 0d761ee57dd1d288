"""Attaching and detaching volumes: AttachVolume, DetachVolume, root volumes, termination."""

from __future__ import annotations

from datetime import datetime

from handlers.ebs.devices import (
    _claim_device,
    _device_slot,
    _drop_devices,
    _release_device,
    check_device,
    device_in_use,
)
from handlers.ebs.volume_lifecycle import build_spec, new_volume_record
from handlers.ebs.volume_records import (
    INSTANCE,
    VOLUME,
    _find_attachment,
    _mutate_volume,
    attachment_state,
    get_volume,
    visible_volumes,
    volume_state,
)
from handlers.ebs.volume_views import attachment_to_api, volume_to_api
from hive_gateway.core import clock, records
from hive_gateway.core.clock import now, stamp
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    missing_parameter,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action

# --- attach / detach core (shared with RunInstances/TerminateInstances) -----------------------


def _incorrect_state(volume_id: str, state: str) -> AwsError:
    return AwsError("IncorrectState", f"Volume '{volume_id}' is in the '{state}' state.")


async def _attach(
    ctx: RequestContext,
    volume_id: str,
    instance_id: str,
    device: str,
    *,
    delete_on_termination: bool,
    delay: str | None,
) -> Record:
    """Claim the device, then CAS the attachment into the volume; returns a VolumeAttachment."""
    check_device(device)
    await _claim_device(ctx, instance_id, device, volume_id)
    attachment: Record = {}

    def add(record: Record, at: datetime) -> Record:
        state = volume_state(record, at)
        live = record["attachments"]
        if state in ("creating", "deleting"):
            raise _incorrect_state(volume_id, str(state))
        if any(a["instance_id"] == instance_id for a in live):
            raise AwsError("VolumeInUse", f"{volume_id} is already attached to an instance")
        if live and not record.get("multi_attach_enabled"):
            raise AwsError("VolumeInUse", f"{volume_id} is already attached to an instance")
        attachment.update(
            instance_id=instance_id,
            device=device,
            attach_time=stamp(at),
            attached_at=clock.after(ctx, delay, at) if delay else stamp(at),
            delete_on_termination=delete_on_termination,
        )
        attachment["state"] = attachment_state(attachment, at)
        live.append(dict(attachment))
        record["state"] = "in-use"
        return record

    try:
        await _mutate_volume(ctx, volume_id, add)
    except BaseException:
        await _release_device(ctx, instance_id, device, volume_id)
        raise
    return attachment_to_api(volume_id, attachment)


async def _detach(
    ctx: RequestContext,
    volume_id: str,
    instance_id: str | None,
    device: str | None,
    *,
    delay: str | None,
) -> Record:
    """Start (or, without ``delay``, finish) detaching; returns the VolumeAttachment."""
    detached: Record = {}

    def remove(record: Record, at: datetime) -> Record:
        live = record["attachments"]
        state = volume_state(record, at) or "deleted"
        if not live:
            raise _incorrect_state(volume_id, state)
        if instance_id is None and len(live) > 1:
            raise missing_parameter("InstanceId")
        target = (
            live[0]
            if instance_id is None
            else next((a for a in live if a["instance_id"] == instance_id), None)
        )
        if target is None:
            raise AwsError(
                "IncorrectState",
                f"Volume '{volume_id}' is not attached to instance '{instance_id}'.",
            )
        if device is not None and _device_slot(device) != _device_slot(target["device"]):
            raise AwsError(
                "InvalidAttachment.NotFound",
                f"The volume '{volume_id}' is not attached to instance "
                f"'{target['instance_id']}' as device '{device}'.",
            )
        if target.get("detached_at") is None:
            target["detaching_at"] = stamp(at)
            target["detached_at"] = clock.after(ctx, delay, at) if delay else stamp(at)
        target["state"] = attachment_state(target, at) or "detached"
        detached.update(target)
        record["attachments"] = [a for a in live if attachment_state(a, at) is not None]
        record["state"] = volume_state(record, at) or "deleted"
        return record

    await _mutate_volume(ctx, volume_id, remove)
    await _release_device(ctx, str(detached["instance_id"]), str(detached["device"]), volume_id)
    return attachment_to_api(volume_id, detached)


# --- exports for the instances module -----------------------------------------------------------


async def create_root_volume(
    ctx: RequestContext,
    *,
    availability_zone: str,
    size: int,
    volume_type: str,
    snapshot_id: str | None,
    encrypted: bool,
    iops: int | None,
    throughput: int | None,
    tags: dict[str, str],
) -> Record:
    """Create a launch-time volume, ``available`` at once (ready for :func:`attach`).

    Applies the CreateVolume rules (size ≥ snapshot size, per-type bounds, IOPS/throughput
    defaults, encryption by default); ``snapshot_id`` may be a catalogue image's public
    snapshot. Returns the ``Volume`` API form.
    """
    spec = await build_spec(
        ctx,
        availability_zone=availability_zone,
        size=size,
        volume_type=volume_type,
        snapshot_id=snapshot_id,
        encrypted=encrypted,
        kms_key_id=None,
        iops=iops,
        throughput=throughput,
    )
    at = now()
    record = new_volume_record(ctx, spec, tags, at=at, available_at=stamp(at))
    await records.create(ctx, VOLUME, record)
    api = volume_to_api(ctx, record, at)
    assert api is not None
    return api


async def attach(
    ctx: RequestContext,
    volume_id: str,
    instance_id: str,
    device: str,
    *,
    delete_on_termination: bool,
) -> Record:
    """Attach at launch: the attachment is ``attached`` at once (RunInstances' block devices).

    The instance record need not exist yet. Raises ``VolumeInUse``, ``IncorrectState``,
    ``InvalidVolume.NotFound`` or ``InvalidParameterValue`` (device in use / invalid) as
    AttachVolume does. Returns the ``VolumeAttachment`` API form.
    """
    return await _attach(
        ctx,
        volume_id,
        instance_id,
        device,
        delete_on_termination=delete_on_termination,
        delay=None,
    )


async def volumes_of_instance(ctx: RequestContext, instance_id: str) -> list[Record]:
    """The volumes attached to ``instance_id`` (``Volume`` API form), sorted by device.

    Each volume's ``Attachments`` holds only its attachment to this instance (state
    ``attaching``/``attached``/``detaching``), which is what the instance's
    ``BlockDeviceMappings`` are derived from: ``DeviceName`` = ``Device``, ``Ebs`` =
    ``{AttachTime, DeleteOnTermination, Status: State, VolumeId}``.
    """
    at = now()
    found: list[Record] = []
    for record in await visible_volumes(ctx, at):
        api = volume_to_api(ctx, record, at)
        if api is None:
            continue
        mine = [a for a in api["Attachments"] if a["InstanceId"] == instance_id]
        if mine:
            api["Attachments"] = mine
            found.append(api)
    found.sort(key=lambda v: str(v["Attachments"][0]["Device"]))
    return found


async def detach_all(ctx: RequestContext, instance_id: str) -> None:
    """Detach every volume from ``instance_id`` at once (the instance is going away)."""
    at = now()
    for record in await visible_volumes(ctx, at):
        if _find_attachment(record, instance_id, at) is not None:
            try:
                await _detach(ctx, str(record["volume_id"]), instance_id, None, delay=None)
            except AwsError as error:
                if error.code not in ("IncorrectState", VOLUME.not_found_code):
                    raise
    await _drop_devices(ctx, instance_id)


async def delete_on_termination(ctx: RequestContext, instance_id: str) -> None:
    """On terminate: delete the volumes marked DeleteOnTermination, detach the others."""
    at = now()
    for record in await visible_volumes(ctx, at):
        attachment = _find_attachment(record, instance_id, at)
        if attachment is None:
            continue
        volume_id = str(record["volume_id"])
        if not attachment.get("delete_on_termination"):
            try:
                await _detach(ctx, volume_id, instance_id, None, delay=None)
            except AwsError as error:
                if error.code not in ("IncorrectState", VOLUME.not_found_code):
                    raise
            continue

        def drop(current: Record, when: datetime) -> Record:
            current["attachments"] = [
                a for a in current["attachments"] if a["instance_id"] != instance_id
            ]
            if not current["attachments"] and current.get("delete_at") is None:
                current["delete_at"] = stamp(when)
                current["gone_at"] = clock.after(ctx, "volume-delete", when)
            current["state"] = volume_state(current, when) or "deleted"
            return current

        try:
            await _mutate_volume(ctx, volume_id, drop)
        except AwsError as error:
            if error.code != VOLUME.not_found_code:
                raise
    await _drop_devices(ctx, instance_id)


async def _instance(ctx: RequestContext, instance_id: str) -> Record:
    """The caller's instance record; a terminated one is as good as missing."""
    record = await records.get(ctx, INSTANCE, instance_id)
    if record.get("state") == "terminated":
        raise INSTANCE.not_found(instance_id)
    return record


@action("AttachVolume")
async def attach_volume(ctx: RequestContext, params: Params) -> Result:
    """Attach an ``available`` volume to a running or stopped instance in its zone."""
    volume_id = str(params["VolumeId"])
    instance_id = str(params["InstanceId"])
    device = str(params["Device"])
    check_device(device)
    volume = await get_volume(ctx, volume_id)
    instance = await _instance(ctx, instance_id)
    if instance.get("state") not in ("running", "stopped"):
        raise AwsError(
            "IncorrectInstanceState",
            f"Instance '{instance_id}' is not 'running' or 'stopped'.",
        )
    zone = instance.get("availability_zone")
    if zone and zone != volume["availability_zone"]:
        raise AwsError(
            "InvalidVolume.ZoneMismatch",
            f"The volume '{volume_id}' is not in the same availability zone as instance "
            f"'{instance_id}'",
        )
    slot = _device_slot(device)
    for other in await volumes_of_instance(ctx, instance_id):
        if other["VolumeId"] != volume_id and any(
            _device_slot(a["Device"]) == slot for a in other["Attachments"]
        ):
            raise device_in_use(device)
    return await _attach(
        ctx,
        volume_id,
        instance_id,
        device,
        delete_on_termination=False,
        delay="volume-attach",
    )


@action("DetachVolume")
async def detach_volume(ctx: RequestContext, params: Params) -> Result:
    """``detaching``, then gone; a volume not attached is ``IncorrectState``."""
    instance_id = params.get("InstanceId")
    if instance_id is not None:
        INSTANCE.check_id(str(instance_id))
    return await _detach(
        ctx,
        str(params["VolumeId"]),
        instance_id,
        params.get("Device"),
        delay="volume-detach",
    )
