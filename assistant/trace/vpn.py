"""VPN hops: a route to a virtual private gateway is the edge of the analysis.

What lies beyond a site-to-site VPN or Direct Connect is not in describe-* outputs, so the trace
stops there with "?", except when every tunnel of every VPN connection on the gateway is DOWN:
then nothing passes (``vpn.all-tunnels-down``).
"""

from __future__ import annotations

from assistant.trace.base import HopBase, catalogue_rule
from assistant.trace.model import FAIL, UNKNOWN, Hop


class VpnHops(HopBase):
    def _via_vgw(self, vgw_id: str, dst_label: str) -> Hop:
        vpns = [
            v
            for v in self.snapshot.VpnConnections
            if v.VpnGatewayId == vgw_id and (v.State or "available") == "available"
        ]
        tunnels = [t for v in vpns for t in v.VgwTelemetry]
        if vpns and tunnels and all((t.Status or "").upper() == "DOWN" for t in tunnels):
            ids = [v.VpnConnectionId for v in vpns]
            return Hop(
                step="VPN",
                status=FAIL,
                where=vgw_id,
                detail=f"traffic for {dst_label} goes to {vgw_id}, whose VPN connections "
                f"({', '.join(ids)}) have every tunnel DOWN",
                rule=catalogue_rule("vpn.all-tunnels-down") if len(ids) == 1 else None,
                resources=ids,
            )
        status = (
            ", ".join(f"{t.OutsideIpAddress} {t.Status}" for t in tunnels)
            if tunnels
            else "no VPN connection with tunnel status in the snapshot (it may be Direct Connect)"
        )
        return Hop(
            step="VPN",
            status=UNKNOWN,
            where=vgw_id,
            detail=f"traffic for {dst_label} leaves through virtual private gateway {vgw_id} "
            f"({status}): the network beyond it is not in the snapshot",
        )

    def _vpn_hop(self, att_id: str, vpn_id: str, dst_label: str) -> Hop:
        vpn = next((v for v in self.snapshot.VpnConnections if v.VpnConnectionId == vpn_id), None)
        if (
            vpn is not None
            and vpn.VgwTelemetry
            and all((t.Status or "").upper() == "DOWN" for t in vpn.VgwTelemetry)
        ):
            return Hop(
                step="VPN",
                status=FAIL,
                where=vpn_id,
                detail=f"traffic for {dst_label} goes to {vpn_id}, whose tunnels are all DOWN",
                rule=catalogue_rule("vpn.all-tunnels-down"),
                resources=[vpn_id],
            )
        up = (
            ", ".join(f"{t.OutsideIpAddress} {t.Status}" for t in vpn.VgwTelemetry)
            if vpn is not None
            else "tunnel status not in the snapshot"
        )
        return Hop(
            step="VPN",
            status=UNKNOWN,
            where=vpn_id or att_id,
            detail=f"traffic for {dst_label} leaves through VPN {vpn_id or att_id} ({up}): "
            "the network beyond the VPN is not in the snapshot",
        )
