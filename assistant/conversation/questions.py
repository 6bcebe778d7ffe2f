"""Question mode: what to ask for each symptom, and how the answers become a snapshot.

Each question feeds one part of the AWS-shaped data the rules read. The answers build a small
scenario with :class:`~assistant.sources.builder.Builder`, so the same rules decide as in a scan.
A question applies only when the answers so far leave it open; when none applies, the rules can
conclude. "I don't know" leaves that part out of the snapshot and says which rules it affects.
Pasted ``aws ... describe-*`` output settles questions through the ``settle`` functions.
"""

from __future__ import annotations

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
    collections: tuple[str, ...] = ()  # for paste questions: the collection it asks for

    def all_choices(self) -> list[tuple[str, str]]:
        return [*self.choices, (UNKNOWN, "I don't know")]

    def label(self, key: str) -> str:
        return dict(self.all_choices()).get(key, key)


# -- reading pasted output ----------------------------------------------------------------


def _one(items: list) -> Any:
    return items[0] if len(items) == 1 else None


def _focus_instance(p: Snapshot):
    return _one([i for i in p.Instances if i.State.Name != "terminated"])


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


def _instance_route_table(p: Snapshot):
    inst = _focus_instance(p)
    rt = _route_table_of(p, inst.SubnetId if inst else None)
    if rt is None and p.has("RouteTables") and inst is None:
        # Without the instance: the one table pasted, or the one with subnets of its own.
        rt = _one(p.RouteTables) or _one(
            [t for t in p.RouteTables if any(a.SubnetId and a.active for a in t.Associations)]
        )
    return rt


def settle_route(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    rt = _instance_route_table(p)
    if rt is None:
        return None
    kind = _kind_of(rt)
    tail = f"sends 0.0.0.0/0 to {_target(rt)}" if kind != "none" else "has no 0.0.0.0/0 route"
    return kind, f"route table {rt.RouteTableId} {tail}"


def _route_nat(p: Snapshot) -> tuple[str, str] | None:
    """(nat id, route state) of the focus route, if it goes to a NAT gateway."""
    rt = _instance_route_table(p)
    if rt is not None and (r := _default_route(rt)) and target_kind(r.target) == "nat":
        return r.target, r.State
    nat = _one([n for n in p.NatGateways if n.State != "deleted"])
    return (nat.NatGatewayId, "active") if nat else None


def settle_nat_state(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    found = _route_nat(p)
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
    found = _route_nat(p)
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
        rts.append(_instance_route_table(p))
    found = _route_nat(p)
    if a.get("nat_subnet") == "igw" and found:
        nat = next((n for n in p.NatGateways if n.NatGatewayId == found[0]), None)
        if nat:
            rts.append(_route_table_of(p, nat.SubnetId))
    if a.get("lb_subnets") in ("all_igw", "some"):
        lb = _one(p.LoadBalancers)
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
    inst = _focus_instance(p) if p.has("Instances") else None
    if inst is None:
        return None
    ips = inst.public_ips
    if ips:
        return "yes", f"{inst.InstanceId} has public IP {', '.join(ips)}"
    return "no", f"{inst.InstanceId} has no public or Elastic IP"


def settle_entry(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    if p.has("LoadBalancers") and p.LoadBalancers:
        return "lb", f"the app is behind load balancer {p.LoadBalancers[0].LoadBalancerName}"
    return None


def settle_scheme(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    lb = _one(p.LoadBalancers)
    if lb is None:
        return None
    return lb.Scheme, f"{lb.LoadBalancerName} is {lb.Scheme}"


def settle_lb_subnets(p: Snapshot, a: Answers) -> tuple[str, str] | None:
    lb = _one(p.LoadBalancers)
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
)

PUBLIC_IP = dict(
    text="Does the instance have a public IPv4 address or an Elastic IP?",
    why="An internet gateway only carries traffic for instances that have a public address.",
    console="EC2 console > Instances > (the instance) > Details > Public IPv4 address",
    command="aws ec2 describe-instances --instance-ids <instance-id> "
    "--query 'Reservations[].Instances[].PublicIpAddress'",
    choices=(("yes", "Yes"), ("no", "No, private addresses only")),
    settle=settle_public_ip,
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
        rules=("nat.not-available", "egress.route-blackhole", "nat.in-private-subnet"),
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
            a.get("route") == "nat" and a.get("nat_state") in ("available", "pending")
        ),
        settle=settle_nat_subnet,
        rules=("nat.in-private-subnet",),
    ),
    Question(
        id="igw_attached",
        applies=lambda a: (
            a.get("route") == "igw" or (a.get("route") == "nat" and a.get("nat_subnet") == "igw")
        ),
        **IGW_ATTACHED,
    ),
    Question(
        id="public_ip",
        applies=lambda a: a.get("route") == "igw" and a.get("igw_attached") != "no",
        rules=("egress.igw-route-without-public-ip",),
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
    ),
    Question(
        id="igw_attached",
        applies=lambda a: (
            (a.get("entry") == "lb" and a.get("lb_subnets") in ("all_igw", "some"))
            or (a.get("entry") == "instance" and a.get("inst_route") == "igw")
        ),
        **IGW_ATTACHED,
    ),
    Question(
        id="public_ip",
        applies=lambda a: a.get("entry") == "instance" and a.get("igw_attached") != "no",
        rules=("egress.igw-route-without-public-ip", "exposure.public-ip-in-private-subnet"),
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


def decided_rules(symptom: str) -> set[str] | None:
    """The rules a symptom's questions decide (None: every rule, for pasted outputs).

    In question mode only these are reported: the scenario built from the answers is
    complete only for what was asked, so another rule firing on it would be an artefact.
    """
    if symptom == "whole":
        return None
    return {r for q in QUESTIONS[symptom] for r in q.rules}


def next_question(symptom: str, answers: Answers) -> Question | None:
    """The first question still open for the answers so far, or None: the rules can conclude."""
    for q in QUESTIONS[symptom]:
        if q.id not in answers and q.applies(answers):
            return q
    return None


def find_question(symptom: str, qid: str) -> Question | None:
    return next((q for q in QUESTIONS[symptom] if q.id == qid), None)


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
        if state in ("available", "pending", "failed", "deleting"):
            sc.known.add("NatGateways")
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
    inst = _focus_instance(p) if p.has("Instances") else None
    rt = _instance_route_table(p)
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
    found = _route_nat(p)
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
