"""The registry of collections agrees with the model, the catalogue, the AWS API and the
commands that print from it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import boto3
import pytest

from assistant.engine.rules import load_rules
from assistant.models.registry import (
    ACCOUNT,
    BY_COLLECTION,
    BY_KEY,
    ROWS,
    collect_commands,
    command_for,
    iam_actions,
)
from assistant.models.snapshot import COLLECTIONS, Snapshot
from tests.helpers import ROOT, run_cli

PSEUDO = {"VpcAttributes"}  # DNS attributes: read into the Vpc models, no list of their own


def _client(service: str):
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",  # never called: only the service model is read
        aws_access_key_id="k",
        aws_secret_access_key="s",
    )


def test_every_collection_has_one_row_and_every_row_a_collection():
    assert set(COLLECTIONS) == set(BY_COLLECTION) - PSEUDO
    assert len(ROWS) == len(BY_COLLECTION)  # one row each
    for coll in COLLECTIONS:
        assert coll in Snapshot.model_fields


def test_every_rule_needs_a_registry_collection():
    rules = load_rules()
    assert rules
    for r in rules:
        for need in r.needs:
            assert need in BY_COLLECTION, (r.id, need)


@pytest.mark.parametrize("row", ROWS, ids=[r.collection for r in ROWS])
def test_rows_match_the_aws_api(row):
    client = _client(row.service)
    assert hasattr(client, row.method), row.method
    model = client.meta.service_model.operation_model(row.operation)
    assert row.operation.startswith(("Describe", "Get", "Search"))  # reads only
    if row.result_key:
        assert row.result_key in model.output_shape.members, (row.operation, row.result_key)
    assert client.can_paginate(row.method) == row.paginated, row.operation
    if row.per:
        parent = BY_COLLECTION[row.per]
        assert parent.per is None and row.per_param and row.per_field
        assert row.per_param in model.input_shape.members
        item = Snapshot.model_fields[parent.collection].annotation.__args__[0]
        assert row.per_field in item.model_fields, (parent.collection, row.per_field)
        assert row.why_per_item  # the README's list of per-item calls says why
    if row.vpc_filter or row.filters:  # botocore aliases DescribeNatGateways' "Filter"
        assert {"Filters", "Filter"} & set(model.input_shape.members)
    if row.id_key:
        ann = Snapshot.model_fields.get(row.collection)
        if ann is not None:
            item = ann.annotation.__args__[0]
            assert row.id_key in item.model_fields, (row.collection, row.id_key)


def test_every_loader_key_is_a_response_key():
    for key, rows in BY_KEY.items():
        for r in rows:
            if r.collection not in PSEUDO:
                assert key == r.result_key


def test_collect_commands_and_iam_policy_list_every_row():
    r = run_cli("collect-commands", "--region", "eu-west-1")
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert text.splitlines()[1:] == collect_commands("eu-west-1")
    for row in ROWS:
        assert row.cli + " " in text, row.cli
    for line in text.splitlines():
        if line.startswith(("aws ", "for ")):
            assert "--output json >" in line  # JSON whatever the user's CLI default is
    p = run_cli("iam-policy")
    assert p.returncode == 0, p.stderr
    (stmt,) = json.loads(p.stdout)["Statement"]
    assert stmt["Action"] == iam_actions()
    assert set(stmt["Action"]) == {row.action for row in ROWS} | {ACCOUNT.action}


def test_not_checked_names_the_command_of_every_collection():
    for row in ROWS:
        assert command_for(row.collection).startswith(row.cli)
    assert "--transit-gateway-route-table-id" in command_for("TransitGatewayRoutes")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_the_registry_replaces_the_cross_imports():
    live = _imports(ROOT / "assistant" / "sources" / "live.py")
    assert not [m for m in live if m.startswith("assistant.engine")]
    diag = _imports(ROOT / "assistant" / "engine" / "diagnose.py")
    assert "assistant.sources.files.AWS_OUTPUTS" not in diag
    reg = _imports(ROOT / "assistant" / "models" / "registry.py")
    assert not [m for m in reg if m.startswith("assistant.") and "models" not in m]
