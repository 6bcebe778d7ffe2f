"""The chat's turns are plain dataclasses that dump exactly as the pydantic models they replaced.

The oracle is the pydantic definition the transcripts were written with (kept here, in the test):
every turn and tree node of the golden conversations, findings and traces included, must dump
the same with every option the code uses, so a transcript saved today matches one saved before.
"""

from __future__ import annotations

from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from assistant.conversation.turns import Choice, TreeNode, Turn


class PChoice(BaseModel):
    key: str
    label: str


class PTurn(BaseModel):
    role: Literal["assistant", "user"]
    text: str
    kind: str = "text"
    choices: list[PChoice] = Field(default_factory=list)
    question: str | None = None
    why: str | None = None
    console: str | None = None
    command: str | None = None
    finding: Any = None
    trace: Any = None
    updates: list[str] = Field(default_factory=list)


class PTreeNode(BaseModel):
    label: str
    badge: str | None = None
    children: list[PTreeNode] = Field(default_factory=list)


OPTIONS = [
    {},
    {"mode": "json"},
    {"mode": "json", "exclude_defaults": True},  # what transcripts save
    {"mode": "json", "exclude_none": True},
    {"exclude_defaults": True, "exclude_none": True},
]


def _pturn(t: Turn) -> PTurn:
    data = {f: getattr(t, f) for f in PTurn.model_fields}
    data["choices"] = [PChoice(key=c.key, label=c.label) for c in t.choices]
    return PTurn(**data)


def _ptree(n: TreeNode) -> PTreeNode:
    return PTreeNode(label=n.label, badge=n.badge, children=[_ptree(c) for c in n.children])


@pytest.fixture(scope="module")
def goldens():
    from assistant.conversation.golden import conversations

    return conversations()


def test_golden_turns_dump_as_the_pydantic_models_did(goldens):
    seen = {"finding": 0, "trace": 0, "tree": 0}
    for name, session in goldens.items():
        for t in session.turns:
            seen["finding"] += t.finding is not None
            seen["trace"] += t.trace is not None
            for opts in OPTIONS:
                assert t.model_dump(**opts) == _pturn(t).model_dump(**opts), (name, opts)
        for n in session.tree:
            seen["tree"] += 1
            for opts in OPTIONS:
                assert n.model_dump(**opts) == _ptree(n).model_dump(**opts), (name, opts)
    assert all(seen.values()), seen  # the nested models were really compared


_text = st.text(max_size=8)
_opt = st.none() | _text
_choice = st.builds(Choice, key=_text, label=_text)
_tree = st.recursive(
    st.builds(TreeNode, label=_text, badge=_opt),
    lambda kids: st.builds(TreeNode, label=_text, badge=_opt, children=st.lists(kids, max_size=3)),
    max_leaves=8,
)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(
    role=st.sampled_from(["assistant", "user"]),
    text=_text,
    kind=st.sampled_from(["text", "question", "error", ""]),
    choices=st.lists(_choice, max_size=3),
    question=_opt,
    why=_opt,
    updates=st.lists(st.sampled_from(["tree", "findings"]), max_size=2),
    tree=_tree,
)
def test_any_turn_dumps_as_the_pydantic_model_did(
    role, text, kind, choices, question, why, updates, tree
):
    t = Turn(
        role=role,
        text=text,
        kind=kind,
        choices=choices,
        question=question,
        why=why,
        updates=updates,
    )
    for opts in OPTIONS:
        assert t.model_dump(**opts) == _pturn(t).model_dump(**opts)
        assert tree.model_dump(**opts) == _ptree(tree).model_dump(**opts)


def test_a_turn_owns_its_lists_and_refuses_what_pydantic_refused():
    choices = [Choice(key="a", label="A")]
    t = Turn(role="assistant", text="x", choices=choices)
    choices.append(Choice(key="b", label="B"))  # the session reuses its list
    assert [c.key for c in t.choices] == ["a"]
    as_dict = Turn(role="assistant", text="x", choices=[{"key": "a", "label": "A"}])
    assert as_dict == Turn(role="assistant", text="x", choices=[Choice(key="a", label="A")])
    node = TreeNode(label="vpc", children=[{"label": "subnet", "badge": "public"}])
    assert node.children == [TreeNode(label="subnet", badge="public")]
    assert Turn(role="user", text="x") == Turn(role="user", text="x")
    for bad in (
        {"role": "system", "text": "x"},
        {"role": "user", "text": 3},
        {"role": "user", "text": "x", "choices": "ab"},
        {"role": "user", "text": "x", "choices": [("a", "A")]},
        {"role": "user", "text": "x", "choices": [{"key": "a"}]},
        {"role": "user", "text": "x", "why": 1},
    ):
        with pytest.raises((TypeError, ValueError)):
            Turn(**bad)
    with pytest.raises(TypeError):
        Turn("user", "x")  # keywords only, as with the models
    with pytest.raises(TypeError):
        TreeNode(label="x", children=None)
