"""The Markdown and HTML reports draw the topology the diagnosis was made on: the same report
as from a topology built anew, and none kept when no report needs it."""

from __future__ import annotations

from assistant.engine import diagnose, focus
from assistant.render import render_markdown
from assistant.render.html_out import render_html
from assistant.sources.demo import demo_snapshot
from assistant.topology import Topology


def test_kept_topology_gives_the_same_reports():
    snap = demo_snapshot()
    vpc = snap.Vpcs[0].VpcId
    for vpcs in (None, [vpc]):
        d = diagnose(snap, vpc_ids=vpcs, keep_topology=True)
        fresh = Topology(focus(snap, vpcs) if vpcs else snap)
        assert d.topology is not None and d.topology is not fresh
        assert render_html(d, d.topology, d.findings[-1].severity) == render_html(
            d, fresh, d.findings[-1].severity
        )
        assert render_markdown(d, d.findings[-1].severity, d.topology) == render_markdown(
            d, d.findings[-1].severity, fresh
        )


def test_no_topology_kept_unless_asked():
    assert diagnose(demo_snapshot()).topology is None
