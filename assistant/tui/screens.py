"""Modal screens of the chat: a finding in full, help, save and quit prompts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from assistant.models.finding import Finding

HELP = """\
# vpc-helper chat

Tell me what is wrong, then let me read your VPC (live, a snapshot, or the demo) or answer
a few questions. I name the rule that explains the problem and show the fix, step by step.

| Key | Does |
|---|---|
| 1-9 | pick a quick reply on an empty line (more than 9: type the number, Enter) |
| Enter | send what you typed |
| Esc | back to the input line / close this screen |
| Ctrl+B | go back one question and change the answer (also in the guided setup) |
| PageUp / PageDown | scroll the conversation (the input line keeps focus) |
| Ctrl+S | save the transcript (Markdown + JSON) |
| F1 | this help |
| F2 | dark / light theme |
| Ctrl+P | command palette |
| Ctrl+Q | quit (offers to save) |

**Question mode**: each question says why it matters and how to find the answer (console path
and an `aws ... --query` command). Answer with a number, pick "I don't know" (I move on to what
can still decide something), or paste the JSON output of any `aws ... describe-*` command: I
read it and answer every question it settles. "Stop the questions" ends early; the diagnosis
then lists what I could not rule out, with the command that would settle each.

**Findings**: pick one (in the chat or the side panel) to see the explanation and numbered fix
steps. In that view, Enter on a command copies it.

**Opening**: pick a symptom, or type it, like "why can't i-0abc reach the internet".

**Paths**: once a VPC is read, ask in plain words, like "can shop-app-b1 reach the internet?",
"is i-0abc reachable from the internet on port 22", "can users reach shop-alb" or "can i-0abc
reach i-0def on 5432", or pick "Trace a path". I follow the path hop by hop (✓ passes, ✗ blocks,
? not known) with the configuration line that decides each hop, and the fix when it is blocked.
Shift+Tab (twice) to the chat, then PageUp/PageDown, to read a long answer.

**Transcripts** (Ctrl+S) go to your data directory (`~/.local/share/vpc-helper/chats` on
Linux; set `VPC_HELPER_CHAT_DIR` to choose) as `.md` and `.json`; `vpc-helper replay FILE.json`
re-runs one against today's rules (and its path traces).
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # only when asked: markdown parsing is slow to import

        with VerticalScroll(id="help-box", classes="modal-box"):
            yield Markdown(HELP)


class FindingScreen(ModalScreen[None]):
    """A finding: evidence, explanation, numbered fix steps; Enter copies a command."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close"), Binding("c", "copy", "Copy command")]

    def __init__(self, finding: Finding) -> None:
        super().__init__()
        self.finding = finding
        self.commands: list[str] = []

    def compose(self) -> ComposeResult:
        f = self.finding
        head = Text.assemble((f"{f.severity.value.upper()} {f.rule}\n", "bold"), f.title)
        body = Text()
        if f.evidence:
            body.append("Evidence\n", style="bold")
            for e in f.evidence:
                body.append(f"  {e}\n")
        body.append("\nWhy\n", style="bold")
        body.append(f.explanation + "\n")
        if f.cannot_know:
            body.append("\nNot known: ", style="bold")
            body.append(f.cannot_know + "\n")

        options: list[Option] = []
        for n, step in enumerate(f.fix, 1):
            options.append(Option(Text(f"{n}. {step.action}", style="bold"), disabled=True))
            if step.console:
                options.append(
                    Option(Text(f"   Console: {step.console}", style="dim"), disabled=True)
                )
            for c in step.cli:
                self.commands.append(c)
                options.append(Option(Text(f"   $ {c}"), id=f"c{len(self.commands) - 1}"))
        if f.check:
            self.commands.append(f.check)
            options.append(Option(Text("Check", style="bold"), disabled=True))
            options.append(Option(Text(f"   $ {f.check}"), id=f"c{len(self.commands) - 1}"))
        with Vertical(id="finding-box", classes="modal-box"):
            yield Static(head, id="finding-title")
            with VerticalScroll(id="finding-body"):
                yield Static(body)
            yield Static(
                Text.assemble(
                    ("Fix", "bold"), ("   Up/Down: pick a command   Enter: copy it", "dim")
                ),
                id="fix-title",
            )
            yield OptionList(*options, id="commands")
            yield Static("Esc: back   Tab: scroll the explanation", id="copied")

    def on_mount(self) -> None:
        box = self.query_one("#commands", OptionList)
        box.focus()
        for i, opt in enumerate(box.options):
            if not opt.disabled:
                box.highlighted = i
                break

    def _copy(self, index_id: str) -> None:
        cmd = self.commands[int(index_id[1:])]
        self.app.copy_to_clipboard(cmd)
        # The terminal may not support the clipboard: show the text so it can be selected.
        self.query_one("#copied", Static).update(Text.assemble(("copied: ", "bold green"), cmd))

    @on(OptionList.OptionSelected, "#commands")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self._copy(event.option.id)

    def action_copy(self) -> None:
        box = self.query_one("#commands", OptionList)
        if box.highlighted is not None:
            opt = box.get_option_at_index(box.highlighted)
            if opt.id:
                self._copy(opt.id)


class SaveScreen(ModalScreen[str | None]):
    """Ask where to save the transcript (a directory or a .md/.json path)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="save-box", classes="modal-box small"):
            yield Static("Save the transcript to (a folder, or a file name):")
            yield Input(value=self.default, id="save-path")
            yield Static("Enter: save   Esc: cancel", classes="hint")

    @on(Input.Submitted, "#save-path")
    def _go(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class QuitScreen(ModalScreen[str | None]):
    """Offer to save before quitting."""

    BINDINGS = [
        Binding("y,s", "answer('save')", "Save and quit"),
        Binding("n", "answer('quit')", "Quit"),
        Binding("escape", "answer('cancel')", "Cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box", classes="modal-box small"):
            yield Static("Save the transcript before quitting?")
            yield Button("Save and quit (y)", id="save", variant="primary")
            yield Button("Quit without saving (n)", id="quit")
            yield Button("Cancel (Esc)", id="cancel")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_answer(self, what: str) -> None:
        self.dismiss(what)
