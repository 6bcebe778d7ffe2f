"""Bad input, fuzzed: structured mutations of real inputs through scan, trace, diff, redact, replay.

Every example applies at least four mutations (see ``mutations.py``) to a real input and runs
the same library functions the commands run, in-process. A ``UserError`` (the one-line error,
exit 2) is an accepted answer to bad input; any other exception is a bug. The examples are
derandomised and bounded: ``MIN_MUTATIONS`` below is the floor this suite guarantees.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.canonical import canonical
from assistant.diff import diff, render_diff_markdown, render_diff_text
from assistant.engine import diagnose
from assistant.errors import UserError
from assistant.models.snapshot import Snapshot
from assistant.redact import RedactionKey, redact, unredact_model
from assistant.render import render_json, render_markdown, render_text
from assistant.render.html_out import render_html
from assistant.sources.demo import DEMO_DIR, demo_snapshot
from assistant.sources.files import dump_snapshot, snapshot_from_outputs
from assistant.topology import Topology
from tests.fuzz.mutations import apply, mutation
from tests.rules.scenarios import CASES

ROOT = Path(__file__).resolve().parents[2]
PER_EXAMPLE = (4, 6)  # mutations applied to each example
EXAMPLES = {"scan_own": 220, "scan_cli": 180, "trace": 150, "diff": 100, "redact": 150}
EXAMPLES["replay"] = 150
MIN_MUTATIONS = PER_EXAMPLE[0] * sum(EXAMPLES.values())
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _own(snap: Snapshot) -> dict[str, Any]:
    return json.loads(dump_snapshot(snap))


OWN_SEEDS = [
    _own(demo_snapshot()),
    _own(CASES["peering.missing-return-route"][0][0]()),
    _own(CASES["ingress.lb-in-private-subnets"][0][0]()),
]
CLI_SEED = {p.name: json.loads(p.read_text()) for p in sorted(DEMO_DIR.glob("*.json"))}
TRANSCRIPTS = [json.loads(p.read_text()) for p in sorted((ROOT / "transcripts").glob("*.json"))]


def fuzz(examples: int) -> settings:
    """Derandomised, bounded, no example database: the same examples on every run."""
    return settings(
        derandomize=True,
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def mutated(seed: Any):
    """A strategy: ``seed`` with 4 to 6 structured mutations applied.

    Half the examples are gentle (every value keeps its type, so the document loads and the
    bad values reach the rules, the tracer and the renderers); half use every mutation.
    """

    @st.composite
    def build(draw):
        doc = seed
        gentle = draw(st.booleans())
        for _ in range(draw(st.integers(*PER_EXAMPLE))):
            doc = apply(doc, [draw(mutation(doc, gentle))], gentle)
        return doc

    return build()


def _load(items: list[tuple[Path, Any]], as_bytes: bool) -> Snapshot:
    if as_bytes:
        try:
            items = [(p, json.dumps(d).encode()) for p, d in items]
        except (RecursionError, ValueError):
            pass  # not representable as JSON text: hand it over parsed
    return canonical(snapshot_from_outputs(items))


def _expect_user_error_or_nothing(fn, *args) -> Any:
    """Run ``fn``: a UserError is the accepted answer to bad input; anything else fails."""
    try:
        return fn(*args)
    except UserError as e:
        msg = str(e)
        assert msg and "Traceback" not in msg
        return None


def _scan(snap: Snapshot) -> None:
    d = diagnose(snap)
    text = render_text(d, width=80)
    assert not RAW.search(text), RAW.search(text)
    json.loads(render_json(d))
    topo = Topology(snap)
    md = render_markdown(d, topology=topo)
    assert not RAW.search(md.replace("\n", ""))
    render_html(d, topo)


def _scan_doc(items, as_bytes):
    snap = _load(items, as_bytes)
    _scan(snap)
    return snap


@fuzz(EXAMPLES["scan_own"])
@given(st.integers(0, len(OWN_SEEDS) - 1).flatmap(lambda i: mutated(OWN_SEEDS[i])), st.booleans())
def test_scan_of_a_mutated_snapshot_never_crashes(doc, as_bytes):
    _expect_user_error_or_nothing(_scan_doc, [(Path("fuzz.json"), doc)], as_bytes)


def _cli_items(doc: Any) -> list[tuple[Path, Any]]:
    if isinstance(doc, dict) and all(k.endswith(".json") for k in doc):
        return [(Path(k), v) for k, v in sorted(doc.items())]
    return [(Path("one.json"), doc)]


@fuzz(EXAMPLES["scan_cli"])
@given(mutated(CLI_SEED), st.booleans())
def test_scan_of_mutated_cli_outputs_never_crashes(doc, as_bytes):
    _expect_user_error_or_nothing(_scan_doc, _cli_items(doc), as_bytes)


def _trace_all(snap: Snapshot, port: int, protocol: str) -> None:
    from assistant.trace import Tracer

    tr = Tracer(snap)
    ids = [i.InstanceId for i in snap.Instances][:3]
    lbs = [lb.LoadBalancerArn for lb in snap.LoadBalancers][:1]
    for src, dst in [(i, "internet") for i in ids] + [("internet", x) for x in ids + lbs]:
        _expect_user_error_or_nothing(tr.trace, src, dst, port, protocol)


@fuzz(EXAMPLES["trace"])
@given(
    st.integers(0, len(OWN_SEEDS) - 1).flatmap(lambda i: mutated(OWN_SEEDS[i])),
    st.sampled_from([443, 22, 0, 65535, 3306]),
    st.sampled_from(["tcp", "udp", "icmp", "-1"]),
)
def test_trace_over_a_mutated_snapshot_never_crashes(doc, port, protocol):
    snap = _expect_user_error_or_nothing(_load, [(Path("fuzz.json"), doc)], False)
    if snap is not None:
        _trace_all(snap, port, protocol)


@fuzz(EXAMPLES["diff"])
@given(mutated(OWN_SEEDS[0]))
def test_diff_against_a_mutated_snapshot_never_crashes(doc):
    before = canonical(Snapshot.model_validate(OWN_SEEDS[0]))
    after = _expect_user_error_or_nothing(_load, [(Path("fuzz.json"), doc)], False)
    if after is None:
        return
    for a, b in ((before, after), (after, before)):
        r = _expect_user_error_or_nothing(diff, a, b)
        if r is not None:
            text = render_diff_text(r)
            assert not RAW.search(text)
            render_diff_markdown(r)
            json.dumps(r.to_dict())


def _redact_round(snap: Snapshot) -> None:
    key = RedactionKey(b"f" * 32)
    bundle = redact(snap, key)
    assert bundle.redacted
    key.check(bundle)
    d = diagnose(bundle)
    unredact_model(d, key)
    unredact_model(bundle, key)
    render_text(d, width=100)


@fuzz(EXAMPLES["redact"])
@given(st.integers(0, len(OWN_SEEDS) - 1).flatmap(lambda i: mutated(OWN_SEEDS[i])))
def test_redact_of_a_mutated_snapshot_never_crashes(doc):
    snap = _expect_user_error_or_nothing(_load, [(Path("fuzz.json"), doc)], False)
    if snap is not None:
        _expect_user_error_or_nothing(_redact_round, snap)


def _replay(path: Path) -> None:
    from assistant.conversation.transcript import load, replay

    replay(load(path))


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
@settings(fuzz(EXAMPLES["replay"]))
@given(st.integers(0, max(len(TRANSCRIPTS) - 1, 0)).flatmap(lambda i: mutated(TRANSCRIPTS[i])))
def test_replay_of_a_mutated_transcript_never_crashes(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("replay") / "t.json"
    try:
        path.write_text(json.dumps(doc))
    except (RecursionError, ValueError):
        return
    _expect_user_error_or_nothing(_replay, path)


def test_the_suite_applies_at_least_3000_mutations():
    assert MIN_MUTATIONS >= 3000, MIN_MUTATIONS
    assert TRANSCRIPTS and len(CLI_SEED) > 10
