"""EC2 account settings: EBS encryption by default, the EBS default KMS key, serial console access.

Operations (names as in botocore's model): ``GetEbsEncryptionByDefault``,
``EnableEbsEncryptionByDefault``, ``DisableEbsEncryptionByDefault``, ``GetEbsDefaultKmsKeyId``,
``ModifyEbsDefaultKmsKeyId``, ``ResetEbsDefaultKmsKeyId``, ``GetSerialConsoleAccessStatus``,
``EnableSerialConsoleAccess``, ``DisableSerialConsoleAccess``.

AWS behaviour reproduced:

* everything is off for a new account; Enable/Disable answer the new value
  (``<ebsEncryptionByDefault>true</ebsEncryptionByDefault>``) and are idempotent;
* the EBS default KMS key is ``alias/aws/ebs`` until modified. ``ModifyEbsDefaultKmsKeyId``
  accepts a key id, a key alias, a key ARN or an alias ARN and answers the ARN (there is no KMS
  here to resolve an alias to its key, so an alias becomes an alias ARN)::

      ModifyEbsDefaultKmsKeyId KmsKeyId=1234abcd-12ab-34cd-56ef-1234567890ab
      → <kmsKeyId>arn:aws:kms:<region>:<account>:key/1234abcd-12ab-34cd-56ef-1234567890ab</kmsKeyId>

  ``ResetEbsDefaultKmsKeyId`` restores ``alias/aws/ebs``;
* ``GetSerialConsoleAccessStatus`` reports ``ManagedBy=account``.

The record is Hive's, ``<prefix>-ec2-account-settings`` key ``<account>``:
``{ebs_encryption_by_default, serial_console_access}`` plus our ``ebs_default_kms_key_id``.
Writes are compare-and-swap (Hive's are plain puts).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import invalid_parameter_value
from hive_gateway.core.registry import Params, Result, action

DEFAULT_KMS_KEY_ID: Final = "alias/aws/ebs"
SCHEMA: Final = "account_settings"
BUCKET: Final = "account_settings"

_KEY_ID: Final = re.compile(
    r"(mrk-[0-9a-f]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
)
_ALIAS: Final = re.compile(r"alias/[a-zA-Z0-9/_-]{1,250}")
_ARN: Final = re.compile(
    r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/\S+|alias/[a-zA-Z0-9/_-]{1,250})"
)


def _defaults() -> dict[str, Any]:
    return {"ebs_encryption_by_default": False, "serial_console_access": False}


SETTINGS: Final = records.Documents(BUCKET, SCHEMA)
"""Hive's ``ec2-account-settings`` bucket: one document per account, keyed by the account id."""


async def settings(ctx: RequestContext) -> dict[str, Any]:
    """The caller's account settings (defaults when never written)."""
    found = await records.account_doc_get(ctx, SETTINGS)
    return {**_defaults(), **(found or {})}


async def _change(ctx: RequestContext, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Compare-and-swap ``change`` into the caller's settings; returns the stored record."""

    def apply(current: dict[str, Any] | None) -> dict[str, Any]:
        record = {**_defaults(), **(current or {})}
        change(record)
        return record

    stored = await records.account_doc_mutate(ctx, SETTINGS, apply)
    assert stored is not None
    return stored


async def ebs_encryption_by_default(ctx: RequestContext) -> bool:
    """Whether new volumes of the caller's account are encrypted by default (CreateVolume)."""
    return bool((await settings(ctx))["ebs_encryption_by_default"])


async def ebs_default_kms_key_id(ctx: RequestContext) -> str:
    """The KMS key new encrypted volumes get when none is named (``alias/aws/ebs`` by default)."""
    return str((await settings(ctx)).get("ebs_default_kms_key_id") or DEFAULT_KMS_KEY_ID)


def kms_key_arn(ctx: RequestContext, key: str) -> str:
    """A key id, alias, key ARN or alias ARN as the ARN AWS answers; else ``InvalidParameterValue``."""
    if _ARN.fullmatch(key):
        return key
    if _KEY_ID.fullmatch(key):
        return f"arn:aws:kms:{ctx.region}:{ctx.account_id}:key/{key}"
    if _ALIAS.fullmatch(key):
        return f"arn:aws:kms:{ctx.region}:{ctx.account_id}:{key}"
    raise invalid_parameter_value(f"Value ({key}) for parameter kmsKeyId is invalid.")


def _setter(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def set_field(record: dict[str, Any]) -> None:
        record[field] = value

    return set_field


def _drop(field: str) -> Callable[[dict[str, Any]], None]:
    def drop(record: dict[str, Any]) -> None:
        record.pop(field, None)

    return drop


# --- EBS encryption by default -------------------------------------------------------------------


@action("GetEbsEncryptionByDefault")
async def get_ebs_encryption_by_default(ctx: RequestContext, params: Params) -> Result:
    """Whether EBS encryption by default is on."""
    return {"EbsEncryptionByDefault": await ebs_encryption_by_default(ctx)}


@action("EnableEbsEncryptionByDefault")
async def enable_ebs_encryption_by_default(ctx: RequestContext, params: Params) -> Result:
    """Turn EBS encryption by default on; answers the new value."""
    stored = await _change(ctx, _setter("ebs_encryption_by_default", True))
    return {"EbsEncryptionByDefault": bool(stored["ebs_encryption_by_default"])}


@action("DisableEbsEncryptionByDefault")
async def disable_ebs_encryption_by_default(ctx: RequestContext, params: Params) -> Result:
    """Turn EBS encryption by default off; answers the new value."""
    stored = await _change(ctx, _setter("ebs_encryption_by_default", False))
    return {"EbsEncryptionByDefault": bool(stored["ebs_encryption_by_default"])}


# --- EBS default KMS key -------------------------------------------------------------------------


@action("GetEbsDefaultKmsKeyId")
async def get_ebs_default_kms_key_id(ctx: RequestContext, params: Params) -> Result:
    """The default KMS key for EBS encryption."""
    return {"KmsKeyId": await ebs_default_kms_key_id(ctx)}


@action("ModifyEbsDefaultKmsKeyId")
async def modify_ebs_default_kms_key_id(ctx: RequestContext, params: Params) -> Result:
    """Set the default KMS key; answers its ARN."""
    arn = kms_key_arn(ctx, str(params["KmsKeyId"]))
    await _change(ctx, _setter("ebs_default_kms_key_id", arn))
    return {"KmsKeyId": arn}


@action("ResetEbsDefaultKmsKeyId")
async def reset_ebs_default_kms_key_id(ctx: RequestContext, params: Params) -> Result:
    """Back to the AWS managed key ``alias/aws/ebs``."""
    await _change(ctx, _drop("ebs_default_kms_key_id"))
    return {"KmsKeyId": DEFAULT_KMS_KEY_ID}


# --- serial console --------------------------------------------------------------------------------


@action("GetSerialConsoleAccessStatus")
async def get_serial_console_access_status(ctx: RequestContext, params: Params) -> Result:
    """Whether serial console access is on (managed by the account)."""
    enabled = bool((await settings(ctx))["serial_console_access"])
    return {"SerialConsoleAccessEnabled": enabled, "ManagedBy": "account"}


@action("EnableSerialConsoleAccess")
async def enable_serial_console_access(ctx: RequestContext, params: Params) -> Result:
    """Turn serial console access on; answers the new value."""
    stored = await _change(ctx, _setter("serial_console_access", True))
    return {"SerialConsoleAccessEnabled": bool(stored["serial_console_access"])}


@action("DisableSerialConsoleAccess")
async def disable_serial_console_access(ctx: RequestContext, params: Params) -> Result:
    """Turn serial console access off; answers the new value."""
    stored = await _change(ctx, _setter("serial_console_access", False))
    return {"SerialConsoleAccessEnabled": bool(stored["serial_console_access"])}
