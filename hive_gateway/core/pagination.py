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
from collections.abc import Callable, Mapping, Sequence
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


def paginate(
    items: Sequence[T],
    params: Mapping[str, Any],
    key: Callable[[T], str],
    *,
    ids_param: str | None = None,
    ids_wire_name: str | None = None,
    default_page_size: int | None = None,
) -> Page[T]:
    """Sort ``items`` by ``key`` and cut the page ``params`` asks for.

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
    ordered = sorted(items, key=key)
    if token:
        after = decode_token(str(token))
        ordered = [item for item in ordered if key(item) > after]
    size = max_results if max_results is not None else default_page_size
    if size is None or len(ordered) <= size:
        return Page(ordered, None)
    page = ordered[:size]
    return Page(page, encode_token(key(page[-1])))
