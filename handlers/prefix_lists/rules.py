"""Pure rules of customer-managed prefix lists: names, sizes, entries and versions.

AWS answers (``InvalidParameterValue`` unless stated)::

    CreateManagedPrefixList PrefixListName=com.amazonaws.x …   → the name is reserved
    CreateManagedPrefixList MaxEntries=0                       → between 1 and 1000
    ModifyManagedPrefixList CurrentVersion=3 (it is 4)         → PrefixListVersionMismatch:
                                                                 The prefix list has the incorrect version number.
    ModifyManagedPrefixList AddEntry.1.Cidr=X&RemoveEntry.1.Cidr=X
        → Request cannot contain Cidr X in both AddPrefixListEntries and RemovePrefixListEntries
    ModifyManagedPrefixList MaxEntries=5&AddEntry.1.Cidr=…    → entries and size in one request
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any, Final

from hive_gateway.core.errors import AwsError, invalid_parameter_value

MAX_ENTRIES_LIMIT: Final = 1000
MAX_NAME_LENGTH: Final = 255
MAX_DESCRIPTION_LENGTH: Final = 255
RESERVED_NAME_PREFIX: Final = "com.amazonaws"
FAMILIES: Final = {"IPv4": 4, "IPv6": 6}

Entry = dict[str, str]


def version_mismatch() -> AwsError:
    """``CurrentVersion`` that is not the list's version."""
    return AwsError(
        "PrefixListVersionMismatch", "The prefix list has the incorrect version number."
    )


def check_name(name: str) -> str:
    """A prefix-list name: 1–255 characters, not starting with ``com.amazonaws``."""
    if not name or len(name) > MAX_NAME_LENGTH:
        raise invalid_parameter_value(
            f"The prefix list name must be between 1 and {MAX_NAME_LENGTH} characters."
        )
    if name.lower().startswith(RESERVED_NAME_PREFIX):
        raise invalid_parameter_value(
            f"The prefix list name cannot start with {RESERVED_NAME_PREFIX}."
        )
    return name


def check_family(family: str) -> int:
    """``IPv4``/``IPv6`` → 4/6."""
    version = FAMILIES.get(family)
    if version is None:
        raise invalid_parameter_value(
            f"Value ({family}) for parameter addressFamily is invalid. "
            "Valid values are IPv4 and IPv6."
        )
    return version


def check_max_entries(value: int) -> int:
    """``MaxEntries`` is 1–1000."""
    if not 1 <= value <= MAX_ENTRIES_LIMIT:
        raise invalid_parameter_value(
            f"The maximum number of entries must be between 1 and {MAX_ENTRIES_LIMIT}."
        )
    return value


def canonical_cidr(text: str, family: int) -> str:
    """A CIDR of the list's family, as AWS stores it (``10.0.0.0/8``); host bits are refused."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError:
        network = None
    if network is None or network.version != family or "/" not in text:
        kind = "IPv4" if family == 4 else "IPv6"
        raise invalid_parameter_value(f"The CIDR '{text}' is not a valid {kind} CIDR block.")
    return network.compressed


def entry(raw: Mapping[str, Any], family: int) -> Entry:
    """One ``AddPrefixListEntry`` as a stored entry."""
    cidr = raw.get("Cidr")
    if not cidr:
        raise AwsError("MissingParameter", "The request must contain the parameter Cidr")
    out: Entry = {"cidr": canonical_cidr(str(cidr), family)}
    description = raw.get("Description")
    if description:
        if len(str(description)) > MAX_DESCRIPTION_LENGTH:
            raise invalid_parameter_value(
                f"The description must be at most {MAX_DESCRIPTION_LENGTH} characters."
            )
        out["description"] = str(description)
    return out


def _no_duplicates(entries: Sequence[Entry]) -> None:
    seen: set[str] = set()
    for item in entries:
        if item["cidr"] in seen:
            raise invalid_parameter_value(f"The CIDR {item['cidr']} is specified more than once.")
        seen.add(item["cidr"])


def _fits(count: int, max_entries: int) -> None:
    if count > max_entries:
        raise invalid_parameter_value(
            f"The prefix list cannot have more than {max_entries} entries (its maximum)."
        )


def initial_entries(raw: Sequence[Mapping[str, Any]], family: int, max_entries: int) -> list[Entry]:
    """The ``Entries`` of ``CreateManagedPrefixList``, checked."""
    entries = [entry(item, family) for item in raw]
    _no_duplicates(entries)
    _fits(len(entries), max_entries)
    return sorted(entries, key=lambda e: e["cidr"])


def modified_entries(
    current: Sequence[Entry],
    add: Sequence[Mapping[str, Any]],
    remove: Sequence[Mapping[str, Any]],
    family: int,
    max_entries: int,
) -> list[Entry]:
    """The entries after ``AddEntries``/``RemoveEntries`` (removals first, then additions)."""
    added = [entry(item, family) for item in add]
    _no_duplicates(added)
    removed: list[str] = []
    for item in remove:
        if not item.get("Cidr"):
            raise AwsError("MissingParameter", "The request must contain the parameter Cidr")
        removed.append(canonical_cidr(str(item["Cidr"]), family))
    for cidr in {e["cidr"] for e in added} & set(removed):
        raise invalid_parameter_value(
            f"Request cannot contain Cidr {cidr} in both AddPrefixListEntries and "
            "RemovePrefixListEntries"
        )
    present = {e["cidr"] for e in current}
    for cidr in removed:
        if cidr not in present:
            raise invalid_parameter_value(
                f"The CIDR {cidr} does not exist in the prefix list and cannot be removed."
            )
    kept = [e for e in current if e["cidr"] not in set(removed)]
    for item in added:
        if item["cidr"] in {e["cidr"] for e in kept}:
            raise invalid_parameter_value(
                f"The CIDR {item['cidr']} already exists in the prefix list."
            )
    result = sorted([*kept, *added], key=lambda e: e["cidr"])
    _fits(len(result), max_entries)
    return result


def resized(current_count: int, max_entries: int) -> int:
    """A new ``MaxEntries``: in range and at least the number of entries held."""
    check_max_entries(max_entries)
    if max_entries < current_count:
        raise invalid_parameter_value(
            f"The maximum number of entries ({max_entries}) cannot be less than the number of "
            f"entries in the prefix list ({current_count})."
        )
    return max_entries
