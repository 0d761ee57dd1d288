"""The Terraform benchmark's wide stack (:mod:`benchmarks.terraform`) is valid configuration:
``terraform init`` from the mirror and ``terraform validate``, no server needed."""

from __future__ import annotations

import subprocess
from pathlib import Path

from benchmarks.terraform import render
from tests.terraform.harness import tools


def test_wide_stack_validates(tmp_path: Path) -> None:
    found = tools(tmp_path)
    directory = tmp_path / "stack"
    directory.mkdir()
    (directory / "main.tf").write_text(render())
    env = {"TF_CLI_CONFIG_FILE": str(found.cli_config), "CHECKPOINT_DISABLE": "1", "PATH": ""}
    for command in (["init", "-input=false", "-no-color"], ["validate", "-no-color"]):
        done = subprocess.run(
            [found.terraform, *command], cwd=directory, env=env,
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
