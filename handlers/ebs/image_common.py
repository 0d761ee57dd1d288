"""AMI kinds, id and name rules, the catalogue read at start, image states."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from hive_gateway.catalogue import image_catalogue
from hive_gateway.core.clock import reached
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
)
from hive_gateway.core.kinds import KINDS, Record, live

IMAGE: Final = KINDS["image"]


_IMAGE_ID: Final = re.compile(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")


_AMI_NAME: Final = re.compile(r"^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$")


OWNER_ALIASES: Final = ("amazon", "aws-marketplace", "aws-backup-vault")


DEFAULT_BDM_VOLUME_TYPE: Final = "gp2"


catalogue_at_start = image_catalogue.catalogue()
"""Read at import so a bad ``HIVE_GATEWAY_IMAGE_CATALOGUE`` fails the gateway at start-up."""


# --- ids, names, errors ------------------------------------------------------------------------


def check_image_id(image_id: str) -> None:
    """``InvalidAMIID.Malformed`` unless ``ami-`` + 8 or 17 hex digits."""
    if not _IMAGE_ID.match(image_id):
        raise AwsError("InvalidAMIID.Malformed", f'Invalid id: "{image_id}" (expecting "ami-...")')


def image_not_found(image_ids: Sequence[str]) -> AwsError:
    """``InvalidAMIID.NotFound`` for one id or several."""
    if len(image_ids) == 1:
        return IMAGE.not_found(image_ids[0])
    return AwsError(
        "InvalidAMIID.NotFound", f"The image ids '[{', '.join(image_ids)}]' do not exist"
    )


def not_authorized(image_id: str) -> AwsError:
    """An image the caller can see but does not own."""
    return AwsError("AuthFailure", f"Not authorized for image:{image_id}")


def check_name(name: str) -> None:
    """AWS's AMI name rule."""
    if not _AMI_NAME.match(name):
        raise AwsError(
            "InvalidAMIName.Malformed",
            "AMI names must be between 3 and 128 characters long, and may contain letters, "
            "numbers, '(', ')', '.', '-', '/' and '_'",
        )


# --- state and rendering -----------------------------------------------------------------------


def image_state(record: Mapping[str, Any], at: datetime) -> str | None:
    """The visible ``State`` (``None`` once a deregistration has run its course)."""
    if record.get("deregistered_at") is not None:
        return None if reached(record.get("gone_at"), at) else "deregistered"
    if not reached(record.get("available_at"), at):
        return "pending"
    stored = str(record.get("state", "available"))
    return "available" if stored == "pending" else stored


@live("image")
def image_live(ctx: RequestContext, record: Record, at: datetime) -> bool:
    """A deregistered image shows as ``deregistered`` until ``gone_at``, then its id is unknown
    (``InvalidAMIID.NotFound``) to every action."""
    return image_state(record, at) is not None
