"""What the conversation exchanges: turns with text, choices, findings and tree updates."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from assistant.models.finding import Finding
from assistant.trace.model import Trace


class Choice(BaseModel):
    """A quick reply: ``key`` is what the session receives, ``label`` what the user reads."""

    key: str
    label: str


class Turn(BaseModel):
    """One message in the chat.

    ``kind`` says how to show it: ``text``, ``question`` (with why/how-to), ``finding`` (one
    finding in full), ``diagnosis`` (the findings list), ``trace`` (a path), ``progress`` or
    ``error``.
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
    finding: Finding | None = None
    trace: Trace | None = None  # a path trace, hop by hop, with the findings that fix it
    updates: list[str] = Field(default_factory=list)


class TreeNode(BaseModel):
    """A node of the VPC tree in the side panel."""

    label: str
    badge: str | None = None  # public / private / isolated / unknown for subnets
    children: list[TreeNode] = Field(default_factory=list)
