"""Intents: reachability a team requires or forbids, decided offline and exhaustively."""

from assistant.intents.check import (
    HOLDS,
    UNDECIDED_STATUS,
    VIOLATED,
    Checker,
    IntentResult,
    check_intents,
)
from assistant.intents.model import (
    FORBID,
    REQUIRE,
    Intent,
    IntentError,
    load_intents,
    parse_intents,
)

__all__ = [
    "FORBID",
    "HOLDS",
    "REQUIRE",
    "UNDECIDED_STATUS",
    "VIOLATED",
    "Checker",
    "Intent",
    "IntentError",
    "IntentResult",
    "check_intents",
    "load_intents",
    "parse_intents",
]
