"""The gateway ↔ daemon contract: Hive's NATS subjects, payloads and instance-state KV layout.

Both sides import this module: the gateway (``handlers/instances.py``, through
:class:`DaemonClient`) and the built-in node simulator (:mod:`hive_gateway.node`). The gateway
cannot tell whether the simulator or a real Hive daemon answers; everything below is what Hive's
Go code (``hive/daemon/daemon.go``, ``daemon_handlers*.go``, ``jetstream.go``,
``gateway/ec2/instance/*.go``, ``utils/nats.go``; Spinifex for the multi-node additions) puts on
the wire.

Division of labour
==================

The **gateway** validates the request (image, subnet, security groups, key pair, placement group,
instance type, counts), creates the network interfaces and root volumes (so that
DescribeNetworkInterfaces/DescribeVolumes see them), keeps the API-level instance record in the
``instances`` bucket (tags, ENIs, placement, key name, user data, attributes, credit
specification, metadata options, client token) and asks the daemons to *run* the instances.

The **daemon** (one per host) owns placement acceptance and the lifecycle: it answers
``ec2.RunInstances.<type>[.<node>]`` with a Reservation, moves instances
pending → running → stopping/stopped → shutting-down → terminated, keeps them in the
``<prefix>-instance-state`` KV bucket, and reports the lifecycle state through the
``ec2.DescribeInstances`` scatter-gather. The gateway merges that state into its own view.

Because the gateway created the primary network interface, it passes it to the daemon the way
AWS launches an instance with an existing interface::

    "NetworkInterfaces": [{"DeviceIndex": 0, "NetworkInterfaceId": "eni-…", "SubnetId": "subnet-…",
                           "Groups": ["sg-…"], "PrivateIpAddress": "10.0.1.4",
                           "AssociatePublicIpAddress": true, "DeleteOnTermination": true, …}]

with the top-level ``SubnetId``/``SecurityGroupIds`` left ``null`` (a Hive daemon that saw a
top-level ``SubnetId`` would auto-create a second interface). Each daemon request launches
exactly one instance (``MinCount = MaxCount = 1``) because every instance has its own interface;
the gateway aggregates them into one reservation (the first reply's ``ReservationId``, as
Spinifex's ``aggregateResults`` does).

Subjects (``<prefix>`` is the deployment prefix: ``hive``, ``spinifex``, …)
======================================================================================

=====================================  ==========================  ==================================
subject                                subscription                 payload → reply
=====================================  ==========================  ==================================
``<prefix>.nodes.discover``            fan-out                      ``{}`` → ``{"node": "node1"}``
``<prefix>.node.status``               fan-out                      ``{}`` → NodeStatusResponse
``ec2.RunInstances.<type>``            queue ``<prefix>-workers``    RunInstancesInput → Reservation
``ec2.RunInstances.<type>.<node>``     plain (targeted)             RunInstancesInput → Reservation
``ec2.DescribeInstances``              fan-out                      DescribeInstancesInput → Output
``ec2.DescribeStoppedInstances``       queue ``<prefix>-workers``    DescribeInstancesInput → Output
``ec2.DescribeInstanceTypes``          fan-out                      Input → Output (what fits now)
``ec2.cmd.<instance-id>``              plain, owning node only      InstanceCommand → ``{}`` / status
``ec2.start``                          queue ``<prefix>-workers``    ``{"instance_id"}`` → status
``ec2.terminate``                      queue ``<prefix>-workers``    ``{"instance_id"}`` → status
``ec2.ModifyInstanceAttribute``        queue ``<prefix>-workers``    ModifyInstanceAttributeInput → ``{}``
``ec2.<instance-id>.GetConsoleOutput`` plain, owning node only      GetConsoleOutputInput → Output
=====================================  ==========================  ==================================

A node subscribes to ``ec2.RunInstances.<type>`` (and its targeted twin) only while it has room
for one more instance of that type, so *no responders* means *no capacity*. Stopped instances
leave their node: the node writes them to ``instance.<id>`` in the shared KV bucket and drops the
``ec2.cmd.<id>`` subscription, so a command for them gets no responders and the gateway falls
back to ``ec2.start`` / ``ec2.terminate`` (any node may pick them up).

Every gateway request carries the caller's account in the ``X-Account-ID`` header; daemons scope
what they report and refuse foreign instances with ``InvalidInstanceID.NotFound``.

Payloads
========

Requests and replies are aws-sdk-go **v1** structs marshalled by Go's ``encoding/json``: every
member under its PascalCase name exactly as botocore's shape names it, ``null`` for unset
members (nothing is omitted), timestamps as Go marshals ``time.Time`` (RFC 3339 with up to nine
fractional digits, trailing zeros dropped: ``"2026-05-01T10:20:30.5Z"``), blobs as standard
base64. :func:`encode` / :func:`decode` implement that for any botocore shape; ``decode`` is
strict like Hive's ``UnmarshalJsonPayload`` (Go's case-insensitive field matching,
``DisallowUnknownFields`` → ``ValidationError``).

Errors are Hive's ``utils.GenerateErrorPayload``::

    {"Code": "InsufficientInstanceCapacity", "Message": null}

A reply is an error when it decodes strictly into that two-member shape with a non-null
``Code`` (Hive's ``ValidateErrorPayload``). The gateway words the AWS message itself.

The per-instance command (Spinifex ``types.EC2InstanceCommand``; every flag always present)::

    {"id": "i-0abc…", "attributes": {"stop_instance": true, "delete_instance": false,
     "start_instance": false, "attach_volume": false, "detach_volume": false,
     "reboot_instance": false}}

Stop replies ``{}``; terminate sets ``stop_instance`` and ``delete_instance`` (replies ``{}``);
start replies ``{"status":"running","instanceId":"i-…"}``; ``ec2.terminate`` replies
``{"status":"terminated","instanceId":"i-…"}``.

Instance-state KV (``<prefix>-instance-state``, ``jetstream.go``)
=================================================================

* ``node.<node>`` → ``{"vms": {"i-…": VM, …}}`` — every instance a node runs (terminated ones
  included until they expire);
* ``instance.<id>`` → ``VM`` — a stopped instance, owned by no node.

``VM`` is ``vm.VM``'s JSON: ``id``, ``status`` (``pending|running|stopping|stopped|
shutting-down|terminated``), ``instance_type``, ``config`` (``cpu_count``, ``memory``,
``architecture``…), ``attributes`` (the command flags), ``run_instances_input``,
``reservation``, ``instance`` (aws-sdk-go ``Reservation``/``Instance`` JSON), ``account_id``,
``eni_id``, ``eni_mac``, ``public_ip``, ``placement_group_name``, ``placement_group_node``,
``last_node``. The simulator adds ``state_changed_at`` and ``terminated_at`` (RFC 3339), which
Go's decoder ignores.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timezone
from typing import Any, Final

from botocore.model import ListShape, MapShape, Shape, StructureShape

from hive_gateway.hive.bus import Bus, BusError, NoRespondersError, RequestTimeoutError
from hive_gateway.api.protocol.models import service_model

LOG = logging.getLogger(__name__)

# --- names -------------------------------------------------------------------------------------

ACCOUNT_HEADER: Final = "X-Account-ID"
"""Hive's ``utils.AccountIDHeader``: the caller's 12-digit account on every daemon request."""

INSTANCE_STATE_BUCKET: Final = "instance_state"
"""Logical bucket (see :mod:`kv.buckets`) of Hive's ``<prefix>-instance-state``."""

NODE_KEY_PREFIX: Final = "node."
STOPPED_KEY_PREFIX: Final = "instance."

DESCRIBE_INSTANCES: Final = "ec2.DescribeInstances"
DESCRIBE_STOPPED_INSTANCES: Final = "ec2.DescribeStoppedInstances"
DESCRIBE_INSTANCE_TYPES: Final = "ec2.DescribeInstanceTypes"
START_STOPPED: Final = "ec2.start"
TERMINATE_STOPPED: Final = "ec2.terminate"
MODIFY_INSTANCE_ATTRIBUTE: Final = "ec2.ModifyInstanceAttribute"

RUN_TIMEOUT: Final = 300.0
"""Hive's gateway waits 5 minutes for ``RunInstances`` (volume cloning can be slow)."""
COMMAND_TIMEOUT: Final = 30.0
GATHER_TIMEOUT: Final = 3.0
"""Hive's scatter-gather window (``DescribeInstances``, ``node.status``)."""
DISCOVER_WINDOW: Final = 0.25
"""How long node discovery listens (Hive: 500 ms)."""
NODE_CACHE_SECONDS: Final = 5.0

#: EC2 instance state codes (``vm.EC2StateCodes``).
STATE_CODES: Final[dict[str, int]] = {
    "pending": 0,
    "running": 16,
    "shutting-down": 32,
    "terminated": 48,
    "stopping": 64,
    "stopped": 80,
}


def queue_group(prefix: str) -> str:
    """Hive's worker queue group: ``hive-workers`` (``spinifex-workers`` at HEAD)."""
    return f"{prefix}-workers"


def nodes_discover_subject(prefix: str) -> str:
    """``hive.nodes.discover``: every node answers ``{"node": "<name>"}``."""
    return f"{prefix}.nodes.discover"


def node_status_subject(prefix: str) -> str:
    """``hive.node.status``: every node answers a :class:`NodeStatus`."""
    return f"{prefix}.node.status"


def run_instances_subject(instance_type: str, node: str | None = None) -> str:
    """``ec2.RunInstances.<type>`` (queue group) or ``ec2.RunInstances.<type>.<node>``."""
    subject = f"ec2.RunInstances.{instance_type}"
    return f"{subject}.{node}" if node else subject


def command_subject(instance_id: str) -> str:
    """``ec2.cmd.<instance-id>``, subscribed by the node running the instance."""
    return f"ec2.cmd.{instance_id}"


def console_subject(instance_id: str) -> str:
    """``ec2.<instance-id>.GetConsoleOutput``, subscribed by the node running the instance."""
    return f"ec2.{instance_id}.GetConsoleOutput"


def node_key(node: str) -> str:
    """KV key of a node's instance map."""
    return NODE_KEY_PREFIX + node


def stopped_key(instance_id: str) -> str:
    """KV key of a stopped instance in the shared bucket."""
    return STOPPED_KEY_PREFIX + instance_id


# --- Go time -----------------------------------------------------------------------------------

_GO_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$"
)


def go_time(value: datetime) -> str:
    """``time.Time`` JSON: RFC 3339, fraction without trailing zeros, ``Z`` for UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_go_time(text: str) -> datetime:
    """Parse RFC 3339 as Go writes it (up to 9 fractional digits) into an aware datetime."""
    match = _GO_TIME.match(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0").ljust(6, "0")[:6])
    tz = UTC
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        from datetime import timedelta

        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
    ).astimezone(UTC)


# --- aws-sdk-go v1 JSON codec -------------------------------------------------------------------


class ContractError(Exception):
    """A payload does not fit its shape; ``code`` is the error a Hive daemon would answer."""

    def __init__(self, message: str, code: str = "ValidationError") -> None:
        super().__init__(message)
        self.code = code


def shape(name: str) -> Shape:
    """The botocore EC2 shape ``name`` (``RunInstancesRequest``, ``Reservation`` …)."""
    return service_model("ec2").shape_for(name)


def input_shape(operation: str) -> StructureShape:
    """The input shape of an EC2 operation (aws-sdk-go's ``<Operation>Input``)."""
    found = service_model("ec2").operation_model(operation).input_shape
    assert isinstance(found, StructureShape)
    return found


def output_shape(operation: str) -> StructureShape:
    """The output shape of an EC2 operation (aws-sdk-go's ``<Operation>Output``)."""
    found = service_model("ec2").operation_model(operation).output_shape
    assert isinstance(found, StructureShape)
    return found


def encode(target: Shape | str, value: Any) -> Any:
    """``value`` (a dict keyed by member names, as handlers use) as aws-sdk-go v1 marshals it.

    Every member of a structure is present, ``null`` when unset; members are written in the
    alphabetical order of the generated Go struct. An unknown key is a programming error.
    """
    resolved = shape(target) if isinstance(target, str) else target
    return _encode(resolved, value, resolved.name)


def _encode(s: Shape, value: Any, path: str) -> Any:
    if value is None:
        return None
    if isinstance(s, StructureShape):
        if not isinstance(value, Mapping):
            raise TypeError(f"{path}: expected a mapping for {s.name}")
        unknown = [key for key in value if key not in s.members]
        if unknown:
            raise ValueError(f"{path}: {unknown} are not members of {s.name}")
        return {
            name: _encode(member, value.get(name), f"{path}.{name}")
            for name, member in sorted(s.members.items())
        }
    if isinstance(s, ListShape):
        return [_encode(s.member, item, f"{path}[]") for item in value]
    if isinstance(s, MapShape):
        return {str(k): _encode(s.value, v, f"{path}[{k}]") for k, v in value.items()}
    kind = s.type_name
    if kind == "timestamp":
        if isinstance(value, str):
            value = parse_go_time(value)
        return go_time(value)
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    if kind == "boolean":
        return bool(value)
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("float", "double"):
        return float(value)
    return str(value)


def decode(target: Shape | str, data: Any, *, strict: bool = True) -> Any:
    """JSON produced by Go (or :func:`encode`) back into a member-name dict without nulls.

    Field names match case-insensitively (Go's ``encoding/json``); with ``strict`` an unknown
    field or a mistyped value raises :class:`ContractError` (``ValidationError``), as Hive's
    ``UnmarshalJsonPayload`` answers.
    """
    resolved = shape(target) if isinstance(target, str) else target
    return _decode(resolved, data, resolved.name, strict)


def _decode(s: Shape, value: Any, path: str, strict: bool) -> Any:
    if value is None:
        return None
    if isinstance(s, StructureShape):
        if not isinstance(value, Mapping):
            raise ContractError(f"{path}: expected an object for {s.name}")
        lowered = {name.lower(): name for name in s.members}
        result: dict[str, Any] = {}
        for key, item in value.items():
            name = key if key in s.members else lowered.get(str(key).lower())
            if name is None:
                if strict:
                    raise ContractError(f'{path}: json: unknown field "{key}"')
                continue
            decoded = _decode(s.members[name], item, f"{path}.{name}", strict)
            if decoded is not None:
                result[name] = decoded
        return result
    if isinstance(s, ListShape):
        if not isinstance(value, list):
            raise ContractError(f"{path}: expected an array")
        return [_decode(s.member, item, f"{path}[]", strict) for item in value]
    if isinstance(s, MapShape):
        if not isinstance(value, Mapping):
            raise ContractError(f"{path}: expected an object")
        return {str(k): _decode(s.value, v, f"{path}[{k}]", strict) for k, v in value.items()}
    kind = s.type_name
    try:
        if kind == "timestamp":
            return parse_go_time(str(value))
        if kind == "blob":
            return base64.b64decode(str(value), validate=True)
        if kind == "boolean":
            if not isinstance(value, bool):
                raise TypeError(value)
            return value
        if kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(value)
            return int(value)
        if kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(value)
            return float(value)
        if not isinstance(value, str):
            raise TypeError(value)
        return value
    except (TypeError, ValueError, binascii.Error) as exc:
        raise ContractError(f"{path}: cannot unmarshal {value!r} into {kind}") from exc


def dumps(payload: Any) -> bytes:
    """Compact JSON bytes, as Go's ``json.Marshal`` writes them."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def loads(data: bytes) -> Any:
    """Parse a JSON payload (``ContractError`` when it is not JSON)."""
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ContractError(f"payload is not JSON: {exc}") from exc


def encode_message(target: Shape | str, value: Any) -> bytes:
    """:func:`encode` then :func:`dumps`."""
    return dumps(encode(target, value))


def decode_message(target: Shape | str, data: bytes, *, strict: bool = True) -> dict[str, Any]:
    """:func:`loads` then :func:`decode`."""
    decoded = decode(target, loads(data), strict=strict)
    if not isinstance(decoded, dict):
        raise ContractError("payload is not an object")
    return decoded


# --- errors -------------------------------------------------------------------------------------


class DaemonError(Exception):
    """A daemon answered with Hive's error payload."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(code if message is None else f"{code}: {message}")
        self.code = code
        self.message = message


def error_payload(code: str, message: str | None = None) -> bytes:
    """``utils.GenerateErrorPayload(code)``: ``{"Code":"…","Message":null}``."""
    return dumps({"Code": code, "Message": message})


def error_code(data: bytes) -> str | None:
    """The ``Code`` of an error reply, or ``None`` for any other reply (``ValidateErrorPayload``)."""
    try:
        value = json.loads(data)
    except ValueError:
        return None
    if not isinstance(value, dict) or not value:
        return None
    if any(str(key).lower() not in ("code", "message") for key in value):
        return None
    code = next((v for k, v in value.items() if str(k).lower() == "code"), None)
    return code if isinstance(code, str) and code else None


def raise_for_error(data: bytes) -> bytes:
    """``data`` unless it is an error payload, which becomes :class:`DaemonError`."""
    code = error_code(data)
    if code is not None:
        message = json.loads(data).get("Message")
        raise DaemonError(code, message if isinstance(message, str) else None)
    return data


# --- command and small payloads --------------------------------------------------------------------

COMMAND_FLAGS: Final = (
    "stop_instance",
    "delete_instance",
    "start_instance",
    "attach_volume",
    "detach_volume",
    "reboot_instance",
)


@dataclass(frozen=True, slots=True)
class InstanceCommand:
    """Spinifex ``types.EC2InstanceCommand`` on ``ec2.cmd.<id>``."""

    id: str
    stop_instance: bool = False
    delete_instance: bool = False
    start_instance: bool = False
    attach_volume: bool = False
    detach_volume: bool = False
    reboot_instance: bool = False
    attach_volume_data: dict[str, Any] | None = None
    detach_volume_data: dict[str, Any] | None = None

    @classmethod
    def stop(cls, instance_id: str) -> InstanceCommand:
        return cls(instance_id, stop_instance=True)

    @classmethod
    def terminate(cls, instance_id: str) -> InstanceCommand:
        """Hive sets ``stop_instance`` too, so a restarting node never relaunches it."""
        return cls(instance_id, stop_instance=True, delete_instance=True)

    @classmethod
    def start(cls, instance_id: str) -> InstanceCommand:
        return cls(instance_id, start_instance=True)

    @classmethod
    def reboot(cls, instance_id: str) -> InstanceCommand:
        return cls(instance_id, reboot_instance=True)

    @property
    def action(self) -> str:
        """``terminate`` | ``stop`` | ``start`` | ``reboot`` | ``attach-volume`` | …"""
        if self.delete_instance:
            return "terminate"
        if self.stop_instance:
            return "stop"
        if self.start_instance:
            return "start"
        if self.reboot_instance:
            return "reboot"
        if self.attach_volume:
            return "attach-volume"
        if self.detach_volume:
            return "detach-volume"
        return "none"

    def to_json(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": self.id,
            "attributes": {flag: getattr(self, flag) for flag in COMMAND_FLAGS},
        }
        if self.attach_volume_data is not None:
            payload["attach_volume_data"] = self.attach_volume_data
        if self.detach_volume_data is not None:
            payload["detach_volume_data"] = self.detach_volume_data
        return payload

    def to_bytes(self) -> bytes:
        return dumps(self.to_json())

    @classmethod
    def from_bytes(cls, data: bytes) -> InstanceCommand:
        value = loads(data)
        if not isinstance(value, dict) or not isinstance(value.get("id"), str):
            raise ContractError("command without an id", code="ServerInternal")
        attributes = value.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise ContractError("command attributes are not an object", code="ServerInternal")
        return cls(
            value["id"],
            **{flag: bool(attributes.get(flag)) for flag in COMMAND_FLAGS},
            attach_volume_data=value.get("attach_volume_data"),
            detach_volume_data=value.get("detach_volume_data"),
        )


def instance_id_request(instance_id: str) -> bytes:
    """``ec2.start`` / ``ec2.terminate`` request: ``{"instance_id": "i-…"}``."""
    return dumps({"instance_id": instance_id})


def status_reply(status: str, instance_id: str) -> bytes:
    """``{"status":"running","instanceId":"i-…"}`` as Hive's start/terminate handlers answer."""
    return dumps({"status": status, "instanceId": instance_id})


@dataclass(frozen=True, slots=True)
class TypeCapacity:
    """``types.InstanceTypeCap``: room for one instance type on one node."""

    name: str
    vcpu: int
    memory_gb: float
    available: int


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """The parts of ``types.NodeStatusResponse`` placement needs."""

    node: str
    az: str
    capacities: dict[str, TypeCapacity] = field(default_factory=dict)

    def available(self, instance_type: str) -> int:
        cap = self.capacities.get(instance_type)
        return cap.available if cap else 0

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> NodeStatus:
        caps = {}
        for item in value.get("instance_types") or []:
            if isinstance(item, Mapping) and item.get("name"):
                caps[str(item["name"])] = TypeCapacity(
                    str(item["name"]),
                    int(item.get("vcpu") or 0),
                    float(item.get("memory_gb") or 0),
                    int(item.get("available") or 0),
                )
        return cls(str(value.get("node") or ""), str(value.get("az") or ""), caps)


# --- the gateway's client ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DaemonInstance:
    """What a daemon reports about one instance in ``DescribeInstances``."""

    instance_id: str
    state: str
    instance: dict[str, Any]
    reservation_id: str | None
    owner_id: str | None


class DaemonClient:
    """The gateway side of the contract over a :class:`~hive_gateway.hive.bus.Bus`.

    It knows no AWS semantics beyond the payloads: callers get decoded dicts or
    :class:`DaemonError` / :class:`~hive_gateway.hive.bus.NoRespondersError`.
    """

    def __init__(self, bus: Bus, prefix: str) -> None:
        self.bus = bus
        self.prefix = prefix
        self._nodes: list[str] = []
        self._nodes_at = 0.0
        self._nodes_lock = asyncio.Lock()

    @staticmethod
    def headers(account_id: str) -> dict[str, str]:
        return {ACCOUNT_HEADER: account_id}

    async def nodes(self, *, refresh: bool = False) -> list[str]:
        """Names of the nodes answering ``<prefix>.nodes.discover`` (cached a few seconds)."""
        async with self._nodes_lock:
            if not refresh and time.monotonic() - self._nodes_at < NODE_CACHE_SECONDS:
                return list(self._nodes)
            try:
                replies = await self.bus.request_many(
                    nodes_discover_subject(self.prefix), b"{}", timeout=DISCOVER_WINDOW
                )
            except BusError:
                LOG.warning("node discovery failed", exc_info=True)
                replies = []
            names = set()
            for reply in replies:
                try:
                    value = json.loads(reply)
                except ValueError:
                    continue
                if isinstance(value, dict) and value.get("node"):
                    names.add(str(value["node"]))
            self._nodes = sorted(names)
            self._nodes_at = time.monotonic()
            return list(self._nodes)

    async def _gather(self, subject: str, data: bytes, account_id: str) -> list[bytes]:
        expected = len(await self.nodes()) or None
        return await self.bus.request_many(
            subject, data, self.headers(account_id), timeout=GATHER_TIMEOUT, expected=expected
        )

    async def node_status(self, account_id: str) -> list[NodeStatus]:
        """Every node's capacity (``<prefix>.node.status`` fan-out)."""
        statuses = []
        for reply in await self._gather(node_status_subject(self.prefix), b"{}", account_id):
            try:
                value = json.loads(reply)
            except ValueError:
                continue
            if isinstance(value, dict) and value.get("node"):
                statuses.append(NodeStatus.from_json(value))
        return statuses

    async def run_instances(
        self, account_id: str, run_input: Mapping[str, Any], *, node: str | None = None
    ) -> dict[str, Any]:
        """Send RunInstancesInput to a node (or the type's queue group); the Reservation."""
        subject = run_instances_subject(str(run_input["InstanceType"]), node)
        reply = await self.bus.request(
            subject,
            encode_message(input_shape("RunInstances"), run_input),
            self.headers(account_id),
            timeout=RUN_TIMEOUT,
        )
        return decode_message("Reservation", raise_for_error(reply), strict=False)

    async def describe_instances(
        self, account_id: str, instance_ids: Sequence[str] = ()
    ) -> dict[str, DaemonInstance]:
        """Scatter-gather ``ec2.DescribeInstances`` plus ``ec2.DescribeStoppedInstances``."""
        request = encode_message(
            input_shape("DescribeInstances"), {"InstanceIds": list(instance_ids) or None}
        )
        replies = list(await self._gather(DESCRIBE_INSTANCES, request, account_id))
        try:
            replies.append(
                await self.bus.request(
                    DESCRIBE_STOPPED_INSTANCES,
                    request,
                    self.headers(account_id),
                    timeout=GATHER_TIMEOUT,
                )
            )
        except (NoRespondersError, RequestTimeoutError):
            pass
        found: dict[str, DaemonInstance] = {}
        for reply in replies:
            if error_code(reply) is not None:
                LOG.warning("DescribeInstances: a daemon answered %s", error_code(reply))
                continue
            try:
                output = decode_message(output_shape("DescribeInstances"), reply, strict=False)
            except ContractError:
                LOG.warning("DescribeInstances: undecodable daemon reply", exc_info=True)
                continue
            for reservation in output.get("Reservations") or []:
                for instance in reservation.get("Instances") or []:
                    instance_id = instance.get("InstanceId")
                    state = (instance.get("State") or {}).get("Name")
                    if not instance_id or not state:
                        continue
                    seen = found.get(instance_id)
                    # A node's live copy wins over a stale stopped copy (and vice versa only
                    # when the node reports it terminated).
                    if seen is not None and seen.state != "stopped" and state == "stopped":
                        continue
                    found[instance_id] = DaemonInstance(
                        instance_id,
                        state,
                        instance,
                        reservation.get("ReservationId"),
                        reservation.get("OwnerId"),
                    )
        return found

    async def command(self, account_id: str, command: InstanceCommand) -> dict[str, Any]:
        """Send a command to the node owning the instance (``NoRespondersError`` if none)."""
        reply = await self.bus.request(
            command_subject(command.id),
            command.to_bytes(),
            self.headers(account_id),
            timeout=COMMAND_TIMEOUT,
        )
        value = loads(raise_for_error(reply))
        return value if isinstance(value, dict) else {}

    async def _stopped_request(
        self, subject: str, account_id: str, instance_id: str
    ) -> dict[str, Any]:
        reply = await self.bus.request(
            subject,
            instance_id_request(instance_id),
            self.headers(account_id),
            timeout=COMMAND_TIMEOUT,
        )
        value = loads(raise_for_error(reply))
        return value if isinstance(value, dict) else {}

    async def start_stopped(self, account_id: str, instance_id: str) -> dict[str, Any]:
        """``ec2.start``: any node with room takes the stopped instance from the shared KV."""
        return await self._stopped_request(START_STOPPED, account_id, instance_id)

    async def terminate_stopped(self, account_id: str, instance_id: str) -> dict[str, Any]:
        """``ec2.terminate``: a node removes the stopped instance from the shared KV."""
        return await self._stopped_request(TERMINATE_STOPPED, account_id, instance_id)

    async def modify_stopped(self, account_id: str, modify_input: Mapping[str, Any]) -> None:
        """``ec2.ModifyInstanceAttribute`` (InstanceType / UserData of a stopped instance)."""
        reply = await self.bus.request(
            MODIFY_INSTANCE_ATTRIBUTE,
            encode_message(input_shape("ModifyInstanceAttribute"), modify_input),
            self.headers(account_id),
            timeout=COMMAND_TIMEOUT,
        )
        raise_for_error(reply)

    async def console_output(self, account_id: str, instance_id: str) -> dict[str, Any]:
        """``ec2.<id>.GetConsoleOutput`` on the node running the instance."""
        reply = await self.bus.request(
            console_subject(instance_id),
            encode_message(input_shape("GetConsoleOutput"), {"InstanceId": instance_id}),
            self.headers(account_id),
            timeout=COMMAND_TIMEOUT,
        )
        return decode_message(
            output_shape("GetConsoleOutput"), raise_for_error(reply), strict=False
        )


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)
