"""`vpc-helper rules` and `vpc-helper explain RULE_ID`: the diagnosis catalogue."""

from __future__ import annotations

import argparse
import os
import sys

import orjson

from assistant.errors import UserError
from assistant.render.safe import clean

# The same as assistant.engine.rules.ENV_RULES, spelt here so that building the parser (the
# chat's first screen) does not load the rule engine; tests/tui/test_imports.py checks both agree.
ENV_RULES = "VPC_HELPER_RULES"


def add_rules_option(parser: argparse.ArgumentParser, top: bool = False) -> None:
    """``--rules DIR``: the user's own rule files, added to the built-in catalogue."""
    parser.add_argument(
        "--rules",
        action="append",
        metavar="DIR",
        # a subcommand's default must not hide the value given before the subcommand
        default=None if top else argparse.SUPPRESS,
        help="also use the TOML rules in DIR (repeat for several; default: "
        f"${ENV_RULES}, directories separated by {os.pathsep!r})",
    )


def use_rules_option(args: argparse.Namespace) -> None:
    """Use the rule directories asked for (``--rules``, else the environment) for this run."""
    from assistant.engine.rules import load_rules, rule_dirs_from, use_rule_dirs

    dirs = rule_dirs_from(getattr(args, "rules", None))
    use_rule_dirs(dirs)
    if dirs:
        load_rules()  # a bad rule file is an error before any work is done


def register(sub) -> None:
    p = sub.add_parser(
        "rules",
        help="list the diagnosis catalogue; `rules test` runs the rules' fixtures",
        description="List the rules in force: the built-in catalogue and the TOML rules of "
        "--rules DIR. `vpc-helper rules test [DIR]` runs every rule's fixtures.",
    )
    add_rules_option(p)
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument(
        "--facts",
        action="store_true",
        help="print the fact vocabulary rules match on (every kind and field, with meaning)",
    )
    p.set_defaults(func=run_rules)
    rsub = p.add_subparsers(dest="rules_command", metavar="SUBCOMMAND")
    t = rsub.add_parser(
        "test",
        help="run the fire and near-miss fixtures beside each rule",
        description="Run each rule's fixtures: snapshots in <rule-id>.fire/ must make the rule "
        "fire, those in <rule-id>.pass/ must not. A fixture is a snapshot file (*.json, "
        "`vpc-helper collect -o`) or a folder of AWS CLI describe-* outputs.",
        epilog="exit codes: 0 every fixture passes, 1 a fixture fails or a rule has none, 2 error",
    )
    t.add_argument(
        "directory",
        nargs="?",
        metavar="DIR",
        help="test the rules in DIR (loaded beside the built-in ones; default: the built-in "
        "catalogue and any --rules directories)",
    )
    t.add_argument("--format", choices=["text", "json"], default="text")
    t.add_argument("--rule", action="append", metavar="RULE_ID", help="only this rule")
    t.set_defaults(func=run_test)
    e = sub.add_parser("explain", help="show one rule: what it checks, why, and how to fix it")
    e.add_argument("rule_id", metavar="RULE_ID")
    e.set_defaults(func=run_explain)


def run_facts(args: argparse.Namespace) -> int:
    """The fact vocabulary: every fact kind and field, its type and one line of meaning."""
    from assistant.engine.facts import VOCABULARY, vocabulary_text
    from assistant.engine.facts._base import type_text

    if args.format == "json":
        doc = {
            kind: {
                "meaning": (model.__doc__ or "").strip(),
                "fields": {
                    name: {"type": type_text(f.annotation), "meaning": f.description}
                    for name, f in model.model_fields.items()
                },
            }
            for kind, model in sorted(VOCABULARY.items())
        }
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    sys.stdout.write(vocabulary_text())
    return 0


def run_rules(args: argparse.Namespace) -> int:
    if getattr(args, "facts", False):
        return run_facts(args)
    from assistant.engine import load_rules
    from assistant.engine.rules import BUILT_IN

    rules = load_rules()
    if args.format == "json":
        doc = [
            {
                "id": r.id,
                "severity": r.severity.value,
                "area": r.area,
                "title": r.summary,
                "origin": r.origin,
                "path": r.path,
            }
            for r in rules
        ]
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    width = max(len(r.id) for r in rules)
    area = None
    for r in sorted(rules, key=lambda r: (r.area, r.id)):
        if r.area != area:
            area = r.area
            print(f"\n{clean(area)}")
        print(f"  {clean(r.id):<{width}}  {r.severity.value:<8}  {clean(r.summary, 300)}")
        if r.origin != BUILT_IN:
            how = "overrides the built-in rule; " if r.override else ""
            print(f"  {'':<{width}}  {'':<8}  ({how}from {clean(str(r.path))})")
    own = sum(r.origin != BUILT_IN for r in rules)
    where = f" ({len(rules) - own} built-in, {own} from --rules)" if own else ""
    print(f"\n{len(rules)} rules{where}. `vpc-helper explain RULE_ID` shows one.")
    return 0


def run_test(args: argparse.Namespace) -> int:
    """``rules test [DIR]``: pass/fail per fixture; exit 1 on any failure."""
    from assistant.engine import RuleEngine
    from assistant.engine.rules import BUILT_IN, check_rule_dir, load_rules, rule_dirs_from
    from assistant.engine.ruletest import run_fixtures

    extra = rule_dirs_from(getattr(args, "rules", None))
    if args.directory:
        check_rule_dir(args.directory)
        if args.directory not in extra:
            extra.append(args.directory)
    rules = load_rules(extra=tuple(extra))
    tested = [r for r in rules if not args.directory or r.origin == args.directory]
    if args.directory and not tested:
        tested = [r for r in rules if r.origin == BUILT_IN]  # DIR is the built-in catalogue
    if args.rule:
        unknown = sorted(set(args.rule) - {r.id for r in tested})
        if unknown:
            raise UserError(f"no rule {', '.join(unknown)} among the rules tested")
        tested = [r for r in tested if r.id in args.rule]
    results = run_fixtures(tested, RuleEngine(rules))
    failed = [x for x in results if not x.ok]
    if args.format == "json":
        doc = {
            "rules": len(tested),
            "fixtures": sum(x.kind != "missing" for x in results),
            "failed": len(failed),
            "results": [x.as_dict() for x in results],
        }
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 1 if failed else 0
    for x in results:
        mark = "PASS" if x.ok else "FAIL"
        path = clean(_shown(x.path), 300)
        print(f"{mark}  {clean(x.rule_id)}  {x.kind:<7}  {path}  {clean(x.detail)}")
    n = sum(x.kind != "missing" for x in results)
    print(
        f"\n{len(tested)} rules, {n} fixtures: {n - sum(x.kind != 'missing' for x in failed)} "
        f"passed, {len(failed)} failed"
    )
    return 1 if failed else 0


def _shown(path: str) -> str:
    """A path relative to the working directory when it lies below it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


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
        parts = [f"{step.when} is known"] if step.when else []
        if step.unless:
            parts.append(f"there is no {step.unless}")
        cond = f" (when {' and '.join(parts)})" if parts else ""
        print(f"  {n}. {step.action}{cond}")
        for c in step.cli:
            print(f"       {c}")
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
