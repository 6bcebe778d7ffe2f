"""The chat driven with Textual's Pilot: every opening symptom in both modes, keys and clicks."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import orjson
import pytest

import assistant.engine
from assistant.conversation.session import Session
from assistant.tui.app import ChatApp, ChatLog
from assistant.tui.screens import FindingScreen, HelpScreen, QuitScreen, SaveScreen

SIZE = (100, 30)


def run(coro):
    return asyncio.run(coro)


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def keys(app, pilot, *presses: str) -> None:
    for k in presses:
        await pilot.press(k)
        await settle(app, pilot)


def log_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.chat_screen().query_one(ChatLog).children)


DEMO_EXPECT = {
    "1": "nat.in-private-subnet",
    "2": "egress.igw-route-without-public-ip",
    "3": "exposure.sg-open-admin-port",
    "4": "exposure.public-ip-in-private-subnet",
}
QUESTION_KEYS = {  # symptom number -> answer numbers -> a rule the answers must lead to
    "1": (["1", "1", "2"], "nat.in-private-subnet"),
    "2": (["1", "1", "3"], "ingress.lb-in-private-subnets"),
    "3": (["1", "1", "1"], "exposure.sg-open-admin-port"),
}


@pytest.mark.parametrize("number", sorted(DEMO_EXPECT))
def test_demo_symptom_by_keys(number):
    async def go():
        app = ChatApp(Session(demo=True))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, number)
            rules = {f.rule for f in app.session.findings}
            assert DEMO_EXPECT[number] in rules
            assert app.session.tree
            findings = app.chat_screen().query_one("#findings")
            assert findings.option_count == len(app.session.findings)

    run(go())


@pytest.mark.parametrize("number", sorted(QUESTION_KEYS))
def test_question_mode_symptom_by_keys(number):
    answers, rule = QUESTION_KEYS[number]

    async def go():
        app = ChatApp(Session())
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, number, "2")  # symptom, then "Answer questions"
            assert app.session.mode == "questions"
            assert "Why:" in log_text(app)
            await keys(app, pilot, *answers)
            if app.session.step == "question":  # stop the questions: the rest stays open
                n = [c.key for c in app.session.choices].index("finish") + 1
                await keys(app, pilot, str(n))
            assert rule in {f.rule for f in app.session.findings}
            assert "I could not rule out" in log_text(app)

    run(go())


def test_whole_vpc_question_mode_by_keys():
    async def go():
        app = ChatApp(Session())
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "4", "2")
            while app.session.step == "question":
                await keys(app, pilot, "1")  # skip each paste
            assert "Not checked" in log_text(app)

    run(go())


@pytest.mark.parametrize("demo", [True, False])
def test_setup_symptom(demo):
    async def go():
        app = ChatApp(Session(demo=demo))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "5")
            text = log_text(app)
            assert "not available in this version yet" in text or app.session.mode == "walkthrough"

    run(go())


def test_newcomer_path_to_the_nat_fix_by_keys_alone():
    async def go():
        app = ChatApp(Session(demo=True))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "1")
            n = next(
                i
                for i, f in enumerate(app.session.findings, 1)
                if f.rule == "nat.in-private-subnet"
            )
            await keys(app, pilot, str(n))
            assert isinstance(app.screen, FindingScreen)
            assert app.screen.finding.rule == "nat.in-private-subnet"
            await keys(app, pilot, "enter")
            copied = str(app.screen.query_one("#copied").render())
            assert copied.startswith("copied: aws ec2 allocate-address")
            assert app.clipboard.startswith("aws ec2 allocate-address")
            await keys(app, pilot, "escape")
            assert not isinstance(app.screen, FindingScreen)

    run(go())


def test_typing_and_clicking_a_choice():
    async def go():
        app = ChatApp(Session(demo=True))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await pilot.click("#choices", offset=(4, 1))
            await settle(app, pilot)
            assert app.session.symptom == "egress"
            await pilot.click("#findings", offset=(4, 1))
            await settle(app, pilot)
            assert isinstance(app.screen, FindingScreen)

    run(go())


def test_typed_text_and_paste_go_to_the_session():
    async def go():
        app = ChatApp(Session())
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "1", "2")
            app.chat_screen().query_one("#input").value = '{"Foo": []}'
            await keys(app, pilot, "enter")
            assert "not a recognised AWS CLI output" in log_text(app)
            assert "(pasted 11 characters of JSON)" in log_text(app)

    run(go())


def test_back_binding_changes_an_answer():
    async def go():
        app = ChatApp(Session())
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "1", "2", "1")
            assert app.session.question.id == "nat_state"
            await keys(app, pilot, "ctrl+b")
            assert app.session.question.id == "route" and "route" not in app.session.answers

    run(go())


def test_save_binding_writes_the_transcript(tmp_path):
    async def go():
        app = ChatApp(Session(demo=True), save_dir=str(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "1", "ctrl+s")
            assert isinstance(app.screen, SaveScreen)
            await keys(app, pilot, "enter")
            assert app.saved

    run(go())
    assert len(list(Path(tmp_path).glob("*.json"))) == 1
    assert len(list(Path(tmp_path).glob("*.md"))) == 1


def test_quit_offers_to_save(tmp_path):
    async def go():
        app = ChatApp(Session(demo=True), save_dir=str(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "1", "ctrl+q")
            assert isinstance(app.screen, QuitScreen)
            await keys(app, pilot, "y")
        return app.return_code

    assert run(go()) == 0
    assert list(Path(tmp_path).glob("*.json"))


def test_help_theme_and_small_terminal():
    async def go():
        app = ChatApp(Session(demo=True))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "f1")
            assert isinstance(app.screen, HelpScreen)
            await keys(app, pilot, "escape", "f2")
            assert app.theme == "textual-light"
            await keys(app, pilot, "1")
            assert app.session.findings
            inp = app.chat_screen().query_one("#input")
            assert inp.region.height >= 1 and inp.region.bottom <= 24

    run(go())


def test_no_engine_or_aws_call_runs_on_the_ui_thread(monkeypatch):
    """Every diagnosis and snapshot read happens in a worker thread, never the UI thread."""
    import assistant.sources.demo as demo

    calls: list[str] = []
    real_diagnose, real_demo = assistant.engine.diagnose, demo.demo_snapshot

    def spy_diagnose(*a, **k):
        calls.append(threading.current_thread().name)
        return real_diagnose(*a, **k)

    def spy_demo():
        calls.append(threading.current_thread().name)
        return real_demo()

    monkeypatch.setattr(assistant.engine, "diagnose", spy_diagnose)
    monkeypatch.setattr(demo, "demo_snapshot", spy_demo)
    ui = threading.current_thread().name

    async def go():
        app = ChatApp(Session(demo=True))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "1", "2")
            assert threading.current_thread().name == ui
        return app

    app = run(go())
    assert len(calls) >= 2
    assert ui not in calls and all(c != "MainThread" for c in calls), calls
    assert app.session_threads and ui not in app.session_threads


def test_multiline_paste_of_aws_output_is_sent_whole():
    """The AWS CLI prints indented JSON over many lines; the input keeps it all and sends it."""
    from textual import events

    from assistant.sources.builder import Builder
    from tests.conversation.test_session import one_nat_in_private

    files = one_nat_in_private(Builder(seed="tui-paste")).cli_files()
    pasted = orjson.dumps(files["route-tables.json"], option=orjson.OPT_INDENT_2).decode()
    assert pasted.count("\n") > 10

    async def go():
        app = ChatApp(Session())
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "1", "2")
            box = app.chat_screen().query_one("#input")
            box.post_message(events.Paste(pasted))
            await settle(app, pilot)
            assert app.session.answers.get("route") == "nat"
            assert box.value == ""
            assert "From what you pasted" in log_text(app)

    run(go())


def test_command_palette_offers_the_chat_commands():
    from textual.command import CommandPalette

    async def go():
        app = ChatApp(Session(demo=True))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert {"Save transcript", "Back", "Help", "Toggle dark/light"} <= set(titles)
            await keys(app, pilot, "ctrl+p")
            assert isinstance(app.screen, CommandPalette)

    run(go())


def test_live_reading_runs_in_a_worker_with_progress(aws, monkeypatch):
    from assistant.sources import live

    calls: list[str] = []
    real = live.collect

    def spy(**kw):
        calls.append(threading.current_thread().name)
        return real(**kw)

    monkeypatch.setattr(live, "collect", spy)
    ui = threading.current_thread().name
    progress: list[str] = []

    async def go():
        app = ChatApp(Session(region="us-east-1", endpoint_url=aws))
        async with app.run_test(size=SIZE, message_hook=lambda m: progress.append(m)) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "4")
            assert app.session.mode == "live" and app.session.step == "results"

    run(go())
    assert calls and ui not in calls
    assert any(type(m).__name__ == "Progress" for m in progress)


def test_typed_path_question_shows_the_blocked_hop_and_traces_in_a_worker(monkeypatch):
    """On the demo: "can shop-app-b1 reach the internet?" shows the hop that blocks, the
    deciding route and the fix; the trace runs in a worker thread, never the UI thread."""
    from assistant.trace.tracer import Tracer

    calls: list[str] = []
    real = Tracer.trace_endpoints

    def spy(self, *a, **k):
        calls.append(threading.current_thread().name)
        return real(self, *a, **k)

    monkeypatch.setattr(Tracer, "trace_endpoints", spy)
    ui = threading.current_thread().name

    async def go():
        app = ChatApp(Session(demo=True))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "1")
            await pilot.press(*"can shop-app-b1 reach the internet?")
            await keys(app, pilot, "enter")
            text = log_text(app)
            assert "No: it is blocked at the NAT gateway's route table" in text
            assert "✗ NAT gateway's route table" in text
            flat = " ".join(text.split())  # the deciding route line, wrapped to the column
            assert "rtb-0be1be8465555dbeb: 0.0.0.0/0 -> nat-066b14010a3ab6ae7" in flat
            assert "nat.in-private-subnet" in text and "Fix" in text
            assert not isinstance(app.screen, FindingScreen)
            # the long answer pages with PageDown/PageUp while the input line keeps focus
            log = app.query_one("#log")
            before = log.scroll_y
            await pilot.press("pagedown")
            await pilot.pause()
            assert log.scroll_y > before and app.focused is app.query_one("#input")
            await pilot.press("pageup")
            await pilot.pause()
            assert log.scroll_y == before

    run(go())
    assert calls and ui not in calls and "MainThread" not in calls, calls


def test_chat_without_a_terminal_exits_2_with_a_message():
    import time

    from tests.helpers import run_cli

    start = time.monotonic()
    r = run_cli("--demo", input="")
    assert r.returncode == 2 and "needs a terminal" in r.stderr and r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr and time.monotonic() - start < 30


@pytest.mark.parametrize("where", ["finding", "help", "chat"])
def test_ctrl_q_quits_from_every_screen_and_offers_to_save(tmp_path, where):
    async def go():
        app = ChatApp(Session(demo=True), save_dir=str(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "1")
            if where == "finding":
                await keys(app, pilot, "1")
                assert isinstance(app.screen, FindingScreen)
            elif where == "help":
                await keys(app, pilot, "f1")
                assert isinstance(app.screen, HelpScreen)
            await keys(app, pilot, "ctrl+q")
            assert isinstance(app.screen, QuitScreen)  # unsaved turns: offered to save
            await keys(app, pilot, "n")
        return app.return_code

    assert run(go()) == 0
    assert not list(Path(tmp_path).glob("*.json"))


def test_quit_after_saving_does_not_ask_until_new_turns():
    async def go(tmp: str):
        app = ChatApp(Session(demo=True), save_dir=tmp)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "1", "ctrl+s", "enter")
            assert app.saved and not app.unsaved()
            await keys(app, pilot, "1")  # a new turn after saving
            assert app.unsaved()
            await keys(app, pilot, "escape", "ctrl+q")
            assert isinstance(app.screen, QuitScreen)

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        run(go(tmp))


def test_command_palette_quit_offers_to_save():
    async def go():
        app = ChatApp(Session(demo=True))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "1")
            quit_cmd = next(c for c in app.get_system_commands(app.screen) if c.title == "Quit")
            quit_cmd.callback()
            await settle(app, pilot)
            assert isinstance(app.screen, QuitScreen)
            await keys(app, pilot, "escape")
            assert not isinstance(app.screen, QuitScreen)

    run(go())


def test_every_quick_reply_is_reachable_at_80x24():
    async def go():
        app = ChatApp(Session(demo=True))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "1")
            choices = app.session.choices
            box = app.chat_screen().query_one("#choices")
            more = app.chat_screen().query_one("#more")
            visible = box.scrollable_content_region.height
            assert visible < len(choices)  # the list is cut: a visible hint says so
            assert more.display and f"{len(choices) - visible} more" in str(more.render())
            # Beyond 9 choices, a number is typed and sent with Enter.
            others = [c.key for c in choices].index("others") + 1
            await keys(app, pilot, str(others))
            choices = app.session.choices
            assert len(choices) >= 10 and "number and Enter" in str(more.render())
            last = len(choices)
            assert choices[-1].key == "restart"
            await keys(app, pilot, *str(last), "enter")
            assert app.session.step == "symptom"

    run(go())


def test_untrusted_text_shows_escaped_and_literally():
    from assistant.conversation.turns import Turn as T
    from assistant.tui.app import turn_text

    shown = turn_text(T(role="assistant", text="vpc [bold]evil[/bold] \x1b]52;c;AAAA\x07 x"))
    plain = shown.plain
    assert "[bold]evil[/bold]" in plain and "\x1b" not in plain and "\\x1b" in plain
    assert not any(
        span.style == "bold" for span in shown.spans if "evil" in plain[span.start : span.end]
    )


def test_chats_are_saved_under_the_user_data_directory(tmp_path, monkeypatch):
    from assistant.conversation.transcript import default_dir, save
    from tests.helpers import ROOT

    monkeypatch.delenv("VPC_HELPER_CHAT_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(ROOT)  # run from the repository root, as a developer would
    assert default_dir() == tmp_path / "data" / "vpc-helper" / "chats"
    s = Session(demo=True)
    s.start()
    s.send("1")
    md, js = save(s)
    assert js.parent == tmp_path / "data" / "vpc-helper" / "chats"
    assert ROOT / "transcripts" not in js.parents


def test_a_question_typed_at_the_opening_goes_to_its_symptom_and_path():
    async def go():
        app = ChatApp(Session(demo=True))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await pilot.press(*"why can't shop-app-b1 reach the internet")
            await keys(app, pilot, "enter")
            assert app.session.symptom == "egress"
            text = log_text(app)
            assert "I understood:" in text and "blocked at the NAT gateway's route table" in text

    run(go())


def test_guided_setup_defaults_in_words_enter_and_ctrl_b():
    async def go():
        app = ChatApp(Session())
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await keys(app, pilot, "5")
            assert app.session.mode == "walkthrough"
            seen = []
            for _ in range(30):
                if app.session.step != "walkthrough":
                    break
                seen.append(app.session.choices[-1].label)
                await keys(app, pilot, "enter")  # the default
            text = log_text(app)
            assert "pasted 0 characters" not in text and "Use the default (main)" in text
            labels = " ".join(seen)
            assert "(True)" not in labels and "(False)" not in labels and "([])" not in labels
            assert "Use the default (Yes)" in labels and "Use the default (none)" in labels
            assert app.session.step == "results" and "Here is the plan" in text
            await keys(app, pilot, "ctrl+b")  # back to the last question
            assert app.session.step == "walkthrough"
            last = app.session._walk.next_question().key
            await keys(app, pilot, "ctrl+b")
            assert app.session._walk.next_question().key != last

    run(go())


def test_intents_given_at_the_start_are_checked_after_the_diagnosis():
    from assistant.cli import _global_snapshot_paths, _merge_intents, build_parser
    from assistant.commands.common import merge_global
    from assistant.intents import VIOLATED, check_intents, load_intents
    from assistant.sources.demo import demo_snapshot

    intents = str(Path(__file__).resolve().parents[2] / "examples" / "intents" / "demo.toml")
    argv = _global_snapshot_paths(["--demo", "--intents", intents])
    args = merge_global(build_parser(argv).parse_args(argv))
    _merge_intents(args)
    expected = check_intents(demo_snapshot(), load_intents(intents))
    violated = [r for r in expected if r.status == VIOLATED]
    assert violated and len(violated) < len(expected)  # the file has both verdicts

    async def go():
        app = ChatApp(Session.from_args(args))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert "intents" not in log_text(app).lower()  # only after a diagnosis
            await keys(app, pilot, "3")
            kinds = [t.kind for t in app.session.turns]
            assert kinds[-2:] == ["diagnosis", "intents"], kinds
            shown = app.session.turns[-1].text
            assert f"{len(violated)} violated" in shown
            for r in expected:  # every intent with the verdict `check` gives it
                line = next(ln for ln in shown.splitlines() if r.intent.describe() in ln)
                assert r.status.upper() in line, (line, r.status)
            assert "Your intents" in log_text(app)
            # the findings stay pickable after the intents' message
            assert app.session.choices[0].key == "f1"

    run(go())


def test_a_bad_intents_file_stops_the_chat_before_it_opens(tmp_path):
    from tests.helpers import run_cli

    bad = tmp_path / "bad.toml"
    bad.write_text('[[forbid]]\nfrom = "internet"\n')
    r = run_cli("--demo", "--intents", str(bad), input="")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "bad.toml" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("--intents", str(bad), "diff", "a", "b")
    assert r.returncode == 2 and "does not apply to `diff`" in r.stderr


def test_the_footer_redraws_only_when_its_keys_change():
    from textual.widgets._footer import FooterKey

    from assistant.tui.app import ChatFooter

    async def go():
        app = ChatApp(Session(demo=True))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            footer = app.chat_screen().query_one(ChatFooter)
            drawn = list(footer.query(FooterKey))
            assert [k.key for k in drawn] == [
                "ctrl+q",
                "f1",
                "ctrl+s",
                "ctrl+b",
                "escape",
                "f2",
            ] + ["ctrl+p"]
            await keys(app, pilot, "tab", "shift+tab")  # focus moves, the keys stay
            app.chat_screen().refresh_bindings()
            await settle(app, pilot)
            assert list(footer.query(FooterKey)) == drawn  # the same widgets: not rebuilt
            app.bind("f5", "scroll_log(1)", description="Down")  # the keys change: redrawn
            app.chat_screen().refresh_bindings()
            await settle(app, pilot)
            now = [k.key for k in footer.query(FooterKey)]
            assert "f5" in now and now[:6] == [k.key for k in drawn][:6]

    run(go())


def test_the_collector_pauses_only_while_the_first_screen_is_built():
    import gc

    assert gc.isenabled()  # importing the chat leaves it running

    async def go(session):
        app = ChatApp(session)
        async with app.run_test(size=SIZE) as pilot:
            paused_at_start = not gc.isenabled()
            await settle(app, pilot)
            assert gc.isenabled(), "still paused once the opening is on screen"
            return paused_at_start

    assert run(go(Session(demo=True)))

    class Broken(Session):
        def start(self):
            raise RuntimeError("no opening")

    assert run(go(Broken(demo=True)))  # an opening that fails resumes it too
    assert gc.isenabled()
