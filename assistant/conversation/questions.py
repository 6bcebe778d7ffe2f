"""Question mode: what to ask for each symptom, and how the answers become a snapshot.

Each question feeds one part of the AWS-shaped data the rules read. The answers build a small
scenario with :class:`~assistant.sources.builder.Builder`, so the same rules decide as in a scan.
A question applies only when the answers so far leave it open; when none applies, the rules can
conclude. "I don't know" leaves that part out of the snapshot and says which rules it affects.
Pasted ``aws ... describe-*`` output settles questions through the ``settle`` functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from assistant.models.snapshot import NotChecked, Snapshot
from assistant.sources.builder import Builder
from assistant.topology import DEFAULT_V4, PUBLIC, Topology, target_kind

UNKNOWN = "unknown"
Answers = dict[str, str]
# settle(pasted snapshot, answers) -> (answer key, what was concluded) or None
Settle = Callable[[Snapshot, Answers], "tuple[str, str] | None"]


@dataclass(frozen=True)
class Question:
    """One question: the text, why it matters, how to find the answer, the likely answers."""

    id: str
    text: str
    why: str
    console: str
    command: str
    choices: tuple[tuple[str, str], ...]
    applies: Callable[[Answers], bool] = lambda a: True
    settle: Settle | None = None
    rules: tuple[str, ...] = ()  # rules this answer feeds (named when it is unknown)
    collections: tuple[str, ...] = ()  # the outputs whose paste settles it
    after: tuple[str, ...] = ()  # the questions whose answers decide whether it applies

    def all_choices(self) -> list[tuple[str, str]]:
        return [*self.choices, (UNKNOWN, "I don't know")]

    def label(self, key: str) -> str:
        return dict(self.all_choices()).get(key, key)


# -- reading pasted output ----------------------------------------------------------------


def _one(items: list) -> Any:
    return items[0] if len(items) == 1 else None


def _focus_instance(p: Snapshot, a: Answers | None = None):
    """The instance the questions are about: the one picked, or the only one pasted."""
    live = [i for i in p.Instances if i.State.Name != "terminated"]
    if a and a.get("focus_instance"):
        return next((i for i in live if i.InstanceId == a["focus_instance"]), None)
    return _one(live)


def _focus_lb(p: Snapshot, a: Answers | None = None):
    """The load balancer the questions are about: the one picked, or the only one pasted."""
    if a and a.get("focus_lb"):
        return next((lb for lb in p.LoadBalancers if lb.LoadBalancerArn == a["focus_lb"]), None)
    return _one(p.LoadBalancers)


def _default_route(rt):
    for r in rt.Routes:
        if r.DestinationCidrBlock == DEFAULT_V4:
            return r
    return None


def _route_table_of(p: Snapshot, subnet_id: str | None):
    """The route table a subnet uses, from pasted route tables."""
    if not p.has("RouteTables"):
        return None
    topo = Topology(p)
    if subnet_id and subnet_id in topo.subnets:
        return topo.effective_route_table(topo.subnets[subnet_id])[0]
    if subnet_id:
        for rt in p.RouteTables:
            if any(a.SubnetId == subnet_id and a.active for a in rt.Associations):
                return rt
    return None


def _kind_of(rt) -> str:
    r = _default_route(rt)
    if r is None:
        return "none"
    k = target_kind(r.target)
    return k if k in ("nat", "igw") else "other"


def _target(rt) -> str:
    r = _default_route(rt)
    return r.target if r else ""


def _instance_route_table(p: Snapshot, a: Answers | None = None):
    inst = _focus_instance(p, a)
    rt = _route_table_of(p, inst.SubnetId if inst else None)
    if rt is None and p.has("RouteTables") and inst is None:
        # Without the instance: the one table pasted, or the one with subnets of its own.
        rt = _one(p.RouteTables) or _one(
            [t for t in p.RouteTables if any(a.SubnetId and a.active for a in t.Associations)]
        )
    return rt


def settle_route(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    rt = _instance_route_table(p, a)
    if rt is None:
        return None
    kind = _kind_of(rt)
    tail = f"sends 0.0.0.0/0 to {_target(rt)}" if kind != "none" else "has no 0.0.0.0/0 route"
    return kind, f"route table {rt.RouteTableId} {tail}"


def _route_nat(p: Snapshot, a: Answers | None = None) -> tuple[str, str] | None:
    """(nat id, route state) of the focus route, if it goes to a NAT gateway."""
    rt = _instance_route_table(p, a)
    if rt is not None and (r := _default_route(rt)) and target_kind(r.target) == "nat":
        return r.target, r.State
    nat = _one([n for n in p.NatGateways if n.State != "deleted"])
    return (nat.NatGatewayId, "active") if nat else None


def settle_nat_state(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    found = _route_nat(p, a)
    if found is None:
        return None
    nat_id, route_state = found
    if route_state == "blackhole":
        return "deleted", f"the route to {nat_id} is a blackhole: the gateway is gone"
    if not p.has("NatGateways"):
        return None
    for n in p.NatGateways:
        if n.NatGatewayId == nat_id:
            state = "deleted" if n.State == "deleted" else n.State
            return state, f"NAT gateway {nat_id} is {n.State}"
    return "deleted", f"NAT gateway {nat_id} is not in the describe-nat-gateways output: it is gone"


def settle_nat_subnet(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    found = _route_nat(p, a)
    nat = None
    if found:
        nat = next((n for n in p.NatGateways if n.NatGatewayId == found[0]), None)
    if nat is None or not nat.SubnetId:
        return None
    rt = _route_table_of(p, nat.SubnetId)
    if rt is None:
        return None
    kind = _kind_of(rt)
    where = f"{nat.NatGatewayId} sits in {nat.SubnetId}, whose route table {rt.RouteTableId} "
    tail = f"sends 0.0.0.0/0 to {_target(rt)}" if kind != "none" else "has no 0.0.0.0/0 route"
    return kind, where + tail


def _igw_in_play(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    """(igw id, vpc id) of the internet gateway the answers lead to."""
    rts = []
    if a.get("route") == "igw" or a.get("inst_route") == "igw":
        rts.append(_instance_route_table(p, a))
    found = _route_nat(p, a)
    if a.get("nat_subnet") == "igw" and found:
        nat = next((n for n in p.NatGateways if n.NatGatewayId == found[0]), None)
        if nat:
            rts.append(_route_table_of(p, nat.SubnetId))
    if a.get("lb_subnets") in ("all_igw", "some"):
        lb = _focus_lb(p, a)
        if lb:
            rts += [_route_table_of(p, s) for s in lb.subnet_ids]
    for rt in rts:
        if rt is not None and target_kind(_target(rt)) == "igw":
            return _target(rt), rt.VpcId
    return None


def settle_igw(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    found = _igw_in_play(p, a)
    if found is None or not p.has("InternetGateways"):
        return None
    igw_id, vpc_id = found
    igw = next((g for g in p.InternetGateways if g.InternetGatewayId == igw_id), None)
    if igw is not None and igw.attached_to(vpc_id):
        return "yes", f"{igw_id} is attached to {vpc_id}"
    return "no", f"{igw_id} is not attached to {vpc_id}"


def settle_public_ip(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    inst = _focus_instance(p, a) if p.has("Instances") else None
    if inst is None:
        return None
    ips = inst.public_ips
    if ips:
        return "yes", f"{inst.InstanceId} has public IP {', '.join(ips)}"
    return "no", f"{inst.InstanceId} has no public or Elastic IP"


def settle_entry(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    if p.has("LoadBalancers") and p.LoadBalancers:
        lb = _focus_lb(p, a)
        if lb is not None:
            return "lb", f"the app is behind load balancer {lb.LoadBalancerName}"
        return "lb", f"the app is behind one of the {len(p.LoadBalancers)} load balancers pasted"
    return None


def settle_scheme(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    lb = _focus_lb(p, a)
    if lb is None:
        return None
    return lb.Scheme, f"{lb.LoadBalancerName} is {lb.Scheme}"


def settle_lb_subnets(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    lb = _focus_lb(p, a)
    if lb is None or not p.has("RouteTables"):
        return None
    rts = [_route_table_of(p, s) for s in lb.subnet_ids]
    if not rts or any(rt is None for rt in rts):
        return None
    kinds = [_kind_of(rt) for rt in rts]
    n = sum(k == "igw" for k in kinds)
    key = "all_igw" if n == len(kinds) else ("some" if n else "none")
    return (
        key,
        f"{n} of the {len(kinds)} subnets of {lb.LoadBalancerName} route to an internet gateway",
    )


def _open_admin(p: Snapshot) -> list[tuple[str, int]]:
    out = []
    for sg in p.SecurityGroups:
        for perm in sg.IpPermissions:
            cidrs = [r.CidrIp for r in perm.IpRanges] + [r.CidrIpv6 for r in perm.Ipv6Ranges]
            if not any(c in ("0.0.0.0/0", "::/0") for c in cidrs):
                continue
            lo, hi = perm.port_range()
            for port in (22, 3389):
                if lo <= port <= hi:
                    out.append((sg.GroupId, port))
    return out


def settle_sg_open(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    if not p.has("SecurityGroups"):
        return None
    found = _open_admin(p)
    ports = {port for _, port in found}
    key = {frozenset(): "no", frozenset({22}): "ssh", frozenset({3389}): "rdp"}.get(
        frozenset(ports), "both"
    )
    if not found:
        return "no", "no security group allows SSH or RDP from anywhere"
    shown = ", ".join(f"{g} port {port}" for g, port in found)
    return key, f"open to the internet: {shown}"


def _full_topology(p: Snapshot) -> Topology | None:
    if not all(p.has(c) for c in ("Instances", "Subnets", "RouteTables")):
        return None
    return Topology(p)


def settle_sg_reachable(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    topo = _full_topology(p)
    if topo is None or not p.has("SecurityGroups"):
        return None
    groups = {g for g, _ in _open_admin(p)}
    hits = [
        i.InstanceId
        for i in p.Instances
        if set(i.group_ids) & groups and i.public_ips and topo.role(i.SubnetId or "") == PUBLIC
    ]
    if hits:
        return "yes", f"reachable now: {', '.join(hits)} (public IP in a public subnet)"
    return "no", "no instance with those groups has a public IP in a public subnet"


def settle_private_public_ip(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    topo = _full_topology(p)
    if topo is None:
        return None
    hits = [
        i.InstanceId
        for i in p.Instances
        if i.State.Name != "terminated"
        and i.public_ips
        and i.SubnetId
        and topo.role(i.SubnetId) not in (PUBLIC, "unknown")
    ]
    if hits:
        return "yes", f"public IP in a private or isolated subnet: {', '.join(hits)}"
    return "no", "no instance in a private or isolated subnet has a public IP"


# -- the questions --------------------------------------------------------------------------

RT_CMD = (
    "aws ec2 describe-route-tables --filters Name=association.subnet-id,Values=<subnet-id> "
    "--query \"RouteTables[].Routes[?DestinationCidrBlock=='0.0.0.0/0']\""
)
SUBNET_OF = (
    "aws ec2 describe-instances --instance-ids <instance-id> "
    "--query 'Reservations[].Instances[].SubnetId' --output text"
)
MAIN_RT_NOTE = (
    "  (empty output: the subnet uses the main route table; add "
    "Name=vpc-id,Values=<vpc-id> Name=association.main,Values=true instead)"
)

IGW_ATTACHED = dict(
    text="Is that internet gateway attached to the VPC?",
    why="An internet gateway carries traffic only for the VPC it is attached to.",
    console="VPC console > Internet gateways > (the gateway) > State and VPC ID",
    command="aws ec2 describe-internet-gateways --internet-gateway-ids <igw-id> "
    "--query 'InternetGateways[].Attachments'",
    choices=(("yes", "Yes, attached to this VPC"), ("no", "No: detached or another VPC")),
    settle=settle_igw,
    rules=("igw.not-attached",),
    collections=("InternetGateways", "RouteTables"),
)

PUBLIC_IP = dict(
    text="Does the instance have a public IPv4 address or an Elastic IP?",
    why="An internet gateway only carries traffic for instances that have a public address.",
    console="EC2 console > Instances > (the instance) > Details > Public IPv4 address",
    command="aws ec2 describe-instances --instance-ids <instance-id> "
    "--query 'Reservations[].Instances[].PublicIpAddress'",
    choices=(("yes", "Yes"), ("no", "No, private addresses only")),
    settle=settle_public_ip,
    collections=("Instances",),
)

EGRESS: tuple[Question, ...] = (
    Question(
        id="route",
        text="Where does the route table of the instance's subnet send 0.0.0.0/0?",
        why="Traffic to the internet leaves a subnet through its route table's 0.0.0.0/0 route.",
        console="EC2 console > Instances > (the instance) > Networking > Subnet ID; then VPC "
        "console > Subnets > (that subnet) > Route table tab",
        command=SUBNET_OF + "\n" + RT_CMD + "\n" + MAIN_RT_NOTE,
        choices=(
            ("nat", "A NAT gateway (nat-...)"),
            ("igw", "An internet gateway (igw-...)"),
            ("other", "Something else (transit gateway, peering, an instance)"),
            ("none", "There is no 0.0.0.0/0 route"),
        ),
        settle=settle_route,
        rules=("egress.no-default-route", "egress.igw-route-without-public-ip"),
        collections=("Instances", "RouteTables"),
    ),
    Question(
        id="nat_state",
        text="What state is that NAT gateway in?",
        why="A NAT gateway carries traffic only while its state is available.",
        console="VPC console > NAT gateways > (the gateway) > State",
        command="aws ec2 describe-nat-gateways --nat-gateway-ids <nat-id> "
        "--query 'NatGateways[].State' --output text",
        choices=(
            ("available", "available"),
            ("pending", "pending"),
            ("failed", "failed"),
            ("deleting", "deleting"),
            ("deleted", "deleted, or it no longer exists (the route says blackhole)"),
        ),
        applies=lambda a: a.get("route") == "nat",
        settle=settle_nat_state,
        rules=("nat.not-available", "egress.route-blackhole"),
        after=("route",),
        collections=("NatGateways",),
    ),
    Question(
        id="nat_subnet",
        text="Where does the route table of the NAT gateway's own subnet send 0.0.0.0/0?",
        why="A NAT gateway reaches the internet through its own subnet's route to an internet "
        "gateway.",
        console="VPC console > NAT gateways > (the gateway) > Subnet; then Subnets > that subnet "
        "> Route table tab",
        command="aws ec2 describe-nat-gateways --nat-gateway-ids <nat-id> "
        "--query 'NatGateways[].SubnetId' --output text\n" + RT_CMD,
        choices=(
            ("igw", "An internet gateway (igw-...)"),
            ("nat", "A NAT gateway (perhaps this one)"),
            ("other", "Something else"),
            ("none", "There is no 0.0.0.0/0 route"),
        ),
        applies=lambda a: (
            a.get("route") == "nat" and a.get("nat_state") in ("available", "pending", UNKNOWN)
        ),
        settle=settle_nat_subnet,
        rules=("nat.in-private-subnet",),
        after=("route", "nat_state"),
        collections=("NatGateways", "RouteTables"),
    ),
    Question(
        id="igw_attached",
        applies=lambda a: (
            a.get("route") == "igw" or (a.get("route") == "nat" and a.get("nat_subnet") == "igw")
        ),
        after=("route", "nat_subnet"),
        **IGW_ATTACHED,
    ),
    Question(
        id="public_ip",
        applies=lambda a: a.get("route") == "igw" and a.get("igw_attached") != "no",
        rules=("egress.igw-route-without-public-ip",),
        after=("route", "igw_attached"),
        **PUBLIC_IP,
    ),
)

INGRESS: tuple[Question, ...] = (
    Question(
        id="entry",
        text="How do users reach the app?",
        why="The path from the internet differs: a load balancer's subnets, or the instance's own.",
        console="EC2 console > Load balancers (is the app's DNS name one of these?)",
        command="aws elbv2 describe-load-balancers "
        "--query 'LoadBalancers[].[LoadBalancerName,Scheme,DNSName]' --output table",
        choices=(
            ("lb", "Through a load balancer (ALB or NLB)"),
            ("instance", "Straight to an instance's public IP or DNS name"),
        ),
        settle=settle_entry,
        collections=("LoadBalancers",),
    ),
    Question(
        id="lb_scheme",
        text="Is the load balancer internet-facing or internal?",
        why="Only an internet-facing load balancer has addresses users on the internet can reach.",
        console="EC2 console > Load balancers > (the load balancer) > Details > Scheme",
        command="aws elbv2 describe-load-balancers --names <lb-name> "
        "--query 'LoadBalancers[].Scheme' --output text",
        choices=(("internet-facing", "internet-facing"), ("internal", "internal")),
        applies=lambda a: a.get("entry") == "lb",
        settle=settle_scheme,
        rules=("ingress.lb-in-private-subnets",),
        after=("entry",),
        collections=("LoadBalancers",),
    ),
    Question(
        id="lb_subnets",
        text="Where do the route tables of the load balancer's subnets send 0.0.0.0/0?",
        why="A load balancer node answers users only from a subnet that routes to an internet "
        "gateway.",
        console="EC2 console > Load balancers > (the load balancer) > Network mapping; then VPC "
        "> Subnets > each subnet > Route table tab",
        command="aws elbv2 describe-load-balancers --names <lb-name> "
        "--query 'LoadBalancers[].AvailabilityZones[].SubnetId' --output text\n" + RT_CMD,
        choices=(
            ("all_igw", "All of them to an internet gateway"),
            ("some", "Some to an internet gateway, some elsewhere or nowhere"),
            ("none", "None of them to an internet gateway"),
        ),
        applies=lambda a: a.get("entry") == "lb" and a.get("lb_scheme") == "internet-facing",
        settle=settle_lb_subnets,
        rules=("ingress.lb-in-private-subnets",),
        after=("entry", "lb_scheme"),
        collections=("LoadBalancers", "RouteTables"),
    ),
    Question(
        id="inst_route",
        text="Where does the route table of the instance's subnet send 0.0.0.0/0?",
        why="Users reach an instance directly only through its subnet's route to an internet "
        "gateway.",
        console="VPC console > Subnets > (the instance's subnet) > Route table tab",
        command=RT_CMD + "\n" + MAIN_RT_NOTE,
        choices=(
            ("igw", "An internet gateway (igw-...)"),
            ("nat", "A NAT gateway (nat-...)"),
            ("other", "Something else"),
            ("none", "There is no 0.0.0.0/0 route"),
        ),
        applies=lambda a: a.get("entry") == "instance",
        settle=lambda p, a: settle_route(p, a),
        rules=("exposure.public-ip-in-private-subnet", "egress.igw-route-without-public-ip"),
        after=("entry",),
        collections=("Instances", "RouteTables"),
    ),
    Question(
        id="igw_attached",
        applies=lambda a: (
            (a.get("entry") == "lb" and a.get("lb_subnets") in ("all_igw", "some"))
            or (a.get("entry") == "instance" and a.get("inst_route") == "igw")
        ),
        after=("entry", "lb_subnets", "inst_route"),
        **IGW_ATTACHED,
    ),
    Question(
        id="public_ip",
        applies=lambda a: a.get("entry") == "instance" and a.get("igw_attached") != "no",
        rules=("egress.igw-route-without-public-ip", "exposure.public-ip-in-private-subnet"),
        after=("entry", "igw_attached"),
        **PUBLIC_IP,
    ),
)

EXPOSURE: tuple[Question, ...] = (
    Question(
        id="sg_open",
        text="Does any security group allow SSH (22) or RDP (3389) from anywhere "
        "(0.0.0.0/0 or ::/0)?",
        why="Admin ports open to the internet are scanned and brute-forced within minutes.",
        console="EC2 console > Security groups > each group > Inbound rules (Source 0.0.0.0/0)",
        command="aws ec2 describe-security-groups --filters Name=ip-permission.cidr,"
        "Values=0.0.0.0/0 --query 'SecurityGroups[].[GroupId,GroupName,IpPermissions[]."
        "[FromPort,ToPort]]'",
        choices=(
            ("ssh", "Yes, SSH (22)"),
            ("rdp", "Yes, RDP (3389)"),
            ("both", "Yes, both"),
            ("no", "No"),
        ),
        settle=settle_sg_open,
        rules=("exposure.sg-open-admin-port",),
        collections=("SecurityGroups",),
    ),
    Question(
        id="sg_reachable",
        text="Is that group attached to an instance that has a public IP in a public subnet?",
        why="Such an instance is reachable from the internet right now, not just one change away.",
        console="EC2 console > Instances > filter by the security group > Public IPv4 address",
        command="aws ec2 describe-instances --filters Name=instance.group-id,Values=<sg-id> "
        "--query 'Reservations[].Instances[].[InstanceId,SubnetId,PublicIpAddress]'",
        choices=(("yes", "Yes"), ("no", "No")),
        applies=lambda a: a.get("sg_open") in ("ssh", "rdp", "both"),
        settle=settle_sg_reachable,
        rules=("exposure.sg-open-admin-port",),
        after=("sg_open",),
        collections=("Instances", "Subnets", "RouteTables"),
    ),
    Question(
        id="private_public_ip",
        text="Does any instance in a private subnet (0.0.0.0/0 not to an internet gateway) "
        "have a public IP?",
        why="A public IP there is one route change away from exposing the instance.",
        console="EC2 console > Instances > Public IPv4 address column; then each one's subnet "
        "> Route table",
        command="aws ec2 describe-instances --query "
        "'Reservations[].Instances[?PublicIpAddress].[InstanceId,SubnetId,PublicIpAddress]'",
        choices=(("yes", "Yes"), ("no", "No")),
        settle=settle_private_public_ip,
        rules=("exposure.public-ip-in-private-subnet",),
        collections=("Instances", "Subnets", "RouteTables"),
    ),
)

# Whole VPC: paste each describe-* output; what is skipped is reported as not checked.
_PASTES = (
    ("Vpcs", "aws ec2 describe-vpcs", "VPC console > Your VPCs"),
    ("Subnets", "aws ec2 describe-subnets", "VPC console > Subnets"),
    ("RouteTables", "aws ec2 describe-route-tables", "VPC console > Route tables"),
    (
        "InternetGateways",
        "aws ec2 describe-internet-gateways",
        "VPC console > Internet gateways",
    ),
    ("NatGateways", "aws ec2 describe-nat-gateways", "VPC console > NAT gateways"),
    ("Instances", "aws ec2 describe-instances", "EC2 console > Instances"),
    ("SecurityGroups", "aws ec2 describe-security-groups", "EC2 console > Security groups"),
    ("LoadBalancers", "aws elbv2 describe-load-balancers", "EC2 console > Load balancers"),
)


def _paste_settle(coll: str) -> Settle:
    def settle(p: Snapshot, a: Answers) -> tuple[str, str] | None:
        if not p.has(coll):
            return None
        return "pasted", f"{len(getattr(p, coll))} {coll} read"

    return settle


WHOLE: tuple[Question, ...] = tuple(
    Question(
        id=f"paste_{coll}",
        text=f"Paste the output of `{cmd}` (the whole JSON).",
        why=f"The rules that read {coll} need it; without it they are reported as not checked.",
        console=console,
        command=f"{cmd} --output json",
        choices=(("skip", "Skip: I can't run this one"),),
        settle=_paste_settle(coll),
        collections=(coll,),
    )
    for coll, cmd, console in _PASTES
)

QUESTIONS: dict[str, tuple[Question, ...]] = {
    "egress": EGRESS,
    "ingress": INGRESS,
    "exposure": EXPOSURE,
    "whole": WHOLE,
}


# The rules that speak to each symptom: question mode decides each of them (by an answer, a
# pasted output, or by saying it could not), and the symptom view lists their findings first.
SYMPTOM_RULES: dict[str, frozenset[str]] = {
    "egress": frozenset(
        {
            "egress.no-default-route",
            "egress.route-blackhole",
            "egress.igw-route-without-public-ip",
            "egress.ipv6-exposed-instead-of-egress-only",
            "egress.no-s3-endpoint",
            "nat.not-available",
            "nat.in-private-subnet",
            "nat.no-elastic-ip",
            "nat.cross-az",
            "nat.single-point-of-failure",
            "nat.unused",
            "nat.instance-source-dest-check",
            "igw.not-attached",
            "nacl.blocks-egress-web",
            "nacl.blocks-return-traffic",
            "sg.no-egress",
            "vpc.dns-disabled",
        }
    ),
    "ingress": frozenset(
        {
            "ingress.lb-in-private-subnets",
            "ingress.no-https-listener",
            "ingress.lb-sg-blocks-listener",
            "ingress.target-sg-blocks-lb",
            "ingress.targets-unhealthy",
            "ingress.lb-no-targets-in-az",
            "ingress.nacl-blocks-web",
            "ingress.public-instance-without-public-ip",
            "ingress.app-unreachable-in-private-subnet",
            "igw.not-attached",
            "egress.igw-route-without-public-ip",
            "exposure.public-ip-in-private-subnet",
        }
    ),
    "exposure": frozenset(
        {
            "exposure.sg-open-admin-port",
            "exposure.sg-open-database-port",
            "exposure.sg-open-all-ports",
            "exposure.default-sg-has-rules",
            "exposure.nacl-open-admin-port",
            "exposure.public-ip-in-private-subnet",
            "exposure.backend-in-public-subnet",
            "exposure.private-subnet-routes-to-igw",
            "exposure.main-route-table-public",
            "exposure.subnet-auto-assigns-public-ip",
        }
    ),
}

# A rule no question feeds can still be off the path the answers describe: (question, answers
# under which the rule speaks to the symptom). Known other answers leave it out.
SCOPE: dict[str, tuple[str, frozenset[str]]] = {
    **{
        r: ("route", frozenset({"nat"}))
        for r in (
            "nat.cross-az",
            "nat.no-elastic-ip",
            "nat.single-point-of-failure",
            "nat.unused",
            "egress.no-s3-endpoint",
        )
    },
    "nat.instance-source-dest-check": ("route", frozenset({"other"})),
    **{
        r: ("entry", frozenset({"lb"}))
        for r in (
            "ingress.no-https-listener",
            "ingress.lb-sg-blocks-listener",
            "ingress.target-sg-blocks-lb",
            "ingress.targets-unhealthy",
            "ingress.lb-no-targets-in-az",
        )
    },
    "ingress.public-instance-without-public-ip": ("entry", frozenset({"instance"})),
}

# The order in which outputs are asked for when no question in words can decide a rule.
PASTE_ORDER = (
    "Instances",
    "Subnets",
    "RouteTables",
    "NatGateways",
    "InternetGateways",
    "SecurityGroups",
    "NetworkAcls",
    "LoadBalancers",
    "Listeners",
    "TargetGroups",
    "TargetHealth",
    "Vpcs",
    "VpcAttributes",
    "VpcEndpoints",
    "NetworkInterfaces",
    "Addresses",
    "FlowLogs",
    "VpcPeeringConnections",
)


def command_for(coll: str) -> str:
    """The AWS CLI command whose output fills a collection."""
    from assistant.engine.diagnose import COMMAND_FOR

    if coll == "VpcAttributes":
        return "aws ec2 describe-vpc-attribute --vpc-id <vpc-id> --attribute enableDnsSupport"
    return COMMAND_FOR.get(coll, coll)


def symptom_rules(symptom: str) -> set[str] | None:
    """The rule ids that speak to a symptom (None: every rule)."""
    found = SYMPTOM_RULES.get(symptom)
    return set(found) if found is not None else None


def decided_rules(symptom: str) -> set[str] | None:
    """Kept for callers of the earlier API: every rule of the symptom."""
    return symptom_rules(symptom)


def _rules_by_id() -> dict[str, Any]:
    from assistant.engine import load_rules

    return {r.id: r for r in load_rules()}


def _excluded(symptom: str, q: Question, a: Answers) -> bool:
    """Whether ``q`` cannot apply whatever the open or unknown answers it depends on turn out."""
    if q.applies(a):
        return False
    free = [g for g in q.after if a.get(g) in (None, UNKNOWN)]
    options: list[Answers] = [dict(a)]
    for g in free:
        gq = find_question(symptom, g)
        keys = [k for k, _ in gq.choices] if gq else []
        options = [{**o, g: k} for o in options for k in keys] or options
    return not any(q.applies(o) for o in options)


@dataclass
class Status:
    """Where each rule of a symptom stands: decided by a paste, by answers, off the path, open."""

    paste: set[str] = field(default_factory=set)
    answers: set[str] = field(default_factory=set)
    excluded: set[str] = field(default_factory=set)
    open: set[str] = field(default_factory=set)


def rule_status(symptom: str, a: Answers, p: Snapshot | None = None) -> Status:
    """Which rules of the symptom are decided, and how, given the answers and pasted outputs."""
    st = Status()
    by_id = _rules_by_id()
    for rid in sorted(symptom_rules(symptom) or ()):
        rule = by_id.get(rid)
        if rule is None:
            continue
        if p is not None and all(p.has(n) for n in rule.needs):
            st.paste.add(rid)
            continue
        feeding = [q for q in QUESTIONS[symptom] if rid in q.rules]
        scope = SCOPE.get(rid)
        if scope and a.get(scope[0]) not in (None, UNKNOWN) and a[scope[0]] not in scope[1]:
            st.excluded.add(rid)
        elif not feeding or any(a.get(q.id) == UNKNOWN for q in feeding):
            st.open.add(rid)
        elif all(q.id in a or _excluded(symptom, q, a) for q in feeding):
            if any(q.id in a for q in feeding):
                st.answers.add(rid)
            else:
                st.excluded.add(rid)
        else:
            st.open.add(rid)
    if p is not None:
        # With outputs pasted the VPC itself can be checked: a rule off the path the answers
        # describe may still fire elsewhere in it, so it stays open until its outputs are in.
        st.open |= st.excluded
        st.excluded = set()
    return st


def _paste_question(symptom: str, coll: str, rules: list[str]) -> Question:
    by_id = _rules_by_id()
    words = "; ".join(by_id[r].summary.rstrip(".") for r in rules if r in by_id)
    cmd = command_for(coll)
    return Question(
        id=f"paste_{coll}",
        text=f"Paste the output of `{cmd}` (the whole JSON).",
        why=f"It decides: {words}.",
        console=_CONSOLE.get(coll, "AWS console"),
        command=f"{cmd} --output json",
        choices=(("skip", "Skip: I can't run this one"),),
        settle=_paste_settle(coll),
        rules=tuple(rules),
        collections=(coll,),
    )


_CONSOLE = {coll: console for coll, _cmd, console in _PASTES} | {
    "NetworkAcls": "VPC console > Network ACLs",
    "Listeners": "EC2 console > Load balancers > (the load balancer) > Listeners",
    "TargetGroups": "EC2 console > Target groups",
    "TargetHealth": "EC2 console > Target groups > (the group) > Targets",
    "VpcAttributes": "VPC console > Your VPCs > (the VPC) > DNS resolution",
    "VpcEndpoints": "VPC console > Endpoints",
    "NetworkInterfaces": "EC2 console > Network interfaces",
    "Addresses": "EC2 console > Elastic IPs",
}


def open_questions(symptom: str, a: Answers, p: Snapshot | None = None) -> list[Question]:
    """The questions that can still decide a rule of the symptom, in the order they are asked.

    A question in words comes first while one of its rules is open; then, for each rule no
    answer can decide, the outputs it needs (a question whose rules are all decided, or off
    the path, is never asked).
    """
    if symptom == "whole":
        return [q for q in QUESTIONS[symptom] if q.id not in a]
    st = rule_status(symptom, a, p)
    qs_ = [q for q in QUESTIONS[symptom] if q.id not in a]

    def useful(q: Question, depth: int = 0) -> bool:
        # It decides an open rule, or a question that does depends on its answer.
        if set(q.rules) & st.open:
            return True
        return depth < 5 and any(q.id in q2.after and useful(q2, depth + 1) for q2 in qs_)

    out = [q for q in qs_ if q.applies(a) and useful(q)]
    by_id = _rules_by_id()
    asked_words = {r for q in out for r in q.rules}
    wanted: dict[str, list[str]] = {}
    for rid in sorted(st.open - asked_words):
        for need in by_id[rid].needs:
            if (p is None or not p.has(need)) and a.get(f"paste_{need}") is None:
                wanted.setdefault(need, []).append(rid)
    for coll in sorted(wanted, key=lambda c: PASTE_ORDER.index(c) if c in PASTE_ORDER else 99):
        out.append(_paste_question(symptom, coll, wanted[coll]))
    return out


def next_question(
    symptom: str, answers: Answers, pasted: Snapshot | None = None
) -> Question | None:
    """The next question that can still change the outcome, or None: the rules can conclude."""
    found = open_questions(symptom, answers, pasted)
    return found[0] if found else None


def find_question(symptom: str, qid: str) -> Question | None:
    found = next((q for q in QUESTIONS[symptom] if q.id == qid), None)
    if found is None and qid.startswith("paste_") and symptom != "whole":
        return _paste_question(symptom, qid.removeprefix("paste_"), [])
    return found


# -- answers -> snapshot ------------------------------------------------------------------------


# What a resource built from answers is called when no pasted output named it.
PLACEHOLDERS = {
    "vpc": "vpc-YOUR-VPC",
    "subnet": "subnet-YOUR-INSTANCES-SUBNET",
    "route_table": "rtb-YOUR-SUBNETS-ROUTE-TABLE",
    "instance": "i-YOUR-INSTANCE",
    "nat": "nat-YOUR-NAT-GATEWAY",
    "nat_eip": "eipalloc-YOUR-NAT-GATEWAYS-ADDRESS",
    "nat_subnet": "subnet-THE-NAT-GATEWAYS-SUBNET",
    "nat_route_table": "rtb-THE-NAT-SUBNETS-ROUTE-TABLE",
    "igw": "igw-YOUR-INTERNET-GATEWAY",
    "lb_subnet_a": "subnet-LOAD-BALANCER-SUBNET-1",
    "lb_subnet_b": "subnet-LOAD-BALANCER-SUBNET-2",
    "lb_rt_a": "rtb-LOAD-BALANCER-SUBNET-1-ROUTES",
    "lb_rt_b": "rtb-LOAD-BALANCER-SUBNET-2-ROUTES",
    "security_group": "sg-YOUR-OPEN-GROUP",
    "public_subnet": "subnet-YOUR-PUBLIC-SUBNET",
    "private_subnet": "subnet-YOUR-PRIVATE-SUBNET",
    "exposed_instance": "i-INSTANCE-WITH-THE-OPEN-GROUP",
    "private_instance": "i-PRIVATE-INSTANCE-WITH-PUBLIC-IP",
}


@dataclass
class _Scene:
    b: Builder = field(default_factory=lambda: Builder(seed="question-mode"))
    known: set[str] = field(default_factory=lambda: {"Vpcs", "Subnets"})
    drop_subnets: list[str] = field(default_factory=list)
    notes: list[NotChecked] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)  # role -> the id built for it
    real: dict[str, str] = field(default_factory=dict)  # role -> the id seen in a paste

    def _renames(self) -> dict[str, str]:
        """Built id -> the user's id (seen in a paste) or a placeholder that says whose it is.

        Findings and fix commands then name the user's own resources, never made-up ids.
        """
        out: dict[str, str] = {}
        for role, built in self.roles.items():
            real = self.real.get(role)
            if not real or real.split("-")[0] != built.split("-")[0] or real in out.values():
                real = PLACEHOLDERS.get(role)
            if real and built not in out and real not in out.values():
                out[built] = real
        return out

    def snapshot(self) -> Snapshot:
        from assistant.sources.files import snapshot_from_outputs

        renames = self._renames()
        files = {}
        for name, data in self.b.cli_files().items():
            key = next(iter(data))
            coll = {"Reservations": "Instances", "TargetHealthDescriptions": "TargetHealth"}.get(
                key, key
            )
            if coll in self.known:
                if coll == "Subnets":
                    data = {
                        "Subnets": [
                            s for s in data["Subnets"] if s["SubnetId"] not in self.drop_subnets
                        ]
                    }
                files[name] = data
        if renames:
            blob = orjson.dumps(files).decode()
            for built, real in renames.items():
                blob = blob.replace(built, real)
            files = orjson.loads(blob)
        snap = snapshot_from_outputs(files, account_id=None, region=self.b.region)
        snap.source = "your answers"
        snap.not_checked = list(self.notes)
        return snap


def _unknown_notes(symptom: str, answers: Answers) -> list[NotChecked]:
    out = []
    for q in QUESTIONS[symptom]:
        if answers.get(q.id) == UNKNOWN and q.rules:
            out.append(
                NotChecked(
                    what=q.text,
                    reason="you did not know the answer, so the rules that depend on it "
                    "could not decide",
                    rules=list(q.rules),
                )
            )
    return out


def _route_to(sc: _Scene, vpc: str, rt: str, kind: str | None, igw: str | None) -> None:
    b = sc.b
    if kind == "igw" and igw:
        b.route(rt, "0.0.0.0/0", igw)
    elif kind == "nat":
        b.route(rt, "0.0.0.0/0", b.new_id("nat"))
    elif kind == "other":
        b.route(rt, "0.0.0.0/0", b.new_id("tgw"))


def _igw(sc: _Scene, vpc: str, a: Answers) -> str:
    attached = a.get("igw_attached")
    if attached in ("yes", "no"):
        sc.known.add("InternetGateways")
    return sc.b.igw(None if attached == "no" else vpc, name="igw")


def build_egress(a: Answers, real: dict[str, str] | None = None) -> Snapshot:
    sc = _Scene(real=real or {})
    b = sc.b
    vpc = b.vpc("10.0.0.0/16", name="vpc")
    route, state, nat_subnet = a.get("route"), a.get("nat_state"), a.get("nat_subnet")
    need_igw = route == "igw" or (route == "nat" and nat_subnet == "igw")
    igw = _igw(sc, vpc, a) if need_igw else None
    app = b.subnet(vpc, "10.0.1.0/24", "a", name="private-app")
    rt = b.route_table(vpc, name="app-rt")
    b.associate(rt, app)
    sc.roles.update(vpc=vpc, subnet=app, route_table=rt)
    if igw:
        sc.roles["igw"] = igw
    if route and route != UNKNOWN:
        sc.known.add("RouteTables")
    if a.get("public_ip") in ("yes", "no"):
        sc.roles["instance"] = b.instance(
            app, [], name="app-server", public_ip=a["public_ip"] == "yes"
        )
        sc.known.add("Instances")
    if route in ("igw", "other", "none"):
        _route_to(sc, vpc, rt, route, igw)
    elif route == "nat":
        placed = state == UNKNOWN and nat_subnet not in (None, UNKNOWN)
        if state in ("available", "pending", "failed", "deleting") or placed:
            # With its state unknown but its subnet answered, the gateway is placed as if
            # available; the state's own rules stay open (see rule_status).
            sc.known.add("NatGateways")
            state = state if state != UNKNOWN else "available"
            if nat_subnet == "nat":
                home = app
            else:
                home = b.subnet(vpc, "10.0.0.0/24", "a", name="nat-home")
                home_rt = b.route_table(vpc, name="nat-home-rt")
                b.associate(home_rt, home)
                sc.roles.update(nat_subnet=home, nat_route_table=home_rt)
                if nat_subnet in ("igw", "other"):
                    _route_to(sc, vpc, home_rt, nat_subnet, igw)
                elif nat_subnet != "none":
                    # Where the NAT gateway sits is not known: leave its subnet out.
                    sc.drop_subnets.append(home)
            nat = b.nat(home, name="nat", state=state)
            sc.roles["nat"] = nat
            addr = b.find("NatGateways", "NatGatewayId", nat)["NatGatewayAddresses"][0]
            if addr.get("AllocationId"):
                sc.roles["nat_eip"] = addr["AllocationId"]
            b.route(rt, "0.0.0.0/0", nat)
        elif state == "deleted":
            sc.known.add("NatGateways")
            b.route(rt, "0.0.0.0/0", b.new_id("nat"), state="blackhole")
        else:
            b.route(rt, "0.0.0.0/0", b.new_id("nat"))
    sc.notes = _unknown_notes("egress", a)
    return sc.snapshot()


def build_ingress(a: Answers, real: dict[str, str] | None = None) -> Snapshot:
    sc = _Scene(real=real or {})
    b = sc.b
    vpc = b.vpc("10.0.0.0/16", name="vpc")
    igw = _igw(sc, vpc, a) if a.get("igw_attached") else b.igw(vpc, name="igw")
    if a.get("entry") == "lb":
        subs = [
            b.subnet(vpc, f"10.0.{n}.0/24", az, name=f"lb-{az}") for n, az in ((1, "a"), (2, "b"))
        ]
        layout = a.get("lb_subnets")
        if layout and layout != UNKNOWN:
            sc.known.add("RouteTables")
        sc.roles.update(vpc=vpc, igw=igw, lb_subnet_a=subs[0], lb_subnet_b=subs[1])
        for n, s in enumerate(subs):
            rt = b.route_table(vpc, name=f"lb-rt-{n}")
            b.associate(rt, s)
            sc.roles["lb_rt_" + "ab"[n]] = rt
            if layout == "all_igw" or (layout == "some" and n == 0):
                b.route(rt, "0.0.0.0/0", igw)
        scheme = a.get("lb_scheme")
        if scheme in ("internet-facing", "internal"):
            b.load_balancer("app-lb", subs, [], scheme=scheme)
            sc.known.add("LoadBalancers")
    elif a.get("entry") == "instance":
        s = b.subnet(vpc, "10.0.1.0/24", "a", name="app")
        rt = b.route_table(vpc, name="app-rt")
        b.associate(rt, s)
        sc.roles.update(vpc=vpc, subnet=s, route_table=rt, igw=igw)
        route = a.get("inst_route")
        if route and route != UNKNOWN:
            sc.known.add("RouteTables")
            _route_to(sc, vpc, rt, route, igw)
        if a.get("public_ip") in ("yes", "no"):
            sc.roles["instance"] = b.instance(
                s, [], name="app-server", public_ip=a["public_ip"] == "yes"
            )
            sc.known.add("Instances")
    sc.notes = _unknown_notes("ingress", a)
    return sc.snapshot()


def build_exposure(a: Answers, real: dict[str, str] | None = None) -> Snapshot:
    sc = _Scene(real=real or {})
    b = sc.b
    vpc = b.vpc("10.0.0.0/16", name="vpc")
    igw = b.igw(vpc, name="igw")
    pub = b.subnet(vpc, "10.0.0.0/24", "a", name="public-a")
    prv = b.subnet(vpc, "10.0.1.0/24", "a", name="private-a")
    pub_rt = b.route_table(vpc, name="public-rt")
    b.route(pub_rt, "0.0.0.0/0", igw)
    b.associate(pub_rt, pub)
    nat = b.nat(pub, name="nat")
    prv_rt = b.route_table(vpc, name="private-rt")
    b.route(prv_rt, "0.0.0.0/0", nat)
    b.associate(prv_rt, prv)
    sc.roles.update(vpc=vpc, igw=igw, public_subnet=pub, private_subnet=prv)
    sc.known |= {"RouteTables", "InternetGateways", "NatGateways"}
    opened = a.get("sg_open")
    ports = {"ssh": [22], "rdp": [3389], "both": [22, 3389]}.get(opened or "", [])
    groups = []
    if opened in ("ssh", "rdp", "both", "no"):
        sc.known.add("SecurityGroups")
        groups = [b.security_group(vpc, "admin", ingress=[b.perm(p, "0.0.0.0/0") for p in ports])]
        sc.roles["security_group"] = groups[0]
    reach = a.get("sg_reachable")
    if reach in ("yes", "no"):
        sc.known.add("Instances")
        sc.roles["exposed_instance"] = b.instance(
            pub if reach == "yes" else prv, groups, name="admin", public_ip=reach == "yes"
        )
    if a.get("private_public_ip") in ("yes", "no"):
        sc.known.add("Instances")
        if a["private_public_ip"] == "yes":
            sc.roles["private_instance"] = b.instance(prv, [], name="app", public_ip=True)
    if opened in ("ssh", "rdp", "both") and reach in (None, UNKNOWN):
        # The instances are known only for the other question: say the group's reach is not.
        sc.notes.append(
            NotChecked(
                what="which instances use the open security group",
                reason="not answered; the finding's severity assumes none is reachable yet",
                rules=["exposure.sg-open-admin-port"],
            )
        )
    sc.notes += _unknown_notes("exposure", a)
    return sc.snapshot()


def build_whole(pasted: dict[str, Any]) -> Snapshot:
    from assistant.sources.files import snapshot_from_outputs

    snap = snapshot_from_outputs(pasted or {})
    snap.source = "your pasted outputs"
    return snap


def real_ids(symptom: str, p: Snapshot, a: Answers) -> dict[str, str]:
    """Ids of the user's own resources seen in pasted output, by the role they play."""
    out: dict[str, str] = {}
    inst = _focus_instance(p, a) if p.has("Instances") else None
    rt = _instance_route_table(p, a)
    if inst is not None:
        out["instance"] = inst.InstanceId
        out["subnet"] = inst.SubnetId or ""
        out["vpc"] = inst.VpcId or ""
    if rt is not None:
        out["route_table"] = rt.RouteTableId
        out["vpc"] = out.get("vpc") or rt.VpcId
        subs = [x.SubnetId for x in rt.Associations if x.SubnetId and x.active]
        if not out.get("subnet") and len(subs) == 1:
            out["subnet"] = subs[0] or ""
    found = _route_nat(p, a)
    if found and symptom == "egress":
        out["nat"] = found[0]
        nat = next((n for n in p.NatGateways if n.NatGatewayId == found[0]), None)
        if nat is not None and nat.SubnetId and nat.SubnetId != out.get("subnet"):
            out["nat_subnet"] = nat.SubnetId
            nrt = _route_table_of(p, nat.SubnetId)
            if nrt is not None and nrt.RouteTableId != out.get("route_table"):
                out["nat_route_table"] = nrt.RouteTableId
    igw = _igw_in_play(p, a)
    if igw:
        out["igw"] = igw[0]
    if p.has("SecurityGroups"):
        groups = [g for g, _ in _open_admin(p)]
        if groups:
            out["security_group"] = groups[0]
    return {k: v for k, v in out.items() if v}


def build_snapshot(
    symptom: str, answers: Answers, pasted: dict[str, Any] | None = None
) -> Snapshot:
    """The snapshot the answers describe (with the ids a paste showed), for the rules."""
    if symptom == "whole":
        return build_whole(pasted or {})
    real: dict[str, str] = {}
    if pasted:
        from assistant.sources.files import snapshot_from_outputs

        real = real_ids(symptom, snapshot_from_outputs(pasted), answers)
    builders = {"egress": build_egress, "ingress": build_ingress, "exposure": build_exposure}
    return builders[symptom](answers, real)


# -- the diagnosis of question mode ----------------------------------------------------------


@dataclass
class QuestionResult:
    """What question mode concludes: findings, and the rules it could not rule out."""

    findings: list[Any]
    open: list[tuple[str, str, str]]  # (rule id, the rule in words, the command that settles it)
    snapshot: Snapshot
    status: Status


def pasted_snapshot(pasted: dict[str, Any] | None) -> Snapshot | None:
    """The snapshot the pasted outputs make (None when nothing was pasted)."""
    if not pasted:
        return None
    from assistant.sources.files import snapshot_from_outputs

    snap = snapshot_from_outputs(pasted)
    snap.source = "your pasted outputs"
    return snap


def question_result(
    symptom: str, answers: Answers, pasted: dict[str, Any] | None = None
) -> QuestionResult:
    """The findings of question mode: each rule decided by a paste speaks from the pasted
    outputs, each rule decided by answers from the scenario they describe; the rest is open."""
    from assistant.engine import diagnose

    built = build_snapshot(symptom, answers, pasted)
    if symptom == "whole":
        d = diagnose(built)
        return QuestionResult(list(d.findings), [], built, Status())
    p = pasted_snapshot(pasted)
    st = rule_status(symptom, answers, p)
    findings = []
    if p is not None and st.paste:
        findings += [f for f in diagnose(p).findings if f.rule in st.paste]
    if st.answers:
        real = set(pasted_ids(p)) if p is not None else set()
        findings += [
            plain_words(f, built, real) for f in diagnose(built).findings if f.rule in st.answers
        ]
    findings.sort(key=lambda f: (-f.severity.rank, f.rule, f.resources))
    by_id = _rules_by_id()
    still: list[tuple[str, str, str]] = []
    for rid in sorted(st.open, key=lambda r: (-by_id[r].severity.rank, r)):
        rule = by_id[rid]
        missing = [n for n in rule.needs if p is None or not p.has(n)]
        cmd = " and ".join(command_for(n) for n in missing) if missing else rule.check or ""
        still.append((rid, rule.summary, cmd))
    return QuestionResult(findings, still, built, st)


# -- findings from answers speak only of what the user gave ------------------------------------

# What each built resource is called when the user never named it: words in sentences, a
# placeholder in commands.
ROLE_WORDS = {
    "vpc": "your VPC",
    "subnet": "your instance's subnet",
    "route_table": "that subnet's route table",
    "instance": "your instance",
    "nat": "your NAT gateway",
    "nat_eip": "the NAT gateway's Elastic IP",
    "nat_subnet": "the NAT gateway's subnet",
    "nat_route_table": "the NAT subnet's route table",
    "igw": "your internet gateway",
    "lb_subnet_a": "one of the load balancer's subnets",
    "lb_subnet_b": "another of the load balancer's subnets",
    "lb_rt_a": "that subnet's route table",
    "lb_rt_b": "that subnet's route table",
    "security_group": "your open security group",
    "public_subnet": "your public subnet",
    "private_subnet": "your private subnet",
    "exposed_instance": "the instance with the open group",
    "private_instance": "the instance with the public IP",
}
_KIND_WORDS = {
    "nat": ("the NAT gateway", "<nat-gateway-id>"),
    "eni": ("its network interface", "<network-interface-id>"),
    "i": ("the instance", "<instance-id>"),
    "subnet": ("the subnet", "<subnet-id>"),
    "rtb": ("the route table", "<route-table-id>"),
    "sg": ("the security group", "<security-group-id>"),
    "igw": ("the internet gateway", "<internet-gateway-id>"),
    "vpc": ("the VPC", "<vpc-id>"),
    "eipalloc": ("its Elastic IP", "<allocation-id>"),
    "tgw": ("the transit gateway", "<transit-gateway-id>"),
    "acl": ("its network ACL", "<network-acl-id>"),
}
_PHRASES = (  # claims the scenario built from answers cannot back, said as conditions
    (
        "; the VPC has none yet, so create that subnet first",
        " (if the VPC has none, create that subnet first)",
    ),
    (
        "The VPC has no available NAT gateway in a public subnet: create one",
        "If the VPC has no available NAT gateway in a public subnet, create one",
    ),
    (" has no public subnet yet: create one", ": if it has no public subnet yet, create one"),
)
_PATTERNS = (  # the rule's reasons drawn from the built scenario, said as what the user told
    (
        re.compile(
            r"the subnet looks like it needs the internet: name or tags say [^,]*, or "
            r"the VPC has a NAT gateway and the subnet runs \d+ instance\(s\)"
        ),
        "the subnet needs the internet: you said its instances cannot reach it",
    ),
)
_ID = re.compile(r"\b(?:" + "|".join(_KIND_WORDS) + r")-[0-9a-f]{8,17}\b")
_ARN = re.compile(r"arn:aws:elasticloadbalancing:[^\s'\"]+")


def pasted_ids(p: Snapshot) -> list[str]:
    """Every id-shaped string in the pasted outputs (they are the user's own)."""
    return sorted(set(_ID.findall(orjson.dumps(p.model_dump(mode="json")).decode())))


def _made_up(built: Snapshot, real: set[str]) -> dict[str, Any]:
    """What the scenario built from answers invented: ids, names, AZs, ranges, addresses."""
    blob = orjson.dumps(built.model_dump(mode="json")).decode()
    ids = {i for i in _ID.findall(blob) if i not in real and "YOUR" not in i}
    names: set[str] = set()
    for coll in (
        "Vpcs",
        "Subnets",
        "RouteTables",
        "NatGateways",
        "InternetGateways",
        "Instances",
        "SecurityGroups",
    ):
        for r in getattr(built, coll):
            n = getattr(r, "name", None)
            if n and n not in real:
                names.add(n)
    names |= {g.GroupName for g in built.SecurityGroups if g.GroupName}
    names |= {lb.LoadBalancerName for lb in built.LoadBalancers}
    azs = {s.AvailabilityZone for s in built.Subnets if s.AvailabilityZone}
    cidrs = {s.CidrBlock for s in built.Subnets if s.CidrBlock} | {
        v.CidrBlock for v in built.Vpcs if v.CidrBlock
    }
    ips = set(re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", blob)) - {"0.0.0.0"}
    return {"ids": ids, "names": names, "azs": azs, "cidrs": cidrs, "ips": ips}


def _say(text: str, made: dict[str, Any], cli: bool) -> str:
    for role, words in ROLE_WORDS.items():
        ph = PLACEHOLDERS[role]
        token = "<" + words.replace("'s", "").replace(" ", "-").lower() + "-id>"
        text = text.replace(ph, token if cli else words)
    for old, new in _PHRASES:
        text = text.replace(old, new)
    for pat, said in _PATTERNS:
        text = pat.sub(said, text)
    text = _ARN.sub("<load-balancer-arn>" if cli else "your load balancer", text)
    text = _ID.sub(
        lambda m: (
            _KIND_WORDS[m.group(0).split("-")[0]][1 if cli else 0]
            if m.group(0) in made["ids"]
            else m.group(0)
        ),
        text,
    )
    for az in sorted(made["azs"], key=len, reverse=True):
        text = re.sub(rf"\(([^()]*), {re.escape(az)}\)", "", text)  # " (name, us-east-1a)"
        text = re.sub(rf"(?<![\w-]){re.escape(az)}(?![\w-])", "<az>" if cli else "its AZ", text)
    for cidr in made["cidrs"]:
        text = text.replace(cidr, "<cidr>" if cli else "its address range")
    for ip in made["ips"]:
        text = re.sub(rf"(?<![\d.]){re.escape(ip)}(?![\d.])", "<ip>" if cli else "an address", text)
    for name in sorted(made["names"], key=len, reverse=True):
        text = text.replace(f" ({name})", "")
        if "-" in name:
            text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", "it", text)
    return re.sub(r" {2,}", " ", text).replace(" ,", ",").replace(" )", ")")


def plain_words(f: Any, built: Snapshot, real: set[str]) -> Any:
    """A finding from the answers' scenario, speaking only of what the user gave: built
    resources become words ("your NAT gateway") in sentences and placeholders in commands;
    made-up names, AZs, address ranges and addresses are left out."""
    made = _made_up(built, real)
    fix = [
        st.model_copy(
            update={
                "action": _say(st.action, made, False),
                "console": _say(st.console, made, False) if st.console else st.console,
                "cli": [_say(c, made, True) for c in st.cli],
                "terraform": _say(st.terraform, made, True) if st.terraform else st.terraform,
            }
        )
        for st in f.fix
    ]
    return f.model_copy(
        update={
            "title": _say(f.title, made, False),
            "evidence": [_say(e, made, False) for e in f.evidence],
            "explanation": _say(f.explanation, made, False),
            "fix": fix,
            "check": _say(f.check, made, True) if f.check else f.check,
        }
    )
