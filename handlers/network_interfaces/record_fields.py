"""Reading an interface record: MAC address, private IPs, public IP associations."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from handlers.network_interfaces.common import AMAZON_OWNER

# --- derived values ----------------------------------------------------------------------------


def mac_address(eni_id: str) -> str:
    """Hive's MAC for an interface: ``02:`` + the first five bytes of SHA-256(eni-id)."""
    digest = hashlib.sha256(eni_id.encode("utf-8")).digest()[:5]
    return "02:" + ":".join(f"{byte:02x}" for byte in digest)


def private_ips(record: Mapping[str, Any]) -> list[str]:
    """Every private IPv4 address of the interface, primary first."""
    return [str(record["private_ip_address"])] + [
        str(ip) for ip in record.get("secondary_private_ip_addresses") or []
    ]


def primary_association(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The public address on the primary private address (an EIP or auto-assigned), if any.

    Hive records carry only ``public_ip_address``; that is an auto-assigned address.
    """
    association = record.get("association")
    if association:
        return dict(association)
    if record.get("public_ip_address"):
        return {"public_ip": record["public_ip_address"], "ip_owner_id": AMAZON_OWNER}
    return None


def association_of(record: Mapping[str, Any], private_ip: str) -> dict[str, Any] | None:
    """The public address mapped to ``private_ip`` of the interface, if any."""
    if private_ip == record.get("private_ip_address"):
        return primary_association(record)
    found = (record.get("secondary_associations") or {}).get(private_ip)
    return dict(found) if found else None
