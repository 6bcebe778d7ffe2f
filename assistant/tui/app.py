"""The chat in the terminal: renders a :class:`~assistant.conversation.Session` and sends input.

All conversation logic lives in ``assistant.conversation``. Every call into the session (which
may run the rules or read AWS) happens in a thread worker that reports back with a message,
so the screen never freezes.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from assistant.gcpause import gc_paused, pause, resume

# Textual's import builds some 35,000 long-lived objects and no garbage: without the cyclic
# collector they load faster, and are then frozen out of later collections (see gc_paused).
with gc_paused():
    from rich.text import Text
    from textual import on, work
    from textual.app import App, ComposeResult, SystemCommand
    from textual.binding import Binding
    from textual.containers import Horizontal, Vertical, VerticalScroll
    from textual.message import Message
    from textual.screen import Screen
    from textual.widgets import Footer, Header, Input, OptionList, Static, Tree
    from textual.widgets.option_list import Option

    from assistant.conversation.session import Session
    from assistant.conversation.turns import TreeNode, Turn
    from assistant.render.safe import clean
    from assistant.tui.screens import FindingScreen, HelpScreen, QuitScreen, SaveScreen

if TYPE_CHECKING:
    from assistant.trace.model import Trace

BADGE_STYLE = {
    "public": "bold green",
    "private": "bold yellow",
    "isolated": "bold magenta",
    "unknown": "dim",
}
SEVERITY_SHORT = {"critical": "CRIT", "high": "HIGH", "medium": "MED", "low": "LOW", "info": "INFO"}
SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "bold yellow",
    "low": "cyan",
    "info": "dim",
}
TRACE_WIDTH = 56  # a trace's detail lines are wrapped to fit the chat column


class Replied(Message):
    """The session answered: new assistant turns."""

    def __init__(self, turns: list[Turn]) -> None:
        self.turns = turns
        super().__init__()


class Progress(Message):
    """A progress line from live reading (posted from a worker thread)."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__()


class Failed(Message):
    """Something unexpected went wrong in a worker."""

    def __init__(self, error: str) -> None:
        self.error = error
        super().__init__()


def safe(text: object, limit: int | None = 20000) -> str:
    """Untrusted text for the screen: control characters escaped, long values cut. Shown
    through ``Text`` (never markup), so ``[bold]`` in a name shows literally."""
    return clean(text, limit=limit, keep_newlines=True)


def turn_text(turn: Turn) -> Text:
    """One chat message as styled text (no markup parsing of user or AWS text)."""
    t = Text()
    if turn.role == "user":
        t.append("you  ", style="bold cyan")
        t.append(safe(turn.text))
        return t
    style = "bold red" if turn.kind == "error" else "bold green"
    t.append("vpc-helper  ", style=style)
    t.append(safe(turn.text))
    if turn.why:
        t.append("\nWhy: ", style="bold")
        t.append(safe(turn.why))
    if turn.console:
        t.append("\nFind it: ", style="bold")
        t.append(safe(turn.console))
    if turn.command:
        t.append("\n")
        t.append(safe(turn.command), style="italic")
        t.append("\nOr paste the JSON the command prints without --query.", style="dim")
    if turn.trace is not None:
        t.append("\n\n")
        t.append(trace_text(turn.trace))
    if turn.finding is not None:
        f = turn.finding
        t.append("\n\n")
        t.append(safe(f.explanation))
        t.append("\nFix:", style="bold")
        for n, step in enumerate(f.fix, 1):
            t.append(f"\n {n}. {safe(step.action)}")
            for c in step.cli:
                t.append(f"\n      {safe(c)}", style="italic")
        t.append(
            "\nTo copy a command: select the finding in the side panel, then Enter on it.",
            style="dim",
        )
    return t


def trace_text(trace: Trace) -> Text:
    """A trace in the chat: the hops (coloured marks, deciding line), then each finding that
    fixes a blocked hop with its numbered steps and commands."""
    from assistant.trace.render import render_trace_text

    hops = trace.model_copy(update={"fixes": []})
    t = Text.from_ansi(render_trace_text(hops, colour=True, width=TRACE_WIDTH).rstrip("\n"))
    for f in trace.fixes:
        sev = f.severity.value
        t.append("\n\n")
        t.append(f"{SEVERITY_SHORT[sev]} {f.rule}", style=SEVERITY_STYLE[sev])
        t.append(f": {safe(f.title)}")
        t.append("\nFix:", style="bold")
        for n, step in enumerate(f.fix, 1):
            t.append(f"\n {n}. {safe(step.action)}")
            for c in step.cli:
                t.append(f"\n      {safe(c)}", style="italic")
    return t


class ChatLog(VerticalScroll):
    """The conversation so far."""

    def on_mount(self) -> None:
        self.anchor()  # stay at the newest message as the log grows

    def add(self, turn: Turn) -> None:
        msg = Static(turn_text(turn), classes=f"msg {turn.role} {turn.kind}")
        self.mount(msg)
        if turn.kind in ("trace", "intents"):  # a long answer: show its start (the verdicts)
            self.call_after_refresh(self._show_top, msg)
        else:
            self.scroll_end(animate=False)  # back to the newest message (re-anchors)

    def _show_top(self, msg: Static) -> None:
        self.release_anchor()
        self.scroll_to_widget(msg, top=True, animate=False)


class ChatInput(Input):
    """The input line; a digit on an empty line picks that quick reply.

    A pasted JSON document (the AWS CLI prints several lines) is sent as a whole, at once;
    other multi-line pastes are joined into one line.
    """

    def _on_paste(self, event) -> None:  # noqa: ANN001
        # Input's own handler (run after this one unless prevented) keeps only the first line.
        text = event.text or ""
        if "\n" not in text and "\r" not in text:
            return
        event.prevent_default()
        event.stop()
        joined = " ".join(line.strip() for line in text.splitlines() if line.strip())
        app = self.app
        if joined[:1] in ("[", "{") and not self.value and isinstance(app, ChatApp):
            app.submit(joined)
            return
        self.insert_text_at_cursor(joined)

    def _on_key(self, event) -> None:  # noqa: ANN001
        if event.character and event.character.isdigit() and not self.value:
            app = self.app
            if (
                isinstance(app, ChatApp)
                and app.session.digits_pick
                and len(app.session.choices) <= 9  # more: type the number, then Enter
                and app.pick_number(int(event.character))
            ):
                event.stop()
                event.prevent_default()
                return


class ChatFooter(Footer):
    """Textual's footer, redrawn only when the keys it would show change.

    Textual's footer rebuilds and restyles every key on each "bindings changed" signal, and the
    opening sent five with the same keys (focus moves, the choices appear): most of what the
    first screen cost after the imports. The keys asked for are remembered and a signal that
    brings the same ones is ignored.
    """

    _wanted: tuple | None = None  # the keys of the last redraw asked for

    def _keys(self, screen: Screen) -> tuple:
        """What ``Footer.compose`` draws from: the bindings shown and the palette's key."""
        active = screen.active_bindings
        shown = tuple((b, enabled, tip) for (_, b, enabled, tip) in active.values() if b.show)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        palette_key = palette[1:] if palette is not None else None
        return shown, palette_key, self.show_command_palette, self.app.ENABLE_COMMAND_PALETTE

    def bindings_changed(self, screen: Screen) -> None:
        keys = self._keys(screen)
        if keys == self._wanted and self._bindings_ready:
            return
        super().bindings_changed(screen)
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._wanted = keys  # the redraw is scheduled


class ChatScreen(Screen):
    """Chat on the left, the VPC tree and findings on the right."""

    AUTO_FOCUS = "#input"  # focused as the screen starts (not the log first, then the input)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="main"):
            with Vertical(id="chat"):
                yield ChatLog(id="log")
                yield Static("", id="status")
                yield OptionList(id="choices")
                yield Static("", id="more")
                yield ChatInput(placeholder="Type, pick a number, or paste JSON", id="input")
            with Vertical(id="side"):
                yield Static("VPC", classes="side-title")
                yield Tree(Text("nothing read yet"), id="tree")  # Text: no markup to parse
                yield Static("Findings", classes="side-title")
                yield OptionList(id="findings")
        yield ChatFooter()

    def on_mount(self) -> None:
        self.query_one("#choices", OptionList).display = False
        self.query_one("#more", Static).display = False
        self.app.begin()  # type: ignore[attr-defined]


class ChatApp(App):
    """vpc-helper's chat."""

    TITLE = "vpc-helper"
    SUB_TITLE = "VPC connectivity assistant"
    CSS_PATH = "chat.tcss"
    BINDINGS = [
        Binding(
            "ctrl+q", "quit", "Quit", id="quit", tooltip="Quit (offers to save)", priority=True
        ),
        Binding("f1", "help", "Help", id="help", tooltip="Show the help screen"),
        Binding("ctrl+s", "save", "Save", id="save", tooltip="Save the transcript"),
        Binding("ctrl+b", "back", "Back", id="back", tooltip="Go back one question"),
        Binding("escape", "focus_input", "Input", id="input", tooltip="Focus the input line"),
        Binding("f2", "toggle_theme", "Theme", id="theme", tooltip="Dark or light"),
        Binding("pageup", "scroll_log(-1)", "Scroll up", show=False, id="log_up"),
        Binding("pagedown", "scroll_log(1)", "Scroll down", show=False, id="log_down"),
    ]

    def __init__(self, session: Session | None = None, save_dir: str | None = None) -> None:
        super().__init__()
        self.session = session or Session()
        self.session.progress = self._progress_from_thread
        self.save_dir = save_dir
        self.saved = False
        self._saved_upto = 0  # turns saved so far: later user turns are unsaved
        self.busy = False
        self.session_threads: list[str] = []  # threads that ran session work (tests look)
        self._gc_was_enabled = False  # the collector's state when the app paused it

    # -- the first screen without the cyclic garbage collector -----------------------------
    # Starting builds tens of thousands of long-lived objects (widgets, styles, strips) and
    # next to no cyclic garbage, yet the collector scans them again and again (a full
    # collection included): ~45 ms of the first screen. It is paused from the app's start
    # until the opening is on screen; then what was built is frozen out of later collections
    # (as assistant.gcpause does after a large load) and the collector runs as always.
    def on_load(self) -> None:
        self._gc_was_enabled = pause()

    def _resume_gc(self) -> None:
        """End the pause (once: later calls find nothing to resume)."""
        was_enabled, self._gc_was_enabled = self._gc_was_enabled, False
        resume(was_enabled)

    def on_unmount(self) -> None:
        self._resume_gc()

    # -- layout --------------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        return ChatScreen()

    def on_mount(self) -> None:
        self.theme = "textual-dark"

    def begin(self) -> None:
        """Called by the chat screen once it is up: the opening turn."""
        self._set_busy(True)
        self._run(None)

    # -- session work in a thread ---------------------------------------------------------
    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def _run(self, text: str | None, action: str = "send", arg: Any = None) -> None:
        self.session_threads.append(threading.current_thread().name)
        try:
            if text is None and action == "send":
                turns = self.session.start()
            elif action == "back":
                turns = self.session.back()
            elif action == "finding":
                turns = self.session.show_finding(arg)
            else:
                turns = self.session.send(text or "")
        except Exception as e:  # reported in the chat, never a crash
            self.post_message(Failed(f"{type(e).__name__}: {e}"))
            return
        self.post_message(Replied(turns))

    def _progress_from_thread(self, text: str) -> None:
        self.post_message(Progress(text))

    def submit(self, text: str, shown: str | None = None) -> None:
        """Send user input to the session (in a worker)."""
        if self.busy or not (text.strip() or self.session.step == "walkthrough"):
            return
        self._set_busy(True)
        log = self.chat_screen().query_one(ChatLog)
        if shown is None:
            shown = text.strip()
            if shown[:1] in ("[", "{") and self.session.step != "walkthrough":
                shown = f"(pasted {len(shown)} characters of JSON)"
            elif not shown:  # Enter on an empty line: the default
                shown = next(
                    (c.label for c in self.session.choices if c.key == "(default)"), "(default)"
                )
        log.add(Turn(role="user", text=shown))
        self._run(text)

    def _set_busy(self, busy: bool, note: str = "working...") -> None:
        self.busy = busy
        try:
            self.chat_screen().query_one("#status", Static).update(note if busy else "")
        except Exception:
            pass

    def chat_screen(self) -> ChatScreen:
        """The chat screen, even while a modal is on top of it."""
        return next(s for s in reversed(self.screen_stack) if isinstance(s, ChatScreen))

    # -- messages from workers -------------------------------------------------------------
    def on_replied(self, message: Replied) -> None:
        self._set_busy(False)
        screen = self.chat_screen()
        log = screen.query_one(ChatLog)
        for turn in message.turns:
            log.add(turn)
            if "tree" in turn.updates:
                self._render_tree(screen)
            if "findings" in turn.updates:
                self._render_findings(screen)
            if turn.finding is not None:
                self.push_screen(FindingScreen(turn.finding))
        self._render_choices(screen)
        self.call_after_refresh(self._resume_gc)

    def on_progress(self, message: Progress) -> None:
        self._set_busy(True, message.text)

    def on_failed(self, message: Failed) -> None:
        self._set_busy(False)
        self.call_after_refresh(self._resume_gc)
        log = self.chat_screen().query_one(ChatLog)
        log.add(
            Turn(
                role="assistant",
                kind="error",
                text=f"Something went wrong: {message.error}. Try again, or start over.",
            )
        )

    # -- rendering ---------------------------------------------------------------------------
    def _render_choices(self, screen: Screen) -> None:
        box = screen.query_one("#choices", OptionList)
        box.clear_options()
        choices = self.session.choices
        width = len(str(len(choices)))
        for n, c in enumerate(choices, 1):
            box.add_option(
                Option(Text.assemble((f"{n:>{width}} ", "bold"), safe(c.label)), id=c.key)
            )
        box.display = bool(choices)
        box.highlighted = 0 if choices else None
        self.call_after_refresh(self._render_more, screen)

    def _render_more(self, screen: Screen) -> None:
        """Say how many choices lie below the visible ones, and how to reach them."""
        box = screen.query_one("#choices", OptionList)
        more = screen.query_one("#more", Static)
        choices = self.session.choices
        shown = max(box.scrollable_content_region.height, 0) if box.display else 0
        hidden = len(choices) - shown
        keys = "type its number and Enter" if len(choices) > 9 else "or press its number"
        if choices and hidden > 0:
            more.update(
                Text(f"↓ {hidden} more: Tab to the list and scroll with ↑/↓, {keys}", style="dim")
            )
            more.display = True
        elif len(choices) > 9:
            more.update(Text("More than 9 choices: type the number and Enter", style="dim"))
            more.display = True
        else:
            more.display = False

    def _render_tree(self, screen: Screen) -> None:
        tree = screen.query_one("#tree", Tree)
        tree.clear()
        nodes = self.session.tree
        tree.root.set_label(Text("VPC" if nodes else "nothing read yet"))
        tree.root.expand()

        def add(parent, node: TreeNode) -> None:  # noqa: ANN001
            label = Text(safe(node.label, 200))
            if node.badge:
                label = Text.assemble(
                    (f"[{node.badge}] ", BADGE_STYLE.get(node.badge, "")), safe(node.label, 200)
                )
            if node.children:
                child = parent.add(label, expand=True)
                for c in node.children:
                    add(child, c)
            else:
                parent.add_leaf(label)

        for n in nodes:
            add(tree.root, n)

    def _render_findings(self, screen: Screen) -> None:
        box = screen.query_one("#findings", OptionList)
        box.clear_options()
        for n, f in enumerate(self.session.findings):
            sev = f.severity.value
            label = Text.assemble((f"{SEVERITY_SHORT[sev]:5}", SEVERITY_STYLE[sev]), f.rule)
            box.add_option(Option(label, id=str(n)))  # one line each (see .tcss); all on select
        if not self.session.findings:
            box.add_option(Option(Text("no findings", style="dim"), disabled=True))

    # -- input -------------------------------------------------------------------------------
    @on(Input.Submitted, "#input")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value
        event.input.value = ""
        self.submit(text)

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.pick(event.option.id)

    @on(OptionList.OptionSelected, "#findings")
    def _finding_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.push_screen(FindingScreen(self.session.findings[int(event.option.id)]))

    def pick(self, key: str) -> None:
        """Choose a quick reply by its key."""
        label = next((c.label for c in self.session.choices if c.key == key), key)
        self.submit(key, shown=label)

    def pick_number(self, n: int) -> bool:
        choices = self.session.choices
        if self.busy or not 1 <= n <= len(choices):
            return False
        self.pick(choices[n - 1].key)
        return True

    # -- actions -------------------------------------------------------------------------------
    def action_focus_input(self) -> None:
        if isinstance(self.screen, ChatScreen):
            self.screen.query_one("#input", Input).focus()
        elif len(self.screen_stack) > 2:
            self.pop_screen()

    def action_scroll_log(self, direction: int) -> None:
        """Page through the conversation without leaving the input line."""
        log = self.query_one(ChatLog)
        if direction < 0:
            log.scroll_page_up()
        else:
            log.scroll_page_down()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_back(self) -> None:
        if self.busy:
            return
        self._set_busy(True)
        self.chat_screen().query_one(ChatLog).add(Turn(role="user", text="(back)"))
        self._run(None, action="back")

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_save(self) -> None:
        from assistant.conversation.transcript import default_dir

        self.push_screen(SaveScreen(self.save_dir or str(default_dir())), self._save_to)

    def _save_to(self, target: str | None) -> None:
        if target is None:
            return
        from assistant.conversation.transcript import save
        from assistant.errors import UserError

        try:
            md, js = save(self.session, target or None)
        except UserError as e:
            self.notify(safe(e, 300), severity="error", markup=False)
            return
        self.saved = True
        self._saved_upto = len(self.session.turns)
        self.notify(f"Saved {safe(md)} and {safe(js)}", title="Transcript saved", markup=False)

    async def action_quit(self) -> None:
        """Ctrl+Q and the palette's Quit, from every screen: offer to save unsaved turns."""
        self.action_quit_chat()

    def unsaved(self) -> bool:
        """Whether the conversation holds user turns not saved since."""
        return any(t.role == "user" for t in self.session.turns[self._saved_upto :])

    def action_quit_chat(self) -> None:
        if not self.unsaved() or isinstance(self.screen, QuitScreen):
            self.exit(0)
            return
        self.push_screen(QuitScreen(), self._quit_answer)

    def _quit_answer(self, answer: str | None) -> None:
        if answer == "save":
            self._save_to(self.save_dir or "")
            self.exit(0)
        elif answer == "quit":
            self.exit(0)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for cmd in super().get_system_commands(screen):
            if cmd.title == "Quit":  # ours offers to save first
                cmd = SystemCommand(
                    "Quit", "Quit (offers to save unsaved turns)", self.action_quit_chat
                )
            yield cmd
        yield SystemCommand(
            "Save transcript", "Save the chat as Markdown and JSON", self.action_save
        )
        yield SystemCommand("Back", "Go back one question and change the answer", self.action_back)
        yield SystemCommand("Help", "Key bindings and how the chat works", self.action_help)
        yield SystemCommand(
            "Toggle dark/light", "Switch the colour theme", self.action_toggle_theme
        )
        yield SystemCommand(
            "Start over", "Begin a new conversation", lambda: self.submit("restart")
        )


def run_chat(args: argparse.Namespace) -> int:
    """Entry point of ``vpc-helper`` with no subcommand."""
    from assistant.errors import UserError

    if getattr(args, "demo", False) and getattr(args, "snapshot", None):
        raise UserError("use either --demo or --snapshot, not both")
    import sys

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError(
            "the chat needs a terminal (stdin and stdout); for scripts use a subcommand, "
            "e.g. `vpc-helper scan --demo`"
        )
    app = ChatApp(Session.from_args(args))
    app.run()
    return int(app.return_code or 0)
