"""The rule engine: facts from the snapshot, rules from ``rules/``, findings out."""

from assistant.engine.diagnose import default_engine, diagnose, focus
from assistant.engine.host import EngineError, RuleEngine
from assistant.engine.rules import Rule, RuleError, get_rule, load_rules

__all__ = [
    "EngineError",
    "Rule",
    "RuleEngine",
    "RuleError",
    "default_engine",
    "diagnose",
    "focus",
    "get_rule",
    "load_rules",
]
