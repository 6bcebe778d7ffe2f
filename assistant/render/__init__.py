"""Renderers: a diagnosis as text, JSON or Markdown."""

from assistant.render.json_out import render_json
from assistant.render.markdown import render_markdown
from assistant.render.text import render_text

__all__ = ["render_json", "render_markdown", "render_text"]
