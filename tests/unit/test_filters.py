"""The filter engine: AWS wildcard rules, OR within a filter, AND across filters, tags."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hive_gateway.core.errors import AwsError
from hive_gateway.core.filters import FilterSpec, apply_filters

Item = dict[str, Any]

SPEC: FilterSpec[Item] = FilterSpec(
    fields={
        "vpc-id": lambda i: i["id"],
        "is-default": lambda i: i["default"],
        "cidr-block": lambda i: i["cidrs"],
        "size": lambda i: i.get("size"),
    },
    tags=lambda i: i["tags"],
    aliases={"isDefault": "is-default", "cidrBlock": "cidr-block"},
)

ITEMS: list[Item] = [
    {"id": "vpc-1", "default": True, "cidrs": ["10.0.0.0/16", "10.1.0.0/16"], "tags": {"Name": "web"}, "size": 3},
    {"id": "vpc-2", "default": False, "cidrs": ["172.31.0.0/16"], "tags": {"Name": "db*", "env": "prod"}},
    {"id": "vpc-3", "default": False, "cidrs": ["192.168.0.0/24"], "tags": {}},
]


def ids(filters: list[dict[str, Any]]) -> list[str]:
    return [i["id"] for i in apply_filters(SPEC, filters, ITEMS)]


def test_no_filters_returns_everything() -> None:
    assert ids([]) == ["vpc-1", "vpc-2", "vpc-3"]


def test_values_are_ored_and_filters_anded() -> None:
    assert ids([{"Name": "vpc-id", "Values": ["vpc-1", "vpc-3"]}]) == ["vpc-1", "vpc-3"]
    assert ids([{"Name": "vpc-id", "Values": ["vpc-1", "vpc-3"]},
                {"Name": "is-default", "Values": ["false"]}]) == ["vpc-3"]


def test_wildcards_and_escapes() -> None:
    assert ids([{"Name": "cidr-block", "Values": ["10.?.0.0/16"]}]) == ["vpc-1"]
    assert ids([{"Name": "tag:Name", "Values": ["*"]}]) == ["vpc-1", "vpc-2"]
    assert ids([{"Name": "tag:Name", "Values": ["db\\*"]}]) == ["vpc-2"]
    assert ids([{"Name": "tag:Name", "Values": ["d\\?*"]}]) == []
    assert ids([{"Name": "tag:Name", "Values": ["WEB"]}]) == []  # case-sensitive


def test_tag_key_and_tag_value() -> None:
    assert ids([{"Name": "tag-key", "Values": ["env"]}]) == ["vpc-2"]
    assert ids([{"Name": "tag-value", "Values": ["web", "prod"]}]) == ["vpc-1", "vpc-2"]


def test_legacy_alias_and_numbers() -> None:
    assert ids([{"Name": "isDefault", "Values": ["true"]}]) == ["vpc-1"]
    assert ids([{"Name": "cidrBlock", "Values": ["172.31.0.0/16"]}]) == ["vpc-2"]
    assert ids([{"Name": "size", "Values": ["3"]}]) == ["vpc-1"]


def test_unknown_filter_is_invalid_parameter_value() -> None:
    with pytest.raises(AwsError) as exc:
        ids([{"Name": "colour", "Values": ["blue"]}])
    assert exc.value.code == "InvalidParameterValue"
    assert exc.value.message == "The filter 'colour' is invalid"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_a_literal_value_matches_itself_once_escaped(text: str) -> None:
    escaped = text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
    spec: FilterSpec[str] = FilterSpec(fields={"v": lambda s: s})
    assert apply_filters(spec, [{"Name": "v", "Values": [escaped]}], [text, text + "x"]) == [text]
