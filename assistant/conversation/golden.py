"""The golden conversations kept in ``transcripts/``.

Regenerate them (after a rule's text or the chat changed) with one command::

    .venv/bin/python -m assistant.conversation.golden

Each is driven through a real :class:`Session` and saved like the chat saves it; the tests
replay every one against today's rules and fail when a golden is stale (see ``stale``).
"""

from __future__ import annotations

from pathlib import Path

import orjson

from assistant.conversation.session import Session
from assistant.conversation.transcript import save

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "transcripts"


def _demo(symptom: str, *more: str) -> Session:
    s = Session(demo=True)
    s.start()
    s.send(symptom)
    for m in more:
        s.send(m)
    return s


def _questions(symptom: str, *answers: str) -> Session:
    s = Session()
    s.start()
    s.send(symptom)
    s.send("questions")
    for a in answers:
        s.send(a)
    if s.step == "question" and symptom != "whole":
        s.send("finish")  # the rest is listed as not ruled out
    return s


def _whole_pastes() -> Session:
    from assistant.sources.demo import build

    files = build().cli_files()
    s = _questions("whole")
    wanted = {"Vpcs", "Subnets", "RouteTables", "InternetGateways", "NatGateways"}
    while s.step == "question" and s.question is not None:
        coll = s.question.collections[0]
        if coll in wanted:
            data = next(d for d in files.values() if next(iter(d)) == coll)
            s.send(orjson.dumps(data).decode())
        else:
            s.send("skip")
    return s


def _then(s: Session, *more: str) -> Session:
    for m in more:
        s.send(m)
    return s


def _setup() -> Session:
    """The guided setup with every default (or the note that it is not installed)."""
    s = _demo("setup")
    for _ in range(50):
        if s.step != "walkthrough":
            break
        s.send("")  # Enter on an empty line takes the default
    return s


def conversations() -> dict[str, Session]:
    """Name -> a finished conversation."""

    def nat_finding(s: Session) -> Session:
        n = next(i for i, f in enumerate(s.findings, 1) if f.rule == "nat.in-private-subnet")
        s.send(str(n))
        return s

    return {
        "egress-demo": nat_finding(_demo("egress")),
        "egress-questions": _then(
            nat_finding(_questions("egress", "nat", "available", "nat")), "path:answers"
        ),
        "egress-trace-demo": _demo(
            "egress",
            "can shop-app-b1 reach the internet?",
            "trace",
            "internet",
            "shop-admin",
            "22",
        ),
        "ingress-demo": _demo("ingress"),
        "ingress-questions": _then(
            _questions("ingress", "lb", "internet-facing", "some", "yes"), "path:answers"
        ),
        "exposure-demo": _demo("exposure", "1"),
        "exposure-questions": _questions("exposure", "ssh", "yes", "no"),
        "whole-demo": _demo("whole", "others"),
        "whole-questions": _whole_pastes(),
        "setup": _setup(),
    }


def write(directory: Path = GOLDEN_DIR) -> list[Path]:
    out = []
    for name, session in conversations().items():
        md, js = save(session, directory / f"{name}.json")
        out += [md, js]
    return out


def _normal(md: str) -> str:
    return "\n".join(ln for ln in md.splitlines() if not ln.startswith("- vpc-helper "))


def stale(directory: Path = GOLDEN_DIR) -> list[str]:
    """Names of the goldens whose saved conversation differs from what the chat says today."""
    from assistant.conversation.transcript import to_markdown

    out = []
    for name, session in conversations().items():
        path = directory / f"{name}.md"
        if not path.exists() or _normal(path.read_text()) != _normal(to_markdown(session)):
            out.append(name)
    return out


if __name__ == "__main__":
    for p in write():
        print(p)
