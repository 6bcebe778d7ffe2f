"""The walkthrough as a plain object: questions in order, answers checked, then a plan.

UI-free: a terminal prompt, the chat and an answers file all drive the same object::

    wt = Walkthrough()
    while (q := wt.next_question()) is not None:
        wt.answer(q.key, input(wt.prompt(q)) or None)   # None takes the default
    plan = wt.plan()
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.walkthrough.questions import (
    BY_KEY,
    QUESTIONS,
    AnswerError,
    Answers,
    Choice,
    Question,
    words,
)

ANSWERS_FORMAT = "vpc-helper-walkthrough"
ANSWERS_VERSION = 1


class Walkthrough:
    """Questions, the answers given so far, and the plan they lead to."""

    def __init__(self) -> None:
        self.answers: Answers = {}

    # -- asking ----------------------------------------------------------------------------
    @property
    def questions(self) -> list[Question]:
        """Every question that applies given the answers so far, in order."""
        return [q for q in QUESTIONS if q.applies(self.answers)]

    def next_question(self, include_hidden: bool = False) -> Question | None:
        """The first applicable question not answered yet, or None when done."""
        for q in self.questions:
            if q.key not in self.answers and (q.asked or include_hidden):
                return q
        return None

    @property
    def done(self) -> bool:
        return self.next_question() is None

    def default(self, key: str) -> Any:
        """The default answer to a question, given the answers so far."""
        return BY_KEY[key].default(self.answers)

    def words(self, key: str, value: Any) -> str:
        """An answer to ``key`` in words ("Yes", "none", a choice's label)."""
        return words(BY_KEY[key], value, self.choices(key))

    def default_words(self, key: str) -> str:
        """The default answer to ``key`` in words, as a prompt or the chat offers it."""
        return self.words(key, self.default(key))

    def choices(self, key: str) -> list[Choice]:
        """The options of a choice question (with costs worked out from earlier answers)."""
        q = BY_KEY[key]
        return q.choices(self.answers) if q.choices else []

    def prompt(self, q: Question) -> str:
        """The question as plain text: what, why, the choices and the default."""
        lines = [q.text, f"  Why: {q.why}"]
        for i, c in enumerate(self.choices(q.key), 1):
            lines.append(f"  [{i}] {c.label}: {c.detail}" if c.detail else f"  [{i}] {c.label}")
        lines.append(f"[{format_value(q, self.default(q.key), self.choices(q.key))}] > ")
        return "\n".join(lines)

    def answer(self, key: str, value: Any = None) -> Any:
        """Record an answer (None takes the default); returns the stored value.

        Raises AnswerError with a one-line reason when the answer cannot be used; the
        answers so far are unchanged then. Answering an earlier question again drops the
        later answers, since their defaults and checks depend on it.
        """
        q = BY_KEY.get(key)
        if q is None:
            raise AnswerError(f"unknown question {key!r}; known: {', '.join(BY_KEY)}")
        if not q.applies(self.answers):
            raise AnswerError(f"{key}: does not apply to the answers given so far")
        if value is None or (isinstance(value, str) and not value.strip()):
            value = q.default(self.answers)
        before = {k: v for k, v in self.answers.items() if _order(k) < _order(key)}
        stored = q.validate(value, before) if value is not None else None
        if key in self.answers:
            self.answers = before
        self.answers[key] = stored
        return stored

    def back(self) -> Question | None:
        """Go back one question: forget the last answer given (and any after it).

        Returns the question to ask again, or None when nothing was answered yet. Used by the
        chat's Ctrl+B and a terminal's "back".
        """
        asked = [q for q in QUESTIONS if q.asked and q.key in self.answers]
        if not asked:
            return None
        last = asked[-1]
        self.answers = {k: v for k, v in self.answers.items() if _order(k) < _order(last.key)}
        return last

    def take_defaults(self) -> Walkthrough:
        """Answer every remaining question (hidden ones too) with its default."""
        while (q := self.next_question(include_hidden=True)) is not None:
            self.answer(q.key, None)
        return self

    def complete(self) -> Answers:
        """The answers with every unanswered question set to its default."""
        self.take_defaults()
        return self.answers

    # -- answers files --------------------------------------------------------------------
    @classmethod
    def from_answers(cls, data: dict[str, Any], where: str = "answers") -> Walkthrough:
        """A finished walkthrough from an answers mapping; missing keys take defaults."""
        if not isinstance(data, dict):
            raise AnswerError(f"{where}: expected a JSON object of answers")
        data = dict(data)
        fmt = data.pop("format", ANSWERS_FORMAT)
        version = data.pop("version", ANSWERS_VERSION)
        if fmt != ANSWERS_FORMAT:
            raise AnswerError(f"{where}: 'format' should be {ANSWERS_FORMAT!r}, not {fmt!r}")
        if not isinstance(version, int) or version > ANSWERS_VERSION:
            raise AnswerError(
                f"{where}: answers version {version!r} is newer than this vpc-helper "
                f"understands ({ANSWERS_VERSION})"
            )
        unknown = [k for k in data if k not in BY_KEY]
        if unknown:
            raise AnswerError(
                f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(BY_KEY)}"
            )
        wt = cls()
        for q in QUESTIONS:
            try:
                if q.applies(wt.answers):
                    wt.answer(q.key, data.get(q.key))
                elif data.get(q.key) not in (None, ""):
                    # Given although it does not apply: fine if it says the same as not asking.
                    value = q.validate(data[q.key], wt.answers)
                    if value not in (q.default(wt.answers), "none", False, None, ""):
                        raise AnswerError(f"{q.key}: does not apply because {q.skipped_when}")
            except AnswerError as e:
                raise AnswerError(f"{where}: {e}") from None
        return wt

    @classmethod
    def load(cls, path: str | Path) -> Walkthrough:
        """A finished walkthrough from an answers JSON file."""
        p = Path(path)
        try:
            text = p.read_text()
        except FileNotFoundError:
            raise AnswerError(f"{p}: no such file") from None
        except OSError as e:
            raise AnswerError(f"{p}: cannot read ({e.strerror or e})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise AnswerError(f"{p}: not valid JSON ({e.msg}, line {e.lineno})") from None
        return cls.from_answers(data, where=str(p))

    def answers_document(self) -> dict[str, Any]:
        """The answers as an answers file holds them (every applicable key, in order)."""
        doc: dict[str, Any] = {"format": ANSWERS_FORMAT, "version": ANSWERS_VERSION}
        for q in QUESTIONS:
            if q.key in self.answers:
                doc[q.key] = self.answers[q.key]
        return doc

    def answers_json(self) -> str:
        return json.dumps(self.answers_document(), indent=2) + "\n"

    # -- result -----------------------------------------------------------------------------
    def plan(self):
        """The plan for the answers (unanswered questions take their defaults)."""
        from assistant.walkthrough.plan import build_plan

        return build_plan(self.complete())


def _order(key: str) -> int:
    return [q.key for q in QUESTIONS].index(key)


def format_value(q: Question, value: Any, choices: list[Choice] | None = None) -> str:
    """How a default is shown in a terminal prompt: the choice's number and label, or words."""
    for i, c in enumerate(choices or [], 1):
        if c.value == value:
            return f"{i}: {c.label}"
    return words(q, value)
