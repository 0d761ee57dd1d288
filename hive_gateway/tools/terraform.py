"""``hive-gateway terraform [OPTIONS] [ARGS…]``: Terraform or OpenTofu against the gateway, with
the configuration in the current directory left as it is (what ``tflocal`` is for LocalStack).

Every ``aws`` provider block of the module (aliased ones included) is pointed at the gateway by a
temporary override (:mod:`hive_gateway.tools.tf_override`), removed when the command ends — also
when it fails or is interrupted (Ctrl-C reaches terraform too, which stops cleanly; SIGTERM is
forwarded). Options come before the terraform arguments; everything from the first argument that
is not one of them is passed to terraform unchanged.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from hive_gateway.config import DEFAULT_PORT, DEFAULT_REGION
from hive_gateway.tools.tf_override import Target, overridden

USAGE = f"""\
usage: hive-gateway terraform [--endpoint URL] [--data-dir DIR] [--region REGION]
                              [--ca-bundle FILE] [--tofu] [--] [TERRAFORM ARGS…]

Run terraform (or tofu) in the current directory against hive-gateway, without editing the
configuration: every aws provider block is pointed at the gateway by a temporary
hive_gateway_override.tf, removed afterwards.

  --endpoint URL    gateway URL ($HIVE_GATEWAY_ENDPOINT, default https://localhost:{DEFAULT_PORT})
  --data-dir DIR    gateway data dir for the CA bundle and admin key
                    ($HIVE_GATEWAY_DATA_DIR, default ./hive-data)
  --region REGION   region ($AWS_REGION, $AWS_DEFAULT_REGION, default {DEFAULT_REGION})
  --ca-bundle FILE  CA bundle for https ($AWS_CA_BUNDLE, else <data-dir>/tls/ca.pem)
  --tofu            run tofu instead of terraform ($TF_CMD names any binary)

Credentials: $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY, else $HIVE_GATEWAY_ACCESS_KEY/
$HIVE_GATEWAY_SECRET_KEY, else the admin key of the data dir.
"""

_VALUED = {"--endpoint", "--data-dir", "--region", "--ca-bundle"}


class UsageError(ValueError):
    """A bad ``hive-gateway terraform`` option."""


@dataclass
class Options:
    endpoint: str = ""
    data_dir: Path = Path("hive-data")
    region: str = ""
    ca_bundle: Path | None = None
    tofu: bool = False
    help: bool = False
    terraform_args: list[str] = field(default_factory=list)


def parse(argv: Sequence[str]) -> Options:
    """Our options up to the first argument that is not one (or ``--``); the rest is terraform's."""
    env = os.environ
    options = Options(
        endpoint=env.get("HIVE_GATEWAY_ENDPOINT", f"https://localhost:{DEFAULT_PORT}"),
        data_dir=Path(env.get("HIVE_GATEWAY_DATA_DIR", "hive-data")),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
    )
    args = list(argv)
    while args:
        head = args[0]
        name, has_value, inline = head.partition("=")
        if head == "--":
            args.pop(0)
            break
        if head in ("-h", "--help"):
            options.help = True
            args.pop(0)
        elif head == "--tofu":
            options.tofu = True
            args.pop(0)
        elif name in _VALUED:
            args.pop(0)
            if not has_value:
                if not args:
                    raise UsageError(f"{name} needs a value")
                inline = args.pop(0)
            if name == "--endpoint":
                options.endpoint = inline.rstrip("/")
            elif name == "--data-dir":
                options.data_dir = Path(inline)
            elif name == "--region":
                options.region = inline
            else:
                options.ca_bundle = Path(inline)
        else:
            break
    options.terraform_args = args
    return options


def binary(options: Options) -> str:
    """``$TF_CMD``, else ``tofu`` with ``--tofu``, else ``terraform`` (``tofu`` when only it is
    installed); the path found on ``PATH``."""
    wanted = os.environ.get("TF_CMD") or ("tofu" if options.tofu else "")
    candidates = [wanted] if wanted else ["terraform", "tofu"]
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    raise UsageError(f"{' or '.join(candidates)} not found on PATH")


def credentials(options: Options) -> tuple[str, str]:
    """The access key pair: the AWS environment, the gateway's, else the data dir's admin key."""
    env = os.environ
    for key, secret in (
        ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        ("HIVE_GATEWAY_ACCESS_KEY", "HIVE_GATEWAY_SECRET_KEY"),
    ):
        if env.get(key) and env.get(secret):
            return env[key], env[secret]
    if not (options.data_dir / "master.key").exists():
        raise UsageError(
            f"no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or give --data-dir of "
            f"the gateway ({options.data_dir} has no master.key)"
        )
    try:
        return asyncio.run(_admin_key(options.data_dir))
    except Exception as exc:
        raise UsageError(f"cannot read the admin key of {options.data_dir}: {exc}") from exc


async def _admin_key(data_dir: Path) -> tuple[str, str]:
    """The admin key kept in the gateway's store (its running NATS, found via ``nats.json``)."""
    from hive_gateway.api.auth.accounts import AccountRegistry
    from hive_gateway.cli import open_store
    from hive_gateway.config import NatsOptions

    prefix = os.environ.get("HIVE_GATEWAY_BUCKET_PREFIX", "hive")
    async with open_store(data_dir, NatsOptions(), reuse_running=True) as store:
        admin = await AccountRegistry(store, data_dir, bucket_prefix=prefix).bootstrap()
    return admin.access_key_id, admin.secret_access_key


def ca_bundle(options: Options) -> Path | None:
    """The CA bundle for an https endpoint (None for http)."""
    if not options.endpoint.startswith("https://"):
        return None
    if options.ca_bundle is not None:
        return options.ca_bundle.resolve()
    if os.environ.get("AWS_CA_BUNDLE"):
        return Path(os.environ["AWS_CA_BUNDLE"]).resolve()
    generated = options.data_dir / "tls" / "ca.pem"
    return generated.resolve() if generated.exists() else None


def working_directory(terraform_args: Sequence[str]) -> Path:
    """The module directory: terraform's own ``-chdir=DIR`` when given, else the current one."""
    for arg in terraform_args[:1]:
        if arg.startswith("-chdir="):
            return Path(arg.removeprefix("-chdir="))
    return Path.cwd()


def run(options: Options) -> int:
    """Write the override, run terraform, remove the override; terraform's exit status."""
    command = [binary(options), *options.terraform_args]
    access_key, secret_key = credentials(options)
    target = Target(
        endpoint=options.endpoint,
        region=options.region,
        access_key=access_key,
        secret_key=secret_key,
        ca_bundle=ca_bundle(options),
    )
    directory = working_directory(options.terraform_args)
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a directory")
    with overridden(directory, target):
        child = subprocess.Popen(command)

        def forward(signum: int, _frame: FrameType | None) -> None:
            child.send_signal(signum)

        previous = signal.signal(signal.SIGTERM, forward)
        try:
            while True:
                try:
                    return child.wait()
                except KeyboardInterrupt:
                    continue  # terraform got the SIGINT too: let it stop cleanly
        finally:
            signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str]) -> int:
    """Entry point of ``hive-gateway terraform``."""
    try:
        options = parse(argv)
        if options.help:
            print(USAGE, end="")
            return 0
        return run(options)
    except (UsageError, FileExistsError, OSError) as exc:
        print(f"hive-gateway terraform: {exc}", file=sys.stderr)
        return 2
