"""The temporary provider override that points a Terraform module's ``aws`` providers at Hive.

Terraform merges ``*_override.tf`` files into the blocks they name: an override ``provider
"aws"`` block (matched by name and ``alias``) replaces the attributes it sets and, for nested
blocks such as ``endpoints``, the whole nested block. An override may only override an existing
block, so a default ``aws`` provider the module does not declare is added in a separate ordinary
file. Both files carry :data:`MARKER` so that a stale pair (a killed run) is recognised and
replaced, and a user's own file of the same name is never touched.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hive_gateway.tools.hcl_scan import aws_providers

MARKER = "# Written by `hive-gateway terraform`; removed when it exits."
OVERRIDE_FILE = "hive_gateway_override.tf"
PROVIDER_FILE = "hive_gateway_provider.tf"


@dataclass(frozen=True)
class Target:
    """Where and as whom the providers talk."""

    endpoint: str
    region: str
    access_key: str
    secret_key: str
    ca_bundle: Path | None = None


def _quote(value: str) -> str:
    """An HCL string literal (JSON escaping is valid HCL; ``${``/``%{`` are escaped)."""
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def provider_block(name: str, alias: str | None, target: Target) -> str:
    """One ``provider`` block with every setting that makes the AWS provider talk to Hive."""
    lines = [f"provider {_quote(name)} {{"]
    if alias is not None:
        lines.append(f"  alias                       = {_quote(alias)}")
    lines += [
        f"  region                      = {_quote(target.region)}",
        f"  access_key                  = {_quote(target.access_key)}",
        f"  secret_key                  = {_quote(target.secret_key)}",
        "  skip_metadata_api_check     = true",
        "  skip_region_validation      = true",
    ]
    if target.ca_bundle is not None:
        lines.append(f"  custom_ca_bundle            = {_quote(str(target.ca_bundle))}")
    lines += [
        "  endpoints {",
        f"    ec2 = {_quote(target.endpoint)}",
        f"    sts = {_quote(target.endpoint)}",
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def render(directory: Path, target: Target) -> dict[str, str]:
    """File name → content of what must be written into ``directory``."""
    _, blocks = aws_providers(directory)
    overrides = [provider_block(b.name, b.alias, target) for b in blocks]
    files: dict[str, str] = {}
    if overrides:
        files[OVERRIDE_FILE] = MARKER + "\n\n" + "\n".join(overrides)
    if not any(b.alias is None and b.name == "aws" for b in blocks):
        files[PROVIDER_FILE] = MARKER + "\n\n" + provider_block("aws", None, target)
    return files


def _ours(path: Path) -> bool:
    try:
        return path.read_text(encoding="utf-8").startswith(MARKER)
    except OSError:
        return False


@contextlib.contextmanager
def overridden(directory: Path, target: Target) -> Iterator[list[Path]]:
    """Write the override files into ``directory`` (mode 0600: they hold the secret key) for the
    duration of the ``with`` block, and remove them afterwards, whatever happens inside."""
    for name in (OVERRIDE_FILE, PROVIDER_FILE):
        path = directory / name
        if path.exists() and not _ours(path):
            raise FileExistsError(f"{path} exists and was not written by hive-gateway; remove it")
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left over from a killed run
    files = render(directory, target)
    written: list[Path] = []
    try:
        for name, content in files.items():
            path = directory / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
            written.append(path)
        yield written
    finally:
        for path in written:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
