"""Reading YAML: the fast (libyaml) and the pure-Python parsers give the same data and lines, with
YAML 1.2 booleans and exact decimals."""
from __future__ import annotations

from decimal import Decimal

import pytest
import yaml
from yaml.constructor import SafeConstructor

from metadata import yamlsource
from metadata.yamlsource import SourceError, load_yaml

from .conftest import SEED


def _pure(text: str):
    lines: dict = {}
    return yamlsource._build(yaml.compose(text, Loader=yamlsource.Loader), (), lines, SafeConstructor()), lines


def test_libyaml_is_used_when_present():
    assert yaml.__with_libyaml__ and yamlsource.FastLoader is not yamlsource.Loader


@pytest.mark.parametrize("path", sorted((SEED / "standard").rglob("*.yaml"), key=str), ids=lambda p: p.name)
def test_both_parsers_agree_on_every_standard_file(path):
    text = path.read_text(encoding="utf-8")
    assert load_yaml(text) == _pure(text)


def test_yaml_12_booleans_decimals_and_dates_as_text():
    data, lines = load_yaml("a: no\nb: yes\nc: true\nd: 1.10\ne: 2026-01-31\nf:\n  - x: on\n")
    assert data == {"a": "no", "b": "yes", "c": True, "d": Decimal("1.10"), "e": "2026-01-31", "f": [{"x": "on"}]}
    assert lines[("f", 0, "x")] == 7 and lines[("d",)] == 4


def test_syntax_errors_and_duplicate_keys_name_the_line():
    with pytest.raises(SourceError) as e:
        load_yaml("a: 1\nb: [1, 2\nc: 3\n")
    assert e.value.line == 3 and e.value.message.startswith("YAML syntax")
    with pytest.raises(SourceError) as e:
        load_yaml("a: 1\nb: 2\na: 3\n")
    assert e.value.line == 3 and "duplicate key" in e.value.message
