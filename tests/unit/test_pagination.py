"""Pagination: stable order, opaque tokens, no token on the last page, AWS's combination rule."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hive_gateway.core.errors import AwsError
from hive_gateway.core.pagination import Page, page_request, paginate


def pages_of(cut: Callable[[dict[str, object]], Page[str]], size: int) -> list[list[str]]:
    """Every page ``cut`` gives at ``MaxResults=size``, following ``NextToken``."""
    pages: list[list[str]] = []
    token: str | None = None
    while True:
        params: dict[str, object] = {"MaxResults": size}
        if token:
            params["NextToken"] = token
        page = cut(params)
        pages.append(page.items)
        token = page.next_token
        if token is None:
            return pages


def walk(items: list[str], size: int) -> list[list[str]]:
    return pages_of(lambda params: paginate(items, params, key=lambda s: s), size)


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


def walk_lazily(keys: list[str], size: int, kept: set[str]) -> list[list[str]]:
    """The pages of ``cut_lazily`` over sorted ``keys`` whose load keeps only ``kept``."""
    ordered = sorted(keys)

    async def load(run: list[str]) -> list[str]:
        return [key for key in run if key in kept]

    return pages_of(
        lambda params: asyncio.run(page_request(params).cut_lazily(ordered, load, key=str)), size
    )


@given(
    st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=40),
    st.integers(1, 10),
    st.data(),
)
def test_lazy_pages_equal_the_pages_of_the_filtered_items(
    keys: list[str], size: int, data: st.DataObject
) -> None:
    kept = set(data.draw(st.lists(st.sampled_from(keys), unique=True))) if keys else set()
    pages = walk_lazily(keys, size, kept)
    assert [page for page in pages if page] == [page for page in walk(sorted(kept), size) if page]


def test_a_lazy_page_loads_one_key_more_than_it_returns() -> None:
    keys = [f"vpc-{n:05d}" for n in range(1000)]
    seen: list[list[str]] = []
    page = asyncio.run(page_request({"MaxResults": 5}).cut_lazily(keys, _loaded(seen), key=str))
    assert page.items == keys[:5] and page.next_token is not None
    assert seen == [keys[:6]]
    after = page_request({"MaxResults": 5, "NextToken": page.next_token})
    seen.clear()
    following = asyncio.run(after.cut_lazily(keys, _loaded(seen), key=str))
    assert following.items == keys[5:10] and seen == [keys[5:11]]


def test_a_sparse_filter_loads_runs_twice_as_long_each_time() -> None:
    keys = [f"k{n:04d}" for n in range(100)]

    async def load(run: list[str]) -> list[str]:
        runs.append(len(run))
        return [key for key in run if key == "k0090"]

    runs: list[int] = []
    page = asyncio.run(page_request({"MaxResults": 2}).cut_lazily(keys, load, key=lambda s: s))
    assert page.items == ["k0090"] and page.next_token is None
    assert runs == [3, 6, 12, 24, 48, 7]


def _loaded(seen: list[list[str]]) -> Callable[[list[str]], Awaitable[list[str]]]:
    async def load(run: list[str]) -> list[str]:
        seen.append(run)
        return run

    return load
