"""``hive-gateway`` command line: ``serve``, ``node``, ``accounts``, ``terraform`` and
``conformance``.

``hive-gateway serve`` with no ``--nats-url`` starts an embedded nats-server (JetStream file
storage under ``<data-dir>/nats``), supervises it and stops it on shutdown. Connection details of
the embedded server are written to ``<data-dir>/nats.json`` so that other commands
(``hive-gateway accounts create``, ``hive-gateway node``) reach the same store while the gateway
runs. ``serve`` also starts the built-in node simulator (Hive's daemon subjects, see
:mod:`hive_gateway.node`) unless ``--no-builtin-node``; ``hive-gateway node`` runs the simulator
as its own process against the gateway's NATS (``--nats-url`` or ``<data-dir>/nats.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import io
import ipaddress
import json
import logging
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from hive_gateway.api.auth.accounts import AccountRegistry
from hive_gateway.config import DEFAULT_PORT, DEFAULT_REGION, NatsOptions, Settings, Timings
from hive_gateway.process.embedded_nats import EmbeddedNats, EmbeddedNatsError
from hive_gateway.process.store_locator import (
    choose_embedded_port,
    recorded_external_options,
    write_external_info,
)
from hive_gateway.core.errors import AwsError
from hive_gateway.hive.nats_bus import NatsBus
from hive_gateway.node.config import (
    DEFAULT_PENDING_SECONDS,
    DEFAULT_SHUTTING_DOWN_SECONDS,
    DEFAULT_STOPPING_SECONDS,
    DEFAULT_HOST_MEMORY_MIB,
    DEFAULT_HOST_VCPUS,
    DEFAULT_TERMINATED_RETENTION,
    NodeConfig,
)
from hive_gateway.core.runtime import Runtime
from hive_gateway.core.startup import repair_in_background
from hive_gateway.process.tls import ensure_certificates, server_ssl_context
from kv.nats_store import NatsStore, replicas_advice
from kv.store import Store, StoreUnavailableError

LOG = logging.getLogger("hive_gateway")
_T = TypeVar("_T")

NATS_INFO_FILE = "nats.json"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hive-gateway", description=__doc__.splitlines()[0])
    parser.add_argument("--log-level", default=os.environ.get("HIVE_GATEWAY_LOG_LEVEL", "INFO"))
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the EC2/STS gateway")
    _store_arguments(serve)
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="listen port (default 9999)")
    serve.add_argument("--no-tls", action="store_true", help="serve plain HTTP")
    serve.add_argument(
        "--no-read-replica",
        action="store_true",
        help="read every record from NATS instead of the watch-fed in-memory replica",
    )
    serve.add_argument(
        "--always-sync-reads",
        action="store_true",
        help="fetch a bucket's latest revision before every read even when no other gateway "
        "is running (when programs other than hive-gateway write its buckets)",
    )
    serve.add_argument(
        "--tls-cert", type=Path, help="PEM server certificate (instead of the local CA)"
    )
    serve.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")
    serve.add_argument(
        "--region", default=DEFAULT_REGION, help="region served (default ap-southeast-2)"
    )
    serve.add_argument(
        "--az",
        action="append",
        dest="azs",
        default=[],
        help="availability zone served (repeatable; default <region>a, b and c)",
    )
    serve.add_argument(
        "--accept-any-region",
        action="store_true",
        help="accept requests signed for any region (Hive's leniency); they see that region's "
        "zones (<region>a, b, c)",
    )
    serve.add_argument(
        "--nats-port",
        type=int,
        default=None,
        help="embedded nats-server port (default 4222, or a free one when 4222 is busy; "
        "0 = any free; an explicit busy port is an error)",
    )
    serve.add_argument("--public-endpoint", help="URL DescribeRegions advertises")
    serve.add_argument(
        "--request-timeout",
        type=float,
        default=20.0,
        help="seconds a request may take before it is answered 503 (default 20)",
    )
    serve.add_argument(
        "--body-timeout",
        type=float,
        default=10.0,
        help="seconds a client may take to send a request body (default 10)",
    )
    serve.add_argument(
        "--auth-failure-limit",
        type=int,
        default=10,
        help="failed SigV4 attempts per source address within --auth-failure-window that lock "
        "it out (default 10, as Hive; 0 = off)",
    )
    serve.add_argument("--auth-failure-window", type=float, default=60.0, help="seconds (60)")
    serve.add_argument(
        "--auth-lockout",
        type=float,
        default=30.0,
        help="first lockout in seconds (30), doubling up to --auth-lockout-max (300)",
    )
    serve.add_argument("--auth-lockout-max", type=float, default=300.0)
    serve.add_argument(
        "--ipv6-pool",
        default="2001:db8::/32",
        help="pool of Amazon-provided IPv6 /56 blocks (default 2001:db8::/32)",
    )
    serve.add_argument(
        "--no-default-vpc",
        action="store_true",
        help="do not create a default VPC for each account on its first request",
    )
    serve.add_argument(
        "--strict-serializer",
        action="store_true",
        help="fail requests whose result does not fit the output shape (for conformance runs)",
    )
    serve.add_argument(
        "--public-pool",
        default=os.environ.get("HIVE_GATEWAY_PUBLIC_POOL", "198.51.100.0/24"),
        help="CIDR of public IPv4 addresses for Elastic IPs and instances (default 198.51.100.0/24)",
    )
    serve.add_argument(
        "--image-catalogue",
        type=Path,
        default=None,
        help="JSON file extending or replacing the public image catalogue "
        "(default: $HIVE_GATEWAY_IMAGE_CATALOGUE, else the built-in Debian/Ubuntu images)",
    )
    serve.add_argument(
        "--no-builtin-node",
        action="store_true",
        help="do not start the built-in node simulator (Hive daemons or `hive-gateway node` answer)",
    )
    serve.add_argument(
        "--instance-limit",
        type=int,
        default=1000,
        help="live instances per account (default 1000; InstanceLimitExceeded past it)",
    )
    _node_arguments(serve)

    node = commands.add_parser(
        "node", help="run the node simulator (Hive daemon subjects) against a gateway's NATS"
    )
    _store_arguments(node)
    node.add_argument("--region", default=DEFAULT_REGION, help="region of the simulated hosts")
    node.add_argument(
        "--az",
        action="append",
        dest="azs",
        default=[],
        help="availability zone of the hosts (repeatable, round-robin; default <region>a, b, c)",
    )
    node.add_argument(
        "--wait",
        type=float,
        default=60.0,
        help="seconds to wait for the gateway's <data-dir>/nats.json (default 60)",
    )
    _node_arguments(node)

    accounts = commands.add_parser("accounts", help="manage accounts and their access keys")
    account_commands = accounts.add_subparsers(dest="accounts_command", required=True)
    create = account_commands.add_parser("create", help="create an account with its own access key")
    create.add_argument("name")
    _store_arguments(create)
    listing = account_commands.add_parser("list", help="list accounts")
    _store_arguments(listing)

    terraform = commands.add_parser(
        "terraform",
        help="run terraform/tofu here against the gateway (a temporary provider override)",
        add_help=False,
    )
    terraform.add_argument("terraform_args", nargs=argparse.REMAINDER)
    from hive_gateway.conformance import command as conformance_command

    conformance_command.add_arguments(
        commands.add_parser(
            "conformance", help="replay the Terraform provider's calls against an endpoint"
        )
    )
    return parser


def _node_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the node simulator (``serve``'s built-in node and ``hive-gateway node``)."""
    parser.add_argument(
        "--nodes",
        type=int,
        default=0,
        help="simulated hosts, spread round-robin over the zones (default 3 per zone; a spread "
        "placement group holds one instance per host)",
    )
    parser.add_argument("--node-name", default="node", help="host name prefix (node1, node2, …)")
    parser.add_argument(
        "--node-vcpus",
        type=int,
        default=DEFAULT_HOST_VCPUS,
        help=f"vCPUs per simulated host (default {DEFAULT_HOST_VCPUS})",
    )
    parser.add_argument(
        "--node-memory-mib",
        type=int,
        default=DEFAULT_HOST_MEMORY_MIB,
        help=f"memory per simulated host in MiB (default {DEFAULT_HOST_MEMORY_MIB})",
    )
    parser.add_argument(
        "--pending-seconds",
        type=float,
        default=DEFAULT_PENDING_SECONDS,
        help=f"pending → running delay (default {DEFAULT_PENDING_SECONDS})",
    )
    parser.add_argument(
        "--stopping-seconds",
        type=float,
        default=DEFAULT_STOPPING_SECONDS,
        help=f"stopping → stopped delay (default {DEFAULT_STOPPING_SECONDS})",
    )
    parser.add_argument(
        "--shutting-down-seconds",
        type=float,
        default=DEFAULT_SHUTTING_DOWN_SECONDS,
        help=f"shutting-down → terminated delay (default {DEFAULT_SHUTTING_DOWN_SECONDS})",
    )
    parser.add_argument(
        "--terminated-retention",
        type=float,
        default=DEFAULT_TERMINATED_RETENTION,
        help="seconds terminated instances stay visible (default 3600, as on AWS)",
    )


def _node_config(
    args: argparse.Namespace, *, bucket_prefix: str, region: str, azs: Sequence[str]
) -> NodeConfig:
    if args.nodes < 0:
        raise ValueError("--nodes must be at least 1 (0: three per zone)")
    if args.node_vcpus < 1 or args.node_memory_mib < 1:
        raise ValueError("--node-vcpus and --node-memory-mib must be at least 1")
    return NodeConfig(
        nodes=args.nodes,
        name_prefix=args.node_name,
        bucket_prefix=bucket_prefix,
        region=region,
        azs=tuple(azs),
        vcpus=args.node_vcpus,
        memory_mib=args.node_memory_mib,
        pending_seconds=args.pending_seconds,
        stopping_seconds=args.stopping_seconds,
        shutting_down_seconds=args.shutting_down_seconds,
        terminated_retention_seconds=args.terminated_retention,
    )


def _store_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("HIVE_GATEWAY_DATA_DIR", "./hive-data")),
    )
    parser.add_argument(
        "--bucket-prefix", default="hive", help="KV bucket prefix (hive, spinifex, ...)"
    )
    parser.add_argument(
        "--nats-url",
        default=os.environ.get("HIVE_GATEWAY_NATS_URL"),
        help="external NATS server or cluster",
    )
    parser.add_argument("--nats-token", default=os.environ.get("HIVE_GATEWAY_NATS_TOKEN"))
    parser.add_argument("--nats-user", default=os.environ.get("HIVE_GATEWAY_NATS_USER"))
    parser.add_argument("--nats-password", default=os.environ.get("HIVE_GATEWAY_NATS_PASSWORD"))
    parser.add_argument("--nats-creds", type=Path, help="NATS credentials (.creds) file")
    parser.add_argument("--nats-tls-ca", type=Path)
    parser.add_argument("--nats-tls-cert", type=Path)
    parser.add_argument("--nats-tls-key", type=Path)
    parser.add_argument(
        "--kv-replicas",
        type=int,
        default=int(os.environ.get("HIVE_GATEWAY_KV_REPLICAS", "1")),
        help="replicas of every KV bucket created (default 1; 3 on a JetStream cluster)",
    )


def _nats_options(args: argparse.Namespace) -> NatsOptions:
    return NatsOptions(
        url=args.nats_url,
        token=args.nats_token,
        user=args.nats_user,
        password=args.nats_password,
        creds=args.nats_creds,
        tls_ca=args.nats_tls_ca,
        tls_cert=args.nats_tls_cert,
        tls_key=args.nats_tls_key,
    )


async def _connect(options: NatsOptions, *, kv_replicas: int = 1) -> NatsStore:
    assert options.url is not None
    return await NatsStore.connect(
        options.url,
        token=options.token,
        user=options.user,
        password=options.password,
        creds=str(options.creds) if options.creds else None,
        tls_ca=str(options.tls_ca) if options.tls_ca else None,
        tls_cert=str(options.tls_cert) if options.tls_cert else None,
        tls_key=str(options.tls_key) if options.tls_key else None,
        replicas=kv_replicas,
    )


def _embedded_token(data_dir: Path) -> str:
    """The embedded server's auth token, created once and kept in the data dir (0600)."""
    path = data_dir / "nats.token"
    if path.exists():
        return path.read_text().strip()
    token = secrets.token_urlsafe(24)
    path.write_text(token)
    path.chmod(0o600)
    return token


@contextlib.asynccontextmanager
async def open_store(
    data_dir: Path,
    options: NatsOptions,
    *,
    nats_port: int = 0,
    nats_port_explicit: bool = False,
    reuse_running: bool = False,
    kv_replicas: int = 1,
) -> AsyncIterator[Store]:
    """A connected store: the external NATS of ``options``, or an embedded nats-server.

    With ``reuse_running`` (``accounts``) the store of a gateway serving this data dir is used:
    the external NATS it recorded in ``nats.json`` (credentials from ``options``), or its running
    embedded server, instead of starting a second server on the same JetStream directory. A
    gateway on an external NATS records that store's URL (never its secrets) in ``nats.json``.
    The embedded server's port: ``nats_port`` when free; when busy, a free one unless
    ``nats_port_explicit`` (then a one-line error naming the port).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    info_path = data_dir / NATS_INFO_FILE
    if not options.url and reuse_running:
        options = recorded_external_options(info_path, options)
    if options.url:
        store = await _connect(options, kv_replicas=kv_replicas)
        try:
            if not reuse_running:
                write_external_info(info_path, options)
            yield store
        finally:
            await store.close()
        return
    if reuse_running and info_path.exists():
        info = json.loads(info_path.read_text())
        try:
            store = await _connect(NatsOptions(url=info["url"], token=info.get("token")))
        except StoreUnavailableError:
            pass  # stale file: the gateway is gone, start our own server below
        else:
            try:
                yield store
            finally:
                await store.close()
            return
    port = choose_embedded_port("127.0.0.1", nats_port, explicit=nats_port_explicit)
    token = _embedded_token(data_dir)
    async with EmbeddedNats(data_dir / "nats", host="127.0.0.1", port=port, token=token) as server:
        info_path.write_text(json.dumps({"url": server.url, "token": token}))
        info_path.chmod(0o600)
        store = await _connect(NatsOptions(url=server.url, token=token), kv_replicas=kv_replicas)
        try:
            yield store
        finally:
            await store.close()
            with contextlib.suppress(FileNotFoundError):
                info_path.unlink()


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        tls=not args.no_tls,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        nats=_nats_options(args),
        nats_port=4222 if args.nats_port is None else args.nats_port,
        nats_port_explicit=args.nats_port is not None,
        kv_replicas=args.kv_replicas,
        request_timeout=args.request_timeout,
        body_timeout=args.body_timeout,
        auth_failure_limit=args.auth_failure_limit,
        auth_failure_window=args.auth_failure_window,
        auth_lockout=args.auth_lockout,
        auth_lockout_max=args.auth_lockout_max,
        region=args.region,
        azs=tuple(args.azs),
        accept_any_region=args.accept_any_region,
        bucket_prefix=args.bucket_prefix,
        strict_serializer=args.strict_serializer,
        public_endpoint=args.public_endpoint,
        ipv6_pool=args.ipv6_pool,
        default_vpc=not args.no_default_vpc,
        read_replica=not args.no_read_replica,
        always_sync_reads=args.always_sync_reads,
        public_pool=str(ipaddress.IPv4Network(args.public_pool, strict=False)),
        instance_limit=args.instance_limit,
        timings=Timings(terminated_retention=float(args.terminated_retention)),
    )


def _profile_text(
    settings: Settings, access_key: str, secret_key: str, ca_path: Path | None, profile: str
) -> str:
    lines = [
        f"[profile {profile}]",
        f"aws_access_key_id = {access_key}",
        f"aws_secret_access_key = {secret_key}",
        f"region = {settings.region}",
        f"endpoint_url = {settings.endpoint}",
    ]
    if ca_path is not None:
        lines.append(f"ca_bundle = {ca_path}")
    return "\n".join(lines)


async def serve(settings: Settings, node_config: NodeConfig | None = None) -> None:
    """Run the gateway until SIGINT/SIGTERM (with the built-in node unless ``node_config`` is None)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ssl_context = None
    ca_path: Path | None = None
    if settings.tls:
        if settings.tls_cert and settings.tls_key:
            ssl_context = server_ssl_context(settings.tls_cert, settings.tls_key)
        else:
            paths = ensure_certificates(settings.data_dir / "tls", settings.host)
            ssl_context = server_ssl_context(paths.server_cert, paths.server_key)
            ca_path = paths.ca_cert.resolve()
    async with open_store(
        settings.data_dir,
        settings.nats,
        nats_port=settings.nats_port,
        nats_port_explicit=settings.nats_port_explicit,
        kv_replicas=settings.kv_replicas,
    ) as store:
        # A cluster that just started has no JetStream meta leader yet (as after a full restart).
        await _retrying(store.ping, "waiting for JetStream")
        await _retrying(
            lambda: _report_under_replicated(store, settings.bucket_prefix), "checking replicas"
        )
        accounts = AccountRegistry(store, settings.data_dir, bucket_prefix=settings.bucket_prefix)
        admin = await _retrying(
            lambda: accounts.bootstrap(
                os.environ.get("HIVE_GATEWAY_ACCESS_KEY"),
                os.environ.get("HIVE_GATEWAY_SECRET_KEY"),
            ),
            "seeding accounts",
        )
        from hive_gateway.api.app import create_app
        from hive_gateway.node import NodeSimulator

        bus = NatsBus.from_store(store)
        runtime = Runtime(settings=settings, store=store, accounts=accounts, bus=bus)
        # Every bucket's replica is loaded (one pass each, concurrently) before the first answer.
        await _retrying(runtime.load_replica, "loading the read replica")
        peers = await _retrying(runtime.join_peers, "registering among the gateways")
        # The built-in node lists its stopped instances: through the replica, not a consumer.
        node = NodeSimulator(bus, runtime.store, node_config) if node_config is not None else None
        if node is not None:
            await node.start()
        app = create_app(runtime)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port, ssl_context=ssl_context)
        await site.start()
        _announce(settings, admin.access_key_id, admin.secret_access_key, ca_path)
        # Half-made resources a crash left (core/startup.py): looked for twice, a request
        # deadline apart, so other gateways' requests in flight are not taken for them.
        runtime.spawn(repair_in_background(runtime, grace=settings.request_timeout + 2.0))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGUSR2, _dump_tasks)
        try:
            await stop.wait()
        finally:
            LOG.info("shutting down")
            await runner.cleanup()
            if peers is not None:
                await peers.leave()
            if node is not None:
                await node.stop()
            await runtime.store.close()  # the read replica's watches (then the store itself)


async def _retrying(step: Callable[[], Awaitable[_T]], what: str, timeout: float = 120.0) -> _T:
    """``step()`` (idempotent) again while the store is unavailable: on a cluster that just
    started, a bucket's stream has no leader for a moment after it is created."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.5
    while True:
        try:
            return await step()
        except StoreUnavailableError as error:
            if loop.time() + delay > deadline:
                raise
            LOG.warning("%s: store not ready (%s); retrying in %.1fs", what, error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def _report_under_replicated(store: Store, bucket_prefix: str) -> None:
    """Warn (log and stderr) about every existing bucket with fewer replicas than asked."""
    if not isinstance(store, NatsStore) or store.replicas <= 1:
        return
    for bucket, have in await store.under_replicated(f"{bucket_prefix}-"):
        advice = replicas_advice(bucket, have, store.replicas)
        LOG.warning("%s", advice)
        print(f"hive-gateway: warning: {advice}", file=sys.stderr, flush=True)


def _dump_tasks() -> None:
    """SIGUSR2: log where every asyncio task waits (SIGUSR1 dumps the threads, even when the
    event loop itself is stuck)."""
    out = io.StringIO()
    for task in asyncio.all_tasks():
        out.write(f"--- {task.get_name()}\n")
        task.print_stack(limit=25, file=out)
    LOG.warning("asyncio tasks:\n%s", out.getvalue())


def _announce(settings: Settings, access_key: str, secret_key: str, ca_path: Path | None) -> None:
    print(f"hive-gateway listening on {settings.endpoint} (region {settings.region})", flush=True)
    if ca_path is not None:
        print(f"TLS CA certificate: {ca_path}\n  export AWS_CA_BUNDLE={ca_path}", flush=True)
    print(
        "Admin account 000000000001. Add this to ~/.aws/config (or use the exports below):\n"
        + _profile_text(settings, access_key, secret_key, ca_path, "hive")
        + f"\n  export AWS_ACCESS_KEY_ID={access_key} AWS_SECRET_ACCESS_KEY={secret_key}"
        + f" AWS_DEFAULT_REGION={settings.region}",
        flush=True,
    )


async def _gateway_nats(args: argparse.Namespace) -> NatsOptions:
    """The NATS ``hive-gateway node`` joins: ``--nats-url``, else the gateway's ``nats.json``."""
    options = _nats_options(args)
    if options.url:
        return options
    info_path = Path(args.data_dir) / NATS_INFO_FILE
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(0.0, args.wait)
    while not info_path.exists():
        if loop.time() >= deadline:
            raise ValueError(
                f"no gateway NATS: {info_path} does not exist (start `hive-gateway serve` with "
                "this --data-dir, or give --nats-url)"
            )
        await asyncio.sleep(0.2)
    info = json.loads(info_path.read_text())
    if info.get("external"):
        return recorded_external_options(info_path, options)
    return NatsOptions(url=info["url"], token=info.get("token"))


async def run_node(args: argparse.Namespace) -> int:
    """``hive-gateway node``: the simulator as its own process, until SIGINT/SIGTERM."""
    from hive_gateway.node import NodeSimulator

    options = await _gateway_nats(args)
    store = await _connect(options, kv_replicas=args.kv_replicas)
    try:
        config = _node_config(
            args, bucket_prefix=args.bucket_prefix, region=args.region, azs=args.azs
        )
        node = NodeSimulator(NatsBus.from_store(store), store, config)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await node.start()
        print(
            f"hive-gateway node: {len(node.hosts)} simulated host(s) "
            f"({', '.join(h.name for h in node.hosts)}) on {options.url}",
            flush=True,
        )
        try:
            await stop.wait()
        finally:
            await node.stop()
    finally:
        await store.close()
    return 0


async def _accounts(args: argparse.Namespace) -> int:
    async with open_store(
        args.data_dir, _nats_options(args), reuse_running=True, kv_replicas=args.kv_replicas
    ) as store:
        registry = AccountRegistry(store, args.data_dir, bucket_prefix=args.bucket_prefix)
        if args.accounts_command == "create":
            created = await registry.create_account(args.name)
            print(
                json.dumps(
                    {
                        "AccountId": created.account_id,
                        "AccountName": args.name,
                        "AccessKeyId": created.access_key_id,
                        "SecretAccessKey": created.secret_access_key,
                    },
                    indent=2,
                )
            )
            return 0
        for account in await registry.list_accounts():
            print(f"{account['account_id']}  {account['account_name']}  {account['status']}")
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hive-gateway`` console script."""
    raw = list(sys.argv[1:] if argv is None else argv)
    start = 0
    while start < len(raw) and raw[start].startswith("--log-level"):
        start += 1 if "=" in raw[start] else 2
    if raw[start : start + 1] == ["terraform"]:  # its options and terraform's: not argparse's
        from hive_gateway.tools import terraform

        return terraform.main(raw[start + 1 :])
    args = _parser().parse_args(raw)
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command == "serve":
            settings = _settings(args)
            if args.image_catalogue is not None:
                from hive_gateway.catalogue import image_catalogue

                image_catalogue.configure(args.image_catalogue)
            node_config = None
            if not args.no_builtin_node:
                node_config = _node_config(
                    args,
                    bucket_prefix=settings.bucket_prefix,
                    region=settings.region,
                    azs=settings.zones,
                )
            asyncio.run(serve(settings, node_config))
            return 0
        if args.command == "node":
            return asyncio.run(run_node(args))
        if args.command == "terraform":
            from hive_gateway.tools import terraform

            return terraform.main(args.terraform_args)
        if args.command == "conformance":
            from hive_gateway.conformance import command as conformance_command

            return conformance_command.run(args)
        return asyncio.run(_accounts(args))
    except KeyboardInterrupt:
        return 130
    except StoreUnavailableError as exc:
        print(f"hive-gateway: store unavailable: {exc}", file=sys.stderr)
        return 1
    except AwsError as exc:
        print(f"hive-gateway: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except (OSError, ValueError, EmbeddedNatsError) as exc:
        print(f"hive-gateway: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
