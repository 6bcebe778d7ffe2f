"""Structured mutations of real inputs: the shapes bad input takes in the wild.

A mutation picks a place in a JSON document (walking down from the top, one key or index at a
time) and does one thing there: a value of the wrong type, null, a key removed, a list item
duplicated (duplicate ids), an id pointed at nothing (dangling), an address that is not one,
deep nesting, a huge string, or control characters. Several mutations apply to one document.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

BAD_ADDRESSES = [
    "banana",
    "10.0.0.0/33",
    "10.0.0.256",
    "999.1.1.1/8",
    "::g",
    "2600::/129",
    "10.0.0.0/-1",
    "",
    " 10.0.0.0/16",
    "10.0.0.0/16/24",
    "0.0.0.0/0 ",
    "fe80::1%eth0",
    "1e3",
]
WEIRD_STRINGS = [
    "\x1b]52;c;ZXZpbA==\x07\x1b[2J",
    "\u202e\u2066x",
    "a|b`c\nd",
    "<script>alert(1)</script>",
    "-1",
    "NaN",
    "arn:aws:iam::123456789012:user/x",
    "vpc-",
    "subnet-doesnotexist",
    "igw-dangling",
    "nat-dangling",
    "i-dangling",
    "sg-dangling",
    "pcx-dangling",
    "tgw-dangling",
    "local",
]
OPS = (
    "wrong_type",
    "null",
    "delete",
    "duplicate",
    "dangling",
    "bad_address",
    "deep",
    "huge",
    "weird_string",
    "empty_container",
    "swap_ids",
)
# Mutations that keep a document loadable more often come up more often, so the rules, the
# tracer and the renderers see bad values, not only the loader.
WEIGHTED_OPS = OPS + ("null", "duplicate", "dangling", "dangling", "bad_address", "weird_string")


def _deep(depth: int, leaf: Any) -> Any:
    node = leaf
    for i in range(depth):
        node = [node] if i % 2 else {"k": node}
    return node


# Mutations that keep every value's type: the document still loads, and the bad values reach
# the rules, the tracer and the renderers instead of stopping at the loader.
GENTLE_OPS = ("duplicate", "dangling", "bad_address", "weird_string", "huge", "swap_ids")


@st.composite
def mutation(draw, doc: Any, gentle: bool = False) -> tuple[list[Any], str, Any]:
    """A place in ``doc`` (a path of keys and indices), an operation and its argument."""
    path: list[Any] = []
    node = doc
    while isinstance(node, (dict, list)) and node:
        # below the first two levels (collection, item), stop at each level with 1 in 4,
        # so fields and nested fields are reached more often than whole collections
        if len(path) >= 2 and draw(st.integers(0, 3)) == 0:
            break
        if isinstance(node, dict):
            keys = sorted(node, key=str)
            full = [k for k in keys if isinstance(node[k], (dict, list)) and node[k]]
            pick = full if full and len(path) < 2 and draw(st.integers(0, 7)) else keys
            k = draw(st.sampled_from(pick))
        else:
            k = draw(st.integers(0, len(node) - 1))
        path.append(k)
        node = node[k]
    op = draw(st.sampled_from(GENTLE_OPS if gentle else WEIGHTED_OPS))
    arg: Any = None
    if op == "wrong_type":
        arg = draw(st.sampled_from([0, -1, 1.5, True, "x", [], {}, [1, "a"], {"a": 1}, 2**70, "0"]))
    elif op == "bad_address":
        arg = draw(st.sampled_from(BAD_ADDRESSES))
    elif op == "weird_string":
        arg = draw(st.sampled_from(WEIRD_STRINGS))
    elif op == "deep":
        arg = draw(st.sampled_from([30, 200, 900]))
    elif op == "huge":
        arg = draw(st.sampled_from([10_000, 200_000]))
    elif op == "dangling":
        arg = draw(st.sampled_from(WEIRD_STRINGS[8:]))
    return path, op, arg


def apply(doc: Any, muts: list[tuple[list[Any], str, Any]], gentle: bool = False) -> Any:
    """A mutated copy of ``doc`` (a path that no longer exists is skipped).

    ``gentle``: string values are replaced only by strings, and other values are kept.
    """
    doc = copy.deepcopy(doc)
    for path, op, arg in muts:
        if gentle and op in ("dangling", "bad_address", "weird_string", "huge"):
            ok, node = _get(doc, path)
            if ok and not isinstance(node, (str, dict)):
                continue
        doc = _apply_one(doc, path, op, arg)
    return doc


def _get(doc: Any, path: list[Any]) -> tuple[bool, Any]:
    node = doc
    for k in path:
        if isinstance(node, dict) and k in node:
            node = node[k]
        elif isinstance(node, list) and isinstance(k, int) and 0 <= k < len(node):
            node = node[k]
        else:
            return False, None
    return True, node


def _apply_one(doc: Any, path: list[Any], op: str, arg: Any) -> Any:
    ok, node = _get(doc, path)
    if not ok:
        return doc
    parent_ok, parent = _get(doc, path[:-1]) if path else (False, None)
    key = path[-1] if path else None

    def put(value: Any) -> Any:
        if not path:
            return value
        parent[key] = value
        return doc

    if op == "wrong_type":
        return put(arg)
    if op == "null":
        return put(None)
    if op == "delete":
        if path and isinstance(parent, dict):
            del parent[key]
        elif path and isinstance(parent, list):
            parent.pop(key)
        return doc
    if op == "duplicate":
        if isinstance(node, list) and node:
            node.append(copy.deepcopy(node[0]))
        elif path and isinstance(parent, list):
            parent.append(copy.deepcopy(node))
        return doc
    if op in ("dangling", "bad_address", "weird_string"):
        if not isinstance(node, (dict, list)):
            return put(arg)
        if isinstance(node, dict):  # an id-like or address-like field inside
            for k in sorted(node, key=str):
                if isinstance(node[k], str) and (
                    k.endswith(("Id", "Cidr", "CidrBlock", "Ip", "Address", "Arn"))
                    or op == "weird_string"
                ):
                    node[k] = arg
                    break
        return doc
    if op == "deep":
        return put(_deep(arg, node if not isinstance(node, (dict, list)) else "x"))
    if op == "huge":
        if isinstance(node, dict):  # the first string field inside
            for k in sorted(node, key=str):
                if isinstance(node[k], str):
                    node[k] = (node[k] or "x") * (arg // max(len(node[k]), 1) + 1)
                    return doc
            return doc
        return put(("x" if not isinstance(node, str) else node[:1] or "x") * arg)
    if op == "empty_container":
        return put({} if isinstance(node, dict) else [])
    if op == "swap_ids" and isinstance(parent, list) and len(parent) > 1 and path:
        parent[key], parent[0] = parent[0], parent[key]
        return doc
    return doc
