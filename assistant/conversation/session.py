"""The chat as a state machine: user turns in, assistant turns out. No UI code here.

A :class:`Session` is driven by :meth:`Session.start` and :meth:`Session.send` (typed text, a
choice key or pasted JSON). Both return the new assistant turns. Slow work (loading snapshots,
reading live AWS, running the rules) happens inside ``send``, so a UI calls it from a worker.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.conversation.turns import Choice, TreeNode, Turn
from assistant.errors import UserError

if TYPE_CHECKING:
    from assistant.conversation import questions as qs
    from assistant.models.finding import Diagnosis, Finding
    from assistant.models.snapshot import Snapshot


@dataclass(frozen=True)
class Symptom:
    key: str
    label: str
    areas: frozenset[str] | None  # rule areas that speak to it; None: every rule


SYMPTOMS: tuple[Symptom, ...] = (
    Symptom(
        "egress",
        "My private instances can't reach the internet (apt install / docker pull fails)",
        frozenset({"egress", "nat", "igw"}),
    ),
    Symptom("ingress", "Users can't reach my app", frozenset({"ingress", "igw"})),
    Symptom("exposure", "Is anything exposed that shouldn't be?", frozenset({"exposure"})),
    Symptom("whole", "Check my whole VPC", None),
    Symptom("setup", "Help me set up a new VPC", None),
)
SYMPTOM_BY_KEY = {s.key: s for s in SYMPTOMS}

SOURCE_CHOICES = [
    Choice(key="live", label="Read my live AWS configuration (read-only)"),
    Choice(key="questions", label="Answer questions (no AWS access needed)"),
    Choice(key="demo", label="Use the bundled demo VPC"),
]
REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"]


def shown_rules(symptom: str, mode: str | None) -> set[str] | None:
    """The rules whose findings a conversation shows (None: all of them)."""
    return relevant_rules(symptom)


def relevant_rules(symptom: str) -> set[str] | None:
    """Rule ids that speak to a symptom (the same in every mode); None: every rule."""
    from assistant.conversation.questions import symptom_rules

    if SYMPTOM_BY_KEY[symptom].areas is None:
        return None
    return symptom_rules(symptom)


def aws_profiles() -> list[str]:
    """Profile names from the AWS config and credentials files (read without boto3)."""
    names: list[str] = []
    home = Path.home() / ".aws"
    files = [
        (os.environ.get("AWS_CONFIG_FILE") or str(home / "config"), True),
        (os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or str(home / "credentials"), False),
    ]
    for path, is_config in files:
        cp = configparser.RawConfigParser()
        try:
            cp.read(path)
        except (configparser.Error, OSError):
            continue
        for sec in cp.sections():
            name = sec.removeprefix("profile ").strip() if is_config else sec.strip()
            if is_config and sec.startswith("sso-session"):
                continue
            if name and name not in names:
                names.append(name)
    return names


class Session:
    """One conversation. ``progress`` receives live-reading progress lines (any thread)."""

    def __init__(
        self,
        demo: bool = False,
        snapshot_paths: list[str] | None = None,
        profile: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        vpc_ids: list[str] | None = None,
        progress: Callable[[str], None] | None = None,
        intents_path: str | None = None,
    ) -> None:
        self.demo = demo
        self.intents_path = intents_path  # --intents FILE: checked after each diagnosis
        self.snapshot_paths = snapshot_paths
        self.profile = profile
        self.region = region
        self.endpoint_url = endpoint_url
        self.vpc_ids = vpc_ids
        self.progress = progress
        self.turns: list[Turn] = []
        self.step = "symptom"
        self.symptom: str | None = None
        self.mode: str | None = None  # demo / snapshot / live / questions / walkthrough
        self.answers: dict[str, str] = {}
        self.concluded: dict[str, str] = {}  # question id -> what a paste showed
        self.history: list[tuple[list[str], str | None]] = []  # per step: answered ids, paste
        self.pasted: dict[str, Any] = {}
        self.snapshot: Snapshot | None = None
        self.diagnosis: Diagnosis | None = None
        self.findings: list[Finding] = []
        self.others: list[Finding] = []
        self.show_all = False
        self.tree: list[TreeNode] = []
        self.question: qs.Question | None = None
        self._walk: Any = None
        self.walkthrough_answers: dict[str, Any] | None = None
        self._free_text = False  # the current question wants a typed value (a CIDR, a number)
        self._choices: list[Choice] = []
        self._path: dict[str, Any] = {}  # the path being asked step by step: src, dst
        self._tracer: Any = None  # a Tracer over self.snapshot, built on first use
        self._finish = False  # the user asked to stop the questions and see the diagnosis
        self._pending_path: Any = None  # a path asked at the opening, traced after diagnosis
        self._walk_keys: list[str] = []  # the guided setup's questions answered, in order
        self._pick_key = "focus_instance"  # what the "which one?" list sets
        self.open_rules: list[str] = []  # question mode: the rules it could not rule out

    # -- public API -------------------------------------------------------------------------
    @classmethod
    def from_args(cls, args: Any, progress: Callable[[str], None] | None = None) -> Session:
        return cls(
            demo=bool(getattr(args, "demo", False)),
            snapshot_paths=getattr(args, "snapshot", None),
            profile=getattr(args, "profile", None),
            region=getattr(args, "region", None),
            endpoint_url=getattr(args, "endpoint_url", None),
            vpc_ids=getattr(args, "vpc", None),
            progress=progress,
            intents_path=getattr(args, "intents", None),
        )

    @property
    def choices(self) -> list[Choice]:
        """The quick replies that apply now."""
        return list(self._choices)

    @property
    def digits_pick(self) -> bool:
        """Whether a digit typed on an empty line picks a quick reply (not for typed values)."""
        return self._free_text is False

    @property
    def can_go_back(self) -> bool:
        return (self.step == "question" and bool(self.history)) or bool(self._walk_keys)

    def start(self) -> list[Turn]:
        """The opening: what is wrong?"""
        self.step = "symptom"
        where = ""
        if self.demo:
            where = " I'll look at the bundled demo VPC (an example shop with a few mistakes)."
        elif self.snapshot_paths:
            where = f" I'll read {', '.join(self.snapshot_paths)}."
        return self._say(
            "Hi! I help find out why traffic doesn't flow in an AWS VPC, and how to fix it."
            + where
            + " What is wrong?",
            choices=[Choice(key=s.key, label=s.label) for s in SYMPTOMS],
        )

    def send(self, text: str) -> list[Turn]:
        """Handle one user turn: a choice key or number, typed text, or pasted JSON."""
        text = text.strip()
        if not text and self.step == "walkthrough":
            text = "(default)"  # Enter on an empty line takes the default
        if not text:
            return []
        choice = self._match_choice(text)
        shown = choice.label if choice else text
        if choice is None and text[:1] in ("[", "{") and self.step != "walkthrough":
            shown = f"(pasted {len(text)} characters of JSON)"
        self.turns.append(Turn(role="user", text=shown))
        said = (choice.key if choice else text).lower()
        if said in ("back", "/back"):
            return self.back(record=False)
        if said in ("restart", "/restart", "start over"):
            return self._restart()
        try:
            return self._dispatch(text, choice)
        except UserError as e:
            return self._say(f"That did not work: {e}", kind="error", choices=self._choices)

    def back(self, record: bool = True) -> list[Turn]:
        """Go back one question and forget its answer (and whatever a paste settled with it)."""
        if record:
            self.turns.append(Turn(role="user", text="(back)"))
        if self.mode == "walkthrough" and self._walk is not None:
            return self._walk_back()
        if self.step in ("results", "pick") and self.mode == "questions" and self.history:
            self.step = "question"
        if self.step != "question" or not self.history:
            return self._say("There is no earlier question to go back to.", choices=self._choices)
        ids, paste = self.history.pop()
        self._finish = False
        for qid in ids:
            self.answers.pop(qid, None)
            self.concluded.pop(qid, None)
        if paste:
            self.pasted.pop(paste, None)
        self.findings, self.others, self.diagnosis = [], [], None
        return self._ask_next(prefix="Back one question.")

    # -- helpers --------------------------------------------------------------------------
    def _say(self, text: str, choices: list[Choice] | None = None, **kw: Any) -> list[Turn]:
        self._choices = list(choices or [])
        self._free_text = False
        t = Turn(role="assistant", text=text, choices=self._choices, **kw)
        self.turns.append(t)
        return [t]

    def _match_choice(self, text: str) -> Choice | None:
        for c in self._choices:
            if text == c.key or text.lower() == c.label.lower():
                return c
        if text.isdigit() and 1 <= int(text) <= len(self._choices):
            return self._choices[int(text) - 1]
        return None

    def _restart(self) -> list[Turn]:
        self.__init__(  # type: ignore[misc]
            self.demo,
            self.snapshot_paths,
            self.profile,
            self.region,
            self.endpoint_url,
            self.vpc_ids,
            self.progress,
            self.intents_path,
        )
        return self.start()

    def _dispatch(self, text: str, choice: Choice | None) -> list[Turn]:
        step = self.step
        if step == "symptom":
            if choice is None:
                return self._opening(text)
            return self._pick_symptom(choice.key)
        if step == "source":
            if choice is None:
                return self._say("Pick how I should learn about your VPC:", choices=self._choices)
            return self._pick_source(choice.key)
        if step == "profile":
            return self._pick_profile(choice.key if choice else text)
        if step == "region":
            return self._pick_region(choice.key if choice else text)
        if step == "vpc":
            return self._pick_vpc(choice.key if choice else text)
        if step == "question":
            return self._answer(text, choice)
        if step == "pick":
            return self._pick_focus(text, choice)
        if step == "results":
            return self._results_choice(text, choice)
        if step == "walkthrough":
            return self._walk_send(text)
        if step in ("trace_from", "trace_to", "trace_port"):
            return self._path_step(text, choice)
        return self._say("Let's start over.", choices=self._choices) + self._restart()

    # -- symptom and source ---------------------------------------------------------------------
    def _opening(self, text: str) -> list[Turn]:
        """A question typed at the opening: go to its symptom (and trace its path, if any)."""
        from assistant.conversation.paths import understand_opening

        op = understand_opening(text)
        if op is None:
            return self._say(
                "Pick one of these (type its number), or ask in your own words, like "
                '"why can\'t i-0abc reach the internet" or "is port 22 open to the world":',
                choices=self._choices,
            )
        self._pending_path = op.path
        what = SYMPTOM_BY_KEY[op.symptom].label
        if op.path is not None:
            ends = f"{op.path.source} to {op.path.destination}".replace("internet", "the internet")
            what += f" (and I'll trace the path from {ends} once I have read your VPC)"
        elif op.port is not None:
            what += f" (port {op.port} in particular)"
        return self._say(f"I understood: {what}.") + self._pick_symptom(op.symptom)

    def _pick_symptom(self, key: str) -> list[Turn]:
        self.symptom = key
        if key == "setup":
            return self._walkthrough()
        if self.demo or self.snapshot_paths:
            return self._load_files()
        if self.profile or self.region or self.endpoint_url:
            return self._pick_source("live")
        self.step = "source"
        return self._say(
            "How should I learn about your VPC? Reading it live is quickest; answering "
            "questions works without any AWS access (for a help-desk call or a locked-down "
            "account).",
            choices=SOURCE_CHOICES,
        )

    def _pick_source(self, key: str) -> list[Turn]:
        if key == "questions":
            self.mode = "questions"
            intro = (
                "I'll ask only what the rules need, one question at a time. You can answer, "
                "say I don't know, or paste the JSON output of the command I show "
                "(it can settle several questions at once)."
            )
            if self.symptom == "whole":
                intro = (
                    "To check a whole VPC without access I need the outputs of a few "
                    "`aws ... describe-*` commands; paste each one, or skip what you can't run."
                )
            self.step = "question"
            return self._say(intro) + self._ask_next()
        if key == "demo":
            self.demo = True
            return self._load_files()
        self.mode = "live"
        if not self.profile:
            profiles = aws_profiles()
            if profiles and not os.environ.get("AWS_PROFILE"):
                self.step = "profile"
                return self._say(
                    "Which AWS profile? (Or type a name.) I only make Describe/Get/List calls.",
                    choices=[Choice(key="(default)", label="default credentials")]
                    + [Choice(key=p, label=p) for p in profiles[:8]],
                )
        return self._pick_profile(self.profile or "(default)")

    def _pick_profile(self, name: str) -> list[Turn]:
        self.profile = None if name in ("(default)", "default credentials") else name.strip()
        if not self.region and not (
            os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        ):
            self.step = "region"
            return self._say(
                "Which region is the VPC in? (Or type one.)",
                choices=[Choice(key=r, label=r) for r in REGIONS],
            )
        return self._pick_region(
            self.region or os.environ.get("AWS_REGION") or os.environ["AWS_DEFAULT_REGION"]
        )

    def _pick_region(self, region: str) -> list[Turn]:
        region = region.strip()
        if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
            return self._say(
                f"'{region}' does not look like a region (like us-east-1). Which region?",
                choices=[Choice(key=r, label=r) for r in REGIONS],
            )
        self.region = region
        return self._collect_live()

    def _collect_live(self) -> list[Turn]:
        out = self._say(
            f"Reading the configuration of {self.region}"
            + (f" with profile {self.profile}" if self.profile else "")
            + " (Describe calls only)...",
            kind="progress",
        )
        try:
            from assistant.sources import live
        except ImportError:
            return (
                out
                + self._say(
                    "Reading live AWS configuration is not available in this version. You can "
                    "answer questions instead, use the demo, or restart with "
                    "`vpc-helper --snapshot FILES` (see `vpc-helper collect-commands`).",
                    kind="error",
                    choices=SOURCE_CHOICES[1:],
                )
                + self._set_step("source")
            )
        try:
            snap = live.collect(
                profile=self.profile,
                regions=[self.region],
                endpoint_url=self.endpoint_url,
                vpc_ids=self.vpc_ids,
                progress=self.progress,
            )
        except UserError as e:
            self.step = "source"
            return out + self._say(
                f"I could not read the configuration: {e}. Fix that and pick 'Read my live "
                "AWS configuration' again, or continue another way.",
                kind="error",
                choices=SOURCE_CHOICES,
            )
        return out + self._have_snapshot(snap)

    def _set_step(self, step: str) -> list[Turn]:
        self.step = step
        return []

    def _load_files(self) -> list[Turn]:
        if self.demo:
            from assistant.sources.demo import demo_snapshot

            self.mode = "demo"
            snap = demo_snapshot()
        else:
            from assistant.sources.files import load_snapshot

            self.mode = "snapshot"
            try:
                snap = load_snapshot(self.snapshot_paths or [])
            except UserError as e:
                self.step = "source"
                return self._say(
                    f"I could not read the snapshot: {e}. Continue another way?",
                    kind="error",
                    choices=SOURCE_CHOICES,
                )
        return self._have_snapshot(snap)

    def _have_snapshot(self, snap: Snapshot) -> list[Turn]:
        self.snapshot = snap
        vpcs = sorted({v.VpcId for v in snap.Vpcs} or {s.VpcId for s in snap.Subnets})
        if self.vpc_ids:
            missing = [v for v in self.vpc_ids if v not in vpcs]
            if missing:
                self.step = "source"
                return self._say(
                    f"VPC {', '.join(missing)} is not in what I read (it has: "
                    f"{', '.join(vpcs) or 'no VPCs'}).",
                    kind="error",
                    choices=SOURCE_CHOICES,
                )
        elif len(vpcs) > 1:
            from assistant.conversation.tree import vpc_tree

            self.step = "vpc"
            self.tree = vpc_tree(snap)
            names = {v.VpcId: v.name for v in snap.Vpcs}
            return self._say(
                f"I found {len(vpcs)} VPCs. Which one?",
                choices=[
                    Choice(key=v, label=f"{v} ({names[v]})" if names.get(v) else v) for v in vpcs
                ]
                + [Choice(key="all", label="All of them")],
                updates=["tree"],
            )
        return self._diagnose()

    def _pick_vpc(self, key: str) -> list[Turn]:
        assert self.snapshot is not None
        known = {v.VpcId for v in self.snapshot.Vpcs}
        if key != "all" and key not in known:
            return self._say("Pick one of the VPCs listed.", choices=self._choices)
        self.vpc_ids = None if key == "all" else [key]
        return self._diagnose()

    # -- question mode --------------------------------------------------------------------------
    def _pasted_snap(self) -> Snapshot | None:
        from assistant.conversation import questions as qs

        return qs.pasted_snapshot(self.pasted) if self.symptom != "whole" else None

    def _question_number(self) -> int:
        """Numbered by the questions answered (a paste that settled nothing skips no number)."""
        return 1 + sum(1 for ids, _ in self.history if ids)

    def _ask_next(self, prefix: str = "") -> list[Turn]:
        from assistant.conversation import questions as qs

        assert self.symptom is not None
        q = (
            None
            if self._finish
            else qs.next_question(self.symptom, self.answers, self._pasted_snap())
        )
        if q is None:
            out = self._say(prefix) if prefix else []
            return out + self._conclude_questions()
        self.step = "question"
        self.question = q
        n = self._question_number()
        text = (prefix + "\n\n" if prefix else "") + f"Question {n}: {q.text}"
        choices = [Choice(key=k, label=label) for k, label in q.all_choices()]
        if self.symptom != "whole":
            choices.append(_FINISH)
        return self._say(
            text,
            choices=choices,
            kind="question",
            question=q.id,
            why=q.why,
            console=q.console,
            command=q.command,
        )

    def _answer(self, text: str, choice: Choice | None) -> list[Turn]:
        from assistant.conversation import questions as qs

        q = self.question
        assert q is not None and self.symptom is not None
        if choice is None and text[:1] in ("[", "{"):
            return self._paste(text)
        if choice is None:
            return self._say(
                "Pick one of the answers (type its number), or paste the command's JSON output.",
                choices=self._choices,
                kind="question",
                question=q.id,
            )
        if choice.key == _FINISH.key:
            self._finish = True
            self.history.append(([], None))
            return self._ask_next()
        self.answers[q.id] = choice.key
        self.history.append(([q.id], None))
        prefix = ""
        if choice.key in (qs.UNKNOWN, "skip"):
            prefix = "Fine. " + self._unknown_effect(q)
        return self._ask_next(prefix=prefix)

    def _unknown_effect(self, q: qs.Question) -> str:
        if q.rules:
            return (
                f"Without it I cannot rule out {', '.join(sorted(set(q.rules)))}; "
                "I'll say so at the end and go on with what can still be decided."
            )
        if q.collections:
            return (
                f"The rules that read {', '.join(q.collections)} will be reported as not checked."
            )
        return "I'll go on without it."

    def _paste(self, text: str) -> list[Turn]:
        import orjson

        from assistant.conversation import questions as qs
        from assistant.sources.files import snapshot_from_outputs

        assert self.symptom is not None and self.question is not None
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as e:
            return self._say(
                f"That looks like JSON but I could not read it ({e}). Paste the whole output "
                "of the command, or pick an answer.",
                choices=self._choices,
                kind="error",
            )
        if isinstance(data, list) or not isinstance(data, dict):
            return self._say(
                "That output was cut down by --query, so I can't tell what it describes. Run the "
                "command without --query (or with --output json) and paste that, or pick an "
                "answer.",
                choices=self._choices,
                kind="error",
            )
        name = f"pasted-{len(self.pasted) + 1}.json"
        if "TargetHealthDescriptions" in data and "TargetGroupArn" not in data:
            # The output does not say its target group: the one pasted without health yet.
            before = snapshot_from_outputs(self.pasted) if self.pasted else None
            groups = [
                g.TargetGroupName
                for g in (before.TargetGroups if before else [])
                if g.TargetGroupArn not in before.TargetHealth  # type: ignore[union-attr]
            ]
            if groups:
                name = f"target-health-{groups[0]}.json"
        this = snapshot_from_outputs({name: data})  # SnapshotError (a UserError): a message
        trial = {**self.pasted, name: data}
        p = snapshot_from_outputs(trial)
        was_open = [
            x.id for x in qs.open_questions(self.symptom, self.answers, self._pasted_snap())
        ]
        self.pasted = trial
        settled, lines = self._settle_all(p)
        now_open = {x.id for x in qs.open_questions(self.symptom, self.answers, p)}
        current = self.question.id
        moot = [current] if current in was_open and current not in now_open else []
        moot = [qid for qid in moot if qid not in settled]
        self.history.append((settled or moot[:1], name))
        what = ", ".join(qs.command_for(c) for c in this.provided) or "an output I know"
        if not settled and not moot:
            pick = self._ask_which(p)
            if pick:
                return pick
            needs = ", ".join(qs.command_for(c) for c in self.question.collections if not p.has(c))
            why = f"; this question needs {needs}" if needs else ""
            if not needs and self.question.collections:
                why = "; it does not say which one is yours: pick an answer"
            return self._say(
                f"Thanks, I read it (this is {what}) and keep it for the rules, but it does not "
                f"settle this question{why}. Pick an answer, or paste that output.",
                choices=self._choices,
                kind="question",
                question=self.question.id,
            )
        if moot:
            lines.append(f"- I read {what}: the rules that need it can decide from it.")
        return self._ask_next(prefix="From what you pasted:\n" + "\n".join(lines))

    def _ask_which(self, p: Snapshot) -> list[Turn]:
        """Several instances or load balancers pasted: ask which one the questions are about."""
        from assistant.render.safe import clean

        assert self.question is not None
        colls = self.question.collections
        options: list[Choice] = []
        if "Instances" in colls and "focus_instance" not in self.answers:
            live = [i for i in p.Instances if i.State.Name != "terminated"]
            if len(live) > 1:
                self._pick_key, what = "focus_instance", "instance"
                options = [
                    Choice(
                        key=i.InstanceId,
                        label=f"{clean(i.name, 60)} ({i.InstanceId}, {i.SubnetId})"
                        if i.name
                        else f"{i.InstanceId} ({i.SubnetId})",
                    )
                    for i in sorted(live, key=lambda i: (i.name or "~", i.InstanceId))
                ]
        if not options and "LoadBalancers" in colls and "focus_lb" not in self.answers:
            if len(p.LoadBalancers) > 1:
                self._pick_key, what = "focus_lb", "load balancer"
                options = [
                    Choice(
                        key=lb.LoadBalancerArn,
                        label=f"{clean(lb.LoadBalancerName, 60)} ({lb.Scheme})",
                    )
                    for lb in p.LoadBalancers
                ]
        if not options:
            return []
        self.step = "pick"
        return self._say(
            f"You pasted {len(options)} of them: which {what} is it about?",
            choices=options + [Choice(key=qs_unknown(), label="I don't know")],
            kind="question",
        )

    def _pick_focus(self, text: str, choice: Choice | None) -> list[Turn]:
        if choice is None:
            return self._say("Pick one of the list (type its number).", choices=self._choices)
        self.step = "question"
        if choice.key == qs_unknown():
            self.history.append(([], None))
            return self._ask_next(prefix="Fine: I'll ask in words instead.")
        self.answers[self._pick_key] = choice.key
        settled, lines = self._settle_all()
        self.history.append(([self._pick_key, *settled], None))
        return self._ask_next(
            prefix="\n".join(["From what you pasted:", *lines]) if lines else "Noted."
        )

    def _settle_all(self, p: Snapshot | None = None) -> tuple[list[str], list[str]]:
        """Answer every question the pasted outputs (``p``: already read) settle; (ids
        settled, lines saying how)."""
        from assistant.conversation import questions as qs
        from assistant.sources.files import snapshot_from_outputs

        assert self.symptom is not None
        if p is None:
            p = snapshot_from_outputs(self.pasted)
        settled: list[str] = []
        lines: list[str] = []
        changed = True
        while changed:
            changed = False
            for q in qs.QUESTIONS[self.symptom]:
                if q.id in self.answers or not q.applies(self.answers) or q.settle is None:
                    continue
                got = q.settle(p, self.answers)
                if got is None:
                    continue
                key, why = got
                self.answers[q.id] = key
                self.concluded[q.id] = why
                settled.append(q.id)
                lines.append(f"- {q.text} {q.label(key)}: {clean_text(why)}.")
                changed = True
        return settled, lines

    def _conclude_questions(self) -> list[Turn]:
        from assistant.conversation import questions as qs

        assert self.symptom is not None
        if self.symptom == "whole":
            self.snapshot = qs.build_snapshot(self.symptom, self.answers, self.pasted)
            return self._diagnose(from_answers=True)
        from assistant.engine import diagnose

        res = qs.question_result(self.symptom, self.answers, self.pasted)
        self.snapshot = res.snapshot
        # The path trace ties its blocked hops to these findings (and only these).
        self.diagnosis = diagnose(res.snapshot).model_copy(update={"findings": res.findings})
        from assistant.conversation.tree import vpc_tree

        # The tree shows only what was pasted: the scenario built from answers is not the
        # user's VPC (its ids, names and AZs are made up).
        pasted = qs.pasted_snapshot(self.pasted)
        self.tree = vpc_tree(pasted) if pasted is not None and pasted.Subnets else []
        # The same ranking as the other modes: what lies on the symptom's path first (traced
        # through the answers' scenario and through what was pasted), each part by severity.
        on_path = self._on_path(res.findings)
        if pasted is not None and pasted.Subnets:
            on_path |= self._on_path(res.findings, pasted)
        self.findings = _path_first(res.findings, on_path)
        self.others = []
        self.step = "results"
        lines = []
        if self.findings:
            lines.append(self._found_line(self._source_name(), on_path))
        if res.open:
            lines.append(
                "I could not rule out:"
                if self.findings
                else "None of the rules I could decide found a problem, but I could not rule out:"
            )
            for rid, words, cmd in res.open:
                lines.append(f"- {words} ({rid}); to settle it: {cmd}")
        elif not self.findings:
            lines.append(
                f"From {self._source_name()}, every rule for this symptom was decided and none "
                "found a problem: nothing found."
            )
        self.open_rules = [rid for rid, _, _ in res.open]
        return self._say(
            "\n".join(lines),
            choices=self._result_choices(),
            kind="diagnosis",
            updates=["tree", "findings"],
        )

    # -- diagnosis -------------------------------------------------------------------------------
    def _diagnose(self, from_answers: bool = False) -> list[Turn]:
        from assistant.engine import diagnose

        assert self.snapshot is not None and self.symptom is not None
        d = diagnose(self.snapshot, vpc_ids=self.vpc_ids)
        self.diagnosis = d
        from assistant.conversation.tree import vpc_tree
        from assistant.models.snapshot import COLLECTIONS

        self.tree = vpc_tree(self.snapshot, self.vpc_ids)
        wanted = shown_rules(self.symptom, self.mode)
        mine = [f for f in d.findings if wanted is None or f.rule in wanted]
        on_path = self._on_path(mine)
        self.findings = _path_first(mine, on_path)
        self.others = []
        if not from_answers:  # a scenario built from answers holds nothing else to show
            self.others = [f for f in d.findings if wanted is not None and f.rule not in wanted]
        not_checked = [
            n
            for n in d.not_checked
            if (not from_answers or self.symptom == "whole" or n.what not in COLLECTIONS)
            and (wanted is None or not n.rules or set(n.rules) & wanted)
        ]
        self.step = "results"
        source = self._source_name()
        lines = []
        if self.findings:
            lines.append(self._found_line(source, on_path))
        else:
            lines.append(f"From {source}, none of the rules found a problem for this symptom.")
        if not_checked:
            lines.append("Not checked:")
            for n in not_checked:
                rules = f" (rules: {', '.join(n.rules)})" if n.rules else ""
                lines.append(f"- {n.what}: {n.reason}{rules}")
        if self.others:
            lines.append(f"I also found {len(self.others)} other problem(s) in this VPC.")
        out = self._say(
            "\n".join(lines),
            choices=self._result_choices(),
            kind="diagnosis",
            updates=["tree", "findings"],
        )
        if self.intents_path and not from_answers:  # the user's VPC, not a scenario from answers
            out += self._intents_turn()
        pq, self._pending_path = self._pending_path, None
        if pq is not None and self._can_trace():
            out += self._path_question(pq)
        return out

    def _on_path(self, findings: list[Finding], snap: Snapshot | None = None) -> set[str]:
        """Keys of the findings on the symptom's path (see ``paths.symptom_path_resources``),
        traced in ``snap`` (default: the session's snapshot)."""
        from assistant.conversation.paths import symptom_path_resources

        if (snap is None and self.snapshot is None) or not findings:
            return set()
        try:
            if snap is None:
                tracer = self._get_tracer()
            else:
                from assistant.trace import Tracer

                tracer = Tracer(snap)
            where = symptom_path_resources(self.symptom or "", tracer)
        except Exception:  # a path that cannot be traced ranks nothing first
            return set()
        return {f.key for f in findings if set(f.resources) & where}

    def _intents_turn(self) -> list[Turn]:
        """The verdict of each intent of ``--intents FILE`` on the configuration just read."""
        from assistant.intents import check_intents, load_intents
        from assistant.intents.render import render_text

        assert self.snapshot is not None and self.intents_path is not None
        snap = self.snapshot
        if self.vpc_ids:
            from assistant.engine import focus

            snap = focus(snap, self.vpc_ids)
        try:
            results = check_intents(snap, load_intents(self.intents_path), self.diagnosis)
        except UserError as e:  # the file changed since the start, or cannot be decided
            return self._say(
                f"I could not check your intents: {clean_text(str(e))}",
                choices=self._result_choices(),
                kind="error",
            )
        return self._say(
            f"Your intents ({clean_text(self.intents_path)}):\n"
            + render_text(results, snap.source, width=64).rstrip(),  # the chat column
            choices=self._result_choices(),
            kind="intents",
        )

    def _found_line(self, source: str, on_path: set[str]) -> str:
        """The results' first line: how many findings, and how many lie on the path."""
        n_path = sum(1 for f in self.findings if f.key in on_path)
        if n_path and n_path < len(self.findings):
            return (
                f"From {source}, I found {len(self.findings)} problem(s) that can explain this; "
                f"the first {n_path} lie on the path itself. Pick one to see why and how to fix it:"
            )
        return (
            f"From {source}, I found {len(self.findings)} problem(s) that can explain this. "
            "Pick one to see why and how to fix it:"
        )

    def _result_choices(self) -> list[Choice]:
        out = [
            Choice(key=f"f{n}", label=f"{f.severity.value.upper()} {f.rule}: {f.title}")
            for n, f in enumerate(self.findings, 1)
        ]
        out += self._path_choices()
        if self.others:
            out.append(Choice(key="others", label=f"Show the {len(self.others)} other finding(s)"))
        if self.mode == "questions" and self.history:
            out.append(Choice(key="back", label="Go back and change my last answer"))
        out.append(Choice(key="restart", label="Start over"))
        return out

    def _results_choice(self, text: str, choice: Choice | None) -> list[Turn]:
        key = choice.key if choice else text
        if key == "others":
            self.findings += self.others
            self.others = []
            self.show_all = True
            return self._say(
                "Here is everything I found:", choices=self._result_choices(), updates=["findings"]
            )
        if key == "back":
            return self.back(record=False)
        if key.startswith("f") and key[1:].isdigit() and 0 < int(key[1:]) <= len(self.findings):
            return self.show_finding(int(key[1:]) - 1, record=False)
        if key == "trace" and self._can_trace():
            return self._path_ask_from()
        if key.startswith("path:") and self.snapshot is not None:
            return self._path_preset(key[5:])
        if self._can_trace():
            from assistant.conversation.paths import parse_path_question

            pq = parse_path_question(key)  # typed, or a suggested corrected question
            if pq is not None:
                return self._path_question(pq)
            return self._say(
                "Pick a finding or another choice, or ask about a path, like "
                f'"{self._example_question()}".',
                choices=self._result_choices(),
            )
        from assistant.conversation.paths import parse_path_question

        if self.mode == "questions" and parse_path_question(key) is not None:
            return self._say(
                "I can trace paths between your own resources only in a VPC I have read (live, "
                "snapshot files or the demo). From your answers I can show the path they "
                "describe, when they describe one (see the choices).",
                choices=self._result_choices(),
            )
        return self._say("Pick a finding, or start over.", choices=self._result_choices())

    def show_finding(self, index: int, record: bool = True) -> list[Turn]:
        """The full explanation and numbered fix steps of one finding."""
        f = self.findings[index]
        if record:
            self.turns.append(Turn(role="user", text=f"(show {f.rule})"))
        return self._say(
            f"{f.severity.value.upper()} {f.rule}: {f.title}",
            kind="finding",
            finding=f,
            choices=self._result_choices(),
        )

    # -- path trace -------------------------------------------------------------------------------
    def _can_trace(self) -> bool:
        """Whether the snapshot has something to trace between (instances or load balancers)."""
        snap = self.snapshot
        return (
            snap is not None
            and self.mode != "questions"
            and bool(snap.Instances or snap.LoadBalancers)
        )

    def _get_tracer(self) -> Any:
        from assistant.trace import Tracer

        assert self.snapshot is not None
        if self._tracer is None or self._tracer.snapshot is not self.snapshot:
            self._tracer = Tracer(self.snapshot)
        return self._tracer

    def _example_question(self) -> str:
        from assistant.conversation.paths import path_instances

        assert self.snapshot is not None
        insts = path_instances(self.snapshot, private_only=True) or path_instances(self.snapshot)
        name = (insts[0].name or insts[0].InstanceId) if insts else "i-0123456789abcdef0"
        return f"can {name} reach the internet?"

    def _path_choices(self) -> list[Choice]:
        """Results choices that run a trace: in question mode the path the answers describe;
        for the egress symptom the paths of a few private instances; and "Trace a path"."""
        from assistant.conversation.paths import answers_path, path_instances

        snap = self.snapshot
        if snap is None:
            return []
        out: list[Choice] = []
        if self.mode == "questions":
            path = answers_path(self.symptom or "", snap)
            if path is not None:
                out.append(Choice(key="path:answers", label=path[2]))
        elif self.symptom == "egress":
            for inst in path_instances(snap, private_only=True, per_subnet=True)[:3]:
                name = inst.name or inst.InstanceId
                out.append(
                    Choice(
                        key=f"path:{inst.InstanceId}",
                        label=f"Show the path from {name} to the internet",
                    )
                )
        if self._can_trace():
            out.append(Choice(key="trace", label="Trace a path (from, to, port)"))
        return out

    def _path_preset(self, which: str) -> list[Turn]:
        """A path offered after the diagnosis: ``answers`` (the scenario built from answers) or
        an instance id (to the internet)."""
        from assistant.conversation.paths import answers_path

        assert self.snapshot is not None
        tracer = self._get_tracer()
        if which == "answers":
            path = answers_path(self.symptom or "", self.snapshot, tracer.resolver)
            if path is None:
                return self._say(
                    "Your answers do not describe a path to trace.",
                    choices=self._result_choices(),
                )
            src, dst, _ = path
            assumed = _ASSUMED_443 if dst.outside else _ASSUMED_LB
            return self._path_run(src, dst, 443, "tcp", assumed=assumed)
        src = self._resolve(which, source=True)
        if not hasattr(src, "kind"):
            return src
        dst = tracer.resolver.resolve("internet")
        return self._path_run(src, dst, 443, "tcp", assumed=_ASSUMED_443)

    def _resolve(
        self, text: str, suggest: Callable[[str], str] | None = None, source: bool = False
    ) -> Any:
        """The endpoint for ``text``, or the turns that say it is unknown (with close matches
        and, given ``suggest``, the corrected question for each as a choice)."""
        from assistant.conversation.paths import INTERNET, close_matches

        tracer = self._get_tracer()
        try:
            return tracer.resolver.resolve("internet" if text == INTERNET else text)
        except UserError as e:
            assert self.snapshot is not None
            near = close_matches(text, self.snapshot, lbs=not source)
            if near and "is not in the snapshot" in str(e):
                msg = (
                    f"I don't find {text!r} in {self._source_name()}. Did you mean "
                    + ", ".join(near)
                    + "?"
                )
            else:
                msg = f"I can't trace that: {e}."
            choices = self._result_choices()
            if self.step in ("trace_from", "trace_to"):
                choices = self._choices
            elif suggest and near:
                choices = [Choice(key=suggest(n), label=suggest(n)) for n in near] + choices
            return self._say(msg, kind="error", choices=choices)

    def _source_name(self) -> str:
        return {
            "demo": "the demo VPC",
            "snapshot": "the snapshot",
            "live": "your live configuration",
            "questions": "your answers",
        }.get(self.mode or "", "what I have")

    def _path_question(self, pq: Any) -> list[Turn]:
        """Answer a typed path question; ask the port when neither end implies one."""
        from assistant.conversation.paths import INTERNET, question_text
        from assistant.trace.endpoints import LB

        src = self._resolve(pq.source, lambda n: question_text(n, pq.destination, pq.port))
        if not hasattr(src, "kind"):
            return src
        dst = self._resolve(pq.destination, lambda n: question_text(pq.source, n, pq.port))
        if not hasattr(dst, "kind"):
            return dst
        if pq.port is not None:
            return self._path_run(src, dst, pq.port, pq.protocol)
        if pq.destination == INTERNET:
            return self._path_run(src, dst, 443, pq.protocol, assumed=_ASSUMED_443)
        if dst.kind == LB:
            return self._path_run(src, dst, 443, pq.protocol, assumed=_ASSUMED_LB)
        self._path = {"src": src, "dst": dst, "protocol": pq.protocol}
        return self._path_ask_port()

    def _path_ask_from(self) -> list[Turn]:
        from assistant.conversation.paths import endpoint_choices

        assert self.snapshot is not None
        self._path = {}
        self.step = "trace_from"
        return self._say(
            "Trace a path. Where does the traffic start? Pick one, or type an instance id, "
            "Name tag or IP address.",
            choices=[
                Choice(key=k, label=label)
                for k, label in endpoint_choices(self.snapshot, lbs=False)
            ]
            + [_CANCEL],
            kind="question",
        )

    def _path_ask_to(self) -> list[Turn]:
        from assistant.conversation.paths import endpoint_choices

        assert self.snapshot is not None
        src = self._path["src"]
        self.step = "trace_to"
        options = [
            (k, label)
            for k, label in endpoint_choices(self.snapshot, lbs=True)
            if k != src.id and not (src.outside and k == "internet")
        ]
        return self._say(
            f"From {src.label}. Where should it get to?",
            choices=[Choice(key=k, label=label) for k, label in options] + [_CANCEL],
            kind="question",
        )

    def _path_ask_port(self) -> list[Turn]:
        from assistant.conversation.paths import port_choices

        assert self.snapshot is not None
        src, dst = self._path["src"], self._path["dst"]
        self.step = "trace_port"
        out = self._say(
            f"From {src.label} to {dst.label}. On which port? Pick one or type a number "
            "(add /udp for UDP).",
            choices=[Choice(key=k, label=label) for k, label in port_choices(dst, self.snapshot)]
            + [_CANCEL],
            kind="question",
        )
        self._free_text = True  # a typed number is the port, not a choice
        return out

    def _path_step(self, text: str, choice: Choice | None) -> list[Turn]:
        from assistant.conversation.paths import parse_path_question

        if choice is not None and choice.key == "cancel":
            self.step = "results"
            self._path = {}
            return self._say("Fine.", choices=self._result_choices())
        pq = parse_path_question(text) if choice is None else None
        if pq is not None:  # a whole question typed at any step
            self.step = "results"
            return self._path_question(pq)
        if self.step == "trace_port":
            m = re.fullmatch(r"(?:port\s*)?(\d{1,5})(?:\s*/\s*(tcp|udp))?", text.strip().lower())
            port = int(m.group(1)) if m else None
            if port is None and choice is not None and choice.key.isdigit():
                port = int(choice.key)
            if port is None or not 1 <= port <= 65535:
                out = self._say(
                    "Type a port number between 1 and 65535, or pick one.", choices=self._choices
                )
                self._free_text = True
                return out
            proto = (m.group(2) if m else None) or self._path.get("protocol", "tcp")
            return self._path_run(self._path["src"], self._path["dst"], port, proto)
        ep = self._resolve(choice.key if choice else text, source=self.step == "trace_from")
        if not hasattr(ep, "kind"):
            return ep
        if self.step == "trace_from":
            self._path = {"src": ep}
            return self._path_ask_to()
        self._path["dst"] = ep
        from assistant.trace.endpoints import LB

        if ep.outside or ep.kind == LB:
            self._path["protocol"] = "tcp"
        return self._path_ask_port()

    def _path_run(
        self, src: Any, dst: Any, port: int, protocol: str, assumed: str | None = None
    ) -> list[Turn]:
        """Trace the path, tie blocked hops to the diagnosis' findings, and answer."""
        from assistant.conversation.paths import trace_summary
        from assistant.trace.fixes import attach_fixes

        self.step = "results"
        self._path = {}
        tracer = self._get_tracer()
        try:
            t = tracer.trace_endpoints(src, dst, port, "17" if protocol == "udp" else "6")
        except UserError as e:
            return self._say(
                f"I can't trace that: {e}.", kind="error", choices=self._result_choices()
            )
        if self.mode == "questions":  # the scenario's made-up addresses are not the user's
            from assistant.conversation.paths import made_up_addresses

            assert self.snapshot is not None
            for ip in made_up_addresses(self.snapshot):
                for h in t.hops:
                    h.detail = h.detail.replace(f"public IP {ip}", "a public IP")
                    h.detail = re.sub(
                        rf"(?<![\d.]){re.escape(ip)}(?![\d.])", "its public IP", h.detail
                    )
            from assistant.conversation import questions as qs

            pasted = qs.pasted_snapshot(self.pasted)
            made = qs._made_up(self.snapshot, set(qs.pasted_ids(pasted)) if pasted else set())
            for h in t.hops:  # no made-up ids, AZs or ranges: words for what was not named
                h.detail = qs._say(h.detail, made, False)  # `where` stays: it keys replay
            for ep in (t.source, t.destination):
                ep.label = qs._say(ep.label, made, False)
                if ep.kind == "address":  # an address the scenario picked: not the user's
                    ep.label = re.sub(
                        r"^\S+ \(an address in ([^,)]*).*\)$", r"an address in \1", ep.label
                    )
        if self.diagnosis is not None:
            attach_fixes(t, self.diagnosis)  # the same findings the diagnosis shows
        return self._say(
            trace_summary(t, assumed), kind="trace", trace=t, choices=self._result_choices()
        )

    # -- walkthrough -------------------------------------------------------------------------------
    def _walkthrough(self) -> list[Turn]:
        """Hand over to the guided setup (``assistant.walkthrough``) when it is installed."""
        try:
            from assistant.walkthrough import Walkthrough
        except ImportError:
            self.step = "symptom"
            return self._say(
                "The guided setup of a new VPC is not available in this version yet. "
                "Meanwhile I can check an existing VPC:",
                choices=[Choice(key=s.key, label=s.label) for s in SYMPTOMS[:4]],
            )
        self.mode = "walkthrough"
        self._walk = Walkthrough()
        self._walk_keys = []
        self.step = "walkthrough"
        return (
            self._say(
                "Let's plan a new VPC: the classic layout, with a load balancer in public subnets, "
                "app servers in private subnets and NAT for their internet access. Each question "
                "has a default; pick it, another choice, or type your own."
            )
            + self._walk_ask()
        )

    def _walk_ask(self) -> list[Turn]:
        wt = self._walk
        q = wt.next_question()
        if q is None:
            from assistant.walkthrough.render import render_plan

            self.step = "results"
            self.walkthrough_answers = wt.answers_document()
            return self._say(
                "Here is the plan. Save the conversation (Ctrl+S) to get an answers file "
                "next to the transcript (NAME.answers.json) for `vpc-helper walkthrough "
                "--answers`, which prints the plan as a shell script (--format sh) or "
                "Terraform (--format terraform).\n\n" + render_plan(wt.plan(), "text"),
                choices=[Choice(key="restart", label="Start over")],
            )
        options = [
            Choice(key=str(n), label=f"{c.label}: {c.detail}" if c.detail else c.label)
            for n, c in enumerate(wt.choices(q.key), 1)
        ]
        if q.kind == "bool" and not options:
            options = [Choice(key="yes", label="Yes"), Choice(key="no", label="No")]
        default = wt.default(q.key)
        options.append(
            Choice(
                key="(default)",
                label=f"Use the default ({_default_words(q, default, wt.choices(q.key))}): "
                "Enter on an empty line",
            )
        )
        out = self._say(q.text, choices=options, kind="question", question=q.key, why=q.why)
        self._free_text = q.kind in ("text", "cidr", "cidrs", "int")
        return out

    def _walk_back(self) -> list[Turn]:
        """The guided setup: forget the last answer (and what was derived after it), ask again."""
        if not self._walk_keys:
            return self._say("There is no earlier question to go back to.", choices=self._choices)
        from assistant.walkthrough.session import _order

        key = self._walk_keys.pop()
        self._walk.answers = {
            k: v for k, v in self._walk.answers.items() if _order(k) < _order(key)
        }
        self.walkthrough_answers = None
        self.step = "walkthrough"
        return self._say("Back one question.") + self._walk_ask()

    def _walk_send(self, text: str) -> list[Turn]:
        from assistant.walkthrough import AnswerError

        choice = self._match_choice(text)
        q = self._walk.next_question()
        if q is None:
            return self._walk_ask()
        if q.kind == "int" and text.strip().isdigit():
            choice = None  # a number typed for a number question is the value, not a choice
        value = None if (choice and choice.key == "(default)") else (choice.key if choice else text)
        if q.kind == "bool" and isinstance(value, str) and value.lower() in ("yes", "no"):
            value = value.lower() == "yes"
        try:
            self._walk.answer(q.key, value)
            self._walk_keys.append(q.key)
        except AnswerError as e:
            free = self._free_text
            out = self._say(f"{e}", kind="error", choices=self._choices, why=q.why)
            self._free_text = free
            return out
        return self._walk_ask()


_CANCEL = Choice(key="cancel", label="Cancel")


def qs_unknown() -> str:
    from assistant.conversation.questions import UNKNOWN

    return UNKNOWN


def _default_words(q: Any, value: Any, choices: list[Any]) -> str:
    """A default as a person says it: "Yes", "none", a choice's label, never True or []."""
    for c in choices:
        if c.value == value:
            return c.label
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    if value in (None, ""):
        return "a placeholder" if getattr(q, "key", "") == "certificate_arn" else "none"
    return str(value)


_FINISH = Choice(key="finish", label="Stop the questions: show what you can conclude")


def clean_text(text: str) -> str:
    """Untrusted text (from a paste) made safe for a terminal."""
    from assistant.render.safe import clean

    return clean(text)


_ASSUMED_443 = (
    "I assumed port 443 (HTTPS, what apt, docker pull and most APIs use); ask "
    '"... on 80" for another port.'
)
_ASSUMED_LB = 'I assumed port 443 (HTTPS); ask "... on 80" for another listener.'


def _path_first(findings: list[Finding], on_path: set[str]) -> list[Finding]:
    """The symptom view's order: findings on the path first, then the rest; each part by
    severity (then rule and resources, as the diagnosis orders them)."""
    return sorted(
        findings, key=lambda f: (f.key not in on_path, -f.severity.rank, f.rule, f.resources)
    )
