"""Monthly cost of a plan, from the prices kept as data in prices.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PRICES_FILE = Path(__file__).with_name("prices.toml")


@dataclass(frozen=True)
class Prices:
    """Unit prices with the region and date they were read for."""

    region: str
    date: str
    currency: str
    source: str
    hours_per_month: float
    nat_gateway_hour: float
    nat_gateway_gb: float
    public_ipv4_hour: float
    inter_az_gb: float
    alb_hour: float
    alb_lcu_hour: float
    gateway_endpoint_hour: float
    internet_gateway_hour: float

    def monthly(self, hourly: float, count: int = 1) -> float:
        return hourly * self.hours_per_month * count


@cache
def load_prices(path: Path = PRICES_FILE) -> Prices:
    """Read the price table (cached)."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return Prices(**{k: data[k] for k in Prices.__dataclass_fields__})


@dataclass
class CostLine:
    """One line of the monthly estimate."""

    item: str
    count: int
    monthly: float
    note: str = ""


def money(x: float) -> str:
    return f"${x:,.2f}"


def nat_monthly(nat_count: int, traffic_gb: int, prices: Prices | None = None) -> float:
    """Hours plus processing for ``nat_count`` NAT gateways and their Elastic IPs."""
    p = prices or load_prices()
    if nat_count == 0:
        return 0.0
    return (
        p.monthly(p.nat_gateway_hour, nat_count)
        + p.monthly(p.public_ipv4_hour, nat_count)
        + p.nat_gateway_gb * traffic_gb
    )


def estimate(
    nat_count: int,
    az_count: int,
    alb: bool,
    s3_endpoint: bool,
    traffic_gb: int,
    single_nat: bool,
    prices: Prices | None = None,
) -> list[CostLine]:
    """The monthly cost lines of a plan (what is free is listed too, at $0)."""
    p = prices or load_prices()
    lines: list[CostLine] = []
    if nat_count:
        lines.append(
            CostLine(
                "NAT gateway hours",
                nat_count,
                p.monthly(p.nat_gateway_hour, nat_count),
                f"{nat_count} x ${p.nat_gateway_hour}/hour x {p.hours_per_month:g} hours",
            )
        )
        lines.append(
            CostLine(
                "NAT gateway data processing",
                traffic_gb,
                p.nat_gateway_gb * traffic_gb,
                f"${p.nat_gateway_gb}/GB, estimated at {traffic_gb} GB a month"
                + (" (S3 traffic goes through the free endpoint instead)" if s3_endpoint else ""),
            )
        )
        if single_nat and az_count > 1:
            share = traffic_gb * (az_count - 1) / az_count
            lines.append(
                CostLine(
                    "Cross-AZ traffic to the shared NAT gateway",
                    round(share),
                    p.inter_az_gb * 2 * share,
                    f"${p.inter_az_gb}/GB each way for the {az_count - 1} AZ(s) without a NAT",
                )
            )
    ips = nat_count + (az_count if alb else 0)
    if ips:
        what = []
        if nat_count:
            what.append(f"{nat_count} NAT Elastic IP(s)")
        if alb:
            what.append(f"{az_count} ALB node address(es)")
        lines.append(
            CostLine(
                "Public IPv4 addresses",
                ips,
                p.monthly(p.public_ipv4_hour, ips),
                f"{' + '.join(what)} x ${p.public_ipv4_hour}/hour",
            )
        )
    if alb:
        lines.append(
            CostLine(
                "Application Load Balancer hours",
                1,
                p.monthly(p.alb_hour),
                f"${p.alb_hour}/hour",
            )
        )
        lines.append(
            CostLine(
                "Application Load Balancer capacity (LCU)",
                1,
                p.monthly(p.alb_lcu_hour),
                f"${p.alb_lcu_hour}/LCU-hour, 1 LCU assumed; grows with traffic",
            )
        )
    if s3_endpoint:
        lines.append(CostLine("S3 gateway endpoint", 1, 0.0, "free"))
    lines.append(CostLine("VPC, subnets, route tables, internet gateways", 1, 0.0, "free"))
    return lines
