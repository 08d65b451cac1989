"""The rule kind's load checks, each with file:line and key path, and overlays."""
from __future__ import annotations

import pytest

from metadata.errors import MetadataError
from metadata.loader import load_packs

from .conftest import pack
from .test_rules_fixtures import OVERDUE, OVERDUE_ON_SAVE, PACK


def problems(rule_text, extra=None):
    files = {**PACK, "rules/r.yaml": rule_text, **(extra or {})}
    with pytest.raises(MetadataError) as e:
        load_packs([pack("t", files)])
    return [str(p) for p in e.value.problems]


def test_a_good_rule_compiles():
    meta = load_packs([pack("t", {**PACK, "rules/r.yaml": OVERDUE_ON_SAVE})])
    rule = meta.kinds["rules"]["loan_overdue"]
    assert (rule.entity, rule.level, rule.daily, rule.on_save, rule.escalate_days) == ("loan", "red", True, True, 3)
    assert [r.kind for r in rule.recipients] == ["field", "formula"]


@pytest.mark.parametrize("change, expected", [
    (("entity: loan", "entity: lone"), "t/rules/r.yaml:3 entity: no entity 'lone'"),
    (("condition: not paid", "condition: not payd"), "t/rules/r.yaml:4 condition: unknown field 'payd'"),
    (("{{ customer.name }}\"\n  en", "{{ customer.nam }}\"\n  en"), "t/rules/r.yaml:7 message.zh: 'customer' has no field 'nam'"),
    (("level: red", "level: purple"), "t/rules/r.yaml:5 level: 'purple' is not one of"),
    (("- field: owner", "- field: title"), "t/rules/r.yaml:10 recipients.0.field: 'title' is a text field"),
    (("- field: owner", "- field: ownr"), "t/rules/r.yaml:10 recipients.0.field: entity 'loan' has no field 'ownr'"),
    (("formula: customer.manager", "formula: customer.managr"), "t/rules/r.yaml:11 recipients.1.formula: 'customer' has no field 'managr'"),
    (("runs: [daily]", "runs: [daily, {step: review}]"), "t/rules/r.yaml:15 runs.1.step: no workflow runs on entity 'loan'"),
    (("{{ title }} 逾期", "{{ title 逾期"), "message.zh: unbalanced '{{' and '}}'"),
    (("LOOKUP(\"warning_threshold\"", "LOOKUP(\"warning_thresholds\""), "condition: LOOKUP: no code list 'warning_thresholds'"),
])
def test_problems_name_file_line_and_path(change, expected):
    text = OVERDUE.replace(*change)
    assert text != OVERDUE
    found = problems(text)
    assert any(expected in p for p in found), found


def test_overlays_change_a_rule_and_can_turn_it_off():
    base = {**PACK, "rules/r.yaml": OVERDUE}
    acme = pack("acme", {"pack.yaml": "name: acme\nversion: 1.0.0\nextends: [{name: t}]\n",
                         "rules/r.yaml": "overlay: loan_overdue\nlevel: orange\nenabled: false\nescalate: false\n"
                                         "message: {en: late}\n"})
    rule = load_packs([pack("t", base), acme]).kinds["rules"]["loan_overdue"]
    assert (rule.level, rule.enabled, rule.escalate_days, rule.message["en"]) == ("orange", False, None, "late")
    assert "逾期" in rule.message["zh"]
    bad = pack("acme", {"pack.yaml": "name: acme\nversion: 1.0.0\nextends: [{name: t}]\n",
                        "rules/r.yaml": "overlay: loan_overdue\ncondition: amout > 0\n"})
    with pytest.raises(MetadataError) as e:
        load_packs([pack("t", base), bad])
    assert any(str(p).startswith("acme/rules/r.yaml:2 condition: unknown field 'amout'") for p in e.value.problems), \
        e.value.problems
