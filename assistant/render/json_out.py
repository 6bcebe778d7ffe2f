"""The diagnosis as JSON: findings, subnets and what was not checked."""

from __future__ import annotations

import orjson

from assistant.models.finding import Diagnosis


def diagnosis_dict(d: Diagnosis) -> dict:
    """The JSON document `scan --format json` prints."""
    return {
        "findings": [f.model_dump(mode="json") for f in d.findings],
        "subnets": [s.model_dump(mode="json") for s in d.subnets],
        "not_checked": [n.model_dump(mode="json") for n in d.not_checked],
        **({"files": [f.model_dump(mode="json") for f in d.files]} if d.files else {}),
        "summary": {
            "vpcs": d.vpc_ids,
            "account_id": d.account_id,
            "region": d.region,
            "source": d.source,
            "counts": _counts(d),
        },
    }


def _counts(d: Diagnosis) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in d.findings:
        out[f.severity.value] = out.get(f.severity.value, 0) + 1
    return out


def render_json(d: Diagnosis) -> str:
    return orjson.dumps(diagnosis_dict(d), option=orjson.OPT_INDENT_2).decode() + "\n"
