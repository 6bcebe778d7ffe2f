"""Speed of an organisation-wide read: 20 accounts x 2 regions against 1 account x 1 region.

A moto server (its own process, as AWS is not in ours) holds an organisation: the management
account and 19 members, each with, in each region, moto's default VPC and one more VPC
(``--subnets`` subnets, an internet gateway, a route table, an instance). The single read is
`collect` of the management account in one region (what `vpc-helper scan` does); the
organisation read is `scan --accounts all --role-name ...` over both regions (assume the role,
read every account and region). Runs are interleaved; the median of ``--repeat`` is printed
with its ratio, the HTTP requests, and the CPU seconds of this process and of the server.

moto answers on localhost in about a millisecond, so both reads there are bound by CPU (the
collector's parsing, moto's work): on 2 cores the ratio is close to the ratio of the work.
AWS answers in tens of milliseconds, so a read is bound by waiting: ``--latency-ms`` puts a
proxy (a third process) in front of moto that holds each request that long, and the figures
are printed for each latency given.

    python bench/org_bench.py [--repeat 3] [--latency-ms 0 50] [--members 19] [--subnets 4]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROLE = "OrgAudit"
REGIONS = ("us-east-1", "eu-west-1")
AMI = "ami-12c6146b"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=2).read()
            return
        except urllib.error.HTTPError:  # an answer (the proxy serves POST only): it is up
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"no server at {url}")


def _cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far."""
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def serve_proxy(port: int, upstream: str, latency: float) -> None:
    """Forward every request to ``upstream`` after ``latency`` seconds (AWS's round trip)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(latency)
            keep = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
            req = urllib.request.Request(upstream + self.path, body, keep, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    status, data, ctype = r.status, r.read(), r.headers.get("Content-Type")
            except urllib.error.HTTPError as e:
                status, data, ctype = e.code, e.read(), e.headers.get("Content-Type")
            self.send_response(status)
            self.send_header("Content-Type", ctype or "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def build(members: int, subnets: int) -> list[str]:
    """The organisation; returns the member account ids."""
    import boto3

    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = [
        org.create_account(Email=f"m{i}@example.com", AccountName=f"member-{i}")[
            "CreateAccountStatus"
        ]["AccountId"]
        for i in range(members)
    ]
    sts = boto3.client("sts")
    for acct in ["123456789012", *ids]:
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{acct}:role/{ROLE}", RoleSessionName="build")
        c = creds["Credentials"]
        for region in REGIONS:
            ec2 = boto3.client(
                "ec2",
                region_name=region,
                aws_access_key_id=c["AccessKeyId"],
                aws_secret_access_key=c["SecretAccessKey"],
                aws_session_token=c["SessionToken"],
            )
            vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
            rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
            ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
            first = None
            for k in range(subnets):
                sid = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.8.{k}.0/24")["Subnet"]
                ec2.associate_route_table(RouteTableId=rt, SubnetId=sid["SubnetId"])
                first = first or sid["SubnetId"]
            if first:
                ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=first)
    return ids


def read_one(endpoint: str) -> tuple[int, int]:
    """The management account in one region: (requests, VPCs)."""
    import boto3

    from assistant.sources.live import collect

    count = [0]
    session = boto3.Session()
    session.events.register("before-send", lambda **_: count.__setitem__(0, count[0] + 1))
    snap = collect(regions=[REGIONS[0]], endpoint_url=endpoint, session=session)
    return count[0], len(snap.Vpcs)


def read_org(endpoint: str) -> tuple[int, int]:
    """Every account, both regions: (requests, VPCs)."""
    from assistant.sources.org import Tally, collect_accounts

    tally = Tally()
    snap = collect_accounts(
        "all", ROLE, regions=list(REGIONS), endpoint_url=endpoint, show_progress=False, tally=tally
    )
    assert all(a.status == "read" for a in snap.accounts), "an account was not read"
    return tally.requests, len(snap.Vpcs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each read (median shown)")
    ap.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 50.0])
    ap.add_argument("--members", type=int, default=19, help="member accounts (and the manager)")
    ap.add_argument("--subnets", type=int, default=4, help="subnets of the VPC in each region")
    ap.add_argument("--serve-proxy", nargs=3, metavar=("PORT", "UPSTREAM", "LATENCY"))
    args = ap.parse_args()
    if args.serve_proxy:
        port, upstream, latency = args.serve_proxy
        serve_proxy(int(port), upstream, float(latency))
        return 0
    for k in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[k]
    env = dict(os.environ, MOTO_EC2_LOAD_DEFAULT_AMIS="false")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    procs = [server]
    try:
        _wait(url)
        os.environ.update(
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION=REGIONS[0],
            AWS_ENDPOINT_URL=url,
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        )
        t = time.perf_counter()
        build(args.members, args.subnets)
        print(
            f"moto server {url} (own process); {args.members + 1} accounts x {len(REGIONS)} "
            f"regions built in {time.perf_counter() - t:.1f} s; median of {args.repeat}; "
            f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        print(
            f"{'latency':>8} {'read':<24}{'wall s':>8}{'requests':>10}{'VPCs':>6}"
            f"{'our CPU s':>11}{'server CPU s':>14}"
        )
        for latency in args.latency_ms:
            endpoint = url
            if latency:
                pport = _free_port()
                cmd = [sys.executable, __file__, "--serve-proxy", str(pport), url]
                procs.append(subprocess.Popen([*cmd, str(latency / 1000)]))
                endpoint = f"http://127.0.0.1:{pport}"
                _wait(endpoint)
            many = f"{args.members + 1} accounts x {len(REGIONS)} regions"
            reads = {"1 account x 1 region": read_one, many: read_org}
            runs: dict[str, list[tuple[float, int, int, float, float]]] = {k: [] for k in reads}
            read_one(endpoint)  # warm: imports, service models
            for _ in range(args.repeat):
                for name, fn in reads.items():
                    c0, s0, t0 = time.process_time(), _cpu(server.pid), time.perf_counter()
                    requests, vpcs = fn(endpoint)
                    wall = time.perf_counter() - t0
                    runs[name].append(
                        (wall, requests, vpcs, time.process_time() - c0, _cpu(server.pid) - s0)
                    )
            walls = {}
            for name, rs in runs.items():
                wall = statistics.median(r[0] for r in rs)
                walls[name] = wall
                r = sorted(rs)[len(rs) // 2]
                print(
                    f"{latency:>6.0f}ms {name:<24}{wall:>8.2f}{r[1]:>10}{r[2]:>6}"
                    f"{r[3]:>11.2f}{r[4]:>14.2f}"
                )
            one, org = walls.values()
            print(f"{'':>9}ratio {org / one:.2f} x (target <= 4 x)", flush=True)
    finally:
        for p in procs:
            p.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
