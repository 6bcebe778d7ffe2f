"""The diagnosis as JSON: findings, subnets and what was not checked."""

from __future__ import annotations

import orjson

from assistant.models.finding import Diagnosis


def diagnosis_dict(d: Diagnosis) -> dict:
    """The JSON document `scan --format json` prints."""
    # One model_dump for the lists (one call into pydantic-core, not one per item).
    doc = d.model_dump(mode="json", include={"findings", "subnets", "not_checked", "files"})
    if d.accounts:  # several accounts: every finding says which
        for f, out in zip(d.findings, doc["findings"], strict=True):
            out["account"] = f.account
    return {
        "findings": doc["findings"],
        "subnets": doc["subnets"],
        "not_checked": doc["not_checked"],
        **({"files": doc["files"]} if d.files else {}),
        "summary": {
            "vpcs": d.vpc_ids,
            "account_id": d.account_id,
            "region": d.region,
            "source": d.source,
            "counts": _counts(d),
            **({"accounts": [a.model_dump(mode="json") for a in d.accounts]} if d.accounts else {}),
        },
    }


def _counts(d: Diagnosis) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in d.findings:
        out[f.severity.value] = out.get(f.severity.value, 0) + 1
    return out


def render_json_bytes(d: Diagnosis) -> bytes:
    """The document as indented UTF-8 JSON (orjson), with a final newline: what is written,
    with no second copy as text."""
    return orjson.dumps(diagnosis_dict(d), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def render_json(d: Diagnosis) -> str:
    """The document as indented JSON (orjson), with a final newline."""
    return render_json_bytes(d).decode()
