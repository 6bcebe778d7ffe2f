"""A deliberately simple second opinion on reachability, for checking the trace.

It reads the raw AWS-shaped dictionaries (no Snapshot model, no Topology, no policy module),
builds the path as a small graph whose edges carry a condition, and searches it breadth-first:
once for the request, once for the reply. Each condition is evaluated by brute force: network
ACLs by probing every port where an entry's range starts or ends, routes by trying every route.

Scope: instances, the internet (any address, or one address), NAT and internet gateways, one
or more VPCs. Edge outcomes: "pass" (follow), "fail" (do not follow, the path is blocked),
"unknown" (follow, but the answer can at best be unknown), "stop" (a next hop not modelled:
unknown, nothing beyond it).
"""

from __future__ import annotations

import ipaddress
from collections import deque
from typing import Any

EPH = (1024, 65535)
ICMP_REPLY = {8: 0, 13: 14, 15: 16, 17: 18}  # ICMP query type -> its reply type
NAT_PASSES = ("6", "17", "1")  # a NAT gateway translates TCP, UDP and ICMP only


def _net(c: str):
    return ipaddress.ip_network(c, strict=False)


def _inside(peer: str | None, cidr: str | None) -> bool:
    """Whether every address ``peer`` may be (None: any internet address) is in ``cidr``."""
    if not cidr or ":" in cidr:
        return False
    if peer is None:
        return _net(cidr).prefixlen == 0
    return ipaddress.ip_address(peer) in _net(cidr)


def _proto_ok(rule_proto: str, proto: str) -> bool:
    rp = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1"}.get(str(rule_proto), str(rule_proto))
    return rp in ("-1", proto)


def _icmp_ok(rule_type: int | None, proto: str, icmp_type: int) -> bool:
    """For ICMP traffic (the "port" is its type): a rule of type -1/None, or that type."""
    return proto != "1" or rule_type in (None, -1) or rule_type == icmp_type


def nacl_allows(acl: dict, egress: bool, proto: str, lo: int, hi: int, peer: str | None) -> bool:
    entries = [e for e in acl["Entries"] if e["Egress"] == egress]
    probes = {lo, hi}
    for e in entries:
        pr = e.get("PortRange")
        if pr:
            for p in (pr["From"], pr["To"], pr["From"] - 1, pr["To"] + 1):
                if lo <= p <= hi:
                    probes.add(p)
    for port in probes:
        verdict = "deny"
        for e in sorted(entries, key=lambda e: e["RuleNumber"]):
            if not _proto_ok(e["Protocol"], proto):
                continue
            if not _inside(peer, e.get("CidrBlock")):
                continue
            pr = e.get("PortRange")
            if str(e["Protocol"]) != "-1" and pr and not pr["From"] <= port <= pr["To"]:
                continue
            ic = e.get("IcmpTypeCode") or {}
            if str(e["Protocol"]) != "-1" and not _icmp_ok(ic.get("Type"), proto, port):
                continue
            verdict = e["RuleAction"]
            break
        if verdict != "allow":
            return False
    return True


def sg_allows(
    groups: list[dict],
    inbound: bool,
    proto: str,
    port: int,
    peer: str | None,
    peer_groups: list[str],
) -> bool:
    for g in groups:
        for p in g["IpPermissions" if inbound else "IpPermissionsEgress"]:
            if not _proto_ok(p["IpProtocol"], proto):
                continue
            if str(p["IpProtocol"]) == "-1":
                pass
            elif proto == "1":
                if not _icmp_ok(p.get("FromPort"), proto, port):
                    continue
            elif proto in ("6", "17") and not p["FromPort"] <= port <= p["ToPort"]:
                continue
            if any(_inside(peer, r["CidrIp"]) for r in p.get("IpRanges", [])):
                return True
            if any(u["GroupId"] in peer_groups for u in p.get("UserIdGroupPairs", [])):
                return True
    return False


class Oracle:
    def __init__(self, data: dict[str, list[dict[str, Any]]]):
        self.d = data
        self.inst = {i["InstanceId"]: i for i in data["Instances"]}
        self.sub = {s["SubnetId"]: s for s in data["Subnets"]}
        self.sg = {g["GroupId"]: g for g in data["SecurityGroups"]}
        self.nat = {n["NatGatewayId"]: n for n in data["NatGateways"]}
        self.vpc_cidrs = [_net(v["CidrBlock"]) for v in data["Vpcs"]]

    # -- configuration lookups ----------------------------------------------------------
    def rt_of(self, subnet_id: str) -> dict:
        vpc = self.sub[subnet_id]["VpcId"]
        main = None
        for rt in self.d["RouteTables"]:
            for a in rt["Associations"]:
                if a.get("SubnetId") == subnet_id:
                    return rt
                if a.get("Main") and rt["VpcId"] == vpc:
                    main = rt
        assert main is not None
        return main

    def acl_of(self, subnet_id: str) -> dict:
        vpc = self.sub[subnet_id]["VpcId"]
        for acl in self.d["NetworkAcls"]:
            if any(a["SubnetId"] == subnet_id for a in acl["Associations"]):
                return acl
        return next(a for a in self.d["NetworkAcls"] if a["VpcId"] == vpc and a["IsDefault"])

    def lookup(self, subnet_id: str, dest: str | None) -> tuple[str, dict | None]:
        """("route", route) for the longest match; ("unknown", route) when a prefix list could
        hold a specific outside address; ("none", None) when nothing matches."""
        best = None
        rt = self.rt_of(subnet_id)
        for r in rt["Routes"]:
            c = r.get("DestinationCidrBlock")
            if not c:
                continue
            n = _net(c)
            ok = n.prefixlen == 0 if dest is None else ipaddress.ip_address(dest) in n
            if ok and (best is None or n.prefixlen > _net(best["DestinationCidrBlock"]).prefixlen):
                best = r
        has_pl = any(r.get("DestinationPrefixListId") for r in rt["Routes"])
        local = best is not None and best.get("GatewayId") == "local"
        if dest is not None and has_pl and not local:
            return "unknown", best
        return ("route", best) if best else ("none", None)

    @staticmethod
    def target(r: dict) -> str:
        for k in (
            "NatGatewayId",
            "VpcPeeringConnectionId",
            "TransitGatewayId",
            "NetworkInterfaceId",
            "InstanceId",
            "GatewayId",
        ):
            if r.get(k):
                return r[k]
        return ""

    def igw_attached(self, igw_id: str, vpc: str) -> bool:
        for g in self.d["InternetGateways"]:
            if g["InternetGatewayId"] == igw_id:
                return any(a["VpcId"] == vpc for a in g["Attachments"])
        return False

    def groups(self, inst: dict) -> list[dict]:
        return [self.sg[g["GroupId"]] for g in inst["SecurityGroups"]]

    # -- the search -------------------------------------------------------------------------
    def verdict(self, src: str, dst: str, port: int, proto: str = "6") -> str:
        """src/dst: an instance id, 'internet', or an outside IPv4 address."""
        self.proto, self.port = proto, port
        self.s = self.inst.get(src)
        self.t = self.inst.get(dst)
        self.s_ip = self.s["PrivateIpAddress"] if self.s else (None if src == "internet" else src)
        self.t_ip = self.t["PrivateIpAddress"] if self.t else (None if dst == "internet" else dst)
        start, goal = ("start",), ("goal",)
        q, visited, seen, reached = deque([start]), {start}, set(), False
        while q:
            node = q.popleft()
            if node == goal:
                reached = True
                continue
            for nxt, outcome in self.edges(node):
                seen.add(outcome)
                if outcome in ("fail", "stop") or nxt in visited:
                    continue
                visited.add(nxt)
                q.append(nxt)
        if "fail" in seen:
            return "not reachable"
        if not reached or seen & {"unknown", "stop"}:
            return "unknown"
        return "reachable"

    def packet(self, ph: str):
        """(source address, source instance, destination address, destination instance,
        lowest port, highest port) of the request or the reply."""
        if ph == "req":
            return self.s_ip, self.s, self.t_ip, self.t, self.port, self.port
        lo, hi = EPH if self.proto in ("6", "17") else (self.port, self.port)
        if self.proto == "1":  # the reply to an ICMP query is its reply type
            lo = hi = ICMP_REPLY[self.port]
        return self.t_ip, self.t, self.s_ip, self.s, lo, hi

    def edges(self, node: tuple) -> list[tuple[tuple, str]]:
        """Nodes: start, host (an instance sends), leave/enter (a subnet's ACL), rt (a subnet's
        route table), nat / nat-rt / nat-leave / nat-back (a NAT gateway and its subnet),
        internet (the request arrived), arrive (the destination instance), goal."""
        kind, ph = node[0], node[-1]
        proto = self.proto

        def ok(c: bool, flag: str = "pass") -> str:
            return flag if c else "fail"

        if kind == "start":
            if self.s is None:  # the request comes in from the internet
                vpc = self.t["VpcId"]
                igw = any(
                    a["VpcId"] == vpc for g in self.d["InternetGateways"] for a in g["Attachments"]
                )
                pub = bool(self.t.get("PublicIpAddress"))
                return [(("enter", self.t["SubnetId"], "req"), ok(igw and pub))]
            return [(("host", "req"), "pass")]
        a_ip, a, b_ip, b, lo, hi = self.packet(ph)
        if kind == "host":  # an instance sends (the request; replies are stateful)
            c = True
            if ph == "req":
                c = a["State"]["Name"] == "running" and sg_allows(
                    self.groups(a),
                    False,
                    proto,
                    self.port,
                    b_ip,
                    [g["GroupId"] for g in b["SecurityGroups"]] if b else [],
                )
            if b is not None and b["SubnetId"] == a["SubnetId"]:
                return [(("arrive", ph) if ph == "req" else ("goal",), ok(c))]
            return [(("leave", a["SubnetId"], ph), ok(c))]
        if kind == "leave":
            sid = node[1]
            return [(("rt", sid, ph), ok(nacl_allows(self.acl_of(sid), True, proto, lo, hi, b_ip)))]
        if kind == "rt":
            sid = node[1]
            vpc = self.sub[sid]["VpcId"]
            how, r = self.lookup(sid, b_ip)
            flag = "unknown" if how == "unknown" else "pass"
            if r is None:
                return [(("void",), "stop" if how == "unknown" else "fail")]
            if r.get("State") == "blackhole":
                return [(("void",), "fail")]
            t = self.target(r)
            if b is not None:  # a destination inside the VPC
                if t == "local":
                    return [(("enter", b["SubnetId"], ph), flag)]
                if ph == "req":
                    return [(("void",), "stop")]
                return [(("enter", b["SubnetId"], ph), "unknown")]
            if ph == "rep":  # a reply to the internet must leave through an attached IGW
                return [(("goal",), ok(t.startswith("igw-") and self.igw_attached(t, vpc), flag))]
            if t.startswith("igw-"):
                c = self.igw_attached(t, vpc) and bool(a.get("PublicIpAddress"))
                return [(("internet", "direct", ph), ok(c, flag))]
            if t.startswith("nat-"):
                n = self.nat[t]
                c = (
                    n["State"] == "available"
                    and proto in NAT_PASSES
                    and n["ConnectivityType"] == "public"
                    and any(x.get("PublicIp") for x in n["NatGatewayAddresses"])
                )
                return [(("nat", t, ph), ok(c, flag))]
            return [(("void",), "stop")]
        if kind == "nat":
            ns = self.nat[node[1]]["SubnetId"]
            c = ns == a["SubnetId"] or nacl_allows(self.acl_of(ns), False, proto, lo, hi, a_ip)
            return [(("nat-rt", node[1], ph), ok(c))]
        if kind == "nat-rt":
            ns = self.nat[node[1]]["SubnetId"]
            how, r = self.lookup(ns, b_ip)
            flag = "unknown" if how == "unknown" else "pass"
            if r is None:
                return [(("void",), "stop" if how == "unknown" else "fail")]
            t = self.target(r)
            c = (
                r.get("State") != "blackhole"
                and t.startswith("igw-")
                and self.igw_attached(t, self.sub[ns]["VpcId"])
            )
            return [(("nat-leave", node[1], ph), ok(c, flag))]
        if kind == "nat-leave":
            ns = self.nat[node[1]]["SubnetId"]
            c = nacl_allows(self.acl_of(ns), True, proto, lo, hi, b_ip)
            return [(("internet", node[1], ph), ok(c))]
        if kind == "internet":  # the request arrived; the reply comes back the same way
            via = node[1]
            if via == "direct":
                return [(("enter", self.s["SubnetId"], "rep"), "pass")]
            return [(("nat-back", via, "rep"), "pass")]
        if kind == "nat-back":  # a_ip: the internet address, b: the source instance
            ns = self.nat[node[1]]["SubnetId"]
            c = nacl_allows(self.acl_of(ns), False, proto, lo, hi, a_ip)
            if ns == b["SubnetId"]:
                return [(("goal",), ok(c))]
            c = c and nacl_allows(self.acl_of(ns), True, proto, lo, hi, b_ip)
            how, r = self.lookup(ns, b_ip)
            if r is not None and r.get("State") == "blackhole":
                return [(("void",), "fail")]
            flag = "pass" if r is not None and self.target(r) == "local" else "unknown"
            return [(("enter", b["SubnetId"], "rep"), ok(c, flag))]
        if kind == "enter":
            sid = node[1]
            c = nacl_allows(self.acl_of(sid), False, proto, lo, hi, a_ip)
            return [(("arrive", ph) if ph == "req" else ("goal",), ok(c))]
        if kind == "arrive":  # the destination instance receives the request
            t = self.t
            c = t["State"]["Name"] == "running" and sg_allows(
                self.groups(t),
                True,
                proto,
                self.port,
                self.s_ip,
                [g["GroupId"] for g in self.s["SecurityGroups"]] if self.s else [],
            )
            if self.s is not None and self.s["SubnetId"] == t["SubnetId"]:
                return [(("goal",), ok(c))]
            return [(("leave", t["SubnetId"], "rep"), ok(c))]
        return []
