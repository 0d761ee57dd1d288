"""SigV4-signed EC2 Query load from its own process, over keep-alive connections.

``python -m benchmarks.load`` reads one JSON job from stdin::

    {"endpoint": "http://127.0.0.1:18810", "region": "ap-southeast-2", "key": "...",
     "secret": "...", "clients": 16, "seconds": 3.0, "total": null,
     "requests": [{"Action": "DescribeVpcs", "VpcId.1": "vpc-..."}, ...],
     "collect": "vpcId"}

and prints one JSON line: requests done, errors by HTTP status, requests/s, p50/p99/max latency in
ms, and (with ``collect``) the values of that XML element in the answers. ``clients`` workers
each keep one connection and take the next request from the list round-robin until
``seconds`` pass or ``total`` requests are done.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

VERSION = "2016-11-15"


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(job: dict[str, Any]) -> dict[str, Any]:
    """Run ``job``; the result dict printed by :func:`main`."""
    endpoint = job["endpoint"]
    signer = SigV4Auth(Credentials(job["key"], job["secret"]), "ec2", job["region"])
    requests = job["requests"]
    total = job.get("total")
    deadline = time.monotonic() + float(job.get("seconds") or 1e9)
    collect = (
        re.compile(f"<{job['collect']}>([^<]+)</{job['collect']}>") if job.get("collect") else None
    )
    latencies: list[float] = []
    errors: dict[str, int] = {}
    collected: list[str] = []
    counter = 0

    def next_index() -> int | None:
        nonlocal counter
        if time.monotonic() >= deadline or (total is not None and counter >= total):
            return None
        counter += 1
        return counter - 1

    async def worker(session: aiohttp.ClientSession) -> None:
        while (index := next_index()) is not None:
            body = urlencode({"Version": VERSION, **requests[index % len(requests)]})
            request = AWSRequest(
                method="POST",
                url=endpoint + "/",
                data=body,
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            )
            signer.add_auth(request)
            started = time.perf_counter()
            async with session.post(
                endpoint + "/", data=body.encode(), headers=dict(request.headers.items())
            ) as response:
                text = await response.text()
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                errors[str(response.status)] = errors.get(str(response.status), 0) + 1
            elif collect is not None:
                found = collect.search(text)
                if found:
                    collected.append(found.group(1))

    started = time.perf_counter()
    clients = int(job["clients"])
    sessions = [
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1, force_close=False))
        for _ in range(clients)
    ]
    try:
        await asyncio.gather(*(worker(session) for session in sessions))
    finally:
        for session in sessions:
            await session.close()
    elapsed = time.perf_counter() - started
    return {
        "done": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50": _percentile(latencies, 0.5),
        "p99": _percentile(latencies, 0.99),
        "max": max(latencies, default=0.0),
        "collected": collected,
    }


def main() -> None:
    job = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(run(job))))


if __name__ == "__main__":
    main()
