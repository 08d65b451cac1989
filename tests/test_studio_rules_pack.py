"""Warning rules edited in the studio's pack (core/studio_rules.py): another pack's rule is changed by
an overlay holding only what differs (removing an escalation or key with `false`, turning it off with
`enabled: false`); the studio's own rule is written whole and may be deleted."""
from __future__ import annotations


from core import studio_rules
from core.studio_pack import read

from .conftest import compiled

PACK = "company"


def test_a_rule_unchanged_writes_an_empty_overlay(standard_draft):
    sources, meta = standard_draft
    for name, rule in meta.kinds["rules"].items():
        out = studio_rules.put_rule(sources, PACK, meta, studio_rules.rule_spec(rule))
        assert read(out, PACK, f"rules/{name}.yaml") == {"overlay": name}, name
    assert compiled(out).kinds["rules"]["overdue"] == meta.kinds["rules"]["overdue"]


def test_another_packs_rule_is_changed_by_an_overlay_of_what_differs(standard_draft):
    sources, meta = standard_draft
    spec = studio_rules.rule_spec(meta.kinds["rules"]["overdue"])
    spec.update(level="orange", recipients=[{"role": "risk"}, {"creator": True}], runs=["daily"],
                message={"zh": "{{ number }} 逾期", "en": spec["message"]["en"]})
    del spec["escalate"]
    out = studio_rules.put_rule(sources, PACK, meta, spec)
    assert read(out, PACK, "rules/overdue.yaml") == {
        "overlay": "overdue", "level": "orange", "message": spec["message"],
        "recipients": [{"role": "risk"}, {"creator": True}], "runs": ["daily"], "escalate": False}
    rule = compiled(out).kinds["rules"]["overdue"]
    assert (rule.level, rule.on_save, rule.escalate_days) == ("orange", False, None)
    assert rule.message["zh"] == "{{ number }} 逾期"
    assert [r.kind for r in rule.recipients] == ["role", "initiator"]


def test_a_rule_is_turned_off_and_on_again(standard_draft):
    sources, meta = standard_draft
    off = studio_rules.set_enabled(sources, PACK, meta, "debt_ratio", False)
    assert read(off, PACK, "rules/debt_ratio.yaml") == {"overlay": "debt_ratio", "enabled": False}
    off_meta = compiled(off)
    assert off_meta.kinds["rules"]["debt_ratio"].enabled is False
    on = studio_rules.set_enabled(off, PACK, off_meta, "debt_ratio", True)
    assert read(on, PACK, "rules/debt_ratio.yaml") == {"overlay": "debt_ratio", "enabled": True}
    assert compiled(on).kinds["rules"]["debt_ratio"].enabled is True


def test_the_studios_own_rule_is_written_whole_edited_in_place_and_deleted(standard_draft):
    sources, meta = standard_draft
    spec = {"name": "big_bank_line", "label": {"zh": "授信额度大", "en": "Large credit line"}, "entity": "bank",
            "condition": "credit_line > 1000000", "level": "blue", "message": {"zh": "{{ name }} 授信 {{ credit_line }}"},
            "recipients": [{"field": "manager"}], "runs": ["daily", "save"], "key": "name"}
    out = studio_rules.put_rule(sources, PACK, meta, spec)
    assert studio_rules.owned(out, PACK, "big_bank_line")
    new_meta = compiled(out)
    assert studio_rules.rule_spec(new_meta.kinds["rules"]["big_bank_line"]) == spec
    changed = {k: v for k, v in spec.items() if k != "key"} | {"level": "red"}
    out = studio_rules.put_rule(out, PACK, new_meta, changed)
    assert read(out, PACK, "rules/big_bank_line.yaml") == changed
    out = studio_rules.remove_rule(out, PACK, "big_bank_line")
    assert read(out, PACK, "rules/big_bank_line.yaml") is None
    assert "big_bank_line" not in compiled(out).kinds["rules"]


def test_runs_back_to_the_daily_scan_only_are_written(standard_draft):
    sources, meta = standard_draft
    spec = studio_rules.rule_spec(meta.kinds["rules"]["overdue"])
    del spec["runs"]                                        # left out: the default, the daily scan only
    out = studio_rules.put_rule(sources, PACK, meta, spec)
    assert read(out, PACK, "rules/overdue.yaml") == {"overlay": "overdue", "runs": ["daily"]}
    assert compiled(out).kinds["rules"]["overdue"].on_save is False
