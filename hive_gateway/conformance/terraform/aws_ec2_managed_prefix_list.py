"""``aws_ec2_managed_prefix_list`` (``vpc_managed_prefix_list.go``): create, then wait
``create-in-progress → create-complete``; read = ``findManagedPrefixListByID`` (``delete-complete``
is gone) plus every page of ``GetManagedPrefixListEntries``; update = ``MaxEntries`` alone when
it grows, then one ``ModifyManagedPrefixList`` with ``CurrentVersion`` and the added/removed
entries, waiting ``modify-in-progress → modify-complete``; delete tolerates
``InvalidPrefixListID.NotFound`` and waits until the list is gone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from hive_gateway.conformance.runner import Harness, NotFound, wait_for_state
from hive_gateway.conformance.terraform.common import tag_specifications, tags_out, update_tags
from hive_gateway.conformance.terraform.config import Obj, State

GONE: Final = ("InvalidPrefixListID.NotFound",)


@dataclass(frozen=True)
class ManagedPrefixListConfig:
    """The resource's arguments (``entry`` is a set of ``(cidr, description)``)."""

    name: str
    max_entries: int
    address_family: str = "IPv4"
    entries: frozenset[tuple[str, str]] = frozenset()
    tags: Mapping[str, str] = field(default_factory=dict)


def _entries(entries: frozenset[tuple[str, str]]) -> list[Obj]:
    return [
        {"Cidr": cidr, **({"Description": text} if text else {})} for cidr, text in sorted(entries)
    ]


def find_managed_prefix_list(h: Harness, pl_id: str) -> Obj:
    """``findManagedPrefixListByID``: the one list, ``delete-complete`` is gone."""
    found = h.find(
        "DescribeManagedPrefixLists",
        "PrefixLists",
        not_found_codes=GONE,
        id_field="PrefixListId",
        expected_id=pl_id,
        PrefixListIds=[pl_id],
    )
    if found.get("State") == "delete-complete":
        raise NotFound(f"prefix list {pl_id}", "delete-complete")
    return found


def _wait(h: Harness, pl_id: str, pending: str, target: tuple[str, ...]) -> None:
    def refresh() -> tuple[Obj | None, str]:
        try:
            found = find_managed_prefix_list(h, pl_id)
        except NotFound:
            return None, ""
        return found, str(found.get("State"))

    wait_for_state(
        refresh,
        pending=(pending,),
        target=target,
        what=f"prefix list {pl_id}",
        timeout=h.timeout,
        poll=h.poll,
    )


def create_managed_prefix_list(h: Harness, config: ManagedPrefixListConfig) -> tuple[str, State]:
    """Create, wait for ``create-complete``, Read."""
    params: Obj = {
        "AddressFamily": config.address_family,
        "MaxEntries": config.max_entries,
        "PrefixListName": config.name,
        **tag_specifications("prefix-list", config.tags),
    }
    if config.entries:
        params["Entries"] = _entries(config.entries)
    response = h.call("CreateManagedPrefixList", **params)
    assert response is not None
    pl_id = str(response["PrefixList"]["PrefixListId"])
    _wait(h, pl_id, "create-in-progress", ("create-complete",))
    return pl_id, read_managed_prefix_list(h, pl_id)


def read_managed_prefix_list(h: Harness, pl_id: str) -> State:
    """The list and all its entries (every page)."""
    found = find_managed_prefix_list(h, pl_id)
    entries = h.find_all(
        "GetManagedPrefixListEntries", "Entries", not_found_codes=GONE, PrefixListId=pl_id
    )
    return {
        "id": pl_id,
        "address_family": found.get("AddressFamily"),
        "arn": found.get("PrefixListArn"),
        "entry": sorted((e["Cidr"], e.get("Description", "")) for e in entries),
        "max_entries": found.get("MaxEntries"),
        "name": found.get("PrefixListName"),
        "owner_id": found.get("OwnerId"),
        "version": found.get("Version"),
        "tags": tags_out(found.get("Tags")),
    }


def update_managed_prefix_list(
    h: Harness, pl_id: str, old: ManagedPrefixListConfig, new: ManagedPrefixListConfig
) -> State:
    """Grow ``MaxEntries`` first, change entries against ``CurrentVersion``, shrink last."""
    version = read_managed_prefix_list(h, pl_id)["version"]
    if new.max_entries > old.max_entries:
        h.call("ModifyManagedPrefixList", PrefixListId=pl_id, MaxEntries=new.max_entries)
        _wait(h, pl_id, "modify-in-progress", ("modify-complete",))
    add, remove = new.entries - old.entries, old.entries - new.entries
    params: Obj = {"PrefixListId": pl_id, "PrefixListName": new.name}
    if add:
        params.update(AddEntries=_entries(add), CurrentVersion=version)
    if remove:
        params.update(
            RemoveEntries=[{"Cidr": c} for c, _ in sorted(remove)], CurrentVersion=version
        )
    if add or remove or new.name != old.name:
        h.call("ModifyManagedPrefixList", **params)
        if add or remove:
            _wait(h, pl_id, "modify-in-progress", ("modify-complete",))
    if new.max_entries < old.max_entries:
        h.call("ModifyManagedPrefixList", PrefixListId=pl_id, MaxEntries=new.max_entries)
        _wait(h, pl_id, "modify-in-progress", ("modify-complete",))
    update_tags(h, pl_id, old.tags, new.tags)
    return read_managed_prefix_list(h, pl_id)


def delete_managed_prefix_list(h: Harness, pl_id: str) -> None:
    """Delete (NotFound tolerated), wait until gone."""
    if h.call("DeleteManagedPrefixList", tolerate=GONE, PrefixListId=pl_id) is None:
        return
    _wait(h, pl_id, "delete-in-progress", ())
