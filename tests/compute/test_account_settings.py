"""EBS encryption by default, the EBS default KMS key and serial console access, through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers import account_settings
from kv.buckets import bucket_name
from tests.fixtures.gateway import RunningGateway
from tests.helpers import admin_send, assert_matches_model, error_of, request_context

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def stored(gateway: RunningGateway, account_id: str = "000000000001") -> dict[str, Any] | None:
    """The raw record under Hive's key ``<account>`` in ``<prefix>-ec2-account-settings``."""

    async def read() -> dict[str, Any] | None:
        settings = gateway.runtime.settings
        bucket = await gateway.runtime.store.bucket(bucket_name(settings.bucket_prefix, "account_settings"))
        entry = await bucket.get(account_id)
        return None if entry is None else dict(json.loads(entry.value))

    return gateway.run(read())


def test_ebs_encryption_by_default(gateway: RunningGateway, ec2: Any) -> None:
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert stored(gateway) is None  # nothing is written until something changes
    assert ec2.enable_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert ec2.enable_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True  # idempotent
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert stored(gateway) == {"ebs_encryption_by_default": True, "serial_console_access": False}
    assert gateway.run(account_settings.ebs_encryption_by_default(request_context(gateway))) is True
    assert ec2.disable_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert gateway.run(account_settings.ebs_encryption_by_default(request_context(gateway))) is False


def test_serial_console_access(gateway: RunningGateway, ec2: Any) -> None:
    status = ec2.get_serial_console_access_status()
    assert status["SerialConsoleAccessEnabled"] is False and status["ManagedBy"] == "account"
    assert ec2.enable_serial_console_access()["SerialConsoleAccessEnabled"] is True
    assert ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is True
    assert stored(gateway) == {"ebs_encryption_by_default": False, "serial_console_access": True}
    assert ec2.disable_serial_console_access()["SerialConsoleAccessEnabled"] is False
    assert ec2.disable_serial_console_access()["SerialConsoleAccessEnabled"] is False
    assert ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is False


def test_settings_are_independent(ec2: Any) -> None:
    ec2.enable_ebs_encryption_by_default()
    ec2.enable_serial_console_access()
    ec2.disable_ebs_encryption_by_default()
    assert ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is True
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False


def test_ebs_default_kms_key(gateway: RunningGateway, ec2: Any) -> None:
    region = gateway.settings.region
    assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"] == "alias/aws/ebs"
    cases = {
        KEY_ID: f"arn:aws:kms:{region}:000000000001:key/{KEY_ID}",
        "mrk-1234abcd12ab34cd56ef1234567890ab": f"arn:aws:kms:{region}:000000000001:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "alias/my-ebs": f"arn:aws:kms:{region}:000000000001:alias/my-ebs",
        f"arn:aws:kms:us-east-1:111122223333:key/{KEY_ID}": f"arn:aws:kms:us-east-1:111122223333:key/{KEY_ID}",
        "arn:aws:kms:us-east-1:111122223333:alias/x": "arn:aws:kms:us-east-1:111122223333:alias/x",
    }
    for given, arn in cases.items():
        assert ec2.modify_ebs_default_kms_key_id(KmsKeyId=given)["KmsKeyId"] == arn
        assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"] == arn
        assert gateway.run(account_settings.ebs_default_kms_key_id(request_context(gateway))) == arn
    record = stored(gateway)
    assert record is not None and record["ebs_default_kms_key_id"] == "arn:aws:kms:us-east-1:111122223333:alias/x"
    assert ec2.reset_ebs_default_kms_key_id()["KmsKeyId"] == "alias/aws/ebs"
    assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"] == "alias/aws/ebs"
    assert stored(gateway) == {"ebs_encryption_by_default": False, "serial_console_access": False}


@pytest.mark.parametrize("key", ["not a key", "1234", "alias/", "arn:aws:s3:::bucket"])
def test_invalid_kms_key(ec2: Any, key: str) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.modify_ebs_default_kms_key_id(KmsKeyId=key)
    assert error_of(exc) == ("InvalidParameterValue", f"Value ({key}) for parameter kmsKeyId is invalid.")
    assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"] == "alias/aws/ebs"


def test_hive_written_record_is_read(gateway: RunningGateway, ec2: Any) -> None:
    """Hive writes exactly its two booleans under ``<account>``; we read and keep them."""

    async def write() -> None:
        settings = gateway.runtime.settings
        bucket = await gateway.runtime.store.bucket(bucket_name(settings.bucket_prefix, "account_settings"))
        await bucket.put("000000000001", b'{"ebs_encryption_by_default":true,"serial_console_access":true}')

    gateway.run(write())
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is True
    assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"] == "alias/aws/ebs"
    ec2.disable_serial_console_access()
    assert stored(gateway) == {"ebs_encryption_by_default": True, "serial_console_access": False}


def test_tenant_isolation(gateway: RunningGateway, ec2: Any) -> None:
    creds = gateway.create_account("tenant-settings")
    other = gateway.client("ec2", creds=creds)
    ec2.enable_ebs_encryption_by_default()
    ec2.enable_serial_console_access()
    ec2.modify_ebs_default_kms_key_id(KmsKeyId=KEY_ID)
    assert other.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert other.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is False
    assert other.get_ebs_default_kms_key_id()["KmsKeyId"] == "alias/aws/ebs"
    other.enable_ebs_encryption_by_default()
    other.disable_ebs_encryption_by_default()
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert stored(gateway, creds.account_id) == {"ebs_encryption_by_default": False, "serial_console_access": False}


def test_dry_run(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.enable_ebs_encryption_by_default(DryRun=True)
    assert error_of(exc)[0] == "DryRunOperation"
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False


@pytest.mark.parametrize(
    ("action", "element"),
    [
        ("GetEbsEncryptionByDefault", "<ebsEncryptionByDefault>false</ebsEncryptionByDefault>"),
        ("EnableEbsEncryptionByDefault", "<ebsEncryptionByDefault>true</ebsEncryptionByDefault>"),
        ("GetEbsDefaultKmsKeyId", "<kmsKeyId>alias/aws/ebs</kmsKeyId>"),
        ("ResetEbsDefaultKmsKeyId", "<kmsKeyId>alias/aws/ebs</kmsKeyId>"),
        ("GetSerialConsoleAccessStatus", "<managedBy>account</managedBy>"),
        ("EnableSerialConsoleAccess", "<serialConsoleAccessEnabled>true</serialConsoleAccessEnabled>"),
        ("DisableSerialConsoleAccess", "<serialConsoleAccessEnabled>false</serialConsoleAccessEnabled>"),
    ],
)
def test_wire_format(gateway: RunningGateway, action: str, element: str) -> None:
    answer = admin_send(gateway, f"Action={action}&Version=2016-11-15")
    assert answer.status == 200
    assert_matches_model(answer.body, action)
    assert element in answer.text
