"""A new metadata kind is a schema and a compiler registered with the loader — nothing else."""
from __future__ import annotations

import json

import pytest

from metadata import kinds
from metadata.kinds import Kind, register_kind
from metadata.loader import check_packs, load_packs
from metadata.source import PackSource


@pytest.fixture
def report_kind(tmp_path):
    schema = tmp_path / "report.json"
    schema.write_text(json.dumps({
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "required": ["name", "entity"], "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "entity": {"type": "string"}}}))

    def compile_report(doc, ctx):
        if doc.data["entity"] not in ctx.compiled["entities"]:
            ctx.report(doc, ("entity",), f"no entity '{doc.data['entity']}'")
            return None
        return ("report", doc.name, doc.data["entity"])

    register_kind(Kind(folder="reports", schema=str(schema), compile=compile_report, order=90))
    yield
    del kinds.KINDS["reports"]


def pack(files):
    return PackSource("t", {"pack.yaml": "name: t\nversion: 1.0.0\n",
                            "entities/p.yaml": "name: p\nfields: [{name: a, type: text}]\n", **files})


def test_registered_kind_is_loaded_checked_and_compiled(report_kind):
    meta = load_packs([pack({"reports/by_p.yaml": "name: by_p\nentity: p\n"})])
    assert meta.kinds["reports"]["by_p"] == ("report", "by_p", "p")
    problems = [str(p) for p in check_packs([pack({"reports/bad.yaml": "name: bad\nentity: q\nx: 1\n"})])]
    assert problems == ["t/reports/bad.yaml:3 x: unknown property 'x' (known: entity, name)"]
    problems = [str(p) for p in check_packs([pack({"reports/bad.yaml": "name: bad\nentity: q\n"})])]
    assert problems == ["t/reports/bad.yaml:2 entity: no entity 'q'"]


def test_unknown_kind_folder_is_an_error():
    problems = [str(p) for p in check_packs([pack({"reportz/x.yaml": "name: x\n"})])]
    assert len(problems) == 1 and "unknown metadata kind folder 'reportz'" in problems[0]
