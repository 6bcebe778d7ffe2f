"""`vpc-helper rules` and `vpc-helper explain RULE_ID`: the diagnosis catalogue."""

from __future__ import annotations

import argparse
import sys

import orjson

from assistant.errors import UserError


def register(sub) -> None:
    p = sub.add_parser("rules", help="list the diagnosis catalogue")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=run_rules)
    e = sub.add_parser("explain", help="show one rule: what it checks, why, and how to fix it")
    e.add_argument("rule_id", metavar="RULE_ID")
    e.set_defaults(func=run_explain)


def run_rules(args: argparse.Namespace) -> int:
    from assistant.engine import load_rules

    rules = load_rules()
    if args.format == "json":
        doc = [
            {"id": r.id, "severity": r.severity.value, "area": r.area, "title": r.summary}
            for r in rules
        ]
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    width = max(len(r.id) for r in rules)
    area = None
    for r in sorted(rules, key=lambda r: (r.area, r.id)):
        if r.area != area:
            area = r.area
            print(f"\n{area}")
        print(f"  {r.id:<{width}}  {r.severity.value:<8}  {r.summary}")
    print(f"\n{len(rules)} rules. `vpc-helper explain RULE_ID` shows one.")
    return 0


def _literal(template: str) -> str:
    """A template as the user reads it: escaped braces shown once, fields kept as {field}."""
    return template.replace("{{", "{").replace("}}", "}")


def run_explain(args: argparse.Namespace) -> int:
    from assistant.engine import get_rule, load_rules

    rule = get_rule(args.rule_id)
    if rule is None:
        close = [r.id for r in load_rules() if args.rule_id.split(".")[-1] in r.id]
        hint = (
            f" (did you mean {', '.join(close[:3])}?)"
            if close
            else " (`vpc-helper rules` lists them)"
        )
        raise UserError(f"no rule {args.rule_id!r}{hint}")
    print(f"{rule.id}  [{rule.severity.value}]")
    print(f"  {rule.summary}")
    print()
    print("Why it matters")
    print("  " + " ".join(rule.explanation.split()))
    if rule.cannot_know:
        print()
        print("What the rule cannot know")
        print("  " + rule.cannot_know)
    print()
    print("Fix (ids are filled in when the rule fires)")
    for n, step in enumerate(rule.fix, 1):
        cond = ""
        if step.when:
            cond = f" (when {step.when} is known)"
        if step.unless:
            cond = f" (when there is no {step.unless})"
        print(f"  {n}. {_literal(step.action)}{cond}")
        for c in step.cli:
            print(f"       {_literal(c)}")
        if step.console:
            print(f"       Console: {step.console}")
    if rule.references:
        print()
        print("Docs")
        for r in rule.references:
            print(f"  {r}")
    print()
    print(f"Needs: {', '.join(rule.needs) or 'nothing beyond the VPC'}; file: {rule.path}")
    return 0
