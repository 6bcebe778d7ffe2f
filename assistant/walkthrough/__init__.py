"""Guided VPC setup: questions with defaults and reasons, a plan, scripts, and verification.

UI-free; the terminal prompt, the chat and `--answers FILE.json` all drive `Walkthrough`.
"""

from assistant.walkthrough.questions import QUESTIONS, AnswerError, Choice, Question
from assistant.walkthrough.session import ANSWERS_FORMAT, ANSWERS_VERSION, Walkthrough

__all__ = [
    "ANSWERS_FORMAT",
    "ANSWERS_VERSION",
    "QUESTIONS",
    "AnswerError",
    "Choice",
    "Question",
    "Walkthrough",
]
