"""Scorecards edited in the studio's pack (core/studio_scorecards.py): a new scorecard compiles as
created; the studio's own scorecard is edited in place (groups appear with their first indicator and
go with their last); another pack's is changed by an overlay of what differs — indicators changed,
added, removed, replaced when a property must be unset — and its grades, caps and vetoes."""
from __future__ import annotations

from decimal import Decimal as D


from core import studio_scorecards as cards
from core.studio_pack import read

from .conftest import compiled

PACK = "company"
BANDED = {"name": "staff", "label": {"zh": "员工人数"}, "weight": 40, "formula": "employees",
          "bands": [{"below": 50, "points": 40}, {"min": 50, "points": 100}]}


def ind(meta, card, name):
    return next(i for g in meta.kinds["scorecards"][card].source["groups"] for i in g["indicators"]
                if i["name"] == name)


def test_a_new_scorecard_compiles_and_is_edited_in_place(standard_draft):
    sources, _meta = standard_draft
    out = cards.create_card(sources, PACK, "quick", {"zh": "快速评分"}, "enterprise_customer", "credit_grade")
    meta = compiled(out)
    card = meta.kinds["scorecards"]["quick"]
    assert (card.entity, [i.name for i in card.indicators], card.grade_codelist) == \
        ("enterprise_customer", ["overall"], "credit_grade")
    out = cards.put_indicator(out, PACK, meta, "quick", {"name": "size", "label": {"zh": "规模"}}, BANDED)
    out = cards.put_indicator(out, PACK, meta, "quick", {"name": "main"},
                              {**ind(meta, "quick", "overall"), "weight": 60})
    meta = compiled(out)
    card = meta.kinds["scorecards"]["quick"]
    assert [(g.name, g.indicators) for g in card.groups] == [("main", ("overall",)), ("size", ("staff",))]
    assert card.indicator("overall").weight == 60
    props = {**{k: v for k, v in card.source.items() if k not in ("name", "groups")},
             "grades": [{"grade": "A", "min": 60}, {"grade": "C", "min": 0}],
             "caps": [{"name": "small", "when": "staff < 10", "grade": "C"}]}
    out = cards.put_card(out, PACK, meta, "quick", props)
    doc = read(out, PACK, "scorecards/quick.yaml")
    assert doc["grades"] == props["grades"] and doc["caps"] == props["caps"] and "groups" in doc
    meta = compiled(out)
    assert [g.code for g in meta.kinds["scorecards"]["quick"].grades] == ["A", "C"]
    out = cards.put_indicator(out, PACK, meta, "quick", {"name": "main"}, {**ind(meta, "quick", "overall"),
                                                                           "weight": 100})
    out = cards.remove_indicator(out, PACK, "quick", "staff")
    out = cards.put_card(out, PACK, meta, "quick", {k: v for k, v in props.items() if k != "caps"})
    doc = read(out, PACK, "scorecards/quick.yaml")
    assert [g["name"] for g in doc["groups"]] == ["main"] and "caps" not in doc
    compiled(out)


def test_another_packs_indicators_are_changed_by_an_overlay(standard_draft):
    sources, meta = standard_draft
    debt = ind(meta, "enterprise_standard", "debt_ratio")
    roe = ind(meta, "enterprise_standard", "roe")
    out = cards.put_indicator(sources, PACK, meta, "enterprise_standard", {"name": "financial"},
                              {**debt, "weight": 20})
    out = cards.put_indicator(out, PACK, meta, "enterprise_standard", {"name": "financial"},
                              {**roe, "weight": 5, "label": {"zh": "净资产收益率（年）"}})
    assert read(out, PACK, "scorecards/enterprise_standard.yaml") == {
        "overlay": "enterprise_standard",
        "change_indicators": {"debt_ratio": {"weight": 20}, "roe": {"label": {"zh": "净资产收益率（年）"}, "weight": 5}}}
    card = compiled(out).kinds["scorecards"]["enterprise_standard"]
    assert (card.indicator("debt_ratio").weight, card.indicator("roe").weight) == (20, 5)
    options = [{"value": "low", "points": 100}, {"value": "high", "points": 0}]
    scored = {k: v for k, v in debt.items() if k != "bands"} | {"options": options}
    out = cards.put_indicator(sources, PACK, meta, "enterprise_standard", {"name": "financial"}, scored)
    assert read(out, PACK, "scorecards/enterprise_standard.yaml")["change_indicators"] == {
        "debt_ratio": {"options": options}}
    assert compiled(out).kinds["scorecards"]["enterprise_standard"].indicator("debt_ratio").bands == ()


def test_unsetting_a_property_replaces_the_indicator_at_its_place(standard_draft):
    sources, meta = standard_draft
    roe = ind(meta, "enterprise_standard", "roe")
    answered = {k: v for k, v in roe.items() if k not in ("formula", "unit")}   # the reviewer gives it now
    out = cards.put_indicator(sources, PACK, meta, "enterprise_standard", {"name": "financial"}, answered)
    doc = read(out, PACK, "scorecards/enterprise_standard.yaml")
    assert doc["remove_indicators"] == ["roe"]
    assert doc["add_indicators"] == [{"group": "financial", "after": "quick_ratio", "indicator": answered}]
    new = compiled(out)
    card = new.kinds["scorecards"]["enterprise_standard"]
    assert card.indicator("roe").formula is None and card.groups[0].indicators.index("roe") == 3
    out = cards.put_indicator(out, PACK, new, "enterprise_standard", {"name": "financial"}, {**answered, "weight": 10})
    assert read(out, PACK, "scorecards/enterprise_standard.yaml")["add_indicators"][0]["indicator"]["weight"] == 10
    out = cards.remove_indicator(out, PACK, "enterprise_standard", "roe")       # the replaced one: still removed
    assert read(out, PACK, "scorecards/enterprise_standard.yaml") == {"overlay": "enterprise_standard",
                                                                       "remove_indicators": ["roe"]}


def test_indicators_are_added_to_and_removed_from_another_packs_scorecard(standard_draft):
    sources, meta = standard_draft
    staff = {**BANDED, "weight": 0}
    out = cards.put_indicator(sources, PACK, meta, "enterprise_standard", {"name": "non_financial"}, staff)
    new = compiled(out)
    assert new.kinds["scorecards"]["enterprise_standard"].groups[1].indicators[-1] == "staff"
    out = cards.remove_indicator(out, PACK, "enterprise_standard", "staff")    # added here: no trace left
    assert read(out, PACK, "scorecards/enterprise_standard.yaml") == {"overlay": "enterprise_standard"}
    out = cards.put_indicator(out, PACK, meta, "enterprise_standard", {"name": "financial"},
                              {**ind(meta, "enterprise_standard", "debt_ratio"), "weight": 25})
    out = cards.remove_indicator(out, PACK, "enterprise_standard", "revenue_growth")
    assert read(out, PACK, "scorecards/enterprise_standard.yaml") == {
        "overlay": "enterprise_standard", "change_indicators": {"debt_ratio": {"weight": 25}},
        "remove_indicators": ["revenue_growth"]}
    card = compiled(out).kinds["scorecards"]["enterprise_standard"]
    assert "revenue_growth" not in [i.name for i in card.indicators]
    assert sum((i.weight for i in card.indicators), D(0)) == 100


def test_another_packs_grades_and_caps_are_changed_by_an_overlay(standard_draft):
    sources, meta = standard_draft
    source = meta.kinds["scorecards"]["enterprise_standard"].source
    props = {k: v for k, v in source.items() if k not in ("name", "groups", "caps")}
    props["grades"] = [{**g, "min": g["min"] + 5} if g.get("min") else g for g in source["grades"]]
    out = cards.put_card(sources, PACK, meta, "enterprise_standard", props)
    assert read(out, PACK, "scorecards/enterprise_standard.yaml") == {
        "overlay": "enterprise_standard", "grades": props["grades"], "caps": []}
    card = compiled(out).kinds["scorecards"]["enterprise_standard"]
    assert card.caps == () and card.grades[0].min == 95 and card.vetoes


def test_weights_are_shared_out_at_once(standard_draft):
    sources, meta = standard_draft
    out = cards.put_weights(sources, PACK, meta, "enterprise_standard",
                            {"debt_ratio": 20, "revenue_growth": 5, "roe": 10})
    assert read(out, PACK, "scorecards/enterprise_standard.yaml")["change_indicators"] == {
        "debt_ratio": {"weight": 20}, "revenue_growth": {"weight": 5}}
    card = compiled(out).kinds["scorecards"]["enterprise_standard"]
    assert (card.indicator("debt_ratio").weight, card.indicator("revenue_growth").weight) == (20, 5)
