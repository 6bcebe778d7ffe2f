"""A second, deliberately plain opinion on paths between VPCs (peering and a transit gateway).

It reads the raw AWS-shaped dictionaries the Builder writes (no Snapshot model, no Topology, no
trace code) and walks the documented path of one TCP/UDP flow from an instance in one VPC to an
instance in another, as a list of named checks in path order: the request, then the reply. It
returns the verdict and the first check that blocks, named as the trace names its hops.

AWS behaviour modelled (VPC, Transit Gateway and peering user guides): longest prefix match in
the subnet's route table (explicit association, else the VPC's main table); network ACLs at
every subnet boundary crossed, both ways, replies on 1024-65535; security groups stateful, no
group references across a transit gateway; peering active only, no transitive routing, the
peer's route back through the same connection; transit gateway: the attachment needs a subnet
in the sender's AZ, that subnet's ACL, the table associated with the ingress attachment by
longest prefix, blackholes drop, the far attachment's subnet ACL on the way out.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from tests.trace.oracle import nacl_allows, sg_allows

EPH = (1024, 65535)
PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"


def _lpm(routes: list[dict], ip: str) -> dict | None:
    best, best_len = None, -1
    a = ipaddress.ip_address(ip)
    for r in routes:
        c = r.get("DestinationCidrBlock")
        if c and a in ipaddress.ip_network(c) and ipaddress.ip_network(c).prefixlen > best_len:
            best, best_len = r, ipaddress.ip_network(c).prefixlen
    return best


def _target(r: dict) -> str:
    for k in ("TransitGatewayId", "VpcPeeringConnectionId", "NatGatewayId", "GatewayId"):
        if r.get(k):
            return r[k]
    return ""


class MultiOracle:
    def __init__(self, data: dict[str, Any], extra: dict[str, Any]):
        self.d, self.x = data, extra
        self.inst = {i["InstanceId"]: i for i in data["Instances"]}
        self.sub = {s["SubnetId"]: s for s in data["Subnets"]}
        self.sg = {g["GroupId"]: g for g in data["SecurityGroups"]}
        self.pcx = {p["VpcPeeringConnectionId"]: p for p in data["VpcPeeringConnections"]}
        self.att = {
            a["TransitGatewayAttachmentId"]: a for a in extra["TransitGatewayVpcAttachments"]
        }
        self.assoc = {
            a["TransitGatewayAttachmentId"]: a["Association"]["TransitGatewayRouteTableId"]
            for a in data["TransitGatewayAttachments"]
            if a.get("Association")
        }

    # -- lookups -------------------------------------------------------------------------
    def routes(self, subnet_id: str) -> list[dict]:
        vpc = self.sub[subnet_id]["VpcId"]
        main = None
        for rt in self.d["RouteTables"]:
            for a in rt["Associations"]:
                if a.get("SubnetId") == subnet_id:
                    return rt["Routes"]
                if a.get("Main") and rt["VpcId"] == vpc:
                    main = rt
        return main["Routes"] if main else []

    def acl(self, subnet_id: str) -> dict:
        vpc = self.sub[subnet_id]["VpcId"]
        for acl in self.d["NetworkAcls"]:
            if any(a["SubnetId"] == subnet_id for a in acl["Associations"]):
                return acl
        return next(a for a in self.d["NetworkAcls"] if a["VpcId"] == vpc and a["IsDefault"])

    def az(self, subnet_id: str) -> str:
        return self.sub[subnet_id]["AvailabilityZone"]

    def vpc_att(self, tgw: str, vpc: str) -> dict | None:
        for a in self.att.values():
            if a["TransitGatewayId"] == tgw and a["VpcId"] == vpc:
                return a
        return None

    def att_subnet(self, att: dict, az: str) -> str | None:
        return next((s for s in att["SubnetIds"] if self.az(s) == az), None)

    def tgw_route(self, rtb: str, ip: str) -> dict | None:
        best, best_len = None, -1
        a = ipaddress.ip_address(ip)
        for r in self.x["TransitGatewayRoutes"].get(rtb, []):
            n = ipaddress.ip_network(r["DestinationCidrBlock"])
            if a in n and n.prefixlen > best_len:
                best, best_len = r, n.prefixlen
        return best

    def groups(self, inst: dict) -> list[dict]:
        return [self.sg[g["GroupId"]] for g in inst["SecurityGroups"]]

    # -- the walk --------------------------------------------------------------------------
    def verdict(self, src: str, dst: str, port: int, proto: str = "6") -> tuple[str, str | None]:
        """(verdict, first blocking step) for instance ``src`` to instance ``dst``."""
        a, b = self.inst[src], self.inst[dst]
        bi = b["PrivateIpAddress"]
        asub = a["SubnetId"]
        checks: list[tuple[str, str]] = []
        stopped = False

        def check(step: str, ok: bool | None, stop: bool = False) -> bool:
            """Record a check; False when the walk must stop here."""
            nonlocal stopped
            checks.append((step, PASS if ok else UNKNOWN if ok is None else FAIL))
            if stop and not ok:
                stopped = True
                return False
            return True

        def acl(subnet: str, egress: bool, peer: str, reply: bool) -> None:
            lo, hi = EPH if reply else (port, port)
            ok = nacl_allows(self.acl(subnet), egress, proto, lo, hi, peer)
            step = f"network ACL {'outbound' if egress else 'inbound'}" + (
                " (reply)" if reply else ""
            )
            check(step, ok)

        check("instance state", a["State"]["Name"] == "running")
        b_groups = [g["GroupId"] for g in b["SecurityGroups"]]
        check("security group egress", sg_allows(self.groups(a), False, proto, port, bi, b_groups))
        acl(asub, True, bi, False)
        r = _lpm(self.routes(asub), bi)
        if not check("route table", r is not None, stop=True):
            return self._result(checks, stopped)
        target = _target(r)
        if target.startswith("pcx-"):
            self._peering(a, b, target, port, proto, check, acl)
        elif target.startswith("tgw-"):
            self._tgw(a, b, target, port, proto, check, acl)
        else:
            check("next hop", None, stop=True)
        return self._result(checks, stopped)

    def _peering(self, a, b, pcx_id, port, proto, check, acl) -> None:
        ai, bi, asub, bsub = (
            a["PrivateIpAddress"],
            b["PrivateIpAddress"],
            a["SubnetId"],
            b["SubnetId"],
        )
        p = self.pcx.get(pcx_id)
        if p is None:
            check("VPC peering", None, stop=True)
            return
        if not check("VPC peering", p["Status"]["Code"] == "active", stop=True):
            return
        sides = {p["RequesterVpcInfo"]["VpcId"], p["AccepterVpcInfo"]["VpcId"]}
        if not check("peer VPC", b["VpcId"] in sides - {a["VpcId"]}, stop=True):
            return
        check("instance state", b["State"]["Name"] == "running")
        acl(bsub, False, ai, False)
        a_groups = [g["GroupId"] for g in a["SecurityGroups"]]
        check("security group ingress", sg_allows(self.groups(b), True, proto, port, ai, a_groups))
        acl(bsub, True, ai, True)
        r = _lpm(self.routes(bsub), ai)
        if r is None:
            check("route table (reply)", False, stop=True)
            return
        t = _target(r)
        if t != pcx_id:
            local = t == "local" or t.startswith(("igw-", "nat-"))
            check("route table (reply)", False if local else None, stop=True)
            return
        check("route table (reply)", True)
        acl(asub, False, bi, True)

    def _tgw(self, a, b, tgw, port, proto, check, acl) -> None:
        ai, bi, asub, bsub = (
            a["PrivateIpAddress"],
            b["PrivateIpAddress"],
            a["SubnetId"],
            b["SubnetId"],
        )
        a_att = self.vpc_att(tgw, a["VpcId"])
        if a_att is None:
            check("transit gateway attachment", None, stop=True)
            return
        in_sub = self.att_subnet(a_att, self.az(asub))
        if not check("transit gateway AZ", in_sub is not None, stop=True):
            return
        if in_sub != asub:
            acl(in_sub, False, ai, False)
        rtb = self.assoc.get(a_att["TransitGatewayAttachmentId"])
        if not check("transit gateway route table", rtb is not None, stop=True):
            return
        r = self.tgw_route(rtb, bi)
        ok = r is not None and r["State"] != "blackhole"
        if not check("transit gateway route table", ok, stop=True):
            return
        b_att = self.att.get(r["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"])
        if b_att is None or b_att["VpcId"] != b["VpcId"]:
            check("next hop", None, stop=True)
            return
        check("transit gateway attachment", True)
        out = (
            self.att_subnet(b_att, self.az(asub))
            or self.att_subnet(b_att, self.az(bsub))
            or b_att["SubnetIds"][0]
        )
        if out != bsub:
            acl(out, True, bi, False)
        check("instance state", b["State"]["Name"] == "running")
        acl(bsub, False, ai, False)
        check("security group ingress", sg_allows(self.groups(b), True, proto, port, ai, []))
        acl(bsub, True, ai, True)
        r = _lpm(self.routes(bsub), ai)
        if r is None:
            check("route table (reply)", False, stop=True)
            return
        t = _target(r)
        if t != tgw:
            check("route table (reply)", False if t.startswith(("igw-", "nat-")) else None, True)
            return
        check("route table (reply)", True)
        back = self.att_subnet(b_att, self.az(bsub))
        if not check("transit gateway AZ (reply)", back is not None, stop=True):
            return
        if back != bsub:
            acl(back, False, bi, True)
        rtb = self.assoc.get(b_att["TransitGatewayAttachmentId"])
        if not check("transit gateway route table (reply)", rtb is not None, stop=True):
            return
        r = self.tgw_route(rtb, ai)
        ok = r is not None and r["State"] != "blackhole"
        if not check("transit gateway route table (reply)", ok, stop=True):
            return
        if (
            r["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"]
            != a_att["TransitGatewayAttachmentId"]
        ):
            check("transit gateway route table (reply)", None, stop=True)
            return
        home = self.att_subnet(a_att, self.az(asub))
        if home and home != asub:
            acl(home, True, ai, True)
        acl(asub, False, bi, True)

    # -- centralised egress: an instance in a spoke to the internet ----------------------------
    def egress(self, src: str, port: int, proto: str = "6") -> tuple[str, str | None]:
        """Spoke -> TGW -> egress VPC's attachment subnet -> NAT gateway -> internet gateway, and
        the reply back through the NAT gateway's subnet route to the TGW (any internet
        address: only 0.0.0.0/0 routes and rules decide)."""
        a = self.inst[src]
        ai, asub = a["PrivateIpAddress"], a["SubnetId"]
        checks: list[tuple[str, str]] = []
        stopped = False

        def check(step: str, ok: bool | None, stop: bool = False) -> bool:
            nonlocal stopped
            checks.append((step, PASS if ok else UNKNOWN if ok is None else FAIL))
            if stop and not ok:
                stopped = True
                return False
            return True

        def acl(subnet: str, egress: bool, peer: str | None, reply: bool) -> None:
            lo, hi = EPH if reply else (port, port)
            ok = nacl_allows(self.acl(subnet), egress, proto, lo, hi, peer)
            step = f"network ACL {'outbound' if egress else 'inbound'}" + (
                " (reply)" if reply else ""
            )
            check(step, ok)

        def default(subnet: str) -> dict | None:
            return next(
                (r for r in self.routes(subnet) if r.get("DestinationCidrBlock") == "0.0.0.0/0"),
                None,
            )

        check("instance state", a["State"]["Name"] == "running")
        check("security group egress", sg_allows(self.groups(a), False, proto, port, None, []))
        acl(asub, True, None, False)
        r = default(asub)
        if not check("route table", r is not None, stop=True):
            return self._result(checks, stopped)
        tgw = _target(r)
        if not tgw.startswith("tgw-"):
            check("next hop", None, stop=True)
            return self._result(checks, stopped)
        a_att = self.vpc_att(tgw, a["VpcId"])
        in_sub = self.att_subnet(a_att, self.az(asub)) if a_att else None
        if a_att is None or not check("transit gateway AZ", in_sub is not None, stop=True):
            return self._result(checks, stopped)
        if in_sub != asub:
            acl(in_sub, False, ai, False)
        rtb = self.assoc.get(a_att["TransitGatewayAttachmentId"])
        if not check("transit gateway route table", rtb is not None, stop=True):
            return self._result(checks, stopped)
        tr = next(
            (
                x
                for x in self.x["TransitGatewayRoutes"].get(rtb, [])
                if x["DestinationCidrBlock"] == "0.0.0.0/0"
            ),
            None,
        )
        if not check(
            "transit gateway route table", tr is not None and tr["State"] != "blackhole", True
        ):
            return self._result(checks, stopped)
        e_att = self.att[tr["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"]]
        check("transit gateway attachment", True)
        out = self.att_subnet(e_att, self.az(asub)) or e_att["SubnetIds"][0]
        r = default(out)
        if not check("route table (egress VPC)", r is not None, stop=True):
            return self._result(checks, stopped)
        nat_id = _target(r)
        if not nat_id.startswith("nat-"):
            ok = None if not nat_id.startswith("igw-") else False
            check("route table (egress VPC)" if ok is False else "next hop", ok, stop=True)
            return self._result(checks, stopped)
        acl(out, True, None, False)
        nat = next(n for n in self.d["NatGateways"] if n["NatGatewayId"] == nat_id)
        check("NAT gateway", True)
        ns = nat["SubnetId"]
        if ns != out:
            acl(ns, False, ai, False)
        r = default(ns)
        igw = _target(r) if r else ""
        if not check("NAT gateway's route table", igw.startswith("igw-"), stop=True):
            return self._result(checks, stopped)
        check("internet gateway", True)
        acl(ns, True, None, False)
        acl(ns, False, None, True)
        if ns != out:
            acl(ns, True, ai, True)
        r = _lpm(self.routes(ns), ai)
        t = _target(r) if r else ""
        if t != tgw:
            ok = False if (r is None or t.startswith(("igw-", "nat-"))) else None
            check("route table (reply)", ok, stop=True)
            return self._result(checks, stopped)
        check("route table (reply)", True)
        back = self.att_subnet(e_att, self.az(ns))
        if not check("transit gateway AZ (reply)", back is not None, stop=True):
            return self._result(checks, stopped)
        if back != ns:
            acl(back, False, None, True)
        rtb = self.assoc.get(e_att["TransitGatewayAttachmentId"])
        if not check("transit gateway route table (reply)", rtb is not None, stop=True):
            return self._result(checks, stopped)
        r = self.tgw_route(rtb, ai)
        ok = r is not None and r["State"] != "blackhole"
        if not check("transit gateway route table (reply)", ok, stop=True):
            return self._result(checks, stopped)
        if (
            r["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"]
            != a_att["TransitGatewayAttachmentId"]
        ):
            check("transit gateway route table (reply)", None, stop=True)
            return self._result(checks, stopped)
        if in_sub != asub:
            acl(in_sub, True, ai, True)
        acl(asub, False, None, True)
        return self._result(checks, stopped)

    @staticmethod
    def _result(checks: list[tuple[str, str]], stopped: bool) -> tuple[str, str | None]:
        first = next((s for s, o in checks if o == FAIL), None)
        if first is not None:
            return "not reachable", first
        if any(o == UNKNOWN for _, o in checks):
            return "unknown", None
        return "reachable", None
