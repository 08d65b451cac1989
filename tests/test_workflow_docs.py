"""docs/workflow.md cannot drift from the workflow schema: every property is documented."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .test_docs import undocumented

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("schema_file", ["workflow.json", "workflow_overlay.json"])
def test_every_workflow_schema_property_is_documented(schema_file):
    doc = (ROOT / "docs" / "workflow.md").read_text(encoding="utf-8")
    assert not undocumented(doc, ROOT / "metadata" / "schemas" / "workflow" / schema_file)


def test_the_example_is_the_test_pack():
    doc = (ROOT / "docs" / "workflow.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n# workflows/guarantee.yaml.*?\n(.*?)```", doc, re.S).group(1)
    pack = (ROOT / "tests" / "packs" / "flow" / "workflows" / "guarantee.yaml").read_text(encoding="utf-8")
    def strip(node):   # labels may differ; everything else must match
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "label"}
        return [strip(v) for v in node] if isinstance(node, list) else node
    assert strip(yaml.safe_load(example)) == strip(yaml.safe_load(pack))
