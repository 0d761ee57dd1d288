"""``DeregisterImage``, and the images that keep a snapshot from being deleted."""

from __future__ import annotations

from handlers.ebs.image_common import IMAGE, image_state
from handlers.ebs.image_register import _release_name
from handlers.ebs.image_views import get_own_image
from handlers.ebs.snapshot_records import SNAPSHOT, get_own_snapshot
from hive_gateway.core import clock, dependents, records
from hive_gateway.core.clock import now, stamp
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action


def _uses_snapshot(image: Record, snapshot: Record) -> bool:
    """Whether one of ``image``'s block device mappings restores ``snapshot``."""
    return any(
        (mapping.get("ebs") or {}).get("snapshot_id") == snapshot.get("snapshot_id")
        for mapping in image.get("block_device_mappings") or ()
    )


# A registered image holds on to the snapshots it restores (DeleteSnapshot answers
# InvalidSnapshot.InUse naming the first such image).
dependents.blocks(
    "snapshot",
    by="image",
    where=_uses_snapshot,
    unless=lambda image: image_state(image, now()) in (None, "deregistered"),
)


async def images_using_snapshot(ctx: RequestContext, snapshot_id: str) -> list[str]:
    """The caller's registered (not deregistered) images whose mappings use ``snapshot_id``."""
    at = now()
    users: list[str] = []
    for record in await records.list_records(ctx, IMAGE):
        if image_state(record, at) in (None, "deregistered"):
            continue
        for mapping in record.get("block_device_mappings") or ():
            if (mapping.get("ebs") or {}).get("snapshot_id") == snapshot_id:
                users.append(str(record["image_id"]))
                break
    return sorted(users)


@action("DeregisterImage")
async def deregister_image(ctx: RequestContext, params: Params) -> Result:
    """``deregistered`` for a short while, then unknown; optionally deletes its snapshots."""
    image_id = str(params["ImageId"])
    view = await get_own_image(ctx, image_id)
    if view.api["State"] == "deregistered":
        raise AwsError(
            "InvalidAMIID.Unavailable", f"The image id '[{image_id}]' is no longer available"
        )

    def mark(record: Record) -> Record:
        at = now()
        if record.get("deregistered_at") is None:
            record["deregistered_at"] = stamp(at)
            record["gone_at"] = clock.after(ctx, "image-deregistered", at)
        record["state"] = "deregistered"
        return record

    await records.mutate(ctx, IMAGE, image_id, mark)
    await _release_name(ctx, str(view.record["name"]), image_id)
    result: Record = {"Return": True}
    if params.get("DeleteAssociatedSnapshots"):
        outcomes: list[Record] = []
        for mapping in view.record.get("block_device_mappings") or ():
            snapshot_id = (mapping.get("ebs") or {}).get("snapshot_id")
            if not snapshot_id:
                continue
            code = "success"
            try:
                await get_own_snapshot(ctx, str(snapshot_id))
                if await images_using_snapshot(ctx, str(snapshot_id)):
                    code = "skipped"
                else:
                    await records.delete(ctx, SNAPSHOT, str(snapshot_id))
            except AwsError as error:
                code = (
                    "missing-permissions"
                    if error.code == "UnauthorizedOperation"
                    else "client-error"
                )
            outcomes.append({"SnapshotId": snapshot_id, "ReturnCode": code})
        result["DeleteSnapshotResults"] = outcomes
    return result
