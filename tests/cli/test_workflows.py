"""The GitHub workflows parse as YAML and carry what GitHub and the E2E stage need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


def load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", ["e2e.yml", "docker-publish.yml"])
def test_required_keys(name: str) -> None:
    data = load(name)
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as True
    assert data["name"] and triggers
    assert data["jobs"]
    for job in data["jobs"].values():
        assert job["runs-on"] and job["steps"]
        assert job.get("timeout-minutes", 360) <= 90
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
            if "uses" in step:
                assert "@" in step["uses"], step["uses"]  # every action pinned


def test_e2e_runs_both_tools_every_config_tofu_test_conformance_and_uploads() -> None:
    job = next(iter(load("e2e.yml")["jobs"].values()))
    assert job["strategy"]["matrix"]["tool"] == ["tofu", "terraform"]
    steps = {step.get("name", step.get("uses", "")): step for step in job["steps"]}
    text = "\n".join(str(step.get("run", "")) + str(step.get("with", "")) for step in job["steps"])
    uses = [step.get("uses", "") for step in job["steps"]]
    assert any(u.startswith("opentofu/setup-opentofu@") for u in uses)
    assert any(u.startswith("hashicorp/setup-terraform@") for u in uses)
    env = load("e2e.yml")["env"]
    assert env["TOFU_VERSION"].count(".") == 2 and env["TERRAFORM_VERSION"].count(".") == 2
    assert "scripts/iac/aws/test.sh" in text and "scripts/iac/aws/examples/*/" in text
    assert "hive-gateway terraform" in text and " test -no-color" in text
    assert "hive-gateway conformance" in text and "--junit" in text
    upload = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload and upload[0]["if"] == "always()"
    assert steps


def test_docker_publish_builds_both_arches_for_ghcr_with_the_right_tags() -> None:
    data = load("docker-publish.yml")
    assert data["permissions"]["packages"] == "write"
    job = next(iter(data["jobs"].values()))
    by_action = {s["uses"].split("@")[0]: s for s in job["steps"] if "uses" in s}
    assert "docker/setup-buildx-action" in by_action
    build = by_action["docker/build-push-action"]["with"]
    assert set(build["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    assert build["labels"] == "${{ steps.meta.outputs.labels }}"
    meta = by_action["docker/metadata-action"]["with"]
    assert meta["images"].startswith("${{ env.REGISTRY }}") and data["env"]["REGISTRY"] == "ghcr.io"
    tags = meta["tags"]
    for wanted in ("value=main", "type=sha,prefix=sha-", "type=semver", "value=latest"):
        assert wanted in tags, wanted
    assert by_action["docker/login-action"]["with"]["registry"] == "${{ env.REGISTRY }}"


def test_the_old_smoke_workflow_and_script_are_gone() -> None:
    assert not (WORKFLOWS / "tofu.yml").exists()
    assert not (WORKFLOWS.parents[1] / "scripts" / "iac" / "tofu_smoke.sh").exists()
