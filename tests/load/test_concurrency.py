"""Terraform-like concurrency on NATS: 64 clients issuing filtered Describes, creates and deletes
against a gateway holding 1,000 VPCs get no 5xx (not a timing test: it counts status codes).

Before the read replica every Describe listed a bucket through a new JetStream consumer, and
under this load JetStream answered ``maximum consumers limit reached`` (a 500).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from tests.fixtures.gateway import RunningGateway

STORED_VPCS = 1000
CLIENTS = 64
SECONDS = 30.0


def _status(call: Any) -> int:
    try:
        call()
    except ClientError as error:
        return int(error.response["ResponseMetadata"]["HTTPStatusCode"])
    return 200


def _seed(gateway: RunningGateway, count: int) -> list[str]:
    def create(index: int) -> str:
        client = clients[index % len(clients)]
        vpc = client.create_vpc(CidrBlock=f"10.{index % 250}.0.0/16")["Vpc"]
        return str(vpc["VpcId"])

    clients = [gateway.client("ec2") for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(create, range(count)))


def test_64_clients_against_1000_vpcs_get_no_5xx(nats_gateway: RunningGateway) -> None:
    vpc_ids = _seed(nats_gateway, STORED_VPCS)
    # A few VPCs with a subnet each, for the subnet-filtered describes and the deletes.
    seed = nats_gateway.client("ec2")
    for index, vpc_id in enumerate(vpc_ids[:20]):
        seed.create_subnet(VpcId=vpc_id, CidrBlock=f"10.{index}.1.0/24")
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def create(client: Any, mine: list[str]) -> None:
        mine.append(client.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"])

    def worker(number: int) -> None:
        client = nats_gateway.client("ec2")
        rng = random.Random(number)
        mine: list[str] = []
        while time.monotonic() < deadline:
            vpc_filter = [{"Name": "vpc-id", "Values": [rng.choice(vpc_ids)]}]
            step = rng.randrange(6)
            call: Any
            if step == 0:
                call = partial(client.describe_vpcs, VpcIds=[rng.choice(vpc_ids)])
            elif step == 1:
                call = partial(client.describe_subnets, Filters=vpc_filter)
            elif step == 2:
                call = partial(client.describe_route_tables, Filters=vpc_filter)
            elif step == 3:
                call = partial(client.describe_security_groups, Filters=vpc_filter)
            elif step == 4 or not mine:
                call = partial(create, client, mine)
            else:
                call = partial(client.delete_vpc, VpcId=mine.pop())
            status = _status(call)
            with lock:
                statuses[status] += 1

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(worker, range(CLIENTS)))
    server_errors = {code: n for code, n in statuses.items() if code >= 500}
    assert server_errors == {}, statuses
    assert statuses[200] > CLIENTS, statuses  # the load did run
    # The store still answers describes of what it holds.
    assert len(seed.describe_vpcs(VpcIds=vpc_ids[:50])["Vpcs"]) == 50
