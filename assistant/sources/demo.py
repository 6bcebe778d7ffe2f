"""The bundled demo: a realistic shop VPC with four planted mistakes.

The classic layout (internet-facing ALB in public subnets, app servers in private subnets, a NAT
gateway per AZ), built with these mistakes:

1. The NAT gateway for AZ b was created in the private app subnet of AZ b, so private-app-b has
   no internet access (``nat.in-private-subnet``).
2. A worker subnet meant to be private is associated with the public route table, and its
   instances have no public IP (``egress.igw-route-without-public-ip``).
3. An app server in a private subnet got a public IP (``exposure.public-ip-in-private-subnet``).
4. An admin host in a public subnet has SSH open to the world (``exposure.sg-open-admin-port``).

The files in ``assistant/data/demo/`` are the AWS CLI outputs of this VPC;
``python -m assistant.sources.demo`` writes them again.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from assistant.models.snapshot import Snapshot
from assistant.sources.builder import Builder

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
REGION = "us-east-1"


def build() -> Builder:
    """Build the demo VPC from scratch."""
    b = Builder(region=REGION, seed="demo-shop")
    vpc = b.vpc("10.20.0.0/16", name="shop-prod")
    igw = b.igw(vpc, name="shop-prod-igw")
    pub_rt = b.route_table(vpc, name="shop-public-rt")
    b.route(pub_rt, "0.0.0.0/0", igw)
    alb_sg = b.security_group(
        vpc,
        "shop-alb-sg",
        "ALB: HTTPS and HTTP from the internet",
        ingress=[b.perm(443, "0.0.0.0/0"), b.perm(80, "0.0.0.0/0")],
    )
    app_sg = b.security_group(
        vpc,
        "shop-app-sg",
        "App servers: 8080 from the ALB only",
        ingress=[b.perm(8080, group=alb_sg)],
    )
    admin_sg = b.security_group(
        vpc, "shop-admin-sg", "Admin host", ingress=[b.perm(22, "0.0.0.0/0")]
    )
    worker_sg = b.security_group(vpc, "shop-worker-sg", "Batch workers: no inbound")

    pub_a = b.subnet(vpc, "10.20.0.0/20", "a", name="shop-public-a", map_public_ip=True)
    pub_b = b.subnet(vpc, "10.20.16.0/20", "b", name="shop-public-b", map_public_ip=True)
    for s in (pub_a, pub_b):
        b.associate(pub_rt, s)
    app_a = b.subnet(vpc, "10.20.32.0/20", "a", name="shop-private-app-a")
    app_b = b.subnet(vpc, "10.20.48.0/20", "b", name="shop-private-app-b")
    worker_b = b.subnet(vpc, "10.20.64.0/20", "b", name="shop-private-worker-b")

    nat_a = b.nat(pub_a, name="shop-nat-a")
    nat_b = b.nat(app_b, name="shop-nat-b")  # mistake 1: in the private subnet
    rt_a = b.route_table(vpc, name="shop-private-rt-a")
    b.route(rt_a, "0.0.0.0/0", nat_a)
    b.associate(rt_a, app_a)
    rt_b = b.route_table(vpc, name="shop-private-rt-b")
    b.route(rt_b, "0.0.0.0/0", nat_b)
    b.associate(rt_b, app_b)
    b.associate(pub_rt, worker_b)  # mistake 2: a private subnet on the public route table

    apps = [
        b.instance(app_a, [app_sg], name="shop-app-a1", Role="app"),
        b.instance(
            app_a, [app_sg], name="shop-app-a2", Role="app", public_ip=True
        ),  # mistake 3: public IP in a private subnet
        b.instance(app_b, [app_sg], name="shop-app-b1", Role="app"),
        b.instance(app_b, [app_sg], name="shop-app-b2", Role="app"),
    ]
    b.instance(worker_b, [worker_sg], name="shop-worker-b1", Role="worker")
    b.instance(worker_b, [worker_sg], name="shop-worker-b2", Role="worker")
    b.instance(
        pub_a, [admin_sg], name="shop-admin", public_ip=True, Role="admin"
    )  # mistake 4: SSH open to the world

    b.endpoint(vpc, "s3", [rt_a, rt_b])
    b.flow_log(vpc)
    lb = b.load_balancer("shop-alb", [pub_a, pub_b], [alb_sg])
    tg = b.target_group("shop-app-tg", vpc, 8080, apps, lb_arn=lb)
    b.listener(lb, 443, "HTTPS", tg)
    b.listener(lb, 80, "HTTP", redirect_https=True)
    return b


def demo_snapshot() -> Snapshot:
    """The demo VPC, read from the bundled AWS CLI output files."""
    from assistant.sources.files import load_snapshot

    snap = load_snapshot(DEMO_DIR)
    snap.source = "demo"
    return snap


def write(directory: Path = DEMO_DIR) -> None:
    """Write the demo's AWS CLI output files."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.json"):
        old.unlink()
    for name, data in build().cli_files().items():
        (directory / name).write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    write()
    print(f"wrote {DEMO_DIR}")
