"""Path questions in plain words ("can shop-app-b1 reach the internet on 443?") and the
helpers the chat uses to answer them with the path trace. No UI code here."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.models.snapshot import Instance, Snapshot
    from assistant.trace.endpoints import Endpoint, Resolver
    from assistant.trace.model import Trace

INTERNET = "internet"
DEFAULT_PORT = 443
SERVICES = {
    "ssh": 22,
    "http": 80,
    "https": 443,
    "tls": 443,
    "rdp": 3389,
    "mysql": 3306,
    "postgres": 5432,
    "postgresql": 5432,
    "redis": 6379,
    "dns": 53,
}
_OUTSIDE = {
    "internet",
    "the internet",
    "users",
    "my users",
    "the users",
    "customers",
    "anyone",
    "anybody",
    "everyone",
    "the public",
    "the world",
    "outside",
}
_PORT = re.compile(
    r"(?:\s+(?:(?:on|over|via|at|using|through|with)\s+)?(?:port\s*|(?P<p1>tcp|udp)\s*/?\s*)?|:)"
    r"(?P<port>\d{1,5})(?:\s*/\s*(?P<p2>tcp|udp))?$"
)
_SERVICE = re.compile(
    r"\s*(?:on|over|via|using|with)\s+(?:port\s+)?(?P<svc>" + "|".join(SERVICES) + r")\s*$"
)
_FORMS = [  # (pattern, which group is the source)
    (
        re.compile(
            r"^(?:can|could|does|do|will|is)\s+(?P<a>.+?)\s+(?:able to\s+)?"
            r"(?:reach|access|connect to|talk to|get to|hit|ping)\s+(?P<b>.+)$"
        ),
        "a",
    ),
    (re.compile(r"^(?:is|are)\s+(?P<b>.+?)\s+(?:reachable|accessible)\s+from\s+(?P<a>.+)$"), "a"),
    (
        re.compile(
            r"^(?:can|could)\s+(?P<b>.+?)\s+be\s+(?:reached|accessed)\s+from\s+"
            r"(?P<a>.+)$"
        ),
        "a",
    ),
    (re.compile(r"^(?:trace|path)\s+(?:from\s+)?(?P<a>.+?)\s+to\s+(?P<b>.+)$"), "a"),
]


@dataclass(frozen=True)
class PathQuestion:
    """What the user asked: endpoint texts (``internet`` for outside), port or None, protocol."""

    source: str
    destination: str
    port: int | None
    protocol: str = "tcp"


def _term(text: str) -> str:
    t = text.strip().strip("\"'`").strip()
    low = t.lower()
    if low in _OUTSIDE or low.endswith(" internet"):
        return INTERNET
    for prefix in (
        "the instance ",
        "instance ",
        "the load balancer ",
        "load balancer ",
        "the alb ",
        "the nlb ",
        "my ",
        "the ",
    ):
        if low.startswith(prefix):
            t, low = t[len(prefix) :].strip(), low[len(prefix) :].strip()
    for suffix in (" instance", " load balancer", " server"):
        if low.endswith(suffix) and len(low) > len(suffix):
            t = t[: -len(suffix)].strip()
            low = low[: -len(suffix)].strip()
    return INTERNET if low in _OUTSIDE else t


def parse_path_question(text: str) -> PathQuestion | None:
    """The path question in ``text``, or None when it is not one.

    Understands "can A reach B [on [port] N]", "is B reachable from A [on port N]", "can B be
    reached from A", "trace A to B", with ids, Name tags, load balancer names and "the
    internet" / "users"; ports as numbers, "port N", "tcp/N", "N/udp" or ssh/http/https/...
    """
    t = " ".join(text.strip().rstrip("?!. ").split())
    if not t:
        return None
    port: int | None = None
    proto = "tcp"
    m = _PORT.search(t.lower())
    if m:
        port = int(m.group("port"))
        proto = m.group("p1") or m.group("p2") or "tcp"
        t = t[: m.start()]
    if port is None:
        s = _SERVICE.search(t.lower())
        if s:
            port = SERVICES[s.group("svc")]
            t = t[: s.start()]
    t = t.strip().rstrip(",")
    low = t.lower()
    for pattern, _src in _FORMS:
        m2 = pattern.match(low)
        if m2:
            a = t[m2.start("a") : m2.end("a")]
            b = t[m2.start("b") : m2.end("b")]
            src, dst = _term(a), _term(b)
            if not src or not dst:
                return None
            return PathQuestion(src, dst, port, proto)
    return None


def endpoint_names(snapshot: Snapshot) -> list[str]:
    """Every name a user may give for an endpoint: instance ids and Name tags, load balancer
    names, ``internet``."""
    out = [INTERNET]
    for i in snapshot.Instances:
        if i.State.Name == "terminated":
            continue
        out.append(i.InstanceId)
        if i.name:
            out.append(i.name)
    out += [lb.LoadBalancerName for lb in snapshot.LoadBalancers]
    return list(dict.fromkeys(out))


def close_matches(text: str, snapshot: Snapshot, n: int = 5, lbs: bool = True) -> list[str]:
    """Endpoint names like ``text`` (spelling slips, a prefix of an id or name); ``lbs``:
    load balancer names too (not for where traffic starts)."""
    names = endpoint_names(snapshot)
    if not lbs:
        skip = {lb.LoadBalancerName for lb in snapshot.LoadBalancers}
        names = [x for x in names if x not in skip]
    low = text.lower()
    starts = [x for x in names if low and (x.lower().startswith(low) or low in x.lower())]
    fuzzy = difflib.get_close_matches(text, names, n=n, cutoff=0.5)
    return list(dict.fromkeys(starts + fuzzy))[:n]


def question_text(source: str, destination: str, port: int | None) -> str:
    """A path question in the words the parser reads (for suggested corrections)."""
    src = "the internet" if source == INTERNET else source
    dst = "the internet" if destination == INTERNET else destination
    return f"can {src} reach {dst}" + (f" on {port}" if port else "") + "?"


def path_instances(
    snapshot: Snapshot, private_only: bool = False, per_subnet: bool = False
) -> list[Instance]:
    """Instances that can be traced (not terminated), by Name; ``private_only``: those without
    a public address; ``per_subnet``: the first of each subnet."""
    out, seen = [], set()
    for i in sorted(snapshot.Instances, key=lambda i: (i.name or "~", i.InstanceId)):
        if i.State.Name == "terminated" or (private_only and i.public_ips):
            continue
        if per_subnet and i.SubnetId in seen:
            continue
        seen.add(i.SubnetId)
        out.append(i)
    return out


def endpoint_choices(snapshot: Snapshot, lbs: bool) -> list[tuple[str, str]]:
    """(key, label) for picking an end: instances by Name, load balancers, the internet."""
    from assistant.topology import Topology

    topo = Topology(snapshot)
    out = [(INTERNET, "the internet")]
    if lbs:
        out += [
            (lb.LoadBalancerName, f"{lb.LoadBalancerName} ({lb.Type} load balancer, {lb.Scheme})")
            for lb in sorted(snapshot.LoadBalancers, key=lambda x: x.LoadBalancerName)
        ]
    for i in path_instances(snapshot)[:12]:
        role = topo.role(i.SubnetId) if i.SubnetId else "unknown"
        where = f"{role} subnet" if role != "unknown" else "subnet unknown"
        label = f"{i.name} ({i.InstanceId}, {where})" if i.name else f"{i.InstanceId} ({where})"
        out.append((i.InstanceId, label))
    return out


def port_choices(destination: Endpoint, snapshot: Snapshot) -> list[tuple[str, str]]:
    """(port, label): the load balancer's listener ports first, then common ones."""
    names = {22: "SSH", 80: "HTTP", 443: "HTTPS", 3306: "MySQL", 5432: "PostgreSQL"}
    ports: list[int] = []
    if destination.lb is not None:
        arn = destination.lb.LoadBalancerArn
        ports += sorted(x.Port for x in snapshot.Listeners if x.LoadBalancerArn == arn and x.Port)
    ports += [443, 80, 22, 5432, 3306]
    return [(str(p), f"{p} ({names[p]})" if p in names else str(p)) for p in dict.fromkeys(ports)]


def answers_source(snapshot: Snapshot, resolver: Resolver | None = None) -> Endpoint | None:
    """Where a path starts in a scenario built from answers: the instance when the answers
    describe one, else an address in the instances' subnet; None when the answers do not say
    where the subnet's traffic goes (no route table), so a path would mean nothing."""
    import ipaddress

    from assistant.trace.endpoints import Resolver

    if not snapshot.has("RouteTables") or not snapshot.Subnets:
        return None
    if resolver is None:
        resolver = Resolver(snapshot)
    insts = path_instances(snapshot)
    if insts:
        return resolver.instance(insts[0])
    sub = next((s for s in snapshot.Subnets if s.name == "private-app"), snapshot.Subnets[0])
    net = ipaddress.ip_network(sub.CidrBlock)
    ep = resolver.address(str(net.network_address + 10))
    ep.label = f"{ep.ip} (an address in {sub.SubnetId}, your instances' subnet)"
    return ep


def answers_path(
    symptom: str, snapshot: Snapshot, resolver: Resolver | None = None
) -> tuple[Endpoint, Endpoint, str] | None:
    """The path a scenario built from answers is about, as (source, destination, choice
    label): egress, the instance (or its subnet) to the internet; ingress, the internet to the
    load balancer or instance. None when the answers do not make a path meaningful."""
    from assistant.trace.endpoints import Resolver

    if resolver is None:
        resolver = Resolver(snapshot)
    if symptom == "egress":
        src = answers_source(snapshot, resolver)
        if src is None:
            return None
        return src, resolver.resolve(INTERNET), "Show the path from your instance to the internet"
    if symptom == "ingress" and snapshot.has("RouteTables"):
        outside = resolver.resolve(INTERNET)
        if snapshot.LoadBalancers:
            lb = resolver.load_balancer(snapshot.LoadBalancers[0])
            return outside, lb, "Show the path from the internet to your load balancer"
        insts = path_instances(snapshot)
        if insts:
            inst = resolver.instance(insts[0])
            return outside, inst, "Show the path from the internet to your instance"
    return None


def made_up_addresses(snapshot: Snapshot) -> set[str]:
    """Public addresses in a scenario built from answers (invented, never the user's)."""
    out = {a.PublicIp for n in snapshot.NatGateways for a in n.NatGatewayAddresses if a.PublicIp}
    out |= {a.PublicIp for a in snapshot.Addresses if a.PublicIp}
    for i in snapshot.Instances:
        out |= set(i.public_ips)
    return out


def trace_summary(t: Trace, assumed: str | None = None) -> str:
    """The answer in one or two sentences (the hops follow in the turn's trace)."""
    from assistant.trace.model import NOT_REACHABLE, REACHABLE

    q = f"Can {t.source.label} reach {t.destination.label} on {t.protocol}/{t.port}?"
    if t.verdict == REACHABLE:
        a = "Yes: every hop lets it through, and the reply back."
        if t.fixes:
            rules = ", ".join(dict.fromkeys(f.rule for f in t.fixes))
            a += f" The scan flags this path ({rules}): see below."
    elif t.verdict == NOT_REACHABLE:
        first = t.blocked[0]
        a = f"No: it is blocked at the {first.step} ({first.where.split(' ')[0]})."
        if t.fixes:
            a += " The fix is below (" + ", ".join(dict.fromkeys(f.rule for f in t.fixes)) + ")."
    else:
        n = len(t.unknown)
        a = (
            f"I can't tell: nothing blocks it, but {n} hop(s) depend on configuration I don't "
            "have (marked ?)."
        )
    return "\n".join(x for x in (q, a, assumed) if x)


def _hop_ids(t: Trace) -> set[str]:
    out: set[str] = set()
    for h in t.hops:
        out.update(h.resources)
        if h.where:
            out.add(h.where.split(" ")[0])
        out.update(re.findall(r"\b(?:subnet|rtb|nat|igw|acl|sg|eni|i|vpc)-[0-9a-z]+\b", h.detail))
    for ep in (t.source, t.destination):
        out.update(x for x in (ep.id, ep.subnet_id, ep.vpc_id) if x)
    return out


def symptom_path_resources(symptom: str, tracer) -> set[str]:  # noqa: ANN001
    """The resource ids a symptom's own path passes through, traced with the public API.

    Egress: from each private subnet (one instance each) to the internet on 443. Ingress: from
    the internet to each load balancer on 443 (or to public instances). Others: nothing.
    """
    snap = tracer.snapshot
    resolve = tracer.resolver.resolve
    pairs: list[tuple[str, str]] = []
    if symptom == "egress":
        pairs = [(i.InstanceId, INTERNET) for i in path_instances(snap, True, True)[:6]]
    elif symptom == "ingress":
        pairs = [(INTERNET, lb.LoadBalancerName) for lb in snap.LoadBalancers[:6]]
        if not pairs:
            pairs = [(INTERNET, i.InstanceId) for i in path_instances(snap) if i.public_ips][:6]
    out: set[str] = set()
    for a, b in pairs:
        t = tracer.trace_endpoints(resolve(a), resolve(b), DEFAULT_PORT, "6")
        out |= _hop_ids(t)
    return out


_WHY = re.compile(
    r"^(?:why|how come)\s+(?:can't|cannot|can not|doesn't|does not|won't|isn't|is not|"
    r"couldn't|can)\s+(?P<rest>.+)$",
    re.I,
)
_EXPOSED_PORT = re.compile(
    r"\bport\s*(?P<port>\d{1,5})\b.*\b(?:open|exposed|reachable|accessible)\b"
    r"|\b(?:open|exposed)\b.*\bport\s*(?P<port2>\d{1,5})\b",
    re.I,
)
_KEYWORDS = (  # (symptom, words that point to it), checked in this order
    ("setup", ("set up", "setup", "new vpc", "create a vpc", "design", "plan a")),
    ("exposure", ("exposed", "open to the world", "open to the internet", "ssh open", "secure")),
    (
        "egress",
        (
            "reach the internet",
            "apt",
            "docker pull",
            "pip install",
            "download",
            "outbound",
            "egress",
            "yum",
            "npm install",
            "internet access",
        ),
    ),
    ("ingress", ("users", "my app", "website", "site", "load balancer", "alb", "502", "503")),
    ("whole", ("whole", "everything", "audit", "check my vpc", "all of it")),
)


@dataclass(frozen=True)
class Opening:
    """What a question typed at the opening asks: the symptom, and a path to trace if any."""

    symptom: str
    path: PathQuestion | None = None
    port: int | None = None  # "is port 22 open to the world"


def understand_opening(text: str) -> Opening | None:
    """The symptom (and path) a typed opening question speaks of, or None when unclear.

    "why can't i-0abc reach the internet" -> egress, a path from i-0abc to the internet;
    "is port 22 open to the world" -> exposure; "can users reach my-alb" -> ingress, a path
    from the internet to my-alb.
    """
    t = " ".join(text.strip().rstrip("?!. ").split())
    if not t:
        return None
    m = _WHY.match(t)
    if m:
        rest = m.group("rest")
        rest = re.sub(r"^(.+?)\s+(?:reach|access|connect to|get to)\b", r"\1 reach", rest)
        t = f"can {rest}"
    e = _EXPOSED_PORT.search(t)
    if e and re.search(r"\b(world|internet|anyone|everyone|public)\b", t, re.I):
        return Opening("exposure", port=int(e.group("port") or e.group("port2")))
    pq = parse_path_question(t)
    if pq is not None:
        if pq.destination == INTERNET:
            return Opening("egress", pq)
        if pq.source == INTERNET:
            return Opening("ingress", pq)
        return Opening("ingress" if pq.port in (80, 443) else "whole", pq)
    low = t.lower()
    for symptom, words in _KEYWORDS:
        if any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", low) for w in words):
            return Opening(symptom)
    return None
