"""SigV4 verification against requests signed by botocore itself (no mocks of the signer)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from hive_gateway.api.auth import SigningKey, credential_scope_service, verify
from hive_gateway.core.errors import AwsError

AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "ap-southeast-2"
ENDPOINT = "https://localhost:9999"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
BODY = b"Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-0123456789abcdef0"
KEY = SigningKey(AKID, SECRET, "000000000001", "admin")
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


async def lookup(access_key_id: str) -> SigningKey | None:
    return KEY if access_key_id == AKID else None


class Wire:
    """A request as the gateway receives it."""

    def __init__(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> None:
        parts = urlsplit(url)
        self.method = method
        self.path = parts.path or "/"
        self.query = parts.query
        self.headers: dict[str, str] = dict(headers)
        self.body = body

    async def verify(self, **kwargs: object) -> object:
        options: dict[str, object] = {"served_regions": {REGION}, "accept_any_region": False}
        options.update(kwargs)
        return await verify(
            self.method,
            self.path,
            self.query,
            self.headers,
            self.body,
            lookup,
            **options,  # type: ignore[arg-type]
        )

    def set_auth(self, **components: str) -> None:
        """Rewrite components of the Authorization header."""
        auth = self.headers["Authorization"]
        for name, value in components.items():
            auth = re.sub(rf"{name}=[^,]*", f"{name}={value}", auth)
        self.headers["Authorization"] = auth


def _prepared(request: AWSRequest) -> Wire:
    prepared = request.prepare()
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return Wire(prepared.method, prepared.url, dict(prepared.headers.items()), body)


def sign(
    body: bytes = BODY,
    *,
    method: str = "POST",
    url: str = ENDPOINT + "/",
    service: str = "ec2",
    region: str = REGION,
    secret: str = SECRET,
    token: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> Wire:
    """Sign like an SDK: botocore's SigV4Auth over a request carrying a Host header."""
    headers = {"Host": urlsplit(url).netloc}
    if method == "POST":
        headers["Content-Type"] = FORM
    headers.update(extra_headers or {})
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(Credentials(AKID, secret, token), service, region).add_auth(request)
    return _prepared(request)


def presign(
    url: str = ENDPOINT + "/?Action=DescribeRegions&Version=2016-11-15",
    *,
    expires: int = 300,
    service: str = "ec2",
) -> Wire:
    request = AWSRequest(method="GET", url=url, headers={"Host": urlsplit(url).netloc})
    SigV4QueryAuth(Credentials(AKID, SECRET), service, REGION, expires=expires).add_auth(request)
    return _prepared(request)


async def expect(wire: Wire, code: str, message: str | None = None, **kwargs: object) -> AwsError:
    with pytest.raises(AwsError) as caught:
        await wire.verify(**kwargs)
    assert caught.value.code == code, caught.value
    if message is not None:
        assert caught.value.message == message
    return caught.value


def signed_at(wire: Wire) -> datetime:
    stamp = (
        wire.headers.get("X-Amz-Date")
        or dict(p.split("=", 1) for p in wire.query.split("&"))["X-Amz-Date"]
    )
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


# --- accepted requests --------------------------------------------------------------------------


async def test_header_signed_post_is_accepted() -> None:
    wire = sign()
    result = await wire.verify()
    assert result.key == KEY  # type: ignore[attr-defined]
    assert result.service == "ec2"  # type: ignore[attr-defined]
    assert result.region == REGION  # type: ignore[attr-defined]
    assert result.date == signed_at(wire)  # type: ignore[attr-defined]


async def test_query_string_get_is_accepted() -> None:
    url = (
        ENDPOINT
        + "/?Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3AName"
        + "&Filter.1.Value.1=my%20vpc%2Fprod&Filter.1.Value.2=%2A"
    )
    result = await sign(b"", method="GET", url=url).verify()
    assert result.service == "ec2"  # type: ignore[attr-defined]


async def test_plus_encoded_space_in_query_is_canonicalised_like_go_sdk() -> None:
    # botocore signs "%20"; the Go SDK signs "%20" too but sends "+": both must verify.
    wire = sign(b"", method="GET", url=ENDPOINT + "/?Action=DescribeVpcs&Filter.1.Value.1=a%20b")
    wire.query = wire.query.replace("%20", "+")
    assert (await wire.verify()).service == "ec2"  # type: ignore[attr-defined]


async def test_whitespace_after_commas_is_optional() -> None:
    wire = sign()
    wire.headers["Authorization"] = wire.headers["Authorization"].replace(", ", ",")
    await wire.verify()
    wire.headers["Authorization"] = wire.headers["Authorization"].replace(",", " ,   ")
    await wire.verify()


async def test_sts_and_other_services_in_scope_are_reported() -> None:
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    result = await sign(body, service="sts").verify()
    assert result.service == "sts"  # type: ignore[attr-defined]


async def test_date_header_instead_of_x_amz_date() -> None:
    # botocore signs with the Date header (and drops X-Amz-Date) when the request has one.
    wire = sign(extra_headers={"Date": "Thu, 01 Jan 1970 00:00:00 GMT"})
    assert "X-Amz-Date" not in wire.headers and "Date" in wire.headers
    result = await wire.verify()
    assert abs(result.date - datetime.now(UTC)) < timedelta(minutes=1)  # type: ignore[attr-defined]


async def test_repeated_headers_in_a_multidict_are_joined_like_botocore() -> None:
    request = AWSRequest(
        method="POST", url=ENDPOINT + "/", data=BODY, headers={"Host": "localhost:9999"}
    )
    request.headers["X-Custom"] = "one"
    request.headers["X-Custom"] = "two  three"  # HTTPHeaders appends
    SigV4Auth(Credentials(AKID, SECRET), "ec2", REGION).add_auth(request)
    assert "x-custom" in request.headers["Authorization"]
    # What goes on the wire (AWSRequest.prepare() would collapse the repeat).
    headers = CIMultiDict(list(request.headers.items()))
    assert headers.getall("X-Custom") == ["one", "two  three"]
    result = await verify(
        "POST", "/", "", headers, BODY, lookup, served_regions={REGION}, accept_any_region=False
    )
    assert result.key == KEY
    headers.popall("X-Custom")
    headers.add("X-Custom", "one")
    with pytest.raises(AwsError) as caught:
        await verify(
            "POST", "/", "", headers, BODY, lookup, served_regions={REGION}, accept_any_region=False
        )
    assert caught.value.code == "SignatureDoesNotMatch"


async def test_x_amz_content_sha256_matching_the_body_is_accepted() -> None:
    import hashlib

    wire = sign(extra_headers={"X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()})
    assert "x-amz-content-sha256" in wire.headers["Authorization"]
    await wire.verify()


@settings(max_examples=40, deadline=None)
@given(
    params=st.dictionaries(
        st.text(min_size=1, max_size=12).filter(lambda k: not k.startswith("X-Amz-")),
        st.text(max_size=20),
        max_size=5,
    )
)
async def test_any_query_parameters_signed_by_botocore_verify(params: dict[str, str]) -> None:
    request = AWSRequest(
        method="GET", url=ENDPOINT + "/", params=params, headers={"Host": "localhost:9999"}
    )
    SigV4Auth(Credentials(AKID, SECRET), "ec2", REGION).add_auth(request)
    wire = _prepared(request)
    assert (await wire.verify()).key == KEY  # type: ignore[attr-defined]


# --- presigned query auth -----------------------------------------------------------------------


async def test_presigned_url_is_accepted() -> None:
    wire = presign()
    assert "X-Amz-Signature=" in wire.query and "Authorization" not in wire.headers
    result = await wire.verify()
    assert result.key == KEY and result.service == "ec2"  # type: ignore[attr-defined]


async def test_presigned_url_from_boto3_client() -> None:
    client = boto3.client(
        "ec2",
        region_name=REGION,
        endpoint_url=ENDPOINT,
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
    )
    url = client.generate_presigned_url(
        "describe_vpcs", Params={"VpcIds": ["vpc-1"]}, ExpiresIn=120, HttpMethod="GET"
    )
    wire = Wire("GET", url, {"Host": "localhost:9999"}, b"")
    assert (await wire.verify()).region == REGION  # type: ignore[attr-defined]


async def test_presigned_url_with_tampered_parameter_is_rejected() -> None:
    wire = presign()
    wire.query = wire.query.replace("DescribeRegions", "DescribeVpcs")
    await expect(wire, "SignatureDoesNotMatch", MISMATCH)


async def test_presigned_url_expires() -> None:
    wire = presign(expires=60)
    issued = signed_at(wire)
    await wire.verify(now=issued + timedelta(seconds=60))
    err = await expect(wire, "SignatureDoesNotMatch", now=issued + timedelta(seconds=61))
    assert err.message.startswith("Signature expired: ")
    assert err.message.endswith(" - 60 sec.)")


async def test_presigned_url_missing_signature() -> None:
    wire = presign()
    wire.query = re.sub(r"&X-Amz-Signature=[0-9a-f]+", "", wire.query)
    await expect(
        wire,
        "IncompleteSignature",
        "AWS query-string parameters must include 'X-Amz-Signature'. "
        "Re-examine the query-string parameters.",
    )


async def test_presigned_url_with_body_hash_mismatch() -> None:
    wire = presign()
    wire.body = b"Action=TerminateInstances"
    await expect(wire, "SignatureDoesNotMatch", MISMATCH)


# --- rejected requests --------------------------------------------------------------------------


async def test_no_authentication_at_all() -> None:
    wire = Wire("POST", ENDPOINT + "/", {"Host": "localhost:9999"}, BODY)
    err = await expect(
        wire, "MissingAuthenticationToken", "Request is missing Authentication Token"
    )
    assert err.status == 403


async def test_tampered_body() -> None:
    wire = sign()
    wire.body = BODY.replace(b"vpc-0123", b"vpc-9999")
    err = await expect(wire, "SignatureDoesNotMatch", MISMATCH)
    assert err.status == 403


async def test_tampered_signed_header() -> None:
    wire = sign()
    wire.headers["Content-Type"] = "application/x-www-form-urlencoded"
    await expect(wire, "SignatureDoesNotMatch", MISMATCH)


async def test_unsigned_header_may_change() -> None:
    wire = sign()
    wire.headers["User-Agent"] = "something else"  # botocore never signs User-Agent
    await wire.verify()


async def test_wrong_secret() -> None:
    await expect(sign(secret=SECRET[:-1] + "X"), "SignatureDoesNotMatch", MISMATCH)


async def test_tampered_path_and_method() -> None:
    wire = sign()
    wire.path = "/other"
    await expect(wire, "SignatureDoesNotMatch", MISMATCH)
    wire = sign()
    wire.method = "PUT"
    await expect(wire, "SignatureDoesNotMatch", MISMATCH)


async def test_tampered_date_header() -> None:
    wire = sign()
    stamp = signed_at(wire) + timedelta(seconds=1)
    wire.headers["X-Amz-Date"] = stamp.strftime("%Y%m%dT%H%M%SZ")
    await expect(wire, "SignatureDoesNotMatch", MISMATCH)


async def test_signed_headers_list_tampered() -> None:
    wire = sign()
    wire.set_auth(SignedHeaders="host;x-amz-date")  # drop content-type
    await expect(wire, "SignatureDoesNotMatch", MISMATCH)


async def test_signed_header_absent_from_request() -> None:
    wire = sign()
    del wire.headers["Content-Type"]
    await expect(wire, "SignatureDoesNotMatch", MISMATCH)


async def test_host_must_be_signed() -> None:
    wire = sign()
    wire.set_auth(SignedHeaders="content-type;x-amz-date")
    await expect(
        wire,
        "SignatureDoesNotMatch",
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    )


async def test_clock_skew_past_and_future() -> None:
    wire = sign()
    at = signed_at(wire)
    await wire.verify(now=at + timedelta(minutes=5))
    err = await expect(wire, "SignatureDoesNotMatch", now=at + timedelta(minutes=5, seconds=1))
    stamp = at.strftime("%Y%m%dT%H%M%SZ")
    assert re.fullmatch(
        rf"Signature expired: {stamp} is now earlier than \d{{8}}T\d{{6}}Z "
        r"\(\d{8}T\d{6}Z - 5 min\.\)",
        err.message,
    ), err.message
    err = await expect(wire, "SignatureDoesNotMatch", now=at - timedelta(minutes=6))
    assert err.message.startswith(f"Signature not yet current: {stamp} is still later than ")
    assert err.message.endswith(" + 5 min.)")


async def test_region_not_served_ec2_is_auth_failure() -> None:
    wire = sign(region="xx-west-9")
    err = await expect(
        wire, "AuthFailure", "AWS was not able to validate the provided access credentials"
    )
    assert err.status == 403
    assert (await wire.verify(accept_any_region=True)).region == "xx-west-9"  # type: ignore[attr-defined]


async def test_region_not_served_sts_is_signature_does_not_match() -> None:
    wire = sign(b"Action=GetCallerIdentity&Version=2011-06-15", service="sts", region="us-east-1")
    await expect(
        wire,
        "SignatureDoesNotMatch",
        "Credential should be scoped to a valid region, not 'us-east-1'. ",
    )
    await wire.verify(served_regions={REGION, "us-east-1"})


async def test_content_sha256_mismatch() -> None:
    wire = sign(extra_headers={"X-Amz-Content-SHA256": "0" * 64})
    await expect(wire, "SignatureDoesNotMatch", MISMATCH)
    wire = sign(extra_headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    await expect(wire, "SignatureDoesNotMatch", MISMATCH)


async def test_unsigned_content_sha256_header_that_lies_is_rejected() -> None:
    wire = sign()
    wire.headers["X-Amz-Content-SHA256"] = "0" * 64
    await expect(wire, "SignatureDoesNotMatch", MISMATCH)


async def test_missing_x_amz_date() -> None:
    wire = sign()
    del wire.headers["X-Amz-Date"]
    err = await expect(wire, "IncompleteSignature")
    assert err.message.startswith(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "(Hashed with SHA-256 and encoded with Base64) Authorization="
    )
    assert err.status == 400


async def test_malformed_x_amz_date() -> None:
    wire = sign()
    wire.headers["X-Amz-Date"] = "2026-11-21T00:00:00Z"
    await expect(
        wire,
        "IncompleteSignature",
        "Date must be in ISO-8601 'basic format'. Got '2026-11-21T00:00:00Z'. "
        "See http://en.wikipedia.org/wiki/ISO_8601",
    )


async def test_missing_components() -> None:
    wire = sign()
    wire.headers["Authorization"] = "AWS4-HMAC-SHA256 Signature=abc"
    err = await expect(wire, "IncompleteSignature")
    assert err.message.startswith(
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "(Hashed with SHA-256 and encoded with Base64) Authorization="
    )


async def test_component_without_equals() -> None:
    wire = sign()
    wire.headers["Authorization"] = "AWS4-HMAC-SHA256 FooBar, BazBurp"
    await expect(
        wire,
        "IncompleteSignature",
        "'FooBar' not a valid key=value pair (missing equal-sign) in Authorization header: "
        "'AWS4-HMAC-SHA256 FooBar, BazBurp'",
    )


async def test_unsupported_algorithm() -> None:
    wire = sign()
    wire.headers["Authorization"] = wire.headers["Authorization"].replace(
        "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"
    )
    await expect(wire, "IncompleteSignature", "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.")


async def test_credential_with_four_parts() -> None:
    wire = sign()
    credential = f"{AKID}/20261121/{REGION}/ec2"
    wire.set_auth(Credential=credential)
    await expect(
        wire,
        "IncompleteSignature",
        "Credential must have exactly 5 slash-delimited elements, "
        f"e.g. keyid/date/region/service/term, got '{credential}'",
    )


async def test_credential_with_wrong_terminator() -> None:
    wire = sign()
    day = wire.headers["X-Amz-Date"][:8]
    wire.set_auth(Credential=f"{AKID}/{day}/{REGION}/ec2/aws5_request")
    await expect(
        wire,
        "IncompleteSignature",
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.",
    )


async def test_credential_date_differs_from_request_date() -> None:
    wire = sign()
    stamp = wire.headers["X-Amz-Date"]
    wire.set_auth(Credential=f"{AKID}/19991231/{REGION}/ec2/aws4_request")
    await expect(
        wire,
        "SignatureDoesNotMatch",
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        f"HTTP: '19991231' != '{stamp[:8]}', from '{stamp}'.",
    )


async def test_unknown_access_key() -> None:
    wire = sign()
    day = wire.headers["X-Amz-Date"][:8]
    wire.set_auth(Credential=f"AKIAUNKNOWNUNKNOWN00/{day}/{REGION}/ec2/aws4_request")
    err = await expect(
        wire, "InvalidClientTokenId", "The security token included in the request is invalid."
    )
    assert err.status == 403


async def test_session_token_is_rejected() -> None:
    wire = sign(token="FQoGZXIvYXdzEJr...")
    assert "X-Amz-Security-Token" in wire.headers
    await expect(
        wire, "InvalidClientTokenId", "The security token included in the request is invalid."
    )


# --- routing peek -------------------------------------------------------------------------------


def test_credential_scope_service() -> None:
    assert credential_scope_service(sign(service="sts").headers, "") == "sts"
    wire = presign(service="ec2")
    assert credential_scope_service({"Host": "x"}, wire.query) == "ec2"
    assert (
        credential_scope_service(
            {}, {"X-Amz-Credential": f"{AKID}/20261121/{REGION}/iam/aws4_request"}
        )
        == "iam"
    )
    assert credential_scope_service({"Host": "x"}, "Action=DescribeVpcs") is None
    assert credential_scope_service({"Authorization": "Bearer abc"}, "") is None
    assert (
        credential_scope_service({"authorization": "AWS4-HMAC-SHA256 Credential=A/B"}, "") is None
    )
