"""Renderers: a diagnosis as text, JSON or Markdown.

Imported lazily (PEP 562): ``assistant.render.safe`` is needed by the chat's first screen,
which must not pay for the pydantic models the renderers import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.render.json_out import render_json
    from assistant.render.markdown import render_markdown
    from assistant.render.text import render_text

__all__ = ["render_json", "render_markdown", "render_text"]

_WHERE = {
    "render_json": "assistant.render.json_out",
    "render_markdown": "assistant.render.markdown",
    "render_text": "assistant.render.text",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
