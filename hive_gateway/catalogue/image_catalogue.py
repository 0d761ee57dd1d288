"""The catalogue of public images every account can see (AMIs of the system account).

Hive serves its public images from the system/global account ``000000000000``; Terraform
configurations find them with::

    data "aws_ami" "debian" {
      most_recent = true
      owners      = ["000000000000"]          # or Debian's real account, "136693071363"
      filter { name = "name"                values = ["debian-12-amd64-*"] }
      filter { name = "virtualization-type" values = ["hvm"] }
    }

The built-in list (:data:`BUILTIN_IMAGES`) is plain data in the form of an image record
(``schemas/records/image.schema.json``): Debian 12 for amd64 and arm64 and Ubuntu 24.04 for amd64,
all owned by ``000000000000``. ``owner_aliases`` lists further account ids that select an image
through ``Owners=`` or the ``owner-id`` filter, so ``owners = ["136693071363"]`` (Debian's AWS
account) finds the Debian images and ``["099720109477"]`` (Canonical) the Ubuntu one, while the
reported ``OwnerId`` stays Hive's system account.

Configuration: ``hive-gateway serve --image-catalogue <path to a JSON file>`` (or the
environment variable ``HIVE_GATEWAY_IMAGE_CATALOGUE``). The file is either a
list of image entries, which extend the built-in list (an entry with a built-in ``image_id``
replaces that image), or an object ``{"replace": true|false, "images": [...]}`` where
``"replace": true`` drops the built-in list. Entries need ``image_id``, ``name`` and
``architecture``; everything else defaults as for the built-in images (public, available,
owner ``000000000000``, hvm, ebs root ``/dev/xvda`` of 8 GiB gp3 from ``snap-<same hex>``).
A malformed file fails the gateway at start-up, never a request.

Catalogue images are never stored: DescribeImages adds them to each account's view, and the
snapshots their block-device mappings name are public snapshots (:func:`catalogue_snapshots`)
from which volumes and root devices can be created.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Final

from kv.records import load_validator

from hive_gateway.config import SYSTEM_ACCOUNT_ID

ENV_VAR: Final = "HIVE_GATEWAY_IMAGE_CATALOGUE"
"""Environment variable naming the JSON file that extends or replaces the built-in images."""

DEBIAN_ACCOUNT_ID: Final = "136693071363"
CANONICAL_ACCOUNT_ID: Final = "099720109477"

Entry = dict[str, Any]


def _root(snapshot_id: str, device: str = "/dev/xvda", size: int = 8) -> list[Entry]:
    return [
        {
            "device_name": device,
            "ebs": {
                "snapshot_id": snapshot_id,
                "volume_size": size,
                "volume_type": "gp3",
                "delete_on_termination": True,
                "encrypted": False,
                "iops": 3000,
                "throughput": 125,
            },
        }
    ]


BUILTIN_IMAGES: Final[tuple[Entry, ...]] = (
    {
        "image_id": "ami-0deb12a6420240211",
        "name": "debian-12-amd64-20240211-1654",
        "description": "Debian 12 (20240211-1654)",
        "architecture": "x86_64",
        "creation_date": "2024-02-11T16:54:00.000Z",
        "owner_aliases": [DEBIAN_ACCOUNT_ID],
        "boot_mode": "uefi-preferred",
        "imds_support": "v2.0",
        "root_device_name": "/dev/xvda",
        "block_device_mappings": _root("snap-0deb12a6420240211"),
    },
    {
        "image_id": "ami-0deb12a4b20240211",
        "name": "debian-12-arm64-20240211-1654",
        "description": "Debian 12 (20240211-1654)",
        "architecture": "arm64",
        "creation_date": "2024-02-11T16:54:00.000Z",
        "owner_aliases": [DEBIAN_ACCOUNT_ID],
        "boot_mode": "uefi",
        "imds_support": "v2.0",
        "root_device_name": "/dev/xvda",
        "block_device_mappings": _root("snap-0deb12a4b20240211"),
    },
    {
        "image_id": "ami-0ab2404a642024042",
        "name": "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20240423",
        "description": "Canonical, Ubuntu, 24.04 LTS, amd64 noble image build on 2024-04-23",
        "architecture": "x86_64",
        "creation_date": "2024-04-23T08:41:31.000Z",
        "owner_aliases": [CANONICAL_ACCOUNT_ID],
        "boot_mode": "uefi-preferred",
        "root_device_name": "/dev/sda1",
        "block_device_mappings": _root("snap-0ab2404a642024042", device="/dev/sda1"),
    },
)


class CatalogueError(ValueError):
    """The configured catalogue file cannot be used."""


def complete(entry: Mapping[str, Any]) -> Entry:
    """A catalogue entry with every default filled in, validated against the image schema."""
    for required in ("image_id", "name", "architecture"):
        if not entry.get(required):
            raise CatalogueError(f"catalogue entry {dict(entry)!r} has no {required!r}")
    image: Entry = copy.deepcopy(dict(entry))
    hex_part = str(image["image_id"]).removeprefix("ami-")
    image.setdefault("owner_id", SYSTEM_ACCOUNT_ID)
    image.setdefault("owner_aliases", [])
    image.setdefault("state", "available")
    image.setdefault("public", True)
    image.setdefault("shared_with", [])
    image.setdefault("description", "")
    image.setdefault("virtualization_type", "hvm")
    image.setdefault("hypervisor", "xen")
    image.setdefault("image_type", "machine")
    image.setdefault("root_device_type", "ebs")
    image.setdefault("root_device_name", "/dev/xvda")
    image.setdefault("ena_support", True)
    image.setdefault("sriov_net_support", "simple")
    image.setdefault("platform_details", "Linux/UNIX")
    image.setdefault("usage_operation", "RunInstances")
    image.setdefault("creation_date", "2024-01-01T00:00:00.000Z")
    image.setdefault("product_codes", [])
    image.setdefault("tags", {})
    if "block_device_mappings" not in image:
        image["block_device_mappings"] = (
            _root(f"snap-{hex_part}", image["root_device_name"])
            if image["root_device_type"] == "ebs"
            else []
        )
    image.setdefault("image_location", f"{image['owner_id']}/{image['name']}")
    error = next(iter(load_validator("image").iter_errors(image)), None)
    if error is not None:
        raise CatalogueError(
            f"catalogue image {image['image_id']}: {error.json_path}: {error.message}"
        )
    return image


def _read_file(path: Path) -> tuple[bool, list[Mapping[str, Any]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"{ENV_VAR}={path}: {exc}") from exc
    if isinstance(data, list):
        return False, data
    if isinstance(data, dict) and isinstance(data.get("images"), list):
        return bool(data.get("replace", False)), data["images"]
    raise CatalogueError(
        f'{ENV_VAR}={path}: expected a list of images or {{"replace": bool, "images": [...]}}'
    )


def build(extra: Sequence[Mapping[str, Any]] = (), *, replace: bool = False) -> tuple[Entry, ...]:
    """The catalogue: the built-in images (unless ``replace``) overlaid with ``extra``."""
    images: dict[str, Entry] = {}
    for builtin in () if replace else BUILTIN_IMAGES:
        images[builtin["image_id"]] = complete(builtin)
    for entry in extra:
        if not isinstance(entry, Mapping):
            raise CatalogueError(f"catalogue entry {entry!r} is not an object")
        image = complete(entry)
        images[image["image_id"]] = image
    names: dict[tuple[str, str], str] = {}
    for image in images.values():
        key = (image["owner_id"], image["name"])
        if key in names:
            raise CatalogueError(
                f"catalogue images {names[key]} and {image['image_id']} share the name {key[1]!r}"
            )
        names[key] = image["image_id"]
    return tuple(sorted(images.values(), key=lambda image: str(image["image_id"])))


_configured_path: Path | None = None


def configure(path: Path | None) -> tuple[Entry, ...]:
    """Use the catalogue file ``path`` (``hive-gateway serve --image-catalogue``; ``None``:
    ``$HIVE_GATEWAY_IMAGE_CATALOGUE`` or the built-in list). Loads it now, so a bad file fails
    at start-up; returns the catalogue in effect."""
    global _configured_path
    _configured_path = path
    return reload()


@cache
def catalogue() -> tuple[Entry, ...]:
    """The catalogue in effect (built-in, plus the configured file); cached."""
    configured = _configured_path or (
        Path(os.environ[ENV_VAR]) if os.environ.get(ENV_VAR) else None
    )
    if configured is None:
        return build()
    replace, extra = _read_file(configured)
    return build(extra, replace=replace)


def reload() -> tuple[Entry, ...]:
    """Forget the cached catalogue and read it again (tests; configuration changes)."""
    catalogue.cache_clear()
    _by_id.cache_clear()
    _snapshots.cache_clear()
    return catalogue()


@cache
def _by_id() -> dict[str, Entry]:
    return {image["image_id"]: image for image in catalogue()}


def find_image(image_id: str) -> Entry | None:
    """A deep copy of the catalogue image ``image_id``, or ``None``."""
    found = _by_id().get(image_id)
    return copy.deepcopy(found) if found is not None else None


@cache
def _snapshots() -> dict[str, Entry]:
    snapshots: dict[str, Entry] = {}
    for image in catalogue():
        for mapping in image["block_device_mappings"]:
            ebs = mapping.get("ebs") or {}
            snapshot_id = ebs.get("snapshot_id")
            if not snapshot_id:
                continue
            snapshots[snapshot_id] = {
                "snapshot_id": snapshot_id,
                "volume_id": "vol-ffffffff",
                "volume_size": int(ebs.get("volume_size", 8)),
                "state": "completed",
                "progress": "100%",
                "start_time": image["creation_date"],
                "completed_at": image["creation_date"],
                "description": f"Snapshot of {image['name']}",
                "encrypted": bool(ebs.get("encrypted", False)),
                "owner_id": image["owner_id"],
                "owner_aliases": list(image.get("owner_aliases", [])),
                "storage_tier": "standard",
                "public": bool(image["public"]),
                "shared_with": list(image.get("shared_with", [])),
                "tags": {},
            }
    return snapshots


def catalogue_snapshots() -> list[Entry]:
    """The public snapshots behind the catalogue images, as snapshot records."""
    return [copy.deepcopy(s) for _, s in sorted(_snapshots().items())]


def find_snapshot(snapshot_id: str) -> Entry | None:
    """A deep copy of the catalogue snapshot ``snapshot_id``, or ``None``."""
    found = _snapshots().get(snapshot_id)
    return copy.deepcopy(found) if found is not None else None
