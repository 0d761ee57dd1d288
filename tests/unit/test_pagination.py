"""Pagination: stable order, opaque tokens, no token on the last page, AWS's combination rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hive_gateway.core.errors import AwsError
from hive_gateway.core.pagination import paginate


def walk(items: list[str], size: int) -> list[list[str]]:
    pages: list[list[str]] = []
    token: str | None = None
    while True:
        params: dict[str, object] = {"MaxResults": size}
        if token:
            params["NextToken"] = token
        page = paginate(items, params, key=lambda s: s)
        pages.append(page.items)
        token = page.next_token
        if token is None:
            return pages


@given(st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=40), st.integers(1, 10))
def test_pages_cover_everything_once_in_order(items: list[str], size: int) -> None:
    pages = walk(items, size)
    assert [x for page in pages for x in page] == sorted(items)
    assert all(len(page) <= size for page in pages)


def test_no_max_results_returns_all_without_token() -> None:
    page = paginate(["b", "a"], {}, key=lambda s: s)
    assert page.items == ["a", "b"] and page.next_token is None
    assert page.token_member() == {}


def test_exact_fit_has_no_next_token() -> None:
    assert paginate(["a", "b"], {"MaxResults": 2}, key=lambda s: s).next_token is None


def test_foreign_token_is_rejected() -> None:
    with pytest.raises(AwsError) as exc:
        paginate(["a"], {"NextToken": "not-a-token"}, key=lambda s: s)
    assert exc.value.code == "InvalidPaginationToken"


def test_ids_cannot_be_combined_with_max_results() -> None:
    with pytest.raises(AwsError) as exc:
        paginate(["a"], {"MaxResults": 5, "VpcIds": ["vpc-1"]}, key=lambda s: s, ids_param="VpcIds")
    assert exc.value.code == "InvalidParameterCombination"
    assert exc.value.message == "The parameter vpcIds cannot be used with the parameter maxResults"


@pytest.mark.parametrize("size", [0, -1, -(2**31)])
def test_page_size_below_one_is_invalid(size: int) -> None:
    """Models without MaxResults bounds (DescribeImages, -Volumes, ...) let 0 and negatives
    through the parser; they were an IndexError (a 500) here."""
    with pytest.raises(AwsError) as exc:
        paginate(["a", "b"], {"MaxResults": size}, key=lambda s: s)
    assert exc.value.code == "InvalidParameterValue"
    assert exc.value.message == (
        f"Value ( {size} ) for parameter maxResults is invalid. Expecting a value greater than 0."
    )
