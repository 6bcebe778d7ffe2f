"""What a trace returns: the endpoints, every hop with its verdict, and the overall answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.models.finding import Finding

PASS, FAIL, UNKNOWN, INFO = "pass", "fail", "unknown", "info"
REACHABLE, NOT_REACHABLE, UNDECIDED = "reachable", "not reachable", "unknown"
FORWARD, RETURN = "forward", "return"


class Hop(BaseModel):
    """One step of the path and the configuration line that decides it."""

    step: str  # what is checked, e.g. "security group egress"
    status: str  # pass / fail / unknown / info
    where: str = ""  # the resource that decides (sg-..., acl-..., rtb-..., nat-..., igw-...)
    detail: str = ""  # the exact configuration line, or why it is unknown
    direction: str = FORWARD
    rule: str | None = None  # catalogue rule whose fix applies (only ids that exist)
    resources: list[str] = Field(default_factory=list)  # ids its rule's finding must all name


class EndpointInfo(BaseModel):
    """A resolved endpoint, as shown to the user."""

    kind: str  # internet, instance, eni, address, load-balancer
    id: str
    label: str
    vpc_id: str | None = None
    subnet_id: str | None = None
    private_ip: str | None = None
    public_ips: list[str] = Field(default_factory=list)


class Trace(BaseModel):
    """The answer to "can A reach B on this port", hop by hop."""

    source: EndpointInfo
    destination: EndpointInfo
    protocol: str
    port: int
    verdict: str = UNDECIDED
    hops: list[Hop] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    fixes: list[Finding] = Field(default_factory=list)

    @property
    def blocked(self) -> list[Hop]:
        return [h for h in self.hops if h.status == FAIL]

    @property
    def unknown(self) -> list[Hop]:
        return [h for h in self.hops if h.status == UNKNOWN]


def verdict_of(hops: list[Hop]) -> str:
    """fail anywhere: not reachable; otherwise unknown anywhere: unknown; else reachable."""
    if any(h.status == FAIL for h in hops):
        return NOT_REACHABLE
    if any(h.status == UNKNOWN for h in hops):
        return UNDECIDED
    return REACHABLE
