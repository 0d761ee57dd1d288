"""Fuzz: no input makes the gateway answer a 5xx, crash, or half-write the store.

For every implemented operation (``registry.implemented("ec2")`` and ``("sts")``) one real gateway
on loopback (module-scoped: booting one per operation would cost more than the fuzzing) receives,
in an account of the operation's own seeded with a small world (VPC, subnet, security group,
attached internet gateway, route table and association, key pair, volume, snapshot, network
interface, Elastic IP, DHCP options, network ACL, egress-only gateway, placement group, a
catalogue image and, for operations that name instances, an instance),

1. **model-valid requests**: parameters drawn by ``tests.protocol.strategies`` for the
   operation's input shape, with members named ``*Id``/``*Ids`` (and ``KeyName``, ``GroupName``,
   ``Resources``, CIDRs, private IPs, zones) replaced by values of the seeded world two times in
   three, ``DryRun`` mostly dropped (it answers before the handler), serialized by botocore's own
   serializer (``create_serializer``) into a form body and signed with SigV4;
2. **malformed requests**: such a body mutated 1-6 times — values swapped for wrong types, huge
   or non-finite numbers, empty or very long strings, invalid percent-escapes and non-UTF-8
   bytes; keys duplicated or dropped; garbage and deeply nested keys added; list indices made
   huge, zero, negative or non-numeric; scalar keys given sub-keys; any top-level member of the
   input shape (present or not) given a wrong-typed or wrongly nested value.

For every answer: the status is below 500; a 200 is exactly the operation's output shape
(``assert_xml_matches_shape``), anything else a well-formed error envelope of the protocol
(``assert_error_envelope``); an error leaves the store exactly as it was (nothing half-written,
instance buckets aside: the node simulator moves instances on its own); and the gateway still
answers ``DescribeVpcs`` afterwards.

Examples per operation and per kind: ``HIVE_FUZZ_EXAMPLES`` (default 3: the module runs in about
70 s on two cores); raise it for a soak run::

    HIVE_FUZZ_EXAMPLES=50 pytest tests/fuzz -q
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handlers  # noqa: F401  (registers every @action)
from hive_gateway.conformance.xml_check import (
    assert_error_envelope,
    assert_xml_matches_shape,
)
from hive_gateway.api.protocol.models import operation_model
from hive_gateway.core.registry import implemented
from kv.memory import MemoryStore
from kv.store import Store
from tests.fixtures.gateway import Credentials, RunningGateway, start_gateway
from tests.fixtures.raw import RawResponse, send
from tests.protocol.strategies import input_params

EXAMPLES = int(os.environ.get("HIVE_FUZZ_EXAMPLES", 3))
"""Examples per operation for each property (``HIVE_FUZZ_EXAMPLES``)."""

OPERATIONS = [("ec2", name) for name in implemented("ec2")] + [
    ("sts", name) for name in implemented("sts")
]
PROTOCOL = {"ec2": "ec2", "sts": "query"}

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)

#: Buckets that change on their own after an answer (the node simulator moves instances through
#: their states): left out of the before/after comparison of a failed request.
ASYNC_STATE_BUCKET = re.compile(r"instance|node|reservation|console", re.IGNORECASE)


def _op(service: str, name: str) -> OperationModel:
    model = operation_model(service, name)
    assert model is not None
    return model


# --- the seeded world ---------------------------------------------------------------------------


PUBLIC_KEY = b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMHF7DzNuAZJ3Kh2Ow+ao6yFOJ1jLVhKg3zUh1j6khg2 fuzz"


@dataclass
class World:
    """An account and its resources: real ids and names by kind (``vpc``, ``subnet``, ...)."""

    creds: Credentials
    ids: dict[str, list[str]]


def seed_world(gateway: RunningGateway, creds: Credentials, *, instance: bool = True) -> World:
    """Create the world in ``creds``' account; ``instance=False`` launches no instance (the
    built-in node's capacity is finite: only operations that name instances get one)."""
    ec2 = gateway.client("ec2", creds=creds)
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24")["Subnet"]
    sg = ec2.create_security_group(GroupName="fuzz-sg", Description="fuzz", VpcId=vpc)["GroupId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    rtbassoc = ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet["SubnetId"])
    key = ec2.import_key_pair(KeyName="fuzz-key", PublicKeyMaterial=PUBLIC_KEY)  # no RSA keygen
    zone = subnet["AvailabilityZone"]
    volume = ec2.create_volume(AvailabilityZone=zone, Size=1)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    eni = ec2.create_network_interface(SubnetId=subnet["SubnetId"])["NetworkInterface"]
    address = ec2.allocate_address(Domain="vpc")
    dopt = ec2.create_dhcp_options(
        DhcpConfigurations=[{"Key": "domain-name", "Values": ["fuzz.internal"]}]
    )["DhcpOptions"]["DhcpOptionsId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"]
    ec2.create_placement_group(GroupName="fuzz-pg", Strategy="spread")
    prefix_list = ec2.create_managed_prefix_list(
        PrefixListName="fuzz-pl", MaxEntries=2, AddressFamily="IPv4"
    )["PrefixList"]["PrefixListId"]
    vpce = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{gateway.settings.region}.s3", RouteTableIds=[rtb]
    )["VpcEndpoint"]["VpcEndpointId"]
    image = ec2.describe_images(MaxResults=5)["Images"][0]["ImageId"]  # from the catalogue
    template = ec2.create_launch_template(
        LaunchTemplateName="fuzz-lt", LaunchTemplateData={"ImageId": image}
    )["LaunchTemplate"]["LaunchTemplateId"]
    reservation = ec2.create_capacity_reservation(
        InstanceType="t3.micro", InstancePlatform="Linux/UNIX", AvailabilityZone=zone,
        InstanceCount=1, InstanceMatchCriteria="targeted",
    )["CapacityReservation"]["CapacityReservationId"]
    spot = ec2.request_spot_instances(  # too cheap to be fulfilled: launches nothing
        SpotPrice="0.000001", LaunchSpecification={"ImageId": image, "InstanceType": "t3.micro"}
    )["SpotInstanceRequests"][0]["SpotInstanceRequestId"]
    instance_id = "i-0123456789abcdef0"  # well-formed, missing
    try:
        if instance:
            instance_id = ec2.run_instances(
                ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                SubnetId=subnet["SubnetId"],
            )["Instances"][0]["InstanceId"]
    except ClientError as exc:
        # The built-in node is full (fuzzed RunInstances calls launch instances too).
        assert exc.response["Error"]["Code"] == "InsufficientInstanceCapacity", exc.response
    return World(creds, {
        "vpc": [vpc],
        "subnet": [subnet["SubnetId"]],
        "sg": [sg],
        "igw": [igw],
        "rtb": [rtb],
        "rtbassoc": [rtbassoc["AssociationId"]],
        "key": [key["KeyPairId"]],
        "keyname": [key["KeyName"]],
        "groupname": ["fuzz-sg", "default", "fuzz-pg"],
        "vol": [volume],
        "snap": [snapshot],
        "eni": [eni["NetworkInterfaceId"]],
        "eipalloc": [address["AllocationId"]],
        "publicip": [address["PublicIp"]],
        "dopt": [dopt, "default"],
        "acl": [acl],
        "eigw": [eigw["EgressOnlyInternetGatewayId"]],
        "pl": [prefix_list],
        "vpce": [vpce],
        "ami": [image],
        "lt": [template],
        "cr": [reservation],
        "sir": [spot],
        "instance": [instance_id],
        "zone": [zone],
        "cidr": ["10.7.2.0/24", "10.7.0.0/16", "0.0.0.0/0", "10.7.1.16/28", "192.168.0.0/16"],
        "ipv6cidr": ["::/0", "2001:db8::/56", "2001:db8::/64"],
        "ip": ["10.7.1.10", "10.7.1.200", "10.7.2.5"],
    })


#: Which kind of value a member wants, from its name (checked in order; the first match wins).
_KIND_BY_NAME = [
    ("ipv6cidr", "ipv6cidr"),
    ("cidr", "cidr"),
    ("publicip", "publicip"),
    ("privateipaddress", "ip"),
    ("routetableassociation", "rtbassoc"),
    ("associationid", "rtbassoc"),
    ("allocation", "eipalloc"),
    ("egressonly", "eigw"),
    ("networkinterface", "eni"),
    ("networkacl", "acl"),
    ("dhcpoptions", "dopt"),
    ("snapshot", "snap"),
    ("image", "ami"),
    ("launchtemplate", "lt"),
    ("capacityreservation", "cr"),
    ("spotinstancerequest", "sir"),
    ("instance", "instance"),
    ("prefixlist", "pl"),
    ("vpcendpoint", "vpce"),
    ("vpc", "vpc"),
    ("subnet", "subnet"),
    ("internetgateway", "igw"),
    ("routetable", "rtb"),
    ("gatewayid", "igw"),
    ("keypair", "key"),
    ("keyname", "keyname"),
    ("groupname", "groupname"),
    ("group", "sg"),
    ("volume", "vol"),
    ("availabilityzone", "zone"),
    ("zonename", "zone"),
]

#: Kinds that are not resource ids (not offered to a member that only says ``…Id``).
_NOT_IDS = {"keyname", "groupname", "zone", "cidr", "ipv6cidr", "ip", "publicip"}


def _wants_id(member_name: str) -> bool:
    lowered = member_name.lower()
    return bool(
        re.search(r"Ids?$", member_name)
        or member_name in ("Resources", "KeyName", "KeyNames", "GroupName", "GroupNames")
        or member_name in ("AvailabilityZone", "ZoneNames", "PublicIp", "PublicIps")
        or "cidr" in lowered
        or "privateipaddress" in lowered
    )


def _ids_for(member_name: str, world: World) -> list[str]:
    lowered = member_name.lower()
    for fragment, kind in _KIND_BY_NAME:
        if fragment in lowered:
            return world.ids[kind]
    return [
        value
        for kind, values in world.ids.items()
        if kind not in _NOT_IDS
        for value in values
    ]


def _bias(draw: st.DrawFn, shape: Shape, value: Any, world: World, name: str) -> Any:
    """``value`` with id-like strings replaced by real ids part of the time."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return {
            key: _bias(draw, shape.members[key], item, world, key) for key, item in value.items()
        }
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_bias(draw, shape.member, item, world, name) for item in value]
    if isinstance(shape, MapShape):
        return value
    if shape.type_name == "string" and not shape.enum and _wants_id(name):
        if draw(st.integers(0, 2)) > 0:  # two times in three: a real id
            return draw(st.sampled_from(_ids_for(name, world)))
    return value


@st.composite
def biased_params(draw: st.DrawFn, op: OperationModel, world: World) -> dict[str, Any]:
    params = draw(input_params(op), label="params")
    if op.input_shape is None:
        return params
    biased = dict(_bias(draw, op.input_shape, params, world, ""))
    if "DryRun" in biased and draw(st.integers(0, 9), label="dry-run kept") > 0:
        del biased["DryRun"]  # DryRun=true answers before the handler runs: keep it rare
    return biased


# --- wire forms ---------------------------------------------------------------------------------


def form_fields(op: OperationModel, params: dict[str, Any]) -> list[tuple[str, str]]:
    """The form botocore sends for ``params`` (Action and Version first)."""
    protocol = str(op.metadata["protocol"])
    request = create_serializer(protocol, include_validation=True).serialize_to_request(params, op)
    body: dict[str, Any] = request["body"]
    return [(str(k), str(v)) for k, v in body.items()]


def encode(fields: list[tuple[str, str | bytes]]) -> bytes:
    """Form-encode ``fields``; a ``bytes`` key or value goes on the wire as is (raw escapes)."""
    parts = []
    for key, value in fields:
        k = key if isinstance(key, bytes) else quote(key, safe="").encode("ascii")
        v = value if isinstance(value, bytes) else quote(value, safe="").encode("ascii")
        parts.append(k + b"=" + v)
    return b"&".join(parts)


def botocore_wire(fields: list[tuple[str, str]]) -> bytes:
    """Exactly the body botocore's prepared request carries."""
    prepared = AWSRequest(method="POST", url="https://example.com/", data=dict(fields)).prepare()
    raw = prepared.body
    return raw.encode("ascii") if isinstance(raw, str) else bytes(raw)


def wire_name(protocol: str, member: Shape, member_name: str) -> str:
    serialization = member.serialization
    if protocol == "ec2":
        if "queryName" in serialization:
            return str(serialization["queryName"])
        name = serialization.get("name")
        return str(name[0].upper() + name[1:]) if name else member_name
    return str(serialization.get("name", member_name))


#: Values that break something for some type: wrong types, huge and non-finite numbers, empty,
#: whitespace, control characters, XML-hostile text, timestamps out of range.
NASTY_VALUES: list[str | bytes] = [
    "",
    " ",
    "abc",
    "true",
    "TRUE",
    "yes",
    "0",
    "-1",
    "1.5",
    "-0",
    "+7",
    "1e3",
    "99999999999999999999999999999999999999",
    "9" * 5000,
    "-9223372036854775809",
    "18446744073709551616",
    "2147483648",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "0x10",
    "１２",  # full-width digits
    "1_000",
    "0000-00-00T00:00:00Z",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00-14:00",
    "99999999999999999",
    "-5",
    "null",
    "[]",
    "{}",
    "\x00",
    "\x1f\x7f",
    "\u0085\u2028\ufeff\U0001f600",
    "é" * 100,
    "<x>&amp;</x>]]>",
    "a" * 300,
    "x" * 200_000,
    "vpc-",
    "vpc-" + "f" * 17,
    "subnet-00000000",
    "sg-*",
    "10.0.0.0/33",
    "10.0.0.0/0",
    "::/0",
    "256.1.1.1",
    "10.7.1.5",
    "-1/-1",
    "%",
    "%zz",
    "%ff%fe",
    "%C3%28",
    "%ED%A0%80",  # an encoded surrogate: not UTF-8
    "%00",
    b"%",
    b"%zz",
    b"%ff%fe",
    b"%C3%28",
    b"%ED%A0%80",
    b"\xff\xfe",
    b"a+b%2",
    b"=",
    b"%3D%26",
]

GARBAGE_KEYS: list[str | bytes] = [
    "",
    ".",
    "..",
    "Foo",
    "Action.1",
    "Version.x",
    "Filter.1.Name.1.X.2.Y.3.Z",
    "Filter.0.Name",
    "Filter.-1.Name",
    "Filter.1e5.Name",
    "Filter..Name",
    "Filter.4294967296.Name",
    "Filter.99999999999999999999.Value.1",
    "Filter.1.Value.999999999",
    "Tag.1.Key.Value",
    "TagSpecification.1.Tag.1.Key.1",
    ".".join(["A"] * 2000),
    ".".join(str(i) for i in range(1, 500)),
    "x" * 100_000,
    b"%ff",
    b"%",
    "\u2028",
]


def _indexed_variants(key: str) -> list[str]:
    """``key`` with its first list index made huge, zero, negative or non-numeric."""
    match = re.search(r"\.(\d+)(?=\.|$)", key)
    if match is None:
        return []
    head, tail = key[: match.start(1)], key[match.end(1) :]
    return [head + index + tail for index in ("0", "-1", "01", "4294967297", "1.5", "", "x")]


@st.composite
def malformed_body(draw: st.DrawFn, op: OperationModel, world: World) -> bytes:
    protocol = str(op.metadata["protocol"])
    fields: list[tuple[str | bytes, str | bytes]] = list(
        form_fields(op, draw(biased_params(op, world)))
    )
    nasty = st.sampled_from(NASTY_VALUES)
    members: dict[str, Shape] = dict(op.input_shape.members) if op.input_shape else {}
    for _ in range(draw(st.integers(1, 6), label="mutations")):
        kind = draw(
            st.sampled_from(
                ["value", "duplicate", "drop", "garbage", "index", "member", "nested"]
            ),
            label="mutation",
        )
        keyed = [i for i, (k, _) in enumerate(fields) if k not in ("Action", "Version")]
        if kind == "value" and keyed:
            i = draw(st.sampled_from(keyed))
            fields[i] = (fields[i][0], draw(nasty))
        elif kind == "duplicate" and keyed:
            i = draw(st.sampled_from(keyed))
            fields.insert(draw(st.integers(0, len(fields))), (fields[i][0], draw(nasty)))
        elif kind == "drop" and keyed:
            del fields[draw(st.sampled_from(keyed))]
        elif kind == "garbage":
            fields.append((draw(st.sampled_from(GARBAGE_KEYS)), draw(nasty)))
        elif kind == "index" and keyed:
            i = draw(st.sampled_from(keyed))
            key = fields[i][0]
            variants = _indexed_variants(key) if isinstance(key, str) else []
            if variants:
                fields[i] = (draw(st.sampled_from(variants)), fields[i][1])
        elif kind == "member" and members:
            # A top-level member, present or not, with a value of the wrong type or shape.
            name = draw(st.sampled_from(sorted(members)))
            member = members[name]
            wire = wire_name(protocol, member, name)
            suffix = draw(st.sampled_from(["", ".1", ".1.Name", ".1.Value.1", ".1.1", ".Foo"]))
            fields.append((wire + suffix, draw(nasty)))
        elif kind == "nested" and keyed:
            # A scalar key given sub-keys (``VpcId.1.Foo``), or a container key a value.
            i = draw(st.sampled_from(keyed))
            key = fields[i][0]
            if isinstance(key, str):
                extra = draw(st.sampled_from([".1", ".Foo", ".1.Foo", ".entry.1.key"]))
                fields.append((key + extra, draw(nasty)))
                fields.append((key.rsplit(".", 1)[0], draw(nasty)))
    return encode(fields)  # type: ignore[arg-type]


# --- assertions ---------------------------------------------------------------------------------


def post(
    gateway: RunningGateway, service: str, body: bytes, creds: Credentials | None = None
) -> RawResponse:
    creds = creds or gateway.admin
    return send(
        gateway.url,
        body,
        access_key=creds.access_key_id,
        secret_key=creds.secret_access_key,
        service=service,
        region=gateway.settings.region,
    )


_ACCOUNT_KEY = re.compile(r"[0-9]{12}\.")


def store_snapshot(gateway: RunningGateway, account_id: str) -> dict[str, dict[str, bytes]]:
    """What ``account_id`` owns in every bucket of the in-memory store.

    That is its own keys (``<account>.…``) and the keys of no account (IPAM allocations by
    subnet, the public IP pool) except what belongs to another account: an IPAM record of another
    account's subnet, another account's entries of the public pool. Those change on their own
    while a request runs (an instance of an earlier test terminating gives its addresses back),
    and they are other tests' business. An account-less key owned by nobody (an orphan a failed
    request left behind) is kept, so it shows up as a change.

    Left out, as they change on their own after an answer: instance buckets (the node simulator
    moves instances through their states) and records being deleted (``"state":"deleting"``,
    e.g. placement groups, removed a moment later).
    """
    store: Any = gateway.runtime.store
    prefix = f"{account_id}."

    def own_share(value: bytes) -> bytes:
        try:
            record = json.loads(value)
        except ValueError:
            return value
        allocated = record.get("allocated") if isinstance(record, dict) else None
        if not isinstance(allocated, dict):
            return value
        record["allocated"] = {
            ip: entry
            for ip, entry in allocated.items()
            if not isinstance(entry, dict) or entry.get("account_id", account_id) == account_id
        }
        return json.dumps(record, sort_keys=True).encode()

    async def dump() -> dict[str, dict[str, bytes]]:
        buckets = {
            name: {
                key: slot.value
                for key, slot in bucket._slots.items()
                if slot.value is not None and key != "_version"
            }
            for name, bucket in store._buckets.items()
            if not ASYNC_STATE_BUCKET.search(name)
        }
        foreign = {
            key.split(".", 1)[1]
            for keys in buckets.values()
            for key in keys
            if _ACCOUNT_KEY.match(key) and not key.startswith(prefix)
        }
        snapshot: dict[str, dict[str, bytes]] = {}
        for name, keys in buckets.items():
            live = {
                key: value if _ACCOUNT_KEY.match(key) else own_share(value)
                for key, value in keys.items()
                if (key.startswith(prefix) or not (_ACCOUNT_KEY.match(key) or key in foreign))
                and b'"state":"deleting"' not in value
            }
            if live:
                snapshot[name] = live
        return snapshot

    return gateway.run(dump())


def check(
    gateway: RunningGateway, world: World, op: OperationModel, service: str, body: bytes
) -> RawResponse:
    """Send ``body``; assert no 5xx, a well-formed answer, nothing half-written, still alive."""
    protocol = PROTOCOL[service]
    before = store_snapshot(gateway, world.creds.account_id)
    answer = post(gateway, service, body, world.creds)
    assert answer.status < 500, (
        f"{op.name}: HTTP {answer.status} for body {body[:2000]!r}\n{answer.body[:2000]!r}"
    )
    if answer.status == 200:
        assert_xml_matches_shape(answer.body, op)
    else:
        assert_error_envelope(answer.body, protocol)
        after = store_snapshot(gateway, world.creds.account_id)
        assert after == before, (
            f"{op.name} failed ({answer.body[:500]!r}) but changed the store: "
            f"{_diff(before, after)} for body {body[:2000]!r}"
        )
    alive = post(gateway, "ec2", b"Action=DescribeVpcs&Version=2016-11-15", world.creds)
    assert alive.status == 200, f"DescribeVpcs after {op.name}: {alive.status} {alive.body!r}"
    return answer


def _diff(before: dict[str, dict[str, bytes]], after: dict[str, dict[str, bytes]]) -> str:
    changes = []
    for bucket in sorted(set(before) | set(after)):
        old, new = before.get(bucket, {}), after.get(bucket, {})
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                changes.append(f"{bucket}/{key}: {old.get(key)!r} -> {new.get(key)!r}")
    return "; ".join(changes)[:3000]


# --- the properties -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    """One gateway for the module (as ``tests.fixtures.gateway.gateway``, in-memory store):
    booting one per operation would cost more than the fuzzing; each test gets its own account."""

    async def memory() -> Store:
        return MemoryStore()

    running = start_gateway(memory, tmp_path_factory.mktemp("fuzz"))
    yield running
    running._stop()


_WORLDS: dict[tuple[str, str], World] = {}
_ACCOUNT_NUMBERS = itertools.count(1)


@pytest.fixture
def world(gateway: RunningGateway, service: str, name: str) -> World:
    """The operation's own account with a seeded world (shared by its valid and malformed runs:
    seeding costs more than a few examples)."""
    key = (service, name)
    if key not in _WORLDS:
        creds = gateway.create_account(f"fuzz-{next(_ACCOUNT_NUMBERS)}")
        op = _op(service, name)
        members = op.input_shape.members if op.input_shape else {}
        wants_instance = "Instance" in name or any("Instance" in m for m in members)
        _WORLDS[key] = seed_world(gateway, creds, instance=wants_instance)
    return _WORLDS[key]


_IDS = [f"{s}:{n}" for s, n in OPERATIONS]


@pytest.mark.parametrize(("service", "name"), OPERATIONS, ids=_IDS)
@FUZZ_SETTINGS
@given(data=st.data())
def test_valid_requests_never_fail_the_server(
    gateway: RunningGateway, world: World, service: str, name: str, data: st.DataObject
) -> None:
    op = _op(service, name)
    params = data.draw(biased_params(op, world), label="params")
    check(gateway, world, op, service, botocore_wire(form_fields(op, params)))


@pytest.mark.parametrize(("service", "name"), OPERATIONS, ids=_IDS)
@FUZZ_SETTINGS
@given(data=st.data())
def test_malformed_requests_never_fail_the_server(
    gateway: RunningGateway, world: World, service: str, name: str, data: st.DataObject
) -> None:
    op = _op(service, name)
    body = data.draw(malformed_body(op, world), label="body")
    check(gateway, world, op, service, body)


# --- regressions: what the fuzz found -----------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "name", "body", "code"),
    [
        # An id that is no valid KV key reached the store (InvalidKeyError → 500).
        ("ec2", "AssociateDhcpOptions", "DhcpOptionsId=&VpcId=vpc-0123456789abcdef0",
         "InvalidDhcpOptionID.NotFound"),
        ("ec2", "DeleteDhcpOptions", "DhcpOptionsId=dopt-%C3%A9", "InvalidDhcpOptionID.NotFound"),
        ("ec2", "DeleteNetworkAcl", "NetworkAclId=acl-a..b", "InvalidNetworkAclID.NotFound"),
        ("ec2", "DeleteEgressOnlyInternetGateway", "EgressOnlyInternetGatewayId=.",
         "InvalidGatewayID.NotFound"),
        # MaxResults of a model without bounds: an empty page had no last key (IndexError → 500).
        ("ec2", "DescribeImages", "MaxResults=0", "InvalidParameterValue"),
        ("ec2", "DescribeVolumes", "MaxResults=-1", "InvalidParameterValue"),
        ("ec2", "DescribeSnapshots", "MaxResults=0", "InvalidParameterValue"),
        ("ec2", "DescribeTags", "MaxResults=0", "InvalidParameterValue"),
    ],
    ids=lambda value: value if isinstance(value, str) and " " not in value else None,
)
def test_found_by_fuzzing(
    gateway: RunningGateway, world: World, service: str, name: str, body: str, code: str
) -> None:
    op = _op(service, name)
    version = op.metadata["apiVersion"]
    wire = f"Action={name}&Version={version}&{body}".encode()
    answer = check(gateway, world, op, service, wire)
    assert_error_envelope(answer.body, PROTOCOL[service], code=code)


# --- nothing half-written: a request that fails part-way leaves every resource as it was ---------


def _tags_of(ec2: Any, resource_id: str) -> list[dict[str, str]]:
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [resource_id]}])["Tags"]
    return sorted(tags, key=lambda tag: tag["Key"])


def _fails(call: Any, **params: Any) -> str:
    try:
        call(**params)
    except ClientError as exc:
        status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
        assert status < 500, exc.response
        return str(exc.response["Error"]["Code"])
    raise AssertionError(f"{call.__name__} succeeded")


def test_failed_multi_resource_requests_write_nothing(gateway: RunningGateway) -> None:
    creds = gateway.create_account("fuzz-half-written")
    world = seed_world(gateway, creds)
    ec2 = gateway.client("ec2", creds=creds)
    vpc, sg, subnet = world.ids["vpc"][0], world.ids["sg"][0], world.ids["subnet"][0]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "keep", "Value": "1"}])

    def state() -> Any:
        return (
            ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"],
            ec2.describe_subnets(SubnetIds=[subnet])["Subnets"],
            ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"],
            ec2.describe_security_group_rules(
                Filters=[{"Name": "group-id", "Values": [sg]}]
            )["SecurityGroupRules"],
            ec2.describe_route_tables()["RouteTables"],
            ec2.describe_tags()["Tags"],
            store_snapshot(gateway, creds.account_id),
        )

    before = state()
    # Tags on a real VPC and a missing one: all or nothing.
    assert _fails(
        ec2.create_tags, Resources=[vpc, subnet, "vpc-0123456789abcdef0"],
        Tags=[{"Key": "new", "Value": "x"}],
    ).endswith(".NotFound")
    # The second tag is invalid (reserved prefix, too long a key).
    _fails(
        ec2.create_tags, Resources=[vpc],
        Tags=[{"Key": "fine", "Value": "x"}, {"Key": "aws:reserved", "Value": "x"}],
    )
    _fails(
        ec2.create_tags, Resources=[vpc],
        Tags=[{"Key": "fine", "Value": "x"}, {"Key": "k" * 200, "Value": "x"}],
    )
    _fails(ec2.delete_tags, Resources=[vpc, "subnet-0123456789abcdef0"], Tags=[{"Key": "keep"}])
    # The second permission is invalid: the first must not be authorized alone.
    good = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
    for bad in (
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/33"}]},
        {"IpProtocol": "tcp", "FromPort": 90, "ToPort": 80, "IpRanges": [{"CidrIp": "1.2.3.4/32"}]},
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
         "UserIdGroupPairs": [{"GroupId": "sg-0123456789abcdef0"}]},
        {"IpProtocol": "bogus", "FromPort": 1, "ToPort": 2, "IpRanges": [{"CidrIp": "1.2.3.4/32"}]},
    ):
        _fails(ec2.authorize_security_group_ingress, GroupId=sg, IpPermissions=[good, bad])
        _fails(ec2.authorize_security_group_egress, GroupId=sg, IpPermissions=[good, bad])
    # Revoking an existing rule together with one that does not exist.
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[good])
    before = state()
    missing = {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53,
               "IpRanges": [{"CidrIp": "10.9.9.9/32"}]}
    _fails(ec2.revoke_security_group_ingress, GroupId=sg, IpPermissions=[good, missing])
    # A route to a missing target, a subnet CIDR outside its VPC.
    rtb = world.ids["rtb"][0]
    _fails(ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
           GatewayId="igw-0123456789abcdef0")
    _fails(ec2.create_subnet, VpcId=vpc, CidrBlock="10.8.0.0/24")
    _fails(ec2.delete_vpc, VpcId=vpc)  # it still has a subnet, a group, a gateway
    assert state() == before
    assert _tags_of(ec2, vpc) == [
        {"Key": "keep", "ResourceId": vpc, "ResourceType": "vpc", "Value": "1"}
    ]


def test_credit_specification_failures_use_the_models_codes(gateway: RunningGateway) -> None:
    """Found by fuzzing: per-instance codes outside the model's enum (and a per-instance
    failure for a missing CpuCredits, which refuses the whole request)."""
    creds = gateway.create_account("fuzz-credits")
    world = seed_world(gateway, creds)
    op = _op("ec2", "ModifyInstanceCreditSpecification")
    fields = form_fields(op, {"InstanceCreditSpecifications": [{"InstanceId": world.ids["instance"][0]}]})
    answer = post(gateway, "ec2", botocore_wire(fields), creds)
    assert answer.status == 400
    assert_error_envelope(answer.body, "ec2", code="InvalidParameterValue")
    fields = form_fields(
        op, {"InstanceCreditSpecifications": [{"InstanceId": "i-0123456789abcdef0", "CpuCredits": "standard"}]}
    )
    answer = post(gateway, "ec2", botocore_wire(fields), creds)
    assert answer.status == 200
    assert_xml_matches_shape(answer.body, op)
    assert b"<code>InvalidInstanceID.NotFound</code>" in answer.body


def test_detach_internet_gateway_from_no_vpc(gateway: RunningGateway) -> None:
    """A detached gateway's record says ``vpc_id: ""``: ``VpcId=`` matched it and the empty id
    reached the VPC index (InvalidKeyError → 500). Found by the fuzz test."""
    creds = gateway.create_account("fuzz-detach")
    world = seed_world(gateway, creds, instance=False)
    op = _op("ec2", "DetachInternetGateway")
    ec2 = gateway.client("ec2", creds=creds)
    detached = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    attached, vpc = world.ids["igw"][0], world.ids["vpc"][0]
    for igw, vpc_id, code in [
        (detached, "", "InvalidVpcID.Malformed"),
        (detached, vpc, "Gateway.NotAttached"),
        (attached, "", "InvalidVpcID.Malformed"),
        (attached, "vpc-a.b", "Gateway.NotAttached"),
        (attached, "vpc-0123456789abcdef0", "Gateway.NotAttached"),
    ]:
        body = f"Action=DetachInternetGateway&Version=2016-11-15&InternetGatewayId={igw}&VpcId={vpc_id}"
        answer = check(gateway, world, op, "ec2", body.encode())
        assert_error_envelope(answer.body, "ec2", code=code)
    ec2.detach_internet_gateway(InternetGatewayId=attached, VpcId=vpc)  # still works
