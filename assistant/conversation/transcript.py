"""Transcripts: a conversation saved as Markdown (for people) and JSON (for replay).

The JSON holds the turns, the answers, the facts the rules read (the snapshot: AWS-shaped
configuration, never credentials), the findings and the tool version. ``replay`` re-runs the
saved answers (or facts) against today's rules and says whether the diagnosis still matches.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from assistant import __version__
from assistant.errors import UserError
from assistant.models.snapshot import Snapshot

FORMAT = "vpc-helper-transcript"
VERSION = 1
DEFAULT_DIR = Path("transcripts")

# Never written: anything that looks like a credential.
_SECRET_KEYS = re.compile(r"(secret|password|token|credential|accesskey|session_?key)", re.I)
_SECRET_VALUES = [
    re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),
    re.compile(
        r"(?i)\"?(aws_)?(secret_?access_?key|session_?token|password|secret)\"?\s*[=:]\s*\"?[^\s\",}]+"
    ),
]


def scrub(value: Any) -> Any:
    """A copy with secret-looking keys dropped and secret-looking strings masked."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if not _SECRET_KEYS.search(str(k))}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        for pat in _SECRET_VALUES:
            value = pat.sub("[redacted]", value)
    return value


def finding_keys(findings: list) -> list[list[Any]]:
    """What must match on replay: each finding's rule and resources, sorted."""
    return sorted([f.rule, list(f.resources)] for f in findings)


def trace_key(t: Any) -> dict[str, Any]:
    """What must match on replay for a path trace: its ends, port, verdict and blocked hops."""
    return {
        "from": t.source.id,
        "to": t.destination.id,
        "protocol": t.protocol,
        "port": t.port,
        "verdict": t.verdict,
        "blocked": [[h.step, h.where.split(" ")[0]] for h in t.blocked],
    }


def _replay_traces(snap: Snapshot, saved: list[dict[str, Any]]) -> list[str]:
    """Re-run saved traces over the snapshot; one line per trace whose answer changed."""
    from assistant.trace import Tracer

    if not saved:
        return []
    tracer = Tracer(snap)
    out = []
    for k in saved:
        try:
            now = trace_key(tracer.trace(k["from"], k["to"], int(k["port"]), k["protocol"]))
        except UserError as e:
            out.append(f"trace {k['from']} -> {k['to']} {k['protocol']}/{k['port']}: {e}")
            continue
        if now != k:
            out.append(
                f"trace {k['from']} -> {k['to']} {k['protocol']}/{k['port']}: was "
                f"{k['verdict']} {k['blocked']}, now {now['verdict']} {now['blocked']}"
            )
    return out


def to_json(session: Any) -> dict[str, Any]:
    """The replayable record of a session."""
    snap = session.snapshot
    facts = None
    if snap is not None and session.mode != "questions":
        facts = snap.model_dump(mode="json")
    data = {
        "format": FORMAT,
        "version": VERSION,
        "tool_version": __version__,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "symptom": session.symptom,
        "mode": session.mode,
        "vpc_ids": session.vpc_ids,
        "show_all": session.show_all,
        "answers": dict(session.answers),
        "concluded": dict(session.concluded),
        "pasted": session.pasted,
        "walkthrough_answers": session.walkthrough_answers,
        "facts": facts,
        "findings": [f.model_dump(mode="json") for f in session.findings],
        "finding_keys": finding_keys(session.findings),
        "traces": [trace_key(t.trace) for t in session.turns if t.trace is not None],
        "turns": [t.model_dump(mode="json", exclude_defaults=True) for t in session.turns],
    }
    return scrub(data)


def to_markdown(session: Any) -> str:
    """The conversation as people read it."""
    from assistant.conversation.session import SYMPTOM_BY_KEY

    sym = SYMPTOM_BY_KEY.get(session.symptom or "")
    lines = [
        "# vpc-helper conversation",
        "",
        f"- Symptom: {sym.label if sym else 'not chosen'}",
        f"- Source: {session.mode or 'none yet'}",
        f"- vpc-helper {__version__}",
        "",
    ]
    for t in session.turns:
        who = "**assistant**" if t.role == "assistant" else "**you**"
        text = t.text.replace("\n", "  \n")
        lines.append(f"{who}: {text}")
        if t.why:
            lines.append(f"  \n*Why:* {t.why}  \n*Find it:* {t.console}")
            lines.append("")
            lines.append("```")
            lines.append(t.command or "")
            lines.append("```")
        if t.trace is not None:
            from assistant.trace.render import render_trace_text

            lines += ["", "```", render_trace_text(t.trace).rstrip("\n"), "```"]
        if t.finding is not None:
            f = t.finding
            lines.append("")
            lines.append(f.explanation)
            for n, step in enumerate(f.fix, 1):
                lines.append(f"{n}. {step.action}")
                for c in step.cli:
                    lines.append(f"   `{c}`")
                if step.console:
                    lines.append(f"   Console: {step.console}")
            if f.check:
                lines.append(f"\nCheck: `{f.check}`")
        if t.choices and t.role == "assistant":
            lines.append("")
            for n, c in enumerate(t.choices, 1):
                lines.append(f"   {n}. {c.label}")
        lines.append("")
    return scrub("\n".join(lines).rstrip() + "\n")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    mask = os.umask(0)
    os.umask(mask)
    try:
        os.chmod(tmp, 0o666 & ~mask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(session: Any, target: str | Path | None = None) -> tuple[Path, Path]:
    """Write ``NAME.md`` and ``NAME.json`` atomically; returns both paths.

    ``target`` is a directory (a timestamped name is chosen) or a file path (its suffix is
    replaced). Default: ``transcripts/``. A guided setup also gets ``NAME.answers.json``.
    """
    target = Path(target) if target else DEFAULT_DIR
    if target.suffix in (".json", ".md"):
        base = target.with_suffix("")
    elif target.exists() and not target.is_dir():
        raise UserError(f"{target}: exists and is not a directory")
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        base = target / f"chat-{stamp}-{session.symptom or 'start'}"
    md, js = base.with_suffix(".md"), base.with_suffix(".json")
    try:
        _atomic_write(js, orjson.dumps(to_json(session), option=orjson.OPT_INDENT_2) + b"\n")
        _atomic_write(md, to_markdown(session).encode())
        answers = getattr(session, "walkthrough_answers", None)
        if answers:
            # The guided setup's answers, as `vpc-helper walkthrough --answers FILE` reads them.
            doc = orjson.dumps(answers, option=orjson.OPT_INDENT_2) + b"\n"
            _atomic_write(base.with_name(base.name + ".answers.json"), doc)
    except OSError as e:
        raise UserError(f"cannot write the transcript to {base.parent}: {e.strerror}") from None
    return md, js


def load(path: str | Path) -> dict[str, Any]:
    """A saved transcript, checked."""
    p = Path(path)
    try:
        data = orjson.loads(p.read_bytes())
    except FileNotFoundError:
        raise UserError(f"{p}: no such file") from None
    except orjson.JSONDecodeError as e:
        raise UserError(f"{p}: not valid JSON ({e})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UserError(f"{p}: not a vpc-helper transcript (save one from the chat with Ctrl+S)")
    if data.get("version") != VERSION:
        raise UserError(f"{p}: transcript version {data.get('version')} is not supported")
    return data


def replay(data: dict[str, Any]) -> dict[str, Any]:
    """Re-run a transcript's answers or facts against today's rules.

    Returns ``{"replayable", "matches", "saved", "now", "added", "removed", "traces"}``
    (``traces``: the saved path traces whose answer differs today).
    """
    from assistant.conversation import questions as qs
    from assistant.conversation.session import shown_rules
    from assistant.engine import diagnose

    symptom, mode = data.get("symptom"), data.get("mode")
    saved = [list(k) for k in data.get("finding_keys", [])]
    if symptom not in qs.QUESTIONS or mode in (None, "walkthrough"):
        return {"replayable": False, "matches": True, "saved": saved, "now": saved}
    if mode == "questions":
        snap = qs.build_snapshot(symptom, data.get("answers") or {}, data.get("pasted") or {})
    else:
        if not data.get("facts"):
            raise UserError("the transcript holds no facts to re-run")
        snap = Snapshot.model_validate(data["facts"])
    d = diagnose(snap, vpc_ids=data.get("vpc_ids"))
    wanted = shown_rules(symptom, mode)
    show_all = wanted is None or data.get("show_all")
    shown = [f for f in d.findings if show_all or f.rule in wanted]
    now = finding_keys(shown)
    as_t = {(k[0], tuple(k[1])) for k in now}
    was_t = {(k[0], tuple(k[1])) for k in saved}
    traces = _replay_traces(snap, data.get("traces") or [])
    return {
        "replayable": True,
        "matches": as_t == was_t and not traces,
        "traces": traces,
        "saved": saved,
        "now": now,
        "added": sorted(as_t - was_t),
        "removed": sorted(was_t - as_t),
    }
