"""Import boundaries: the core never imports Textual; the chat starts without boto3."""

from __future__ import annotations

import argparse
import subprocess
import sys

from tests.helpers import ROOT

CORE = [
    "assistant.models",
    "assistant.engine",
    "assistant.sources.files",
    "assistant.sources.builder",
    "assistant.sources.demo",
    "assistant.topology",
    "assistant.policy",
    "assistant.render",
    "assistant.conversation",
    "assistant.conversation.transcript",
]


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_core_and_conversation_never_import_textual():
    code = (
        "import importlib, importlib.util, sys\n"
        f"mods = {CORE!r}\n"
        "if importlib.util.find_spec('assistant.sources.live'):\n"
        "    mods.append('assistant.sources.live')\n"
        "for m in mods: importlib.import_module(m)\n"
        "from assistant.engine import diagnose\n"
        "from assistant.sources.demo import demo_snapshot\n"
        "diagnose(demo_snapshot())\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(len(mods), bad)\n"
    )
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("[]"), r.stdout


def test_starting_the_chat_does_not_import_boto3():
    code = (
        "import asyncio, sys\n"
        "from assistant.tui.app import ChatApp\n"
        "from assistant.conversation.session import Session\n"
        "async def main():\n"
        "    app = ChatApp(Session(demo=True))\n"
        "    async with app.run_test(size=(100, 30)) as pilot:\n"
        "        await app.workers.wait_for_complete()\n"
        "        await pilot.press('1')\n"
        "        await app.workers.wait_for_complete()\n"
        "        await pilot.pause()\n"
        "        assert app.session.findings, 'no findings'\n"
        "asyncio.run(main())\n"
        "print('textual' in sys.modules, 'boto3' in sys.modules, 'botocore' in sys.modules)\n"
    )
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "False", "False"], r.stdout


def test_the_first_screen_imports_only_what_it_needs():
    # The opening needs Textual and the session; the rules engine, the tracer, the loaders
    # and the walkthrough wait until a symptom is picked (bench/tui_startup.py times it).
    # It starts as `vpc-helper --demo` does: the command line parsed by the real parser, so
    # the subcommands' modules (scan, trace, check...) and the pydantic snapshot models they
    # import are not loaded either; the chat's turns are plain dataclasses, so pydantic is not.
    code = (
        "import asyncio, sys\n"
        "from assistant.cli import _global_snapshot_paths, build_parser\n"
        "from assistant.commands.common import merge_global\n"
        "from assistant.tui.app import ChatApp\n"
        "from assistant.conversation.session import Session\n"
        "async def main():\n"
        "    argv = _global_snapshot_paths(['--demo'])\n"
        "    args = merge_global(build_parser(argv).parse_args(argv))\n"
        "    app = ChatApp(Session.from_args(args))\n"
        "    async with app.run_test(size=(100, 30)) as pilot:\n"
        "        await app.workers.wait_for_complete()\n"
        "        await pilot.pause()\n"
        "        assert app.session.choices\n"
        "        assert app.session.demo\n"
        "asyncio.run(main())\n"
        "heavy = ('assistant.engine', 'assistant.trace', 'assistant.sources', "
        "'assistant.walkthrough', 'assistant.conversation.questions', 'durable', 'boto3', "
        "'assistant.models', 'assistant.render.text', 'assistant.render.json_out', "
        "'assistant.commands.scan', 'assistant.commands.check', 'assistant.commands.trace', "
        "'assistant.intents', 'assistant.topology', 'pydantic', 'pydantic_core')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or "
        "any(m == h or m.startswith(h + '.') for h in heavy)))\n"
    )
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", r.stdout


def test_the_parser_registers_what_the_command_line_names():
    from assistant.cli import COMMAND_NAMES, COMMANDS, _commands_needed, build_parser

    assert _commands_needed([]) == []  # the chat
    assert _commands_needed(["--demo", "--vpc", "scan"]) == []  # "scan" is the VPC id here
    assert _commands_needed(["--demo", "trace", "--help"]) == ["trace"]
    assert _commands_needed(["collect-commands"]) == ["collect_commands"]
    assert _commands_needed(["--help"]) == COMMANDS
    assert _commands_needed(["scna"]) == COMMANDS  # argparse lists the real ones

    def registered(parser) -> list[str]:
        (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return list(sub.choices)

    everything = registered(build_parser())
    assert sorted(everything) == sorted(COMMAND_NAMES)
    assert registered(build_parser(["--demo"])) == []
    for word in everything:
        lazy = registered(build_parser(["--demo", word, "--x"]))
        assert word in lazy and len(lazy) <= 2, lazy  # `rules` also registers `explain`


def test_the_rules_variable_is_spelt_once():
    from assistant.commands.rules import ENV_RULES
    from assistant.engine.rules import ENV_RULES as ENGINE_ENV_RULES

    assert ENV_RULES == ENGINE_ENV_RULES
