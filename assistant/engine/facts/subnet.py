"""Subnet facts: a subnet with its routing, intent, instances and network ACL decided."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import (
    LN,
    LS,
    WEB_PORTS,
    B,
    Fact,
    N,
    S,
    Sieve,
    declare,
    producer,
)
from assistant.engine.facts._common import (
    YOUR_PUBLIC_SUBNET,
    _AclCheck,
    _lb_web_ports,
    _ranges,
    _second_free,
    _target_state,
    _WebOpen,
)
from assistant.models.snapshot import NetworkAcl
from assistant.policy import (
    EPHEMERAL,
)
from assistant.topology import (
    PRIVATE,
    PUBLIC,
    UNKNOWN,
    Topology,
    looks_backend,
    subnet_label,
    target_kind,
)


@producer("subnet", sieved=True)
def subnet_facts(topo: Topology, sieve: Sieve | None = None) -> Iterator[Fact]:
    """One fact per subnet. With a ``sieve``, what the rules test of a subnet (routing, role,
    instances, ACL) is decided first, and the rest (labels, candidates for the fixes, backend
    instances) is computed only if some rule could still match."""
    snap = topo.snapshot
    vpcs_with_nat = {n.VpcId for n in snap.NatGateways if n.State == "available"}
    acls_known = snap.has("NetworkAcls")
    acl_checks: dict[str, _AclCheck] = {}
    acl_memo: dict = {}
    web = _WebOpen(topo)
    lb_ports = _lb_web_ports(topo)
    free: dict[tuple[str, int], int] = {}

    def second_free(acl: NetworkAcl, first: int) -> int:
        """``_second_free`` once per ACL and first number (subnets share their ACL)."""
        k = (acl.NetworkAclId, first)
        if k not in free:
            free[k] = _second_free(acl, True, first)
        return free[k]

    for sid, v in topo.views.items():
        s = v.subnet
        insts = [d for d in topo.digests_by_subnet.get(sid, ()) if d.running]
        has_nat = s.VpcId in vpcs_with_nat
        intent = v.intent
        needs_internet = intent == "private" or (
            has_nat and intent not in ("isolated", "public") and bool(insts)
        )
        target = v.default_target
        v6_target = v.default_route_v6.target if v.default_route_v6 else ""
        # Without its route table the default targets are unknown, not absent.
        tkind = target_kind(target) if v.route_table is not None else UNKNOWN
        v6_kind = target_kind(v6_target) if v.route_table is not None else UNKNOWN
        nats_here = [
            n.NatGatewayId
            for n in topo.nats_by_subnet.get(sid, [])
            if n.ConnectivityType == "public"
        ]
        egress_path = v.role == PRIVATE or (v.role == PUBLIC and bool(nats_here))
        # Where this subnet's default route goes, when it is a NAT gateway.
        nat = topo.nats.get(target) if tkind == "nat" else None
        nat_az = topo.az_of(nat.SubnetId or "") if nat else ""
        # IPv6
        has_v6 = bool(s.ipv6_cidrs)
        v6_insts = [d.inst.InstanceId for d in insts if d.ipv6]
        # Web serving in a public subnet: load balancer nodes, or instances open to the web.
        web_ports = list(lb_ports.get(sid, []))
        if v.role == PUBLIC:
            for d in insts:
                if d.public:
                    web_ports += web.ports(d.groups)
        web_ports = sorted(set(web_ports))
        acl = topo.nacl_for(sid) if acls_known else None
        ret_txt: list[str] = []
        out_txt: list[str] = []
        web_in_txt: list[str] = []
        eph_out_txt: list[str] = []
        ret_no = out_no = web_in_no = eph_out_no = 100
        blocked_web_in: list[int] = []
        if acl is not None and (egress_path or web_ports):
            chk = acl_checks.get(acl.NetworkAclId)
            if chk is None:
                chk = acl_checks[acl.NetworkAclId] = _AclCheck(acl, acl_memo)
            if egress_path:
                ret_txt, ret_no, _ = chk.blocked(False, (EPHEMERAL,))
                out_txt, out_no, _ = chk.blocked(True, _ranges(list(WEB_PORTS)))
            if web_ports and v.role == PUBLIC:
                web_in_txt, web_in_no, blocked_web_in = chk.blocked(False, _ranges(web_ports))
                eph_out_txt, eph_out_no, _ = chk.blocked(True, (EPHEMERAL,))
        if sieve is not None and not sieve.could(
            "subnet",
            rid=sid,
            subnet_id=sid,
            vpc_id=s.VpcId,
            az=s.AvailabilityZone,
            cidr=s.CidrBlock,
            role=v.role,
            intent=intent,
            rt_explicit=v.explicit,
            default_target=target,
            default_target_kind=tkind,
            default_target_az=nat_az,
            vpc_has_nat=has_nat,
            needs_internet=needs_internet,
            instance_count=len(insts),
            map_public_ip=s.MapPublicIpOnLaunch,
            hosts_nat=bool(nats_here),
            egress_path=egress_path,
            nat_az=nat_az,
            has_ipv6=has_v6,
            v6_default_target=v6_target,
            v6_default_target_kind=v6_kind,
            ipv6_instance_count=len(v6_insts),
            serves_web=bool(web_ports),
            nacl_known=acls_known,
            return_blocked=bool(ret_txt),
            web_egress_blocked=bool(out_txt),
            web_in_blocked=bool(web_in_txt),
            ephemeral_out_blocked=bool(eph_out_txt),
        ):
            continue  # no rule can match this subnet, whatever its other fields hold
        no_pub = [d.inst.InstanceId for d in insts if not d.public]
        backends = [
            d.inst.InstanceId
            for d in insts
            if looks_backend(d.inst) or d.inst.InstanceId in topo.lb_targets
        ]
        same_az_nat = topo.nat_in_az(s.VpcId, s.AvailabilityZone) or ""
        pub_candidate = topo.public_subnet_in(s.VpcId, s.AvailabilityZone) or ""
        fact: Fact = {
            "rid": sid,
            "subnet_id": sid,
            "vpc_id": s.VpcId,
            "name": s.name,
            "label": subnet_label(topo, sid),
            "az": s.AvailabilityZone,
            "cidr": s.CidrBlock,
            "role": v.role,
            "intent": intent,
            "route_table_id": v.route_table.RouteTableId if v.route_table else "",
            "rt_explicit": v.explicit,
            "default_target": target,
            "default_target_kind": tkind,
            "default_target_az": nat_az,
            "default_target_state": _target_state(topo, target, tkind, s.VpcId) if target else "",
            "default_route_state": v.default_route.State if v.default_route else "",
            "vpc_has_nat": has_nat,
            "needs_internet": needs_internet,
            "instance_count": len(insts),
            "no_public_ip_count": len(no_pub),
            "no_public_ip_instances": no_pub,
            "map_public_ip": s.MapPublicIpOnLaunch,
            "nat_candidate": topo.nat_in(s.VpcId, s.AvailabilityZone) or "",
            "public_subnet_candidate": pub_candidate,
            "public_subnet_ref": pub_candidate or YOUR_PUBLIC_SUBNET,
            "igw_id": topo.attached_igw(s.VpcId) or "",
            "backend_instances": backends,
            "backend_count": len(backends),
            "hosts_nat": bool(nats_here),
            "hosts_nat_text": f" and holds NAT gateway {', '.join(nats_here)}" if nats_here else "",
            "nats_here": nats_here,
            "egress_path": egress_path,
            "nat_az": nat_az,
            "same_az_nat": same_az_nat,
            "public_subnet_same_az": pub_candidate
            if topo.az_of(pub_candidate) == s.AvailabilityZone
            else "",
            "has_ipv6": has_v6,
            "ipv6_cidr": ", ".join(s.ipv6_cidrs),
            "v6_default_target": v6_target,
            "v6_default_target_kind": v6_kind,
            "ipv6_instances": v6_insts,
            "ipv6_instance_count": len(v6_insts),
            "eigw_id": topo.attached_eigw(s.VpcId) or "",
            "eigw_ref": topo.attached_eigw(s.VpcId) or "<egress-only gateway id from step 1>",
            "v6_problem": (
                "is meant to be private but sends ::/0 to the internet gateway"
                f" {v6_target}: its IPv6 instances are reachable from the internet"
                if v6_kind == "igw"
                else f"has {len(v6_insts)} IPv6 instance(s) but no ::/0 route"
            ),
            "serves_web": bool(web_ports),
            "web_ports": web_ports,
            "nacl_known": acls_known,
        }
        fact["nacl_id"] = acl.NetworkAclId if acl else ""
        fact["nacl_is_default"] = bool(acl and acl.IsDefault)
        fact.update(
            {
                "return_blocked": bool(ret_txt),
                "return_blocked_by": ret_txt,
                "return_rule_number": ret_no,
                "web_egress_blocked": bool(out_txt),
                "web_egress_blocked_by": out_txt,
                "web_egress_rule_number": out_no,
                "web_egress_rule_number_2": second_free(acl, out_no) if acl else 101,
                "web_in_blocked": bool(web_in_txt),
                "web_in_blocked_by": web_in_txt,
                "web_in_rule_number": web_in_no,
                "web_in_blocked_ports": blocked_web_in,
                "ephemeral_out_blocked": bool(eph_out_txt),
                "ephemeral_out_blocked_by": eph_out_txt,
                "ephemeral_out_rule_number": eph_out_no,
            }
        )
        yield fact


declare(
    "subnet",
    "One per subnet: its routing decided, what its name says, its instances and its ACL.",
    {
        "subnet_id": (S, "the subnet id"),
        "vpc_id": (S, "its VPC"),
        "name": (S, "its Name tag"),
        "label": (S, "id (name, AZ) for texts"),
        "az": (S, "its availability zone"),
        "cidr": (S, "its IPv4 CIDR"),
        "role": (S, "public / private / isolated / unknown, from its effective route table"),
        "intent": (S, "what its name and tags say it is meant to be: public/private/isolated/''"),
        "route_table_id": (S, "its effective route table ('' when not in the input)"),
        "rt_explicit": (B, "the route table is explicitly associated (not the main table)"),
        "default_target": (S, "target id of its 0.0.0.0/0 route ('' when none)"),
        "default_target_kind": (
            S,
            "kind of that target: igw/nat/tgw/instance/eni/pcx/vgw/... ; none; unknown (no table)",
        ),
        "default_target_az": (S, "AZ of that target when it is a NAT gateway ('' if unknown)"),
        "default_target_state": (
            S,
            "state of that target: available/pending/failed/attached/detached/running/gone/"
            "unknown (absent from the input is unknown, never gone)",
        ),
        "default_route_state": (S, "the 0.0.0.0/0 route's own state (active/blackhole)"),
        "vpc_has_nat": (B, "the VPC has an available NAT gateway"),
        "needs_internet": (
            B,
            "Flag (combines intent, NAT presence and running instances; kept as one reading "
            "of 'meant to reach the internet'): the subnet looks like it needs the internet",
        ),
        "instance_count": (N, "running instances in it"),
        "no_public_ip_count": (N, "running instances without a public IP"),
        "no_public_ip_instances": (LS, "those instances"),
        "map_public_ip": (B, "auto-assign public IPv4 on launch is on"),
        "nat_candidate": (S, "an available public NAT gateway of the VPC, same AZ preferred"),
        "public_subnet_candidate": (S, "a public subnet of the VPC, same AZ preferred"),
        "public_subnet_ref": (S, "that subnet, or a '<your ...>' placeholder for fix steps"),
        "igw_id": (S, "the internet gateway attached to its VPC ('' if none)"),
        "backend_instances": (LS, "instances tagged app/db/backend or registered as targets"),
        "backend_count": (N, "how many"),
        "hosts_nat": (B, "a public NAT gateway sits in this subnet"),
        "hosts_nat_text": (S, "' and holds NAT gateway ...' for texts"),
        "nats_here": (LS, "public NAT gateways in this subnet"),
        "egress_path": (B, "traffic leaves to the internet from here (private, or public+NAT)"),
        "nat_az": (S, "same as default_target_az (kept for texts)"),
        "same_az_nat": (S, "an available public NAT gateway in this subnet's own AZ"),
        "public_subnet_same_az": (S, "a public subnet in this subnet's own AZ"),
        "has_ipv6": (B, "the subnet has an IPv6 CIDR"),
        "ipv6_cidr": (S, "its IPv6 CIDRs"),
        "v6_default_target": (S, "target id of its ::/0 route"),
        "v6_default_target_kind": (S, "kind of that target (as default_target_kind)"),
        "ipv6_instances": (LS, "running instances with IPv6 addresses"),
        "ipv6_instance_count": (N, "how many"),
        "eigw_id": (S, "the egress-only internet gateway of its VPC ('' if none)"),
        "eigw_ref": (S, "that gateway, or the placeholder of the step that creates it"),
        "v6_problem": (S, "the IPv6 problem in words, for texts"),
        "serves_web": (B, "load balancer nodes or instances here serve web ports"),
        "web_ports": (LN, "those ports"),
        "nacl_known": (B, "network ACLs were read"),
        "nacl_id": (S, "its network ACL"),
        "nacl_is_default": (B, "that ACL is the VPC's default"),
        "return_blocked": (
            B,
            "Flag (an ordered, first-match ACL evaluation over port ranges, not a field "
            "comparison): inbound TCP 1024-65535 from the internet is denied",
        ),
        "return_blocked_by": (LS, "the entries that deny it"),
        "return_rule_number": (N, "a free rule number before them"),
        "web_egress_blocked": (B, "Flag (ACL evaluation): outbound TCP 80/443 is denied"),
        "web_egress_blocked_by": (LS, "the entries that deny it"),
        "web_egress_rule_number": (N, "a free rule number before them"),
        "web_egress_rule_number_2": (N, "a second free number beside it (for the other port)"),
        "web_in_blocked": (B, "Flag (ACL evaluation): inbound web ports it serves are denied"),
        "web_in_blocked_by": (LS, "the entries that deny them"),
        "web_in_rule_number": (N, "a free rule number before them"),
        "web_in_blocked_ports": (LN, "the denied ports"),
        "ephemeral_out_blocked": (
            B,
            "Flag (ACL evaluation): outbound TCP 1024-65535 (web replies) is denied",
        ),
        "ephemeral_out_blocked_by": (LS, "the entries that deny it"),
        "ephemeral_out_rule_number": (N, "a free rule number before them"),
    },
)
