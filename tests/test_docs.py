"""The metadata reference cannot drift from the JSON Schemas: every property is documented."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from metadata.types import BUILTIN_STORAGE

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "metadata" / "schemas"
DOC = (ROOT / "docs" / "metadata.md").read_text(encoding="utf-8")


def properties(node, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("properties", "patternProperties") and isinstance(value, dict):
                out.update(k for k in value if key == "properties")
            properties(value, out)
    elif isinstance(node, list):
        for item in node:
            properties(item, out)
    return out


def undocumented(doc: str, schema: Path) -> list[str]:
    """The schema's properties that the doc does not mention: a property counts as documented
    when it appears in a `code span` of the doc (or as a key in one of its YAML examples)."""
    props = properties(json.loads(schema.read_text(encoding="utf-8")), set())
    fences = re.findall(r"```.*?```", doc, re.S)
    prose = re.sub(r"```.*?```", "", doc, flags=re.S)
    spans = re.findall(r"`([^`]+)`", prose) + [m for f in fences for m in re.findall(r"([a-z_]+):", f)]
    documented = {word for span in spans for word in re.findall(r"[a-z_]+", span)}
    return sorted(props - documented)


@pytest.mark.parametrize("schema", sorted(p.name for p in SCHEMAS.glob("*.json")))
def test_every_schema_property_is_documented(schema):
    missing = undocumented(DOC, SCHEMAS / schema)
    assert not missing, f"{schema}: document these properties in docs/metadata.md: {missing}"


def test_every_field_type_is_documented():
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", DOC, re.M))
    assert set(BUILTIN_STORAGE) <= rows, sorted(set(BUILTIN_STORAGE) - rows)
