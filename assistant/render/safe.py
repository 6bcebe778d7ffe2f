"""Untrusted strings (names, tags, descriptions, error texts) made safe to show.

Anything a customer or an AWS account controls may hold control characters and escape
sequences (an OSC 52 clipboard write, a title change, a screen clear). ``clean`` shows them
escaped, as ``\\x1b`` or ``\\u202e``, so nothing untrusted reaches a terminal raw, and cuts
very long values with an ellipsis.
"""

from __future__ import annotations

import re

LIMIT = 200

# C0 controls (except tab and newline, handled by the caller's ``keep_newlines``), DEL, C1
# controls, and the Unicode format characters that reorder or hide text (bidi overrides,
# isolates, zero-width joiners are harmless but the overrides are not).
# Also the Arabic letter mark (a bidi mark), the Unicode line and paragraph separators (a new
# line to some terminals and renderers) and the interlinear annotation controls.
_OTHER = "\u061c\u2028\u2029\ufff9-\ufffb"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069{_OTHER}]")
_UNSAFE_NO_NL = re.compile(f"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069{_OTHER}]")


def _escape(m: re.Match) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def clean(text: object, limit: int | None = LIMIT, keep_newlines: bool = False) -> str:
    """``text`` with control characters escaped and cut to ``limit`` characters with "…"."""
    s = "" if text is None else str(text)
    s = (_UNSAFE if keep_newlines else _UNSAFE_NO_NL).sub(_escape, s)
    if limit is not None and len(s) > limit:
        s = s[: max(limit - 1, 0)] + "…"
    return s


def is_clean(text: str) -> bool:
    """Whether ``text`` holds nothing ``clean`` would escape (newlines and tabs allowed)."""
    return _UNSAFE.search(text) is None
