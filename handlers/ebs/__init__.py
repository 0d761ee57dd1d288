"""EBS: volumes, snapshots and AMIs (images), one module per job.

Volumes
-------
EBS volumes: create, delete, describe, modify, attach, detach, status and attributes.

The volume record (``volumes`` bucket, ``<account>.<vol-id>``) is the only place attachments live:
an instance's block-device mappings are derived from the volumes attached to it
(:func:`volumes_of_instance`).

State transitions are computed lazily: a write stores *when* each transition happens
(``available_at``, ``gone_at``, ``attachments[].attached_at``/``detached_at``, the
modification's ``optimizing_at``/``completed_at``) and every read derives the visible state from
the clock, so there are no background tasks and restarts or several gateways agree::

    CreateVolume        → creating, then available after settings.timings.volume_create
    AttachVolume        → attachment attaching, then attached; volume in-use
    DetachVolume        → attachment detaching, then gone; volume available
    DeleteVolume        → deleting, then InvalidVolume.NotFound
    ModifyVolume        → modifying → optimizing → completed (Size etc. show the target at once)

AWS rules reproduced: ``VolumeType`` defaults to ``gp2`` (CreateVolume's documented default);
size bounds per type (gp2 1–16384, gp3 1–65536, io1 4–16384, io2 4–65536, st1/sc1 125–16384,
standard 1–1024 GiB); gp3 defaults to 3000 IOPS and 125 MiB/s; io1/io2 need ``Iops``
(``InvalidParameterCombination: The parameter iops must be specified for io1 volumes.``);
IOPS/size and throughput/IOPS ratios; ``Encrypted`` defaults to the account's
encryption-by-default setting; a volume from a snapshot is at least the snapshot's size and
inherits its encryption; ``ClientToken`` makes CreateVolume idempotent
(``IdempotentParameterMismatch`` when reused with other parameters); an attached volume cannot
be deleted (``VolumeInUse: Volume vol-… is currently attached to i-…``); detaching a volume that
is not attached is ``IncorrectState: Volume 'vol-…' is in the 'available' state.`` (the provider
treats that message as "already detached").

Concurrency: the attach rules are compare-and-swap writes, never scan-then-write. The volume
record decides "is this volume free" (ten racing AttachVolume calls → one attachment, nine
``VolumeInUse``), and a device claim (``<account>.<i-id>.<device>`` in the
:data:`~hive_gateway.core.claims.DEVICE_SLOTS` space) decides "is this device free on that
instance".

Snapshots
---------
EBS snapshots: create, delete, describe, copy, and the ``createVolumePermission`` attribute.

Records live in the ``snapshots`` bucket under ``<account>.<snap-id>`` with the fields Hive keeps
in ``<snap-id>/metadata.json`` (``snapshot_id, volume_id, volume_size, state, progress,
start_time, description, encrypted, owner_id, availability_zone, tags``). A new snapshot is
``pending`` until ``completed_at`` (``settings.timings.snapshot_complete`` later), computed
at read time like every transition here; ``Progress`` grows with the clock and is ``100%`` once
``completed``.

Visibility follows AWS: the caller sees their own snapshots, snapshots other accounts shared with
them (``createVolumePermission`` user ids), public ones (group ``all``) and the public snapshots
behind the catalogue images. Another tenant's private snapshot is indistinguishable from a
missing one (``InvalidSnapshot.NotFound: The snapshot 'snap-…' does not exist.``); deleting or
re-permissioning a snapshot one can see but does not own is ``UnauthorizedOperation`` (Hive's
answer for a cross-account delete). A snapshot that backs a registered image of its owner cannot
be deleted: ``InvalidSnapshot.InUse: The snapshot snap-… is currently in use by ami-…``.

``CopySnapshot`` copies within the gateway's one region: the copy gets a new id, AWS's
placeholder volume id ``vol-ffffffff`` and AWS's default description
``[Copied snap-… from <region>]``.

Images
------
AMIs: the public catalogue, RegisterImage/CreateImage/DeregisterImage, DescribeImages,
image attributes and GetInstanceUefiData.

Every account sees the catalogue images (:mod:`hive_gateway.catalogue.image_catalogue`, owned by the system
account ``000000000000``; ``HIVE_GATEWAY_IMAGE_CATALOGUE`` extends or replaces them), its own
images, images other accounts shared with it (``launchPermission`` user ids) and public ones
(group ``all``). Another account's private image is indistinguishable from a missing one
(``InvalidAMIID.NotFound: The image id '[ami-…]' does not exist``).

Images an account registers live in the ``images`` bucket (``<account>.<ami-id>``). States are
computed lazily from stored times: ``CreateImage``/``RegisterImage`` give ``pending`` until
``available_at``; ``DeregisterImage`` gives ``deregistered`` until ``gone_at``, then the id is
unknown (the provider's finder maps ``deregistered`` to "gone" anyway).

AWS rules reproduced: AMI names are 3–128 characters of letters, digits and ``()[] ./-'@_``
(``InvalidAMIName.Malformed``) and unique per account (``InvalidAMIName.Duplicate``, claimed by
compare-and-swap so concurrent registrations cannot both win); ``RegisterImage`` defaults to
``i386``/``paravirtual`` as documented; deprecated images are listed only with
``IncludeDeprecated`` (or by id, or to their owner), disabled ones only with
``IncludeDisabled``; ``Owners`` accepts ``self``, ``amazon``, ``aws-marketplace``,
``aws-backup-vault`` and account ids (``InvalidUserID.Malformed`` otherwise); attribute actions on
an image one can see but does not own (every catalogue image) are
``AuthFailure: Not authorized for image:ami-…``; ``ModifyImageAttribute`` that changes nothing
writes nothing (Hive's guard against ``aws_ami`` refresh churn).
"""

from __future__ import annotations

from handlers.ebs import (
    attachments,
    devices,
    image_attributes,
    image_common,
    image_create,
    image_deregister,
    image_describe,
    image_register,
    image_views,
    snapshot_records,
    snapshot_sharing,
    snapshots,
    volume_attributes,
    volume_describe,
    volume_lifecycle,
    volume_records,
    volume_types,
    volume_views,
)
from handlers.ebs.attachments import (
    attach,
    create_root_volume,
    delete_on_termination,
    detach_all,
    volumes_of_instance,
)
from handlers.ebs.image_register import _name_claim
from handlers.ebs.image_views import get_image
from handlers.ebs.volume_lifecycle import build_spec
from handlers.ebs.volume_records import visible_volumes
from handlers.ebs.volume_views import volume_to_api

__all__ = [
    "_name_claim",
    "attach",
    "attachments",
    "build_spec",
    "create_root_volume",
    "delete_on_termination",
    "detach_all",
    "devices",
    "get_image",
    "image_attributes",
    "image_common",
    "image_create",
    "image_deregister",
    "image_describe",
    "image_register",
    "image_views",
    "snapshot_records",
    "snapshot_sharing",
    "snapshots",
    "visible_volumes",
    "volume_attributes",
    "volume_describe",
    "volume_lifecycle",
    "volume_records",
    "volume_to_api",
    "volume_types",
    "volume_views",
    "volumes_of_instance",
]
