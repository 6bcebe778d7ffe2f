"""VPC endpoint hops. A gateway endpoint (S3, DynamoDB) is a route to a ``vpce-`` for the
service's prefix list, decided by longest prefix against the other routes; its policy is not in
the route data and is not evaluated. Interface endpoints are network interfaces with security
groups, traced as such."""

from __future__ import annotations

from assistant.models.snapshot import Route, VpcEndpoint
from assistant.trace.base import HopBase
from assistant.trace.endpoints import Endpoint
from assistant.trace.model import FAIL, PASS, UNKNOWN, Hop


class EndpointHops(HopBase):
    def _vpc_endpoint(self, vpce_id: str) -> VpcEndpoint | None:
        return next((e for e in self.snapshot.VpcEndpoints if e.VpcEndpointId == vpce_id), None)

    def _via_gateway_endpoint(
        self, src: Endpoint, dst: Endpoint, vpce_id: str, rt_id: str | None, via: Route
    ) -> list[Hop]:
        assert src.subnet_id
        dst_label = dst.label if dst.ip else "the internet"
        ep = self._vpc_endpoint(vpce_id)
        if ep is None:
            why = (
                "no describe-vpc-endpoints output in the snapshot"
                if not self.snapshot.has("VpcEndpoints")
                else f"{vpce_id} is not in the snapshot"
            )
            return [Hop(step="VPC endpoint", status=UNKNOWN, where=vpce_id, detail=why)]
        state = (ep.State or "available").lower()
        if state != "available":
            return [
                Hop(
                    step="VPC endpoint",
                    status=FAIL,
                    where=vpce_id,
                    detail=f"{vpce_id} ({ep.ServiceName}) is {state} (BAD_STATE)",
                    resources=[vpce_id],
                )
            ]
        if ep.VpcEndpointType != "Gateway":
            return [
                Hop(
                    step="VPC endpoint",
                    status=UNKNOWN,
                    where=vpce_id,
                    detail=f"{vpce_id} is a {ep.VpcEndpointType} endpoint used as a route "
                    "target (Gateway Load Balancer endpoint): what lies beyond is not followed",
                )
            ]
        return [
            Hop(
                step="VPC endpoint",
                status=PASS,
                where=vpce_id,
                detail=f"{dst_label} is in the prefix list of {ep.ServiceName}: delivered by "
                f"gateway endpoint {vpce_id} (its endpoint policy is not evaluated)",
                resources=[vpce_id],
            ),
            self._acl_reply(src.subnet_id, False, dst.peer, dst_label),
        ]
