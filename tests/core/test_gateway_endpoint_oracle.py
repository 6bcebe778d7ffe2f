"""The ``gateway_endpoint`` producer against its former, table-by-table self.

Oracle: the producer as it was before it found a VPC's private tables once and asked the sieve
once per endpoint (kept below, unchanged but for its name). Over generated VPCs (endpoints that
list some tables, prefix-list routes to them, other routes to them, several endpoints per VPC,
public and private subnets) the new producer must give the same facts in the same order, with
and without the engine's sieve.
"""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.engine.diagnose import default_engine
from assistant.engine.facts._base import Fact, Sieve
from assistant.engine.facts.network import _Lpm, gateway_endpoint_facts
from assistant.sources.builder import Builder
from assistant.topology import PRIVATE, Topology


def old_gateway_endpoint(topo: Topology, sieve: Sieve | None = None) -> Iterator[Fact]:
    """Gateway endpoints and the private route tables of their VPC that lack their route
    (with a ``sieve``, only those some rule could match)."""
    for ep in sorted(topo.snapshot.VpcEndpoints, key=lambda e: e.VpcEndpointId):
        if ep.VpcEndpointType != "Gateway" or (ep.State or "available").lower() != "available":
            continue
        vpc = ep.VpcId or ""
        listed = set(ep.RouteTableIds)
        for t, subnets in sorted(_Lpm.of(topo).tables(topo, vpc).items()):
            if not any(topo.role(s) == PRIVATE for s in subnets):
                continue
            has_route = t in listed
            if not has_route:
                rt = topo.route_tables[t]
                pl = next(
                    (r.DestinationPrefixListId for r in rt.Routes if r.target == ep.VpcEndpointId),
                    None,
                )
                has_route = pl is not None
            if sieve is not None and not sieve.could(
                "gateway_endpoint",
                rid=f"{ep.VpcEndpointId}:{t}",
                vpce_id=ep.VpcEndpointId,
                service=ep.ServiceName,
                vpc_id=vpc,
                route_table_id=t,
                has_route=has_route,
            ):
                continue
            yield {
                "rid": f"{ep.VpcEndpointId}:{t}",
                "vpce_id": ep.VpcEndpointId,
                "service": ep.ServiceName,
                "vpc_id": vpc,
                "route_table_id": t,
                "subnets": subnets,
                "has_route": has_route,
                "default_target": (topo.views[subnets[0]].default_target if subnets else ""),
            }


@st.composite
def regions(draw: st.DrawFn) -> Builder:
    """1-3 VPCs, each with tables used by public or private subnets and 0-3 endpoints."""
    b = Builder(seed=f"endpoints-{draw(st.integers(0, 10**6))}")
    for v in range(draw(st.integers(1, 3))):
        vpc = b.vpc(f"10.{v}.0.0/16", name=f"vpc{v}")
        igw = b.igw(vpc)
        tables = [b.main_route_table(vpc)] + [
            b.route_table(vpc) for _ in range(draw(st.integers(0, 3)))
        ]
        for rt in tables:
            default = draw(st.sampled_from([igw, "nat-0aa", None]))
            if default:
                b.route(rt, "0.0.0.0/0", default)
        for k in range(draw(st.integers(1, 5))):
            s = b.subnet(vpc, f"10.{v}.{k}.0/24", "ab"[k % 2])
            if draw(st.booleans()):
                b.associate(draw(st.sampled_from(tables)), s)
        for _ in range(draw(st.integers(0, 3))):
            listed = draw(st.lists(st.sampled_from(tables), max_size=3, unique=True))
            service = draw(st.sampled_from(["s3", "dynamodb"]))
            kind = draw(st.sampled_from(["Gateway", "Gateway", "Interface"]))
            ep = b.endpoint(vpc, service, listed, kind=kind)
            for rt in draw(st.lists(st.sampled_from(tables), max_size=3)):
                # a route to the endpoint: by its prefix list, or (as some emulators write
                # it) by a range; a table may hold both, in either order
                dest = draw(st.sampled_from(["pl-63a5400a", "pl-02cd2c6b", "10.99.0.0/16"]))
                b.route(rt, dest, ep)
    return b


SIEVE = default_engine().sieve()


@settings(derandomize=True, max_examples=150, deadline=None)
@given(regions())
def test_same_facts_as_table_by_table(b: Builder):
    topo = Topology(b.snapshot())
    assert list(gateway_endpoint_facts(topo)) == list(old_gateway_endpoint(topo))
    assert list(gateway_endpoint_facts(topo, sieve=SIEVE)) == list(
        old_gateway_endpoint(topo, sieve=SIEVE)
    )


def test_the_oracle_is_not_vacuous():
    """The examples hold facts with and without the route, and facts the sieve keeps."""
    seen = {"with": 0, "without": 0, "kept": 0}

    @settings(derandomize=True, max_examples=150, deadline=None)
    @given(regions())
    def count(b: Builder):
        topo = Topology(b.snapshot())
        for f in old_gateway_endpoint(topo):
            seen["with" if f["has_route"] else "without"] += 1
        seen["kept"] += len(list(old_gateway_endpoint(topo, sieve=SIEVE)))

    count()
    assert all(seen.values()), seen
