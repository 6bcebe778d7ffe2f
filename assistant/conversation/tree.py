"""The VPC as a tree: VPC -> subnets (with role) -> route table -> default route target."""

from __future__ import annotations

from assistant.conversation.turns import TreeNode
from assistant.models.snapshot import Snapshot
from assistant.topology import Topology


def vpc_tree(snapshot: Snapshot, vpc_ids: list[str] | None = None) -> list[TreeNode]:
    """One node per VPC, its subnets sorted by name, each with its route and target."""
    topo = Topology(snapshot)
    vpcs = sorted(topo.vpcs) or sorted({s.VpcId for s in snapshot.Subnets})
    if vpc_ids:
        vpcs = [v for v in vpcs if v in vpc_ids]
    out = []
    for vid in vpcs:
        vpc = topo.vpcs.get(vid)
        label = vid + (f" ({vpc.name})" if vpc is not None and vpc.name else "")
        node = TreeNode(label=label)
        views = [v for v in topo.views.values() if v.subnet.VpcId == vid]
        for v in sorted(views, key=lambda v: v.subnet.name or v.subnet_id):
            s = v.subnet
            sub = TreeNode(
                label=f"{s.name or s.SubnetId} ({s.AvailabilityZone[-1:] or '?'}) {s.CidrBlock}",
                badge=v.role,
            )
            if v.route_table is not None:
                rt = v.route_table
                rt_node = TreeNode(
                    label=f"{rt.RouteTableId}" + ("" if v.explicit else " (main)"),
                )
                target = v.default_target
                state = v.default_route.State if v.default_route else ""
                if target:
                    extra = f" [{state}]" if state and state != "active" else ""
                    rt_node.children.append(TreeNode(label=f"0.0.0.0/0 -> {target}{extra}"))
                else:
                    rt_node.children.append(TreeNode(label="no 0.0.0.0/0 route"))
                sub.children.append(rt_node)
            else:
                sub.children.append(TreeNode(label="route table not known"))
            node.children.append(sub)
        out.append(node)
    return out
