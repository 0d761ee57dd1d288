"""An operator → account → user JWT chain and a ``.creds`` file, made without ``nsc``.

NATS decentralised auth (operator mode): the server trusts an operator JWT; the operator signs
account JWTs (preloaded into the server's memory resolver), an account signs user JWTs, and a
client proves it is the user by signing the server's nonce with the user's nkey seed. A
``.creds`` file holds the user JWT and that seed. JWTs are ``header.claims.signature`` with
base64url (unpadded) parts; ``alg`` is ``ed25519-nkey`` and the issuer's nkey signs
``header.claims`` (github.com/nats-io/jwt v2). Keys come from the ``nkeys`` package (ed25519).
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nkeys


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key(prefix: int) -> Any:
    """A fresh nkey pair of the given kind (``nkeys.PREFIX_BYTE_OPERATOR`` …)."""
    return nkeys.from_seed(nkeys.encode_seed(os.urandom(32), prefix))


def _public(key: Any) -> str:
    return str(key.public_key.decode())


def encode(issuer: Any, subject: str, name: str, nats: dict[str, Any]) -> str:
    """A JWT for ``subject`` signed by ``issuer``'s nkey."""
    header = {"typ": "JWT", "alg": "ed25519-nkey"}
    claims = {
        "jti": uuid.uuid4().hex.upper(),
        "iat": int(time.time()),
        "iss": _public(issuer),
        "name": name,
        "sub": subject,
        "nats": {**nats, "version": 2},
    }
    signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing}.{_b64(issuer.sign(signing.encode()))}"


UNLIMITED = {
    "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": True,
    "conn": -1, "leaf": -1,
    # JetStream on for the account (the gateway's KV buckets are JetStream streams)
    "mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1,
}  # fmt: skip


@dataclass(frozen=True)
class Chain:
    """What a test needs: the server's config lines and the user's ``.creds`` text."""

    server_config: str
    creds: str
    other_account_creds: str
    """A user of an account the server does not know (must be refused)."""


def _creds(jwt: str, seed: bytes) -> str:
    return (
        "-----BEGIN NATS USER JWT-----\n" + jwt + "\n------END NATS USER JWT------\n\n"
        "************************* IMPORTANT *************************\n"
        "NKEY Seed printed below can be used to sign and prove identity.\n\n"
        "-----BEGIN USER NKEY SEED-----\n" + seed.decode() + "\n------END USER NKEY SEED------\n"
    )


def _user(account: Any, name: str) -> str:
    user = new_key(nkeys.PREFIX_BYTE_USER)
    jwt = encode(
        account, _public(user), name, {"pub": {}, "sub": {}, "subs": -1, "data": -1,
                                        "payload": -1, "type": "user"},
    )  # fmt: skip
    return _creds(jwt, user.seed)


def chain() -> Chain:
    """A fresh operator with one JetStream-enabled account and one user of it."""
    operator = new_key(nkeys.PREFIX_BYTE_OPERATOR)
    account = new_key(nkeys.PREFIX_BYTE_ACCOUNT)
    system = new_key(nkeys.PREFIX_BYTE_ACCOUNT)
    stranger = new_key(nkeys.PREFIX_BYTE_ACCOUNT)
    operator_jwt = encode(operator, _public(operator), "test-operator", {"type": "operator"})
    account_jwt = encode(
        operator, _public(account), "gateway", {"limits": UNLIMITED, "type": "account"}
    )
    system_jwt = encode(operator, _public(system), "SYS", {"type": "account"})
    config = (
        f"operator: {operator_jwt}\n"
        f"system_account: {_public(system)}\n"
        "resolver: MEMORY\n"
        "resolver_preload: {\n"
        f"  {_public(account)}: {account_jwt}\n"
        f"  {_public(system)}: {system_jwt}\n"
        "}\n"
    )
    return Chain(config, _user(account, "gw"), _user(stranger, "stranger"))


def write_creds(path: Path, text: str) -> Path:
    """Write a ``.creds`` file readable by its owner only."""
    path.write_text(text)
    path.chmod(0o600)
    return path
