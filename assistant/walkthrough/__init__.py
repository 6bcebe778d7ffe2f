"""Guided VPC setup: questions with defaults and reasons, a plan, scripts, and verification.

UI-free; the terminal prompt, the chat and `--answers FILE.json` all drive `Walkthrough`:

    wt = Walkthrough()
    q = wt.next_question()          # .key, .text, .why, .kind; None when done
    wt.prompt(q)                    # the question, why, numbered choices, [default]
    wt.choices(q.key)               # [Choice(value, label, detail)] with costs filled in
    wt.default_words(q.key)         # the default in words: "Yes", "none", a choice's label
    wt.words(q.key, value)          # any answer in words (never True or [])
    wt.answer(q.key, "2")           # text as typed, a JSON value, or None for the default;
                                    # raises AnswerError (one line) and keeps earlier answers
    wt.back()                       # forget the last answer; returns the question to ask again
    plan = wt.plan()                # render.render_plan(plan, "text" | "sh" | "terraform")
    wt.answers_json()               # the answers file
    verify.verify(plan, snapshot, vpc_id)  # -> VerifyResult(checks, diagnosis, ok, exit_code)
"""

from assistant.walkthrough.questions import QUESTIONS, AnswerError, Choice, Question, words
from assistant.walkthrough.session import ANSWERS_FORMAT, ANSWERS_VERSION, Walkthrough

__all__ = [
    "ANSWERS_FORMAT",
    "ANSWERS_VERSION",
    "QUESTIONS",
    "AnswerError",
    "Choice",
    "Question",
    "Walkthrough",
    "words",
]
