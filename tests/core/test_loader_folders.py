"""Any folder of AWS outputs as it is: trees, skipped files, encodings, lists of responses,
timestamps, ResponseMetadata, per-item outputs of the new collections, invalid values."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.models.registry import BY_COLLECTION
from assistant.sources.builder import Builder, classic
from assistant.sources.files import SnapshotError, load_snapshot, snapshot_from_outputs
from tests.helpers import run_cli

ACCOUNT_A, ACCOUNT_B = "111111111111", "222222222222"


def _write(folder: Path, files: dict, encode=orjson.dumps) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(encode(data))
    return folder


def _shop(region: str = "us-east-1", account: str = ACCOUNT_A, seed: str = "s") -> Builder:
    b = Builder(region=region, seed=f"{seed}-{region}-{account}", account=account)
    classic(b, cidr="10.0.0.0/16")
    return b


def _resources(snap):
    """(collection, id, region, account) of every located resource."""
    out = []
    for coll, row in BY_COLLECTION.items():
        items = getattr(snap, coll, None)
        if isinstance(items, list):
            for x in items:
                out.append((coll, getattr(x, row.id_key or "", None), x.region, x.account))
    return out


def _same(a, b) -> None:
    da, db = a.model_dump(), b.model_dump()
    for k in ("source",):
        da.pop(k), db.pop(k)
    assert da == db


# -- folder trees ----------------------------------------------------------------------------


def test_multi_account_multi_region_pull_loads_as_one_snapshot(tmp_path):
    """<account>/<region>/*.json with extra files the tool does not use: one snapshot, every
    resource placed in its account and region."""
    pulls = {
        (ACCOUNT_A, "us-east-1"): _shop("us-east-1", ACCOUNT_A),
        (ACCOUNT_A, "eu-west-1"): _shop("eu-west-1", ACCOUNT_A),
        (ACCOUNT_B, "us-east-1"): _shop("us-east-1", ACCOUNT_B),
    }
    for (acct, region), b in pulls.items():
        folder = _write(tmp_path / "pull" / acct / region, b.cli_files())
        # what real pulls hold besides: unrelated describe outputs, a README, an empty object
        (folder / "AvailabilityZones.json").write_text('{"AvailabilityZones": []}')
        (folder / "iam-roles.json").write_text('{"Roles": [], "IsTruncated": false}')
    (tmp_path / "pull" / "README.json").write_text('{"note": "pulled by a script"}')
    snap = load_snapshot(tmp_path / "pull")
    assert len(snap.Vpcs) == 3 and len(snap.Subnets) == 3 * len(
        pulls[ACCOUNT_A, "us-east-1"].data["Subnets"]
    )
    where = {}
    for (acct, region), b in pulls.items():
        for coll, items in b.data.items():
            row = BY_COLLECTION.get(coll)
            if row and row.id_key and isinstance(items, list):
                for x in items:
                    where[(coll, x[row.id_key])] = (region, acct)
    located = _resources(snap)
    assert located
    for coll, rid, region, account in located:
        assert (region, account) == where[(coll, rid)], (coll, rid)
    assert snap.regions == ["eu-west-1", "us-east-1"]
    assert snap.region == "eu-west-1,us-east-1"
    assert snap.account_id is None  # two accounts: no single one to name
    assert snap.account_ids() == [ACCOUNT_A, ACCOUNT_B]
    status = {f.path: f.status for f in snap.files}
    assert status["README.json"] == "skipped"
    assert status[f"{ACCOUNT_B}/us-east-1/AvailabilityZones.json"] == "skipped"
    assert status[f"{ACCOUNT_B}/us-east-1/subnets.json"] == "read"


def test_path_gives_the_place_of_resources_that_do_not_say(tmp_path):
    """NAT gateways carry no ARN, owner or zone: the folder names their account and region."""
    b = _shop("ap-southeast-2", ACCOUNT_B)
    files = {"nat-gateways.json": b.cli_files()["nat-gateways.json"]}
    _write(tmp_path / f"prod-{ACCOUNT_B}" / "ap-southeast-2", files)
    snap = load_snapshot(tmp_path)
    assert snap.NatGateways
    assert {(n.region, n.account) for n in snap.NatGateways} == {("ap-southeast-2", ACCOUNT_B)}
    assert snap.region == "ap-southeast-2" and snap.account_id == ACCOUNT_B


def test_single_region_keeps_one_region_string(tmp_path):
    snap = load_snapshot(_write(tmp_path, _shop("eu-central-1").cli_files()))
    assert snap.region == "eu-central-1" and snap.regions == ["eu-central-1"]
    assert snap.account_id == ACCOUNT_A


def test_scan_says_once_what_it_skipped_and_lists_files_in_json(tmp_path):
    folder = _write(tmp_path / "in", _shop().cli_files())
    extras = ["AvailabilityZones.json", "regions.json", "key-pairs.json"]
    for n in extras:
        (folder / n).write_text('{"Whatever": [1, 2]}')
    (folder / "subnets-cut.json").write_text('{"Subnets": [')
    r = run_cli("scan", "--snapshot", str(folder), "--format", "json")
    assert r.returncode in (0, 1), r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    n_read = len(_shop().cli_files())
    assert lines[0].startswith(f"vpc-helper: note: read {n_read} files, skipped 3 (not used): ")
    assert "AvailabilityZones.json" in lines[0] and "1 unparsable" in lines[0]
    assert "subnets-cut.json (not valid JSON" in lines[0]
    doc = json.loads(r.stdout)
    by_path = {f["path"]: f for f in doc["files"]}
    assert by_path["AvailabilityZones.json"] == {
        "path": "AvailabilityZones.json",
        "status": "skipped",
        "key": "Whatever",
        "resources": 0,
        "reason": "not used",
    }
    assert by_path["subnets-cut.json"]["status"] == "unparsable"
    sub = by_path["subnets.json"]
    assert sub["status"] == "read" and sub["key"] == "Subnets"
    assert sub["resources"] == len(_shop().data["Subnets"])
    # a clean folder: nothing said on stderr
    clean = _write(tmp_path / "clean", _shop().cli_files())
    r = run_cli("scan", "--snapshot", str(clean), "--format", "json")
    assert r.stderr == "" and all(f["status"] == "read" for f in json.loads(r.stdout)["files"])


def test_folder_with_nothing_usable_is_exit_2_one_line(tmp_path):
    for n in ("AvailabilityZones.json", "regions.json"):
        (tmp_path / n).write_text('{"Regions": []}')
    (tmp_path / "cut.json").write_text("{")
    r = run_cli("scan", "--snapshot", str(tmp_path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1
    assert "nothing usable" in r.stderr and "skipped 2 (not used)" in r.stderr
    assert "1 unparsable" in r.stderr


def test_unparsable_file_of_a_known_output_leaves_its_collection_not_checked(tmp_path):
    folder = _write(tmp_path, _shop().cli_files())
    (folder / "route-tables.json").write_text('{"RouteTables": [{"RouteTableId": ')
    snap = load_snapshot(folder)
    assert not snap.has("RouteTables") and snap.has("Subnets")
    (nc,) = [n for n in snap.not_checked if n.what == "RouteTables"]
    assert "route-tables.json could not be used" in nc.reason


# -- encodings, timestamps, metadata, lists of responses ---------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda d: b"\xef\xbb\xbf" + orjson.dumps(d),  # UTF-8 with BOM
        lambda d: json.dumps(d, indent=2).encode("utf-16"),  # PowerShell's `>`: UTF-16 LE + BOM
        lambda d: b"\xfe\xff" + json.dumps(d).encode("utf-16-be"),
        lambda d: json.dumps(d).encode("utf-16-le"),  # no BOM at all
    ],
    ids=["utf8-bom", "utf16-le-bom", "utf16-be-bom", "utf16-le"],
)
def test_encodings_load_the_same_snapshot(tmp_path, encode):
    files = _shop().cli_files()
    plain = load_snapshot(_write(tmp_path / "plain", files))
    other = load_snapshot(_write(tmp_path / "enc", files, encode))
    _same(plain, other)


def test_boto3_timestamps_and_response_metadata_are_accepted(tmp_path):
    """What `json.dump(client.describe_x(), default=str)` writes: boto3's datetime text and
    ResponseMetadata in every file."""
    files = _shop().cli_files()
    plain = load_snapshot(_write(tmp_path / "plain", files))
    b3 = json.loads(json.dumps(files))
    for doc in b3.values():
        doc["ResponseMetadata"] = {"RequestId": "1", "HTTPStatusCode": 200, "RetryAttempts": 0}
    for n in b3["nat-gateways.json"]["NatGateways"]:
        n["CreateTime"] = "2019-12-18 00:40:46+00:00"
    for r in b3["instances.json"]["Reservations"]:
        for i in r["Instances"]:
            i["LaunchTime"] = "2019-12-18 00:40:46.123000+00:00"
    for lb in b3["load-balancers.json"]["LoadBalancers"]:
        lb["CreatedTime"] = "2019-12-18T00:40:46.120Z"
    _same(plain, load_snapshot(_write(tmp_path / "b3", b3)))


def test_a_file_holding_a_list_of_responses(tmp_path):
    """describe-listeners once per LB, describe-target-health once per group (with the ARN
    added): one file holding the list of responses loads as the separate files did."""
    b = _shop()
    files = b.cli_files()
    plain = load_snapshot(_write(tmp_path / "plain", files))
    merged = {k: v for k, v in files.items() if not k.startswith(("listeners-", "target-health-"))}
    merged["listeners.json"] = [v for k, v in files.items() if k.startswith("listeners-")]
    merged["target-health.json"] = [
        {
            "TargetGroupArn": tg["TargetGroupArn"],
            **files[f"target-health-{tg['TargetGroupName']}.json"],
        }
        for tg in b.data["TargetGroups"]
    ]
    other = load_snapshot(_write(tmp_path / "lists", merged))
    _same(plain, other)
    assert other.TargetHealth == plain.TargetHealth and other.TargetHealth


@settings(derandomize=True, max_examples=25, deadline=None)
@given(data=st.data())
def test_pages_of_one_output_in_a_list_load_as_the_whole(data):
    """Metamorphic: any output cut into pages (a JSON list of responses) is the same input."""
    files = _shop().cli_files()
    name = data.draw(st.sampled_from(sorted(k for k in files if "." in k)))
    doc = files[name]
    (key,) = [k for k in doc if isinstance(doc[k], list)] or [None]
    if key is None:
        return
    items = doc[key]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(items)), max_size=3)))
    bounds = [0, *cuts, len(items)]
    pages = [dict(doc, **{key: items[a:b]}) for a, b in zip(bounds, bounds[1:], strict=False)]
    paged = dict(files, **{name: pages})
    a, b = snapshot_from_outputs(files), snapshot_from_outputs(paged)
    _same(a, b)


def test_own_format_whose_top_level_is_a_list(tmp_path):
    """#12 §5: it was an AttributeError; a list of snapshots loads, a list of junk is one line."""
    snap = _shop().snapshot()
    doc = json.loads(snap.model_dump_json())
    p = tmp_path / "snap.json"
    p.write_text(json.dumps([doc]))
    assert len(load_snapshot(p).Subnets) == len(snap.Subnets)
    for junk in ([{"format": "vpc-helper-snapshot", "version": 1}, 5], ["vpc-helper-snapshot"]):
        p.write_text(json.dumps(junk) + ' "format"')  # the header sniffing sees the format
        with pytest.raises(SnapshotError) as e:
            load_snapshot(p)
        assert str(p) in str(e.value) and "\n" not in str(e.value)
        p.write_text(json.dumps(junk))
        with pytest.raises(SnapshotError) as e:
            load_snapshot(p)
        assert str(p) in str(e.value) and "\n" not in str(e.value)


# -- values that cannot be right -----------------------------------------------------------------


def _route_tables_with(change) -> dict:
    files = _shop().cli_files()
    doc = json.loads(json.dumps(files["route-tables.json"]))
    change(doc)
    return {"route-tables.json": doc}


BAD = [
    (
        "route-tables.json",
        lambda f: f["route-tables.json"]["RouteTables"][0]["Routes"].append(
            {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "banana"}
        ),
        "GatewayId: 'banana' is not a route target",
    ),
    (
        "route-tables.json",
        lambda f: f["route-tables.json"]["RouteTables"][0]["Routes"].append(
            {"DestinationCidrBlock": "10.9.0.0/33", "GatewayId": "local"}
        ),
        "DestinationCidrBlock: '10.9.0.0/33' is not a CIDR block",
    ),
    (
        "subnets.json",
        lambda f: f["subnets.json"]["Subnets"][0].update(CidrBlock="10.0.0.0/33"),
        "Subnets.0.CidrBlock: '10.0.0.0/33' is not a CIDR block",
    ),
    (
        "security-groups.json",
        lambda f: f["security-groups.json"]["SecurityGroups"][0]["IpPermissions"].append(
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "x/1"}]}
        ),
        "CidrIp: 'x/1' is not a CIDR block",
    ),
    (
        "vpcs.json",
        lambda f: f["vpcs.json"]["Vpcs"][0].update(CidrBlock="2001:db8::/56"),
        "is not an IPv4 CIDR block",
    ),
]


@pytest.mark.parametrize("name, change, message", BAD, ids=[b[2][:30] for b in BAD])
def test_values_that_cannot_be_right_are_invalid_input_naming_file_and_field(
    tmp_path, name, change, message
):
    files = json.loads(json.dumps(_shop().cli_files()))
    change(files)
    p = tmp_path / "one" / name
    _write(p.parent, {name: files[name]})
    with pytest.raises(SnapshotError) as e:
        load_snapshot(p)  # the file is all there is: one line, exit 2
    assert str(p) in str(e.value) and "invalid input" in str(e.value)
    assert message in str(e.value) and "\n" not in str(e.value)
    # in a folder: listed, its collection not provided (not diagnosed), the rest read
    folder = _write(tmp_path / "all", files)
    snap = load_snapshot(folder)
    coll = {"route-tables.json": "RouteTables", "subnets.json": "Subnets"}.get(
        name, {"security-groups.json": "SecurityGroups", "vpcs.json": "Vpcs"}.get(name)
    )
    assert not snap.has(coll)
    (f,) = [f for f in snap.files if f.path == name]
    assert f.status == "unparsable" and message in (f.reason or "")
    r = run_cli("scan", "--snapshot", str(folder), "--format", "json")
    assert r.returncode in (0, 1), r.stderr
    assert message in r.stderr
    nc = {n["what"]: n for n in json.loads(r.stdout)["not_checked"]}
    assert message in nc[coll]["reason"]


def test_own_format_with_invalid_values_is_refused(tmp_path):
    snap = _shop().snapshot()
    snap.RouteTables[0].Routes[0].GatewayId = "banana"
    p = tmp_path / "s.json"
    p.write_bytes(orjson.dumps(snap.model_dump(mode="json")))
    with pytest.raises(SnapshotError, match="invalid input: RouteTables.0.Routes.0.GatewayId"):
        load_snapshot(p)


# -- the new collections from files --------------------------------------------------------------

TGW = "tgw-0aa"
RTB = "tgw-rtb-0bb"
ATT = "tgw-attach-0cc"
LB = "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/nlb/0123abcd"
TG = "arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/tg/4567ef01"
ROUTES = {
    "Routes": [
        {
            "DestinationCidrBlock": "10.1.0.0/16",
            "TransitGatewayAttachments": [
                {"ResourceId": "vpc-1", "TransitGatewayAttachmentId": ATT, "ResourceType": "vpc"}
            ],
            "Type": "propagated",
            "State": "active",
        },
        {"DestinationCidrBlock": "10.99.0.0/16", "Type": "static", "State": "blackhole"},
    ],
    "AdditionalRoutesAvailable": False,
}
ASSOC = {
    "Associations": [
        {"TransitGatewayAttachmentId": ATT, "ResourceId": "vpc-1", "ResourceType": "vpc"}
    ]
}
HUB = {
    "transit-gateways.json": {
        "TransitGateways": [
            {
                "TransitGatewayId": TGW,
                "TransitGatewayArn": f"arn:aws:ec2:us-east-1:111111111111:transit-gateway/{TGW}",
                "State": "available",
                "OwnerId": "111111111111",
                "CreationTime": "2019-12-18 00:40:46+00:00",
            }
        ]
    },
    "transit-gateway-route-tables.json": {
        "TransitGatewayRouteTables": [{"TransitGatewayRouteTableId": RTB, "TransitGatewayId": TGW}]
    },
    "transit-gateway-vpc-attachments.json": {
        "TransitGatewayVpcAttachments": [
            {
                "TransitGatewayAttachmentId": ATT,
                "TransitGatewayId": TGW,
                "VpcId": "vpc-1",
                "SubnetIds": ["subnet-a", "subnet-b"],
                "State": "available",
            }
        ]
    },
    "managed-prefix-lists.json": {
        "PrefixLists": [
            {
                "PrefixListId": "pl-0office",
                "AddressFamily": "IPv4",
                "State": "create-complete",
                "OwnerId": "111111111111",
                "PrefixListName": "office",
                "MaxEntries": 5,
            },
            {"PrefixListId": "pl-63a5400a", "OwnerId": "AWS", "PrefixListName": "com.amazonaws.s3"},
        ]
    },
    "prefix-lists.json": {
        "PrefixLists": [
            {
                "PrefixListId": "pl-63a5400a",
                "PrefixListName": "com.amazonaws.s3",
                "Cidrs": ["52.216.0.0/15"],
            }
        ]
    },
    "load-balancers.json": {
        "LoadBalancers": [{"LoadBalancerArn": LB, "LoadBalancerName": "nlb", "Type": "network"}]
    },
    "target-groups.json": {
        "TargetGroups": [{"TargetGroupArn": TG, "TargetGroupName": "tg", "TargetType": "instance"}]
    },
}


@pytest.mark.parametrize("carried", [True, False], ids=["id-in-output", "id-in-file-name"])
def test_per_item_outputs_of_the_new_collections(tmp_path, carried):
    """The ids the per-item outputs belong to come from a key added by collect-commands'
    --query, or else from the file name."""
    files = dict(HUB)

    def add(stem: str, key: str, value: str, doc: dict) -> None:
        if carried:
            files[f"{stem}-{value.rsplit('/', 1)[-1]}-x.json"] = {key: value, **doc}
        else:
            files[f"{stem}-{value.rsplit('/', 1)[-1]}.json"] = doc

    add("tgw-routes", "TransitGatewayRouteTableId", RTB, ROUTES)
    add("tgw-associations", "TransitGatewayRouteTableId", RTB, ASSOC)
    add(
        "tgw-propagations",
        "TransitGatewayRouteTableId",
        RTB,
        {
            "TransitGatewayRouteTablePropagations": [
                {"TransitGatewayAttachmentId": ATT, "State": "enabled"}
            ]
        },
    )
    add(
        "prefix-list-entries",
        "PrefixListId",
        "pl-0office",
        {"Entries": [{"Cidr": "198.51.100.0/24"}]},
    )
    lb_attrs = {"Attributes": [{"Key": "load_balancing.cross_zone.enabled", "Value": "true"}]}
    tg_attrs = {"Attributes": [{"Key": "preserve_client_ip.enabled", "Value": "true"}]}
    add("lb-attributes", "LoadBalancerArn", LB, lb_attrs)
    add("tg-attributes", "TargetGroupArn", TG, tg_attrs)
    snap = load_snapshot(_write(tmp_path, files))
    routes = snap.TransitGatewayRoutes[RTB]
    assert [(r.DestinationCidrBlock, r.Type, r.State) for r in routes] == [
        ("10.1.0.0/16", "propagated", "active"),
        ("10.99.0.0/16", "static", "blackhole"),
    ]
    assert routes[0].TransitGatewayAttachments[0].TransitGatewayAttachmentId == ATT
    assert snap.TransitGatewayRouteTableAssociations[RTB][0].TransitGatewayAttachmentId == ATT
    assert snap.TransitGatewayRouteTablePropagations[RTB][0].State == "enabled"
    assert [e.Cidr for e in snap.PrefixListEntries["pl-0office"]] == ["198.51.100.0/24"]
    assert [p.PrefixListId for p in snap.ManagedPrefixLists] == ["pl-0office", "pl-63a5400a"]
    assert snap.PrefixLists[0].Cidrs == ["52.216.0.0/15"]  # describe-prefix-lists, same key
    assert snap.LoadBalancerAttributes == {LB: {"load_balancing.cross_zone.enabled": "true"}}
    assert snap.TargetGroupAttributes == {TG: {"preserve_client_ip.enabled": "true"}}
    assert snap.LoadBalancers[0].CrossZoneEnabled is True
    assert snap.TransitGatewayVpcAttachments[0].SubnetIds == ["subnet-a", "subnet-b"]
    for coll in (
        "TransitGateways",
        "TransitGatewayRoutes",
        "TransitGatewayRouteTableAssociations",
        "TransitGatewayRouteTablePropagations",
        "PrefixListEntries",
        "PrefixLists",
        "ManagedPrefixLists",
        "LoadBalancerAttributes",
        "TargetGroupAttributes",
    ):
        assert snap.has(coll), coll
    assert snap.TransitGateways[0].region == "us-east-1"
    assert snap.TransitGateways[0].account == "111111111111"


def test_per_item_outputs_of_a_parent_with_no_items_are_complete(tmp_path):
    """No TGW route table: its routes were not 'not sent', there are none to send."""
    files = {"transit-gateway-route-tables.json": {"TransitGatewayRouteTables": []}}
    snap = load_snapshot(_write(tmp_path, files))
    assert snap.has("TransitGatewayRoutes") and snap.has("TransitGatewayRouteTableAssociations")
    only_aws = {
        "managed-prefix-lists.json": {
            "PrefixLists": [HUB["managed-prefix-lists.json"]["PrefixLists"][1]]
        }
    }
    snap = load_snapshot(_write(tmp_path / "aws", only_aws))
    assert snap.has("PrefixListEntries")  # AWS-managed lists are not read entry by entry
    with_table = {"transit-gateway-route-tables.json": HUB["transit-gateway-route-tables.json"]}
    snap = load_snapshot(_write(tmp_path / "t", with_table))
    assert not snap.has("TransitGatewayRoutes")


def test_attributes_files_told_apart_by_content_without_ids(tmp_path):
    files = dict(HUB)
    files["a.json"] = {
        "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "300"}]
    }
    files["b.json"] = {"Attributes": [{"Key": "deletion_protection.enabled", "Value": "false"}]}
    snap = load_snapshot(_write(tmp_path, files))
    assert snap.has("TargetGroupAttributes") and snap.has("LoadBalancerAttributes")
    assert list(snap.TargetGroupAttributes.values()) == [
        {"deregistration_delay.timeout_seconds": "300"}
    ]
