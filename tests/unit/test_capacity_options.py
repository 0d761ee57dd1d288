"""``serve`` options for the simulated cluster's size and the account's instance limit."""

from __future__ import annotations

import pytest

from hive_gateway import cli
from hive_gateway.node.config import NodeConfig


def node_config(*argv: str) -> NodeConfig:
    args = cli._parser().parse_args(["serve", "--no-tls", *argv])
    settings = cli._settings(args)
    return cli._node_config(
        args, bucket_prefix=settings.bucket_prefix, region=settings.region, azs=settings.zones
    )


def test_defaults_hold_a_large_module_in_every_zone() -> None:
    config = node_config()
    hosts = config.hosts()
    assert len(hosts) == 9
    for zone in ("ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"):
        assert sum(1 for _, az in hosts if az == zone) == 3
    assert (config.vcpus, config.memory_mib) == (256, 1024 * 1024)
    per_zone_t3_small = 3 * min(config.vcpus // 2, config.memory_mib // 2048)
    assert per_zone_t3_small >= 300  # hundreds of small instances
    assert cli._settings(cli._parser().parse_args(["serve"])).instance_limit == 1000


def test_a_real_hive_clusters_limits() -> None:
    config = node_config(
        "--nodes",
        "3",
        "--node-vcpus",
        "32",
        "--node-memory-mib",
        "131072",
        "--az",
        "ap-southeast-2a",
        "--instance-limit",
        "40",
    )
    assert [az for _, az in config.hosts()] == ["ap-southeast-2a"] * 3
    assert (config.vcpus, config.memory_mib) == (32, 131072)
    args = cli._parser().parse_args(["serve", "--instance-limit", "40"])
    assert cli._settings(args).instance_limit == 40


@pytest.mark.parametrize("argv", [["--nodes", "-1"], ["--node-vcpus", "0"]])
def test_nonsense_sizes_are_refused(argv: list[str]) -> None:
    with pytest.raises(ValueError):
        node_config(*argv)


def test_always_sync_reads_is_off_unless_asked() -> None:
    assert cli._settings(cli._parser().parse_args(["serve"])).always_sync_reads is False
    args = cli._parser().parse_args(["serve", "--always-sync-reads"])
    assert cli._settings(args).always_sync_reads is True
