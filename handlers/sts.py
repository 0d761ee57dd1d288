"""STS: who is calling (``GetCallerIdentity``).

The identity matches what EC2 answers elsewhere: ``Account`` is the ``OwnerId`` of every
resource the caller creates, and ``Arn`` is the IAM user the access key belongs to::

    <GetCallerIdentityResult><UserId>AIDA…</UserId><Account>000000000001</Account>
      <Arn>arn:aws:iam::000000000001:user/admin</Arn></GetCallerIdentityResult>
"""

from __future__ import annotations

import hashlib

from hive_gateway.core.context import RequestContext
from hive_gateway.core.registry import Params, Result, action


def user_id(account_id: str, user_name: str) -> str:
    """A stable IAM-style unique id (``AIDA`` + 17 upper-case characters) for a user."""
    digest = hashlib.sha256(f"{account_id}:{user_name}".encode()).hexdigest().upper()
    return f"AIDA{digest[:17]}"


@action("GetCallerIdentity", service="sts")
async def get_caller_identity(ctx: RequestContext, params: Params) -> Result:
    """The caller's account, user ARN and user id."""
    return {
        "UserId": user_id(ctx.account_id, ctx.user_name),
        "Account": ctx.account_id,
        "Arn": f"arn:aws:iam::{ctx.account_id}:user/{ctx.user_name}",
    }
