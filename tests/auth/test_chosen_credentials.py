"""An admin key the user chooses (``test``/``test``, the emulator habit) signs real requests."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.gateway import Credentials, RunningGateway
from tests.helpers import ADMIN, code


@pytest.mark.parametrize("akid", ["test", "t.e+s=t!~"])
def test_chosen_admin_key_signs_boto3_requests(gateway: RunningGateway, akid: str) -> None:
    admin = gateway.run(gateway.runtime.accounts.bootstrap(akid, "test"))
    assert admin.access_key_id == akid
    creds = Credentials(ADMIN, akid, "test")
    identity = gateway.client("sts", creds).get_caller_identity()
    assert identity["Account"] == ADMIN
    ec2 = gateway.client("ec2", creds)
    assert ec2.describe_regions(RegionNames=["ap-southeast-2"])["Regions"]
    with pytest.raises(ClientError) as wrong:
        gateway.client("ec2", Credentials(ADMIN, akid, "nottest")).describe_regions()
    assert code(wrong) == "SignatureDoesNotMatch"


def test_chosen_key_works_on_nats(nats_gateway: RunningGateway) -> None:
    nats_gateway.run(nats_gateway.runtime.accounts.bootstrap("te=st", "test"))
    creds = Credentials(ADMIN, "te=st", "test")
    assert nats_gateway.client("sts", creds).get_caller_identity()["Account"] == ADMIN


def test_unknown_short_key_is_refused(gateway: RunningGateway) -> None:
    with pytest.raises(ClientError) as refused:
        gateway.client("ec2", Credentials(ADMIN, "nope", "test")).describe_regions()
    assert code(refused) == "InvalidClientTokenId"
