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


def default_dir() -> Path:
    """Where chats are saved unless told otherwise: the user's data directory (never the
    repository's golden ``transcripts/``). ``VPC_HELPER_CHAT_DIR`` overrides it."""
    override = os.environ.get("VPC_HELPER_CHAT_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path("vpc-helper", appauthor=False) / "chats"


# Never written: anything that looks like a credential.
_SECRET_KEYS = re.compile(r"(secret|password|token|credential|accesskey|session_?key)", re.I)
_SECRET_VALUES = [
    re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),
    re.compile(
        r"(?i)\"?(aws_)?(secret_?access_?key|session_?token|password|secret)\"?\s*[=:]\s*\"?[^\s\",}]+"
    ),
    # A bare secret access key: 40 characters of base64, mixed case with a digit.
    re.compile(
        r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])"
        r"(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
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


def noticed(findings: list) -> list[dict[str, Any]]:
    """What a user notices of each finding: rule, resources, severity and the fix steps."""
    out = []
    for f in findings:
        out.append(
            {
                "rule": f.rule,
                "resources": list(f.resources),
                "severity": f.severity.value,
                "fix": [[st.action, *st.cli] for st in f.fix],
            }
        )
    return sorted(out, key=lambda d: (d["rule"], d["resources"]))


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
        "noticed": noticed(session.findings),
        "not_checked": not_checked_of(session),
        "plan": plan_of(session),
        "traces": [trace_key(t.trace) for t in session.turns if t.trace is not None],
        "turns": [t.model_dump(mode="json", exclude_defaults=True) for t in session.turns],
    }
    return scrub(data)


def not_checked_of(session: Any) -> list[str]:
    """The rules a conversation said it could not check or rule out."""
    return sorted(getattr(session, "open_rules", None) or [])


def plan_of(session: Any) -> str | None:
    """The guided setup's plan as text (None when the conversation made none)."""
    answers = getattr(session, "walkthrough_answers", None)
    if not answers:
        return None
    return _plan_text(answers)


def _plan_text(answers: dict[str, Any]) -> str:
    from assistant.walkthrough import Walkthrough
    from assistant.walkthrough.render import render_plan

    return render_plan(Walkthrough.from_answers(answers).plan(), "text")


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
    replaced). Default: :func:`default_dir`. A guided setup also gets ``NAME.answers.json``.
    """
    target = Path(target) if target else default_dir()
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


class MalformedTranscript(UserError):
    """A transcript whose content is not what the chat writes."""


def replay(data: dict[str, Any]) -> dict[str, Any]:
    """Re-run a transcript's answers, facts or setup answers against today's code.

    Returns ``{"replayable", "matches", "saved", "now", "added", "removed", "changed",
    "traces"}``: ``changed`` lists, for findings on the same rule and resources, what a user
    would notice differs (severity, fix steps), plus changed not-checked items or plan.
    Content that is not what the chat writes raises :class:`MalformedTranscript`.
    """
    try:
        return _replay(data)
    except (AttributeError, TypeError, IndexError, KeyError, ValueError) as e:
        raise MalformedTranscript(
            f"malformed transcript ({type(e).__name__}: {str(e).splitlines()[0][:120]})"
        ) from None


def _replay(data: dict[str, Any]) -> dict[str, Any]:
    from pydantic import ValidationError

    from assistant.conversation import questions as qs
    from assistant.conversation.session import shown_rules
    from assistant.engine import diagnose

    symptom, mode = data.get("symptom"), data.get("mode")
    saved = [[str(k[0]), [str(r) for r in k[1]]] for k in data.get("finding_keys") or []]
    empty = {"added": [], "removed": [], "changed": [], "traces": []}
    if mode == "walkthrough" or symptom == "setup":
        answers = data.get("walkthrough_answers")
        if not answers:
            return {"replayable": False, "matches": True, "saved": saved, "now": saved, **empty}
        now_plan = _plan_text(answers)
        was = data.get("plan")
        changed = []
        if was is not None and was != now_plan:
            changed = ["the plan differs:"] + _text_diff(was, now_plan)
        return {
            **empty,
            "replayable": True,
            "matches": not changed,
            "saved": saved,
            "now": saved,
            "changed": changed,
        }
    if symptom not in qs.QUESTIONS or mode is None:
        return {"replayable": False, "matches": True, "saved": saved, "now": saved, **empty}
    open_now: list[str] = []
    if mode == "questions":
        res = qs.question_result(symptom, data.get("answers") or {}, data.get("pasted") or {})
        snap, shown = res.snapshot, res.findings
        open_now = sorted(r for r, _, _ in res.open)
    else:
        if not data.get("facts"):
            raise UserError("the transcript holds no facts to re-run")
        try:
            snap = Snapshot.model_validate(data["facts"])
        except ValidationError as e:
            raise ValueError(f"facts: {e.errors()[0]['msg']}") from None
        d = diagnose(snap, vpc_ids=data.get("vpc_ids"))
        wanted = shown_rules(symptom, mode)
        show_all = wanted is None or data.get("show_all")
        shown = [f for f in d.findings if show_all or f.rule in wanted]
    now = finding_keys(shown)
    as_t = {(k[0], tuple(k[1])) for k in now}
    was_t = {(k[0], tuple(k[1])) for k in saved}
    changed: list[str] = []
    was_noticed = {(n["rule"], tuple(n["resources"])): n for n in data.get("noticed") or []}
    for n in noticed(shown):
        old = was_noticed.get((n["rule"], tuple(n["resources"])))
        if old is None:
            continue
        if old["severity"] != n["severity"]:
            changed.append(f"{n['rule']}: severity {old['severity']} -> {n['severity']}")
        if old["fix"] != n["fix"]:
            changed.append(f"{n['rule']}: the fix steps differ:")
            changed += _text_diff(
                "\n".join(" | ".join(x) for x in old["fix"]),
                "\n".join(" | ".join(x) for x in n["fix"]),
            )
    if "not_checked" in data and mode == "questions" and data["not_checked"] != open_now:
        changed.append(
            f"not ruled out: was {', '.join(data['not_checked']) or 'nothing'}; now "
            f"{', '.join(open_now) or 'nothing'}"
        )
    traces = _replay_traces(snap, data.get("traces") or [])
    return {
        "replayable": True,
        "matches": as_t == was_t and not traces and not changed,
        "traces": traces,
        "saved": saved,
        "now": now,
        "added": sorted(as_t - was_t),
        "removed": sorted(was_t - as_t),
        "changed": changed,
    }


def _text_diff(was: str, now: str) -> list[str]:
    import difflib

    lines = difflib.unified_diff(was.splitlines(), now.splitlines(), lineterm="", n=0)
    return [ln for ln in lines if not ln.startswith(("---", "+++", "@@"))][:40]
