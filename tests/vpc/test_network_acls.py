"""Network ACLs end to end: real boto3 against a real gateway (handlers/network_acls/)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers import network_acls
from hive_gateway.core import records
from hive_gateway.core.kinds import KINDS
from tests.fixtures.gateway import RunningGateway
from tests.helpers import (
    ADMIN,
    admin_send,
    assert_matches_model,
    error_of,
    nats_token_gateway,  # noqa: F401  (fixture: a gateway over the token-guarded nats-server)
    new_vpc,
    race,
    request_context,
)
from tests.vpc.test_subnets import make_vpc

ALL_V4 = "0.0.0.0/0"


def default_acl(ec2: Any, vpc_id: str) -> dict[str, Any]:
    """The VPC's default ACL, found the way Terraform finds it (``default`` + ``vpc-id``)."""
    acls = ec2.describe_network_acls(
        Filters=[
            {"Name": "default", "Values": ["true"]},
            {"Name": "vpc-id", "Values": [vpc_id]},
        ]
    )["NetworkAcls"]
    assert len(acls) == 1
    return dict(acls[0])


def acl_of(ec2: Any, acl_id: str) -> dict[str, Any]:
    [acl] = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"]
    return dict(acl)


def rule(
    number: int, action: str, egress: bool, cidr: str = ALL_V4, protocol: str = "-1", **extra: Any
) -> dict[str, Any]:
    key = "Ipv6CidrBlock" if ":" in cidr else "CidrBlock"
    return {
        "RuleNumber": number,
        "RuleAction": action,
        "Egress": egress,
        key: cidr,
        "Protocol": protocol,
        **extra,
    }


# --- default and custom ACLs -----------------------------------------------------------------------


def test_new_vpc_has_a_default_acl_allowing_everything(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    acl = default_acl(ec2, vpc_id)
    assert acl["IsDefault"] is True and acl["VpcId"] == vpc_id and acl["OwnerId"] == ADMIN
    assert acl["NetworkAclId"].startswith("acl-")
    assert acl["Associations"] == [] and acl["Tags"] == []
    assert acl["Entries"] == [
        rule(100, "allow", True),
        rule(32767, "deny", True),
        rule(100, "allow", False),
        rule(32767, "deny", False),
    ]


def test_default_acl_of_an_ipv6_vpc_has_the_ipv6_rules(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway, ipv6="2600:1f18:aa:bb00::/56")
    entries = default_acl(ec2, vpc_id)["Entries"]
    assert entries == [
        rule(100, "allow", True),
        rule(101, "allow", True, "::/0"),
        rule(32767, "deny", True),
        rule(32768, "deny", True, "::/0"),
        rule(100, "allow", False),
        rule(101, "allow", False, "::/0"),
        rule(32767, "deny", False),
        rule(32768, "deny", False, "::/0"),
    ]
    custom = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]
    assert custom["Entries"] == [
        rule(32767, "deny", True),
        rule(32768, "deny", True, "::/0"),
        rule(32767, "deny", False),
        rule(32768, "deny", False, "::/0"),
    ]


def test_new_subnets_join_the_default_acl(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    s1 = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    s2 = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    acl = default_acl(ec2, vpc_id)
    assert sorted(a["SubnetId"] for a in acl["Associations"]) == sorted([s1, s2])
    for assoc in acl["Associations"]:
        assert assoc["NetworkAclId"] == acl["NetworkAclId"]
        assert assoc["NetworkAclAssociationId"].startswith("aclassoc-")
    found = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [s1]}])[
        "NetworkAcls"
    ]
    assert [a["NetworkAclId"] for a in found] == [acl["NetworkAclId"]]


def test_create_network_acl_is_custom_with_deny_rules_and_tags(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway)
    acl = ec2.create_network_acl(
        VpcId=vpc_id,
        TagSpecifications=[
            {"ResourceType": "network-acl", "Tags": [{"Key": "Name", "Value": "db"}]}
        ],
    )["NetworkAcl"]
    assert acl["IsDefault"] is False and acl["VpcId"] == vpc_id and acl["OwnerId"] == ADMIN
    assert acl["Entries"] == [rule(32767, "deny", True), rule(32767, "deny", False)]
    assert acl["Associations"] == []
    assert acl["Tags"] == [{"Key": "Name", "Value": "db"}]
    assert acl_of(ec2, acl["NetworkAclId"]) == acl
    with pytest.raises(ClientError) as exc:
        ec2.create_network_acl(VpcId="vpc-0123456789abcdef0")
    assert error_of(exc) == (
        "InvalidVpcID.NotFound",
        "The vpc ID 'vpc-0123456789abcdef0' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.create_network_acl(
            VpcId=vpc_id,
            TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "a", "Value": "b"}]}],
        )
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_create_network_acl_client_token_is_idempotent(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    first = ec2.create_network_acl(VpcId=vpc_id, ClientToken="token-1")
    second = ec2.create_network_acl(VpcId=vpc_id, ClientToken="token-1")
    assert first["ClientToken"] == "token-1" == second["ClientToken"]
    assert first["NetworkAcl"]["NetworkAclId"] == second["NetworkAcl"]["NetworkAclId"]
    third = ec2.create_network_acl(VpcId=vpc_id, ClientToken="token-2")
    assert third["NetworkAcl"]["NetworkAclId"] != first["NetworkAcl"]["NetworkAclId"]


@pytest.mark.parametrize("backend", ["gateway", "nats_token_gateway"])
def test_client_token_reused_with_another_vpc_is_a_mismatch(
    request: pytest.FixtureRequest, backend: str
) -> None:
    """Wrong answer #3: a reused ClientToken with another VpcId returned the first VPC's ACL."""
    running: RunningGateway = request.getfixturevalue(backend)
    ec2 = running.client("ec2")
    first_vpc, other_vpc = new_vpc(ec2, "10.81.0.0/16"), new_vpc(ec2, "10.82.0.0/16")
    created = ec2.create_network_acl(VpcId=first_vpc, ClientToken="acl-token")["NetworkAcl"]
    with pytest.raises(ClientError) as exc:
        ec2.create_network_acl(VpcId=other_vpc, ClientToken="acl-token")
    assert error_of(exc) == (
        "IdempotentParameterMismatch",
        "The client token 'acl-token' has already been used with different parameters.",
    )
    # the same parameters still answer the first ACL; nothing was created in the other VPC
    again = ec2.create_network_acl(VpcId=first_vpc, ClientToken="acl-token")["NetworkAcl"]
    assert again["NetworkAclId"] == created["NetworkAclId"] and again["VpcId"] == first_vpc
    in_other = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [other_vpc]}])
    assert [a["IsDefault"] for a in in_other["NetworkAcls"]] == [True]


@pytest.mark.parametrize("backend", ["gateway", "nats_token_gateway"])
def test_concurrent_creates_with_one_client_token_create_one_acl(
    request: pytest.FixtureRequest, backend: str
) -> None:
    running: RunningGateway = request.getfixturevalue(backend)
    vpc_id = new_vpc(running.client("ec2"), "10.83.0.0/16")
    clients = [running.client("ec2") for _ in range(8)]
    outcomes = race(
        lambda client: client.create_network_acl(VpcId=vpc_id, ClientToken="racing")["NetworkAcl"][
            "NetworkAclId"
        ],
        clients,
    )
    assert len(set(outcomes)) == 1 and outcomes[0].startswith("acl-")
    acls = running.client("ec2").describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["false"]}]
    )["NetworkAcls"]
    assert [a["NetworkAclId"] for a in acls] == [outcomes[0]]


def test_delete_network_acl_rules(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    default_id = default_acl(ec2, vpc_id)["NetworkAclId"]
    with pytest.raises(ClientError) as exc:
        ec2.delete_network_acl(NetworkAclId=default_id)
    assert error_of(exc) == (
        "InvalidParameterValue",
        f"cannot delete default network ACL {default_id}",
    )
    custom = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    assoc = _association_of(ec2, subnet_id)
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=custom)
    with pytest.raises(ClientError) as exc:
        ec2.delete_network_acl(NetworkAclId=custom)
    assert error_of(exc) == (
        "DependencyViolation",
        f"The networkAcl '{custom}' has dependencies and cannot be deleted.",
    )
    ec2.delete_subnet(SubnetId=subnet_id)
    ec2.delete_network_acl(NetworkAclId=custom)
    with pytest.raises(ClientError) as exc:
        ec2.describe_network_acls(NetworkAclIds=[custom])
    assert error_of(exc) == (
        "InvalidNetworkAclID.NotFound",
        f"The networkAcl ID '{custom}' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.delete_network_acl(NetworkAclId=custom)
    assert error_of(exc) == (
        "InvalidNetworkAclID.NotFound",
        f"The networkAcl ID '{custom}' does not exist",
    )


# --- entries ---------------------------------------------------------------------------------------


@pytest.fixture
def custom_acl(gateway: RunningGateway, ec2: Any) -> str:
    vpc_id = make_vpc(gateway)
    return str(ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"])


def _user_entries(ec2: Any, acl_id: str) -> list[dict[str, Any]]:
    return [e for e in acl_of(ec2, acl_id)["Entries"] if e["RuleNumber"] < 32767]


def test_entries_are_stored_as_aws_returns_them(ec2: Any, custom_acl: str) -> None:
    ec2.create_network_acl_entry(
        NetworkAclId=custom_acl,
        RuleNumber=110,
        Protocol="tcp",
        RuleAction="allow",
        Egress=False,
        CidrBlock="10.0.0.0/8",
        PortRange={"From": 22, "To": 22},
    )
    ec2.create_network_acl_entry(
        NetworkAclId=custom_acl,
        RuleNumber=120,
        Protocol="17",
        RuleAction="deny",
        Egress=False,
        CidrBlock="192.168.1.7/24",
        PortRange={"From": 53, "To": 53},
    )
    ec2.create_network_acl_entry(
        NetworkAclId=custom_acl,
        RuleNumber=130,
        Protocol="1",
        RuleAction="allow",
        Egress=False,
        CidrBlock=ALL_V4,
        IcmpTypeCode={"Type": 8, "Code": -1},
    )
    ec2.create_network_acl_entry(
        NetworkAclId=custom_acl,
        RuleNumber=100,
        Protocol="-1",
        RuleAction="allow",
        Egress=True,
        Ipv6CidrBlock="2001:db8::/32",
        PortRange={"From": 1, "To": 2},
    )
    ec2.create_network_acl_entry(
        NetworkAclId=custom_acl,
        RuleNumber=140,
        Protocol="50",
        RuleAction="allow",
        Egress=False,
        CidrBlock=ALL_V4,
    )
    assert _user_entries(ec2, custom_acl) == [
        rule(100, "allow", True, "2001:db8::/32"),
        rule(110, "allow", False, "10.0.0.0/8", "6", PortRange={"From": 22, "To": 22}),
        rule(120, "deny", False, "192.168.1.0/24", "17", PortRange={"From": 53, "To": 53}),
        rule(130, "allow", False, ALL_V4, "1", IcmpTypeCode={"Type": 8, "Code": -1}),
        rule(140, "allow", False, ALL_V4, "50"),
    ]


def test_duplicate_rule_number_in_the_same_direction_is_refused(ec2: Any, custom_acl: str) -> None:
    ec2.create_network_acl_entry(
        NetworkAclId=custom_acl,
        RuleNumber=100,
        Protocol="-1",
        RuleAction="allow",
        Egress=False,
        CidrBlock=ALL_V4,
    )
    with pytest.raises(ClientError) as exc:
        ec2.create_network_acl_entry(
            NetworkAclId=custom_acl,
            RuleNumber=100,
            Protocol="-1",
            RuleAction="deny",
            Egress=False,
            CidrBlock="10.0.0.0/8",
        )
    assert error_of(exc) == (
        "NetworkAclEntryAlreadyExists",
        "The network acl entry identified by 100 already exists.",
    )
    ec2.create_network_acl_entry(
        NetworkAclId=custom_acl,
        RuleNumber=100,
        Protocol="-1",
        RuleAction="deny",
        Egress=True,
        CidrBlock="10.0.0.0/8",
    )
    assert [(e["RuleNumber"], e["Egress"]) for e in _user_entries(ec2, custom_acl)] == [
        (100, True),
        (100, False),
    ]


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        (
            {"RuleNumber": 0},
            "InvalidParameterValue",
            "Value (0) for parameter ruleNumber is invalid. Rulenumber must be in range 1..32766",
        ),
        (
            {"RuleNumber": 32767},
            "InvalidParameterValue",
            "Value (32767) for parameter ruleNumber is invalid. Rulenumber must be in range 1..32766",
        ),
        (
            {"RuleNumber": 32768},
            "InvalidParameterValue",
            "Value (32768) for parameter ruleNumber is invalid. Rulenumber must be in range 1..32766",
        ),
        ({"Protocol": "6"}, "MissingParameter", "The request must contain the parameter portRange"),
        (
            {"Protocol": "udp"},
            "MissingParameter",
            "The request must contain the parameter portRange",
        ),
        (
            {"Protocol": "icmp"},
            "MissingParameter",
            "The request must contain the parameter icmpTypeCode",
        ),
        (
            {"Protocol": "tcp", "PortRange": {"From": 10, "To": 70000}},
            "InvalidParameterValue",
            None,
        ),
        ({"Protocol": "tcp", "PortRange": {"From": 90, "To": 80}}, "InvalidParameterValue", None),
        ({"Protocol": "bogus"}, "InvalidParameterValue", None),
        ({"Protocol": "256"}, "InvalidParameterValue", None),
        ({"Ipv6CidrBlock": "::/0"}, "InvalidParameterCombination", None),
        (
            {"CidrBlock": None},
            "MissingParameter",
            "The request must contain the parameter cidrBlock or ipv6CidrBlock",
        ),
        (
            {"CidrBlock": "10.0.0.0/33"},
            "InvalidParameterValue",
            "Value (10.0.0.0/33) for parameter cidrBlock is invalid. This is not a valid CIDR block.",
        ),
        ({"CidrBlock": None, "Ipv6CidrBlock": "10.0.0.0/8"}, "InvalidParameterValue", None),
        (
            {"NetworkAclId": "acl-0123456789abcdef0"},
            "InvalidNetworkAclID.NotFound",
            "The networkAcl ID 'acl-0123456789abcdef0' does not exist",
        ),
    ],
)
def test_create_entry_refusals(
    ec2: Any, custom_acl: str, kwargs: dict[str, Any], code: str, message: str | None
) -> None:
    request: dict[str, Any] = {
        "NetworkAclId": custom_acl,
        "RuleNumber": 200,
        "Protocol": "-1",
        "RuleAction": "allow",
        "Egress": False,
        "CidrBlock": ALL_V4,
    }
    request.update(kwargs)
    request = {k: v for k, v in request.items() if v is not None}
    with pytest.raises(ClientError) as exc:
        ec2.create_network_acl_entry(**request)
    assert error_of(exc)[0] == code
    if message is not None:
        assert error_of(exc)[1] == message
    assert _user_entries(ec2, custom_acl) == []


def test_replace_network_acl_entry(ec2: Any, custom_acl: str) -> None:
    ec2.create_network_acl_entry(
        NetworkAclId=custom_acl,
        RuleNumber=100,
        Protocol="tcp",
        RuleAction="allow",
        Egress=False,
        CidrBlock=ALL_V4,
        PortRange={"From": 80, "To": 80},
    )
    ec2.replace_network_acl_entry(
        NetworkAclId=custom_acl,
        RuleNumber=100,
        Protocol="-1",
        RuleAction="deny",
        Egress=False,
        CidrBlock="10.0.0.0/8",
    )
    assert _user_entries(ec2, custom_acl) == [rule(100, "deny", False, "10.0.0.0/8")]
    with pytest.raises(ClientError) as exc:
        ec2.replace_network_acl_entry(
            NetworkAclId=custom_acl,
            RuleNumber=100,
            Protocol="-1",
            RuleAction="deny",
            Egress=True,
            CidrBlock="10.0.0.0/8",
        )
    assert error_of(exc) == ("InvalidNetworkAclEntry.NotFound", "no egress entry with number 100")
    with pytest.raises(ClientError) as exc:
        ec2.replace_network_acl_entry(
            NetworkAclId=custom_acl,
            RuleNumber=32767,
            Protocol="-1",
            RuleAction="allow",
            Egress=False,
            CidrBlock=ALL_V4,
        )
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_delete_network_acl_entry(ec2: Any, custom_acl: str) -> None:
    ec2.create_network_acl_entry(
        NetworkAclId=custom_acl,
        RuleNumber=120,
        Protocol="-1",
        RuleAction="allow",
        Egress=False,
        CidrBlock=ALL_V4,
    )
    with pytest.raises(ClientError) as exc:
        ec2.delete_network_acl_entry(NetworkAclId=custom_acl, RuleNumber=120, Egress=True)
    assert error_of(exc) == ("InvalidNetworkAclEntry.NotFound", "no egress entry with number 120")
    ec2.delete_network_acl_entry(NetworkAclId=custom_acl, RuleNumber=120, Egress=False)
    assert _user_entries(ec2, custom_acl) == []
    with pytest.raises(ClientError) as exc:
        ec2.delete_network_acl_entry(NetworkAclId=custom_acl, RuleNumber=120, Egress=False)
    assert error_of(exc) == ("InvalidNetworkAclEntry.NotFound", "no ingress entry with number 120")
    with pytest.raises(ClientError) as exc:  # the default deny rule stays
        ec2.delete_network_acl_entry(NetworkAclId=custom_acl, RuleNumber=32767, Egress=False)
    assert error_of(exc)[0] == "InvalidParameterValue"
    assert len(acl_of(ec2, custom_acl)["Entries"]) == 2


def test_default_acl_rules_can_be_edited(gateway: RunningGateway, ec2: Any) -> None:
    """aws_default_network_acl removes rule 100 and adds its own."""
    vpc_id = make_vpc(gateway)
    acl_id = default_acl(ec2, vpc_id)["NetworkAclId"]
    ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Egress=True)
    ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Egress=False)
    ec2.create_network_acl_entry(
        NetworkAclId=acl_id,
        RuleNumber=10,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="10.0.0.0/16",
        PortRange={"From": 443, "To": 443},
    )
    assert [(e["RuleNumber"], e["Egress"]) for e in acl_of(ec2, acl_id)["Entries"]] == [
        (32767, True),
        (10, False),
        (32767, False),
    ]


# --- associations ----------------------------------------------------------------------------------


def _association_of(ec2: Any, subnet_id: str) -> str:
    [acl] = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["NetworkAcls"]
    [assoc] = [a for a in acl["Associations"] if a["SubnetId"] == subnet_id]
    return str(assoc["NetworkAclAssociationId"])


def test_replace_network_acl_association_moves_the_subnet(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway)
    default_id = default_acl(ec2, vpc_id)["NetworkAclId"]
    custom = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    old = _association_of(ec2, subnet_id)
    new = ec2.replace_network_acl_association(AssociationId=old, NetworkAclId=custom)[
        "NewAssociationId"
    ]
    assert new.startswith("aclassoc-") and new != old
    assert acl_of(ec2, custom)["Associations"] == [
        {"NetworkAclAssociationId": new, "NetworkAclId": custom, "SubnetId": subnet_id}
    ]
    assert acl_of(ec2, default_id)["Associations"] == []
    with pytest.raises(ClientError) as exc:
        ec2.replace_network_acl_association(AssociationId=old, NetworkAclId=default_id)
    assert error_of(exc) == (
        "InvalidAssociationID.NotFound",
        f"The association ID '{old}' does not exist",
    )
    back = ec2.replace_network_acl_association(AssociationId=new, NetworkAclId=default_id)[
        "NewAssociationId"
    ]
    assert _association_of(ec2, subnet_id) == back
    same = ec2.replace_network_acl_association(AssociationId=back, NetworkAclId=default_id)[
        "NewAssociationId"
    ]
    assert same != back and _association_of(ec2, subnet_id) == same
    assert len(acl_of(ec2, default_id)["Associations"]) == 1


def test_replace_association_refusals(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    other_vpc = make_vpc(gateway)
    foreign = ec2.create_network_acl(VpcId=other_vpc)["NetworkAcl"]["NetworkAclId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    assoc = _association_of(ec2, subnet_id)
    with pytest.raises(ClientError) as exc:
        ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=foreign)
    assert error_of(exc)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        ec2.replace_network_acl_association(
            AssociationId=assoc, NetworkAclId="acl-0123456789abcdef0"
        )
    assert error_of(exc) == (
        "InvalidNetworkAclID.NotFound",
        "The networkAcl ID 'acl-0123456789abcdef0' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.replace_network_acl_association(
            AssociationId="aclassoc-0123456789abcdef0", NetworkAclId=foreign
        )
    assert error_of(exc) == (
        "InvalidAssociationID.NotFound",
        "The association ID 'aclassoc-0123456789abcdef0' does not exist",
    )
    assert _association_of(ec2, subnet_id) == assoc


def test_concurrent_replacements_keep_exactly_one_association(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway)
    targets = [ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"] for _ in range(4)]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    assoc = _association_of(ec2, subnet_id)
    clients = [gateway.client("ec2") for _ in targets]

    def move(pair: tuple[Any, str]) -> str:
        client, target = pair
        return str(
            client.replace_network_acl_association(AssociationId=assoc, NetworkAclId=target)[
                "NewAssociationId"
            ]
        )

    outcomes = race(move, zip(clients, targets))
    assert sum(o.startswith("aclassoc-") for o in outcomes) == 1, outcomes
    assert outcomes.count("InvalidAssociationID.NotFound") == 3
    holders = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["NetworkAcls"]
    assert len(holders) == 1


# --- exported helpers ----------------------------------------------------------------------------


def test_exported_helpers(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    ctx = request_context(gateway)
    custom = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    assert gateway.run(network_acls.custom_network_acl_ids(ctx, vpc_id)) == [custom]
    default_id = default_acl(ec2, vpc_id)["NetworkAclId"]
    again = gateway.run(
        network_acls.create_default_network_acl(
            ctx, gateway.run(records.get(ctx, KINDS["vpc"], vpc_id))
        )
    )
    assert again["network_acl_id"] == default_id and len(again["associations"]) == 1  # idempotent

    gateway.run(network_acls.add_ipv6_default_rules(ctx, vpc_id))
    assert [
        (e["RuleNumber"], e["RuleAction"])
        for e in default_acl(ec2, vpc_id)["Entries"]
        if e["Egress"]
    ] == [
        (100, "allow"),
        (101, "allow"),
        (32767, "deny"),
        (32768, "deny"),
    ]
    assert [e["RuleNumber"] for e in acl_of(ec2, custom)["Entries"] if not e["Egress"]] == [
        32767,
        32768,
    ]

    gateway.run(network_acls.disassociate_subnet(ctx, subnet_id))
    assert default_acl(ec2, vpc_id)["Associations"] == []
    gateway.run(
        network_acls.associate_with_default_acl(ctx, {"subnet_id": subnet_id, "vpc_id": vpc_id})
    )
    gateway.run(
        network_acls.associate_with_default_acl(ctx, {"subnet_id": subnet_id, "vpc_id": vpc_id})
    )
    assert [a["SubnetId"] for a in default_acl(ec2, vpc_id)["Associations"]] == [subnet_id]

    gateway.run(network_acls.delete_default_network_acl(ctx, vpc_id))
    assert (
        ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"][
            0
        ]["NetworkAclId"]
        == custom
    )


# --- DescribeNetworkAcls -------------------------------------------------------------------------


@pytest.fixture
def acl_pair(gateway: RunningGateway, ec2: Any) -> dict[str, Any]:
    """A VPC with its default ACL (holding subnet ``s1``) and a tagged custom ACL with rules."""
    vpc_id = make_vpc(gateway)
    s1 = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    custom = ec2.create_network_acl(
        VpcId=vpc_id,
        TagSpecifications=[
            {"ResourceType": "network-acl", "Tags": [{"Key": "Name", "Value": "app"}]}
        ],
    )["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=custom,
        RuleNumber=110,
        Protocol="tcp",
        RuleAction="allow",
        Egress=False,
        CidrBlock="10.9.0.0/16",
        PortRange={"From": 1000, "To": 2000},
    )
    ec2.create_network_acl_entry(
        NetworkAclId=custom,
        RuleNumber=120,
        Protocol="icmp",
        RuleAction="allow",
        Egress=True,
        CidrBlock=ALL_V4,
        IcmpTypeCode={"Type": 3, "Code": 4},
    )
    ec2.create_network_acl_entry(
        NetworkAclId=custom,
        RuleNumber=130,
        Protocol="-1",
        RuleAction="allow",
        Egress=True,
        Ipv6CidrBlock="2001:db8::/32",
    )
    default = default_acl(ec2, vpc_id)
    return {
        "vpc": vpc_id,
        "subnet": s1,
        "default": default["NetworkAclId"],
        "custom": custom,
        "assoc": default["Associations"][0]["NetworkAclAssociationId"],
    }


ACL_FILTERS: list[tuple[str, str, str]] = [
    ("association.association-id", "{assoc}", "default"),
    ("association.network-acl-id", "{default}", "default"),
    ("association.subnet-id", "{subnet}", "default"),
    ("default", "true", "default"),
    ("default", "false", "custom"),
    ("entry.cidr", "10.9.0.0/16", "custom"),
    ("entry.cidr", ALL_V4, "both"),
    ("entry.icmp.code", "4", "custom"),
    ("entry.icmp.type", "3", "custom"),
    ("entry.ipv6-cidr", "2001:db8::/32", "custom"),
    ("entry.port-range.from", "1000", "custom"),
    ("entry.port-range.to", "2000", "custom"),
    ("entry.protocol", "tcp", "custom"),
    ("entry.protocol", "6", "custom"),
    ("entry.protocol", "-1", "both"),
    ("entry.rule-action", "allow", "both"),
    ("entry.egress", "true", "both"),
    ("entry.rule-number", "110", "custom"),
    ("entry.rule-number", "100", "default"),
    ("network-acl-id", "{custom}", "custom"),
    ("owner-id", ADMIN, "both"),
    ("tag:Name", "app", "custom"),
    ("tag:Name", "a*", "custom"),
    ("tag-key", "Name", "custom"),
    ("tag-value", "ap?", "custom"),
    ("vpc-id", "{vpc}", "both"),
]


@pytest.mark.parametrize(
    ("name", "value", "matches"), ACL_FILTERS, ids=[f"{f[0]}={f[1]}" for f in ACL_FILTERS]
)
def test_describe_network_acls_filter(
    ec2: Any, acl_pair: dict[str, Any], name: str, value: str, matches: str
) -> None:
    found = ec2.describe_network_acls(
        Filters=[
            {"Name": name, "Values": [value.format(**acl_pair)]},
            {"Name": "vpc-id", "Values": [acl_pair["vpc"]]},
        ]
    )["NetworkAcls"]
    expected = {
        "default": {acl_pair["default"]},
        "custom": {acl_pair["custom"]},
        "both": {acl_pair["default"], acl_pair["custom"]},
    }[matches]
    assert {a["NetworkAclId"] for a in found} == expected


def test_describe_network_acls_unknown_filter_and_ids(ec2: Any, acl_pair: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.describe_network_acls(Filters=[{"Name": "isDefault", "Values": ["true"]}])
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'isDefault' is invalid")
    with pytest.raises(ClientError) as exc:
        ec2.describe_network_acls(NetworkAclIds=[acl_pair["custom"], "acl-0123456789abcdef0"])
    assert error_of(exc) == (
        "InvalidNetworkAclID.NotFound",
        "The networkAcl ID 'acl-0123456789abcdef0' does not exist",
    )


def test_describe_network_acls_pagination(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    created = {
        ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"] for _ in range(11)
    }
    created.add(default_acl(ec2, vpc_id)["NetworkAclId"])
    pages = list(
        ec2.get_paginator("describe_network_acls").paginate(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}], PaginationConfig={"PageSize": 5}
        )
    )
    assert [len(p["NetworkAcls"]) for p in pages] == [5, 5, 2]
    assert {a["NetworkAclId"] for p in pages for a in p["NetworkAcls"]} == created
    assert "NextToken" not in pages[-1]


def test_another_account_cannot_see_or_touch_the_acl(
    gateway: RunningGateway, ec2: Any, acl_pair: dict[str, Any]
) -> None:
    other = gateway.create_account("tenant-n")
    theirs = gateway.client("ec2", creds=other)
    custom = acl_pair["custom"]
    missing = ("InvalidNetworkAclID.NotFound", f"The networkAcl ID '{custom}' does not exist")
    for call in (
        lambda: theirs.describe_network_acls(NetworkAclIds=[custom]),
        lambda: theirs.delete_network_acl(NetworkAclId=custom),
        lambda: theirs.create_network_acl_entry(
            NetworkAclId=custom,
            RuleNumber=1,
            Protocol="-1",
            RuleAction="allow",
            Egress=False,
            CidrBlock=ALL_V4,
        ),
        lambda: theirs.delete_network_acl_entry(NetworkAclId=custom, RuleNumber=110, Egress=False),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == missing
    with pytest.raises(ClientError) as exc:
        theirs.replace_network_acl_association(AssociationId=acl_pair["assoc"], NetworkAclId=custom)
    assert error_of(exc)[0] == "InvalidAssociationID.NotFound"
    assert (
        theirs.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [acl_pair["vpc"]]}])[
            "NetworkAcls"
        ]
        == []
    )
    assert len(acl_of(ec2, custom)["Entries"]) == 5


def test_describe_network_acls_xml_matches_the_model(
    gateway: RunningGateway, acl_pair: dict[str, Any]
) -> None:
    body = f"Action=DescribeNetworkAcls&Version=2016-11-15&NetworkAclId.1={acl_pair['custom']}&NetworkAclId.2={acl_pair['default']}"
    answer = admin_send(gateway, body)
    assert answer.status == 200
    assert_matches_model(answer.body, "DescribeNetworkAcls")
    assert b"<default>true</default>" in answer.body and b"<portRange>" in answer.body
