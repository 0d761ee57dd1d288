"""The one pagination of every ``Describe*`` that has ``MaxResults``/``NextToken``.

Items are sorted by a stable key (the resource id) and cut after filtering. ``NextToken`` is an
opaque token naming the last key returned; it is absent once the results are exhausted (an
empty or placeholder token makes SDK paginators loop forever). ``MaxResults`` bounds come from
the model, so the parser has already rejected out-of-range values; where the model has none, a
``MaxResults`` below 1 is ``InvalidParameterValue``. As on AWS, an explicit id
list cannot be combined with ``MaxResults``::

    DescribeVpcs VpcId.1=vpc-1&MaxResults=5
    → InvalidParameterCombination: The parameter vpcIds cannot be used with the parameter maxResults
"""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_right
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
)

T = TypeVar("T")


def invalid_pagination_token(token: str) -> AwsError:
    """EC2's answer to a ``NextToken`` it did not issue."""
    return AwsError(
        "InvalidPaginationToken",
        f"Invalid pagination token: {token!r} is not valid or has expired.",
    )


def encode_token(last_key: str) -> str:
    """Opaque token that resumes after ``last_key``."""
    return base64.urlsafe_b64encode(json.dumps({"after": last_key}).encode()).decode()


def decode_token(token: str) -> str:
    """The key a token resumes after; ``InvalidPaginationToken`` when it is not ours."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        after = data["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeEncodeError) as exc:
        raise invalid_pagination_token(token) from exc
    if not isinstance(after, str):
        raise invalid_pagination_token(token)
    return after


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results and the token for the next (``None`` when exhausted)."""

    items: list[T]
    next_token: str | None

    def token_member(self, name: str = "NextToken") -> dict[str, str]:
        """``{"NextToken": token}`` to merge into a result, or ``{}`` on the last page."""
        return {name: self.next_token} if self.next_token else {}


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What a request asks for: at most ``size`` items (``None``: all) after key ``after``."""

    size: int | None
    after: str | None

    def cut(self, items: Sequence[T], key: Callable[[T], str]) -> Page[T]:
        """Sort ``items`` by ``key``, skip those up to ``after`` and cut the page."""
        ordered = sorted(items, key=key)
        if self.after is not None:
            after = self.after
            ordered = [item for item in ordered if key(item) > after]
        return self._page(ordered, key)

    async def cut_lazily(
        self,
        keys: Sequence[str],
        load: Callable[[list[str]], Awaitable[list[T]]],
        key: Callable[[T], str],
    ) -> Page[T]:
        """The page over sorted ``keys``, loading only as many as it takes to fill it.

        ``load`` turns a run of keys into the items they yield, in key order (fewer when a
        filter drops some): it gets ``size + 1`` keys first, then runs twice as long while the
        page is not full, so ``DescribeVpcs MaxResults=5`` at 100k VPCs renders 6 of them.
        ``key`` of an item is the key it came from. Needs a ``size``."""
        assert self.size is not None, "an unbounded page is cut from its items"
        start = bisect_right(keys, self.after) if self.after is not None else 0
        found: list[T] = []
        run = self.size + 1
        while start < len(keys) and len(found) <= self.size:
            found += await load(list(keys[start : start + run]))
            start += run
            run *= 2
        return self._page(found, key)

    def _page(self, ordered: list[T], key: Callable[[T], str]) -> Page[T]:
        if self.size is None or len(ordered) <= self.size:
            return Page(ordered, None)
        page = ordered[: self.size]
        return Page(page, encode_token(key(page[-1])))


def page_request(
    params: Mapping[str, Any],
    *,
    ids_param: str | None = None,
    ids_wire_name: str | None = None,
    default_page_size: int | None = None,
) -> PageRequest:
    """The page ``params`` ask for (``MaxResults``, ``NextToken``), checked as AWS does.

    ``ids_param`` names the member holding explicit ids (``VpcIds``), which AWS refuses to
    combine with ``MaxResults``; ``ids_wire_name`` is how AWS's message spells it (``vpcIds``).
    """
    max_results = params.get("MaxResults")
    token = params.get("NextToken")
    if ids_param and max_results is not None and params.get(ids_param):
        wire = ids_wire_name or ids_param[0].lower() + ids_param[1:]
        raise invalid_parameter_combination(
            f"The parameter {wire} cannot be used with the parameter maxResults"
        )
    if max_results is not None and max_results < 1:
        # Most models bound MaxResults (the parser enforces that); DescribeImages, -Instances,
        # -Snapshots, -Tags, -Volumes... do not, and a page of 0 or fewer items has no last key.
        raise invalid_parameter_value(
            f"Value ( {max_results} ) for parameter maxResults is invalid. "
            "Expecting a value greater than 0."
        )
    return PageRequest(
        size=max_results if max_results is not None else default_page_size,
        after=decode_token(str(token)) if token else None,
    )


def paginate(
    items: Sequence[T],
    params: Mapping[str, Any],
    key: Callable[[T], str],
    *,
    ids_param: str | None = None,
    ids_wire_name: str | None = None,
    default_page_size: int | None = None,
) -> Page[T]:
    """Sort ``items`` by ``key`` and cut the page ``params`` asks for (see
    :func:`page_request`)."""
    request = page_request(
        params,
        ids_param=ids_param,
        ids_wire_name=ids_wire_name,
        default_page_size=default_page_size,
    )
    return request.cut(items, key)
