"""Key pairs through real boto3: real keys, AWS fingerprints, PPK, formats, names, isolation.

Fingerprints are recomputed here independently (hashlib over DER/blobs derived with
``cryptography``) and, where the tools are installed, compared with ``ssh-keygen``, ``openssl``
and ``puttygen``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from handlers import key_pairs
from handlers import tags as tags_handlers
from hive_gateway.conformance.xml_check import assert_error_envelope
from hive_gateway.core import claims, clock, records
from hive_gateway.core.errors import AwsError
from kv.buckets import account_key
from tests.fixtures.gateway import RunningGateway
from tests.helpers import ADMIN, admin_send, assert_matches_model, error_of, race, request_context

# --- independent fingerprint computations --------------------------------------------------------


def colon(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def blob_of(openssh_line: str) -> bytes:
    return base64.b64decode(openssh_line.split()[1])


def sha256_b64(openssh_line: str) -> str:
    return base64.b64encode(hashlib.sha256(blob_of(openssh_line)).digest()).decode()


def openssh_public(key: Any) -> str:
    public = key.public_key() if hasattr(key, "private_bytes") else key
    return public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def ssh_keygen_fingerprint(tmp_path: Path, line: str) -> str | None:
    """``ssh-keygen -l``'s SHA256 digest of a public key line (without ``SHA256:``), if installed."""
    if shutil.which("ssh-keygen") is None:
        return None
    path = tmp_path / f"k{time.monotonic_ns()}.pub"
    path.write_text(line + "\n")
    out = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return out.split()[1].removeprefix("SHA256:")


def import_key(ec2: Any, name: str, material: str | bytes, **kwargs: Any) -> dict[str, Any]:
    data = material.encode() if isinstance(material, str) else material
    return dict(ec2.import_key_pair(KeyName=name, PublicKeyMaterial=data, **kwargs))


def describe_one(ec2: Any, name: str, **kwargs: Any) -> dict[str, Any]:
    pairs = ec2.describe_key_pairs(KeyNames=[name], **kwargs)["KeyPairs"]
    assert len(pairs) == 1
    return dict(pairs[0])


# --- CreateKeyPair -------------------------------------------------------------------------------


def test_create_rsa_key_pair_default_pem(ec2: Any, tmp_path: Path) -> None:
    created = ec2.create_key_pair(
        KeyName="rsa-one",
        TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "env", "Value": "dev"}]}],
    )
    material = created["KeyMaterial"]
    assert material.startswith("-----BEGIN RSA PRIVATE KEY-----\n")  # PKCS#1, as AWS
    private = serialization.load_pem_private_key(material.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    pkcs8 = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    assert created["KeyFingerprint"] == colon(hashlib.sha1(pkcs8).digest())
    assert created["KeyPairId"].startswith("key-") and len(created["KeyPairId"]) == 21
    assert created["KeyName"] == "rsa-one"
    assert created["Tags"] == [{"Key": "env", "Value": "dev"}]
    described = describe_one(ec2, "rsa-one", IncludePublicKey=True)
    assert described["KeyType"] == "rsa"
    assert described["KeyFingerprint"] == created["KeyFingerprint"]
    assert described["KeyPairId"] == created["KeyPairId"]
    assert described["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert "KeyMaterial" not in described
    assert described["PublicKey"] == openssh_public(private) + " rsa-one"
    assert abs(time.time() - described["CreateTime"].timestamp()) < 60
    if shutil.which("openssl"):
        pem = tmp_path / "rsa.pem"
        pem.write_text(material)
        der = subprocess.run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-inform", "PEM", "-outform", "DER",
                              "-in", str(pem)], capture_output=True, check=True).stdout
        assert colon(hashlib.sha1(der).digest()) == created["KeyFingerprint"]


def test_create_ed25519_key_pair(ec2: Any, tmp_path: Path) -> None:
    created = ec2.create_key_pair(KeyName="ed-one", KeyType="ed25519")
    material = created["KeyMaterial"]
    assert material.startswith("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    private = serialization.load_ssh_private_key(material.encode(), password=None)
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    line = openssh_public(private)
    assert created["KeyFingerprint"] == sha256_b64(line)
    assert created["KeyFingerprint"].endswith("=") and len(created["KeyFingerprint"]) == 44  # padded
    described = describe_one(ec2, "ed-one", IncludePublicKey=True)
    assert described["KeyType"] == "ed25519"
    assert described["PublicKey"] == line + " ed-one"
    keygen = ssh_keygen_fingerprint(tmp_path, line)
    if keygen is not None:
        assert keygen == created["KeyFingerprint"].rstrip("=")
        key_file = tmp_path / "id_ed25519"
        key_file.write_text(material)
        key_file.chmod(0o600)
        derived = subprocess.run(["ssh-keygen", "-y", "-f", str(key_file)], capture_output=True,
                                 text=True, check=True).stdout.split()
        assert " ".join(derived[:2]) == line


def parse_ppk(text: str) -> dict[str, Any]:
    """A PPK v2 file → its fields; checks the MAC the way PuTTY does."""
    lines = text.splitlines()
    fields: dict[str, Any] = {}
    i = 0
    while i < len(lines):
        name, _, value = lines[i].partition(": ")
        if name in ("Public-Lines", "Private-Lines"):
            count = int(value)
            fields[name.split("-")[0]] = base64.b64decode("".join(lines[i + 1: i + 1 + count]))
            i += 1 + count
            continue
        fields[name] = value
        i += 1

    def ssh_string(data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + data

    algorithm = fields["PuTTY-User-Key-File-2"]
    mac_key = hashlib.sha1(b"putty-private-key-file-mac-key").digest()
    mac_data = b"".join(ssh_string(p) for p in (algorithm.encode(), fields["Encryption"].encode(),
                                                 fields["Comment"].encode(), fields["Public"],
                                                 fields["Private"]))
    assert hmac.new(mac_key, mac_data, hashlib.sha1).hexdigest() == fields["Private-MAC"]
    return fields


def read_strings(blob: bytes) -> list[bytes]:
    out = []
    while blob:
        size = int.from_bytes(blob[:4], "big")
        out.append(blob[4: 4 + size])
        blob = blob[4 + size:]
    return out


def test_create_rsa_key_pair_ppk(ec2: Any, tmp_path: Path) -> None:
    created = ec2.create_key_pair(KeyName="putty-rsa", KeyFormat="ppk")
    ppk = parse_ppk(created["KeyMaterial"])
    assert ppk["PuTTY-User-Key-File-2"] == "ssh-rsa" and ppk["Encryption"] == "none"
    assert ppk["Comment"] == "putty-rsa"
    public_line = "ssh-rsa " + base64.b64encode(ppk["Public"]).decode()
    public = serialization.load_ssh_public_key(public_line.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    d, p, q, iqmp = (int.from_bytes(x, "big") for x in read_strings(ppk["Private"]))
    n, e = public.public_numbers().n, public.public_numbers().e
    assert p * q == n and (iqmp * q) % p == 1 and pow(pow(7, e, n), d, n) == 7
    private = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), iqmp,
                                    public.public_numbers()).private_key()
    pkcs8 = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    assert created["KeyFingerprint"] == colon(hashlib.sha1(pkcs8).digest())
    assert describe_one(ec2, "putty-rsa", IncludePublicKey=True)["PublicKey"] == public_line + " putty-rsa"
    if shutil.which("puttygen"):
        path = tmp_path / "k.ppk"
        path.write_text(created["KeyMaterial"])
        converted = subprocess.run(["puttygen", str(path), "-O", "private-openssh", "-o", str(tmp_path / "o")],
                                   capture_output=True, text=True)
        assert converted.returncode == 0, converted.stderr  # puttygen checks the MAC too


def test_create_ed25519_key_pair_ppk(ec2: Any, tmp_path: Path) -> None:
    created = ec2.create_key_pair(KeyName="putty-ed", KeyType="ed25519", KeyFormat="ppk")
    ppk = parse_ppk(created["KeyMaterial"])
    assert ppk["PuTTY-User-Key-File-2"] == "ssh-ed25519"
    (secret,) = read_strings(ppk["Private"])
    private = ed25519.Ed25519PrivateKey.from_private_bytes(secret.ljust(32, b"\x00"))
    line = openssh_public(private)
    assert base64.b64decode(line.split()[1]) == ppk["Public"]
    assert created["KeyFingerprint"] == sha256_b64(line)
    if shutil.which("puttygen"):
        path = tmp_path / "k.ppk"
        path.write_text(created["KeyMaterial"])
        public = subprocess.run(["puttygen", str(path), "-O", "public-openssh", "-o", "/dev/stdout"],
                                capture_output=True, text=True, check=True).stdout
        assert public.split()[:2] == line.split()


def test_create_duplicate_name(ec2: Any) -> None:
    ec2.create_key_pair(KeyName="dup", KeyType="ed25519")
    with pytest.raises(ClientError) as exc:
        ec2.create_key_pair(KeyName="dup", KeyType="ed25519")
    assert error_of(exc) == ("InvalidKeyPair.Duplicate", "The keypair 'dup' already exists.")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409  # Hive's status table
    with pytest.raises(ClientError) as exc:
        import_key(ec2, "dup", openssh_public(ed25519.Ed25519PrivateKey.generate()))
    assert error_of(exc)[0] == "InvalidKeyPair.Duplicate"
    assert len(ec2.describe_key_pairs()["KeyPairs"]) == 1


def test_key_names_are_case_sensitive_and_may_hold_any_ascii(ec2: Any) -> None:
    odd = "My Key/with spaces:+=,.@-_ ünicode?".encode("ascii", "ignore").decode()
    for name in ("Key", "key", odd):
        ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    assert sorted(k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]) == sorted(["Key", "key", odd])
    assert describe_one(ec2, odd)["KeyName"] == odd


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("k" * 256, "Value (" + "k" * 256 + ") for parameter keyName is invalid. "
                    "Length exceeds maximum of 255 characters."),
        ("clé", "Value (clé) for parameter keyName is invalid. Character sets beyond ASCII are not supported."),
    ],
)
def test_invalid_key_names(ec2: Any, name: str, message: str) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_key_pair(KeyName=name)
    assert error_of(exc) == ("InvalidParameterValue", message)
    with pytest.raises(ClientError) as exc:
        import_key(ec2, name, openssh_public(ed25519.Ed25519PrivateKey.generate()))
    assert error_of(exc) == ("InvalidParameterValue", message)


def test_tag_specification_of_another_type_is_refused(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_key_pair(KeyName="t", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}])
    assert error_of(exc) == ("InvalidParameterValue", "'vpc' is not a valid taggable resource type for this operation.")
    assert ec2.describe_key_pairs()["KeyPairs"] == []


def test_dry_run(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_key_pair(KeyName="dry", DryRun=True)
    assert error_of(exc)[0] == "DryRunOperation"
    assert ec2.describe_key_pairs()["KeyPairs"] == []


# --- ImportKeyPair -------------------------------------------------------------------------------


def test_import_rsa_fingerprint_is_md5_of_der_public_key(ec2: Any, tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    line = openssh_public(private)
    imported = import_key(ec2, "imp-rsa", line + " user@host\n")
    spki = private.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    assert imported["KeyFingerprint"] == colon(hashlib.md5(spki).digest())
    assert len(imported["KeyFingerprint"]) == 47  # 16 bytes, colon-separated
    assert imported["KeyName"] == "imp-rsa" and imported["KeyPairId"].startswith("key-")
    assert "KeyMaterial" not in imported
    described = describe_one(ec2, "imp-rsa", IncludePublicKey=True)
    assert described["KeyType"] == "rsa"
    assert described["PublicKey"] == line + " user@host"
    assert described["KeyFingerprint"] == imported["KeyFingerprint"]
    if shutil.which("openssl"):
        pem = tmp_path / "pub.pem"
        pem.write_bytes(private.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
        der = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(pem), "-outform", "DER"],
                             capture_output=True, check=True).stdout
        assert colon(hashlib.md5(der).digest()) == imported["KeyFingerprint"]


def test_import_ed25519_fingerprint_matches_ssh_keygen(ec2: Any, tmp_path: Path) -> None:
    line = openssh_public(ed25519.Ed25519PrivateKey.generate())
    imported = import_key(ec2, "imp-ed", line + " me@laptop")
    assert imported["KeyFingerprint"] == sha256_b64(line)
    assert describe_one(ec2, "imp-ed")["KeyType"] == "ed25519"
    keygen = ssh_keygen_fingerprint(tmp_path, line)
    if keygen is not None:
        assert keygen == imported["KeyFingerprint"].rstrip("=")


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()])
def test_import_ecdsa_keys(ec2: Any, tmp_path: Path, curve: ec.EllipticCurve) -> None:
    line = openssh_public(ec.generate_private_key(curve))
    imported = import_key(ec2, "imp-ec", line)
    assert imported["KeyFingerprint"] == sha256_b64(line)
    described = describe_one(ec2, "imp-ec", IncludePublicKey=True)
    assert "KeyType" not in described  # the API's KeyType enum is rsa | ed25519
    assert described["PublicKey"] == line
    keygen = ssh_keygen_fingerprint(tmp_path, line)
    if keygen is not None:
        assert keygen == imported["KeyFingerprint"].rstrip("=")


def rfc4716(line: str, comment: str) -> str:
    b64 = line.split()[1]
    body = "\n".join(b64[i: i + 70] for i in range(0, len(b64), 70))
    return f'---- BEGIN SSH2 PUBLIC KEY ----\nComment: "{comment}"\n{body}\n---- END SSH2 PUBLIC KEY ----\n'


def test_import_other_formats(ec2: Any, tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key()
    spki = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    want = colon(hashlib.md5(spki).digest())
    line = openssh_public(private)
    materials = {
        "pem-spki": public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        "pem-pkcs1": public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1),
        "b64-der": base64.b64encode(spki),
        "rfc4716": rfc4716(line, "from putty").encode(),
        "b64-openssh": base64.b64encode(line.encode()),  # an SDK that base64-encoded the text itself
    }
    for name, material in materials.items():
        imported = import_key(ec2, name, material)
        assert imported["KeyFingerprint"] == want, name
        assert describe_one(ec2, name, IncludePublicKey=True)["PublicKey"].split()[:2] == line.split()
    assert describe_one(ec2, "rfc4716", IncludePublicKey=True)["PublicKey"] == line + " from putty"
    ed_line = openssh_public(ed25519.Ed25519PrivateKey.generate())
    assert import_key(ec2, "ed-rfc", rfc4716(ed_line, "x"))["KeyFingerprint"] == sha256_b64(ed_line)
    if shutil.which("ssh-keygen"):
        path = tmp_path / "k.pub"
        path.write_text(line + "\n")
        exported = subprocess.run(["ssh-keygen", "-e", "-f", str(path)], capture_output=True, check=True).stdout
        assert import_key(ec2, "keygen-rfc4716", exported)["KeyFingerprint"] == want


def rsa_public_line(bits: int) -> str:
    """An OpenSSH RSA public key of ``bits`` bits without generating a private key."""
    n = (1 << (bits - 1)) | int.from_bytes(os.urandom(bits // 8), "big") | 1
    n &= (1 << bits) - 1
    n |= 1 << (bits - 1)
    return openssh_public(rsa.RSAPublicNumbers(65537, n).public_key())


@pytest.mark.parametrize(
    "material",
    [
        b"not a key",
        b"ssh-rsa AAAA-not-base64",
        b"ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x05short"),
        b"",
        b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        b"\xff\xfe binary",
    ],
    ids=["text", "bad-base64", "short-ed25519", "empty", "bad-pem", "binary"],
)
def test_import_garbage_is_invalid_key_format(ec2: Any, material: bytes) -> None:
    with pytest.raises(ClientError) as exc:
        import_key(ec2, "bad", material)
    assert error_of(exc) == ("InvalidKey.Format", "Key is not in valid OpenSSH public key format")
    assert ec2.describe_key_pairs()["KeyPairs"] == []


@pytest.mark.filterwarnings("ignore:SSH DSA key support is deprecated")
def test_import_refuses_other_algorithms_sizes_and_private_keys(ec2: Any) -> None:
    dsa_line = openssh_public(dsa.generate_private_key(key_size=1024))
    ed448_pem = ed448.Ed448PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    secp224 = ec.generate_private_key(ec.SECP224R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    private_pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    for material in (dsa_line.encode(), ed448_pem, secp224, private_pem,
                     rsa_public_line(768).encode(), rsa_public_line(8192).encode()):
        with pytest.raises(ClientError) as exc:
            import_key(ec2, "bad", material)
        assert error_of(exc) == ("InvalidKey.Format", "Key is not in valid OpenSSH public key format")
    for bits in (1024, 4096):
        import_key(ec2, f"rsa-{bits}", rsa_public_line(bits))
    assert len(ec2.describe_key_pairs()["KeyPairs"]) == 2


def test_import_missing_material_is_missing_parameter(gateway: RunningGateway) -> None:
    answer = admin_send(gateway, "Action=ImportKeyPair&Version=2016-11-15&KeyName=x")
    assert answer.status == 400
    assert_error_envelope(answer.body, "ec2", code="MissingParameter")


# --- DescribeKeyPairs ----------------------------------------------------------------------------


def test_describe_unknown_names_and_ids(ec2: Any) -> None:
    ec2.create_key_pair(KeyName="known", KeyType="ed25519")
    with pytest.raises(ClientError) as exc:
        ec2.describe_key_pairs(KeyNames=["known", "missing"])
    assert error_of(exc) == ("InvalidKeyPair.NotFound", "The key pair 'missing' does not exist")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as exc:
        ec2.describe_key_pairs(KeyPairIds=["key-0123456789abcdef0"])
    assert error_of(exc) == ("InvalidKeyPair.NotFound", "The key pair 'key-0123456789abcdef0' does not exist")


def test_describe_by_ids_names_and_every_filter(ec2: Any) -> None:
    a = ec2.create_key_pair(KeyName="alpha", KeyType="ed25519",
                            TagSpecifications=[{"ResourceType": "key-pair",
                                                "Tags": [{"Key": "team", "Value": "red"}]}])
    b = ec2.create_key_pair(KeyName="beta", TagSpecifications=[
        {"ResourceType": "key-pair", "Tags": [{"Key": "team", "Value": "blue"}, {"Key": "x", "Value": "1"}]}])
    c = import_key(ec2, "gamma", openssh_public(ed25519.Ed25519PrivateKey.generate()))

    def names(**kwargs: Any) -> list[str]:
        return sorted(k["KeyName"] for k in ec2.describe_key_pairs(**kwargs)["KeyPairs"])

    def by(name: str, *values: str) -> list[str]:
        return names(Filters=[{"Name": name, "Values": list(values)}])

    assert names() == ["alpha", "beta", "gamma"]
    assert names(KeyPairIds=[a["KeyPairId"], c["KeyPairId"]]) == ["alpha", "gamma"]
    assert names(KeyNames=["beta"]) == ["beta"]
    assert names(KeyNames=["alpha", "beta"], KeyPairIds=[b["KeyPairId"]]) == ["beta"]
    assert by("key-pair-id", b["KeyPairId"]) == ["beta"]
    assert by("key-name", "a*", "g?mma") == ["alpha", "gamma"]
    assert by("fingerprint", a["KeyFingerprint"], c["KeyFingerprint"]) == ["alpha", "gamma"]
    assert by("key-type", "rsa") == ["beta"]
    assert by("key-type", "ed25519") == ["alpha", "gamma"]
    assert by("tag:team", "red", "blue") == ["alpha", "beta"]
    assert by("tag-key", "x") == ["beta"]
    assert by("tag-value", "re*") == ["alpha"]
    assert names(Filters=[{"Name": "tag:team", "Values": ["*"]}, {"Name": "key-type", "Values": ["rsa"]}]) == ["beta"]
    with pytest.raises(ClientError) as exc:
        by("owner-id", "x")
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'owner-id' is invalid")
    assert all("PublicKey" not in k for k in ec2.describe_key_pairs()["KeyPairs"])


def test_describe_key_pairs_wire_format(gateway: RunningGateway, ec2: Any) -> None:
    ec2.create_key_pair(KeyName="wire", KeyType="ed25519",
                        TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "a", "Value": "b"}]}])
    answer = admin_send(gateway, "Action=DescribeKeyPairs&Version=2016-11-15&IncludePublicKey=true")
    assert answer.status == 200
    assert_matches_model(answer.body, "DescribeKeyPairs")
    assert "<keyType>ed25519</keyType>" in answer.text and "<publicKey>ssh-ed25519 " in answer.text
    created = admin_send(gateway, "Action=CreateKeyPair&Version=2016-11-15&KeyName=wire2")
    assert created.status == 200
    assert_matches_model(created.body, "CreateKeyPair")
    deleted = admin_send(gateway, "Action=DeleteKeyPair&Version=2016-11-15&KeyName=wire2")
    assert_matches_model(deleted.body, "DeleteKeyPair")
    assert "<return>true</return>" in deleted.text


# --- DeleteKeyPair -------------------------------------------------------------------------------


def test_delete_by_name_by_id_and_idempotent(ec2: Any) -> None:
    a = ec2.create_key_pair(KeyName="del-a", KeyType="ed25519")
    b = ec2.create_key_pair(KeyName="del-b", KeyType="ed25519")
    answer = ec2.delete_key_pair(KeyName="del-a")
    assert answer["Return"] is True and answer["KeyPairId"] == a["KeyPairId"]
    answer = ec2.delete_key_pair(KeyPairId=b["KeyPairId"])
    assert answer["Return"] is True and answer["KeyPairId"] == b["KeyPairId"]
    assert ec2.describe_key_pairs()["KeyPairs"] == []
    for kwargs in ({"KeyName": "del-a"}, {"KeyPairId": b["KeyPairId"]}, {"KeyPairId": "key-00000000000000000"},
                   {"KeyPairId": "not-an-id"}, {"KeyName": "never-existed"}):
        answer = ec2.delete_key_pair(**kwargs)
        assert answer["Return"] is True and "KeyPairId" not in answer
    again = ec2.create_key_pair(KeyName="del-a", KeyType="ed25519")  # the name is free again
    assert again["KeyPairId"] != a["KeyPairId"]


def test_delete_by_id_and_other_name_deletes_nothing(ec2: Any) -> None:
    a = ec2.create_key_pair(KeyName="keep", KeyType="ed25519")
    assert "KeyPairId" not in ec2.delete_key_pair(KeyPairId=a["KeyPairId"], KeyName="other")
    assert describe_one(ec2, "keep")["KeyPairId"] == a["KeyPairId"]


def test_delete_needs_a_name_or_an_id(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.delete_key_pair()
    assert error_of(exc) == ("MissingParameter", "The request must contain the parameter KeyName or KeyPairId")


# --- Terraform, concurrency, isolation, exports ----------------------------------------------------


def test_terraform_aws_key_pair_sequence(ec2: Any) -> None:
    """ImportKeyPair → DescribeKeyPairs(name) → tag updates on KeyPairId → DeleteKeyPair twice."""
    public_key = openssh_public(ed25519.Ed25519PrivateKey.generate()) + " terraform"
    created = import_key(ec2, "deployer", public_key, TagSpecifications=[
        {"ResourceType": "key-pair", "Tags": [{"Key": "Name", "Value": "deployer"}]}])
    read = describe_one(ec2, "deployer")
    assert read["KeyName"] == "deployer" and read["KeyPairId"] == created["KeyPairId"]
    assert read["KeyFingerprint"] == created["KeyFingerprint"] and read["KeyType"] == "ed25519"
    assert read["Tags"] == [{"Key": "Name", "Value": "deployer"}]
    ec2.delete_tags(Resources=[created["KeyPairId"]], Tags=[{"Key": "Name", "Value": "deployer"}])
    ec2.create_tags(Resources=[created["KeyPairId"]], Tags=[{"Key": "Name", "Value": "renamed"},
                                                           {"Key": "env", "Value": "prod"}])
    assert describe_one(ec2, "deployer")["Tags"] == [{"Key": "Name", "Value": "renamed"},
                                                     {"Key": "env", "Value": "prod"}]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [created["KeyPairId"]]}])["Tags"]
    assert {(t["Key"], t["ResourceType"]) for t in tags} == {("Name", "key-pair"), ("env", "key-pair")}
    assert ec2.delete_key_pair(KeyName="deployer")["Return"] is True
    assert ec2.delete_key_pair(KeyName="deployer")["Return"] is True
    with pytest.raises(ClientError) as exc:
        ec2.describe_key_pairs(KeyNames=["deployer"])
    assert error_of(exc)[0] == "InvalidKeyPair.NotFound"
    with pytest.raises(ClientError) as exc:
        ec2.create_tags(Resources=[created["KeyPairId"]], Tags=[{"Key": "a", "Value": "b"}])
    assert error_of(exc)[0] == "InvalidKeyPair.NotFound"


def test_concurrent_imports_of_one_name(gateway: RunningGateway) -> None:
    lines = [openssh_public(ed25519.Ed25519PrivateKey.generate()) for _ in range(10)]
    clients = [gateway.client("ec2") for _ in lines]

    def attempt(index: int) -> None:
        import_key(clients[index], "race", lines[index])

    outcomes = race(attempt, range(10))
    assert outcomes.count("ok") == 1
    assert outcomes.count("InvalidKeyPair.Duplicate") == 9
    pairs = gateway.client("ec2").describe_key_pairs()["KeyPairs"]
    assert len(pairs) == 1 and pairs[0]["KeyName"] == "race"
    assert pairs[0]["KeyFingerprint"] == sha256_b64(lines[outcomes.index("ok")])


def test_tenant_isolation(gateway: RunningGateway, ec2: Any) -> None:
    mine = ec2.create_key_pair(KeyName="shared-name", KeyType="ed25519")
    other = gateway.client("ec2", creds=gateway.create_account("tenant-b"))
    assert other.describe_key_pairs()["KeyPairs"] == []
    with pytest.raises(ClientError) as exc:
        other.describe_key_pairs(KeyPairIds=[mine["KeyPairId"]])
    assert error_of(exc) == ("InvalidKeyPair.NotFound", f"The key pair '{mine['KeyPairId']}' does not exist")
    with pytest.raises(ClientError) as exc:
        other.describe_key_pairs(KeyNames=["shared-name"])
    assert error_of(exc) == ("InvalidKeyPair.NotFound", "The key pair 'shared-name' does not exist")
    theirs = other.create_key_pair(KeyName="shared-name", KeyType="ed25519")  # names are per account
    assert "KeyPairId" not in other.delete_key_pair(KeyPairId=mine["KeyPairId"])
    assert describe_one(ec2, "shared-name")["KeyPairId"] == mine["KeyPairId"]
    with pytest.raises(ClientError) as exc:
        other.create_tags(Resources=[mine["KeyPairId"]], Tags=[{"Key": "a", "Value": "b"}])
    assert error_of(exc)[0] == "InvalidKeyPair.NotFound"
    assert other.delete_key_pair(KeyName="shared-name")["KeyPairId"] == theirs["KeyPairId"]
    assert describe_one(ec2, "shared-name")["KeyPairId"] == mine["KeyPairId"]


def test_find_key_pair_by_name(gateway: RunningGateway, ec2: Any) -> None:
    created = ec2.create_key_pair(KeyName="lookup", KeyType="ed25519")
    ctx = request_context(gateway)
    found = gateway.run(key_pairs.find_key_pair_by_name(ctx, "lookup"))
    assert found is not None
    assert found["key_pair_id"] == created["KeyPairId"] and found["key_name"] == "lookup"
    assert found["key_type"] == "ed25519" and found["public_key"].startswith("ssh-ed25519 ")
    assert gateway.run(key_pairs.find_key_pair_by_name(ctx, "missing")) is None
    assert gateway.run(key_pairs.find_key_pair_by_name(ctx, "")) is None
    assert gateway.run(key_pairs.find_key_pair_by_name(request_context(gateway, "000000000077"), "lookup")) is None
    ec2.delete_key_pair(KeyName="lookup")
    assert gateway.run(key_pairs.find_key_pair_by_name(ctx, "lookup")) is None


def test_orphaned_name_claim_is_taken_over_only_when_stale(gateway: RunningGateway, ec2: Any) -> None:
    """A claim left by a crash between claim and record blocks the name only for a while."""
    ctx = request_context(gateway)
    bucket = gateway.run(gateway.runtime.records(claims.KEY_PAIR_NAMES.bucket, claims.SCHEMA))
    claim_key = account_key(ctx.account_id, hashlib.sha256(b"orphan").hexdigest())
    fresh = {"holder": "key-0000000000000000a", "name": "orphan", "claimed_at": clock.utc_now()}
    gateway.run(bucket.put(claim_key, fresh))
    with pytest.raises(ClientError) as exc:
        ec2.create_key_pair(KeyName="orphan", KeyType="ed25519")
    assert error_of(exc)[0] == "InvalidKeyPair.Duplicate"
    assert ec2.describe_key_pairs()["KeyPairs"] == []  # the claim is not a key pair
    gateway.run(bucket.put(claim_key, {**fresh, "claimed_at": "2020-01-01T00:00:00Z"}))
    created = ec2.create_key_pair(KeyName="orphan", KeyType="ed25519")
    assert describe_one(ec2, "orphan")["KeyPairId"] == created["KeyPairId"]


def test_key_pairs_stored_before_name_claims_keep_their_names(
    gateway: RunningGateway, ec2: Any
) -> None:
    """A key pair (and its claim document) written by an earlier version, with no claim in the
    key-pair-names space: its name stays taken and findable; the old claim is no key pair."""
    ctx = request_context(gateway)
    bucket = gateway.run(records.records(ctx, key_pairs.KEY_PAIR))
    legacy = {"key_pair_id": "key-0000000000000000b", "key_name": "legacy", "key_type": "ed25519",
              "key_fingerprint": "fp", "public_key": openssh_public(ed25519.Ed25519PrivateKey.generate()),
              "origin": "imported", "tags": {}, "created_at": clock.utc_now(), "account_id": ADMIN}
    gateway.run(bucket.put(account_key(ADMIN, legacy["key_pair_id"]), legacy))
    old_claim = {"name_claim": True, "key_name": "legacy", "key_pair_id": legacy["key_pair_id"],
                 "created_at": clock.utc_now()}
    gateway.run(bucket.put(account_key(ADMIN, "name." + hashlib.sha256(b"legacy").hexdigest()), old_claim))
    with pytest.raises(ClientError) as exc:
        ec2.create_key_pair(KeyName="legacy", KeyType="ed25519")
    assert error_of(exc)[0] == "InvalidKeyPair.Duplicate"
    assert [k["KeyPairId"] for k in ec2.describe_key_pairs()["KeyPairs"]] == [legacy["key_pair_id"]]
    found = gateway.run(key_pairs.find_key_pair_by_name(ctx, "legacy"))
    assert found is not None and found["key_pair_id"] == legacy["key_pair_id"]
    ec2.delete_key_pair(KeyName="legacy")
    assert ec2.create_key_pair(KeyName="legacy", KeyType="ed25519")["KeyName"] == "legacy"


def test_name_claims_never_show_up_as_tagged_resources(gateway: RunningGateway, ec2: Any) -> None:
    """DescribeTags lists every key-pair record of the bucket: claims live in their own space."""
    created = ec2.create_key_pair(KeyName="claimed", KeyType="ed25519",
                                  TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "k", "Value": "v"}]}])
    stored = gateway.run(records.list_records(request_context(gateway), key_pairs.KEY_PAIR))
    assert len(stored) == 1 and not any(key_pairs.is_claim(r) for r in stored)
    rows = [row for r in stored for row in tags_handlers._rows(key_pairs.KEY_PAIR, r)]
    assert rows == [{"Key": "k", "Value": "v", "ResourceId": created["KeyPairId"], "ResourceType": "key-pair"}]


def test_stored_record_layout(gateway: RunningGateway, ec2: Any) -> None:
    created = import_key(ec2, "layout", openssh_public(ed25519.Ed25519PrivateKey.generate()) + " c")
    ctx = request_context(gateway)
    bucket = gateway.run(records.records(ctx, key_pairs.KEY_PAIR))
    found = gateway.run(bucket.get(account_key(ctx.account_id, created["KeyPairId"])))
    assert found is not None
    record = found[0]
    assert {"key_pair_id", "key_name", "key_type", "key_fingerprint", "public_key", "tags",
            "created_at"} <= set(record)
    assert record["origin"] == "imported" and "private" not in str(record).lower()


def test_key_pair_errors_are_aws_errors() -> None:
    assert key_pairs.not_found("x").code == "InvalidKeyPair.NotFound"
    assert isinstance(key_pairs.invalid_key_format(), AwsError)


def test_key_pairs_over_nats(nats_gateway: RunningGateway) -> None:
    """The name claim over real JetStream KV: one winner among racing imports, delete frees it."""
    lines = [openssh_public(ed25519.Ed25519PrivateKey.generate()) for _ in range(6)]
    clients = [nats_gateway.client("ec2") for _ in lines]

    def attempt(index: int) -> None:
        import_key(clients[index], "nats-race", lines[index])

    outcomes = race(attempt, range(6))
    assert outcomes.count("ok") == 1 and outcomes.count("InvalidKeyPair.Duplicate") == 5
    ec2 = clients[0]
    (pair,) = ec2.describe_key_pairs(IncludePublicKey=True)["KeyPairs"]
    assert pair["PublicKey"] == lines[outcomes.index("ok")]
    assert ec2.delete_key_pair(KeyName="nats-race")["KeyPairId"] == pair["KeyPairId"]
    assert ec2.delete_key_pair(KeyName="nats-race")["Return"] is True
    assert ec2.create_key_pair(KeyName="nats-race", KeyType="ed25519")["KeyName"] == "nats-race"
