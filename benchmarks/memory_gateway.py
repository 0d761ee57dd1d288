"""The gateway over the in-memory store (no NATS), for the benchmarks' "memory" column.

``python -m benchmarks.memory_gateway PORT DATA_DIR`` serves plain HTTP on 127.0.0.1:PORT with
the admin key from ``HIVE_GATEWAY_ACCESS_KEY``/``HIVE_GATEWAY_SECRET_KEY`` until killed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from aiohttp import web

from hive_gateway.api.app import create_app
from hive_gateway.api.auth.accounts import AccountRegistry
from hive_gateway.config import Settings
from hive_gateway.core.runtime import Runtime
from hive_gateway.hive.local_bus import LocalBus
from kv.memory import MemoryStore


async def serve(port: int, data_dir: Path) -> None:
    """Serve until cancelled."""
    store = MemoryStore()
    settings = Settings(host="127.0.0.1", port=port, data_dir=data_dir, tls=False)
    accounts = AccountRegistry(store, data_dir, bucket_prefix=settings.bucket_prefix)
    await accounts.bootstrap(
        os.environ["HIVE_GATEWAY_ACCESS_KEY"], os.environ["HIVE_GATEWAY_SECRET_KEY"]
    )
    runtime = Runtime(settings=settings, store=store, accounts=accounts, bus=LocalBus())
    runner = web.AppRunner(create_app(runtime), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), Path(sys.argv[2])))
