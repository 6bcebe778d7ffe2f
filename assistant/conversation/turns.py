"""What the conversation exchanges: turns with text, choices, findings and tree updates."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

# A Finding and a Trace ride along as they are: the chat's first screen must not pay for
# importing the models, the rules or the tracer (see bench/tui_startup.py).


class Choice(BaseModel):
    """A quick reply: ``key`` is what the session receives, ``label`` what the user reads."""

    key: str
    label: str


class Turn(BaseModel):
    """One message in the chat.

    ``kind`` says how to show it: ``text``, ``question`` (with why/how-to), ``finding`` (one
    finding in full), ``diagnosis`` (the findings list), ``trace`` (a path), ``intents`` (the
    verdicts of ``--intents FILE``), ``progress`` or ``error``.
    ``updates`` names the side-panel parts that changed with this turn (``tree``, ``findings``).
    """

    role: Literal["assistant", "user"]
    text: str
    kind: str = "text"
    choices: list[Choice] = Field(default_factory=list)
    question: str | None = None
    why: str | None = None
    console: str | None = None
    command: str | None = None
    finding: Any = None  # an assistant.models.finding.Finding
    trace: Any = None  # an assistant.trace.model.Trace: a path, hop by hop, with its fixes
    updates: list[str] = Field(default_factory=list)


class TreeNode(BaseModel):
    """A node of the VPC tree in the side panel."""

    label: str
    badge: str | None = None  # public / private / isolated / unknown for subnets
    children: list[TreeNode] = Field(default_factory=list)
