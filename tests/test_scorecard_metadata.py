"""The scorecard kind: the schema, every semantic check (file:line:path), overlays, and docs that
cannot drift from the schemas."""
from __future__ import annotations

import re
from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml

from metadata.errors import MetadataError
from metadata.kinds import KINDS
from metadata.loader import load_packs
from metadata.source import PackSource, read_pack_dir

from .conftest import PACKS, pack
from .test_docs import undocumented

ROOT = Path(__file__).resolve().parent.parent

BASE = {
    "pack.yaml": "name: t\nversion: 1.0.0\n",
    "codelists/grade.yaml": "name: grade\nitems: [{code: A, label: A}, {code: B, label: B}, {code: D, label: D}]\n",
    "entities/customer.yaml": """\
name: customer
fields:
  - {name: name, type: text}
  - {name: established_on, type: date}
  - name: statements
    type: table
    fields:
      - {name: period, type: date}
      - {name: kind, type: text}
      - {name: assets, type: money}
      - {name: debts, type: money}
""",
}

GOOD = """\
name: simple
label: {zh: 测试评分卡, en: Test scorecard}
applies_to: {entity: customer}
statements: {table: statements, order_by: period, where: kind == "year"}
groups:
  - name: financial
    indicators:
      - name: debt
        weight: 60
        formula: latest.debts / latest.assets * 100
        bands:
          - {below: 50, points: 100}
          - {min: 50, max: 80, points: 50}
          - {above: 80, points: 0}
  - name: other
    indicators:
      - name: credit
        weight: 40
        options:
          - {value: clean, points: 100}
          - {value: bad, points: 0}
grade_codelist: grade
grades:
  - {grade: A, min: 60}
  - {grade: B, min: 0}
  - {grade: D}
caps:
  - {name: heavy, when: debt > 90, grade: B}
vetoes:
  - {name: bad_credit, when: credit == "bad", grade: D}
"""


def base(text: str = GOOD):
    return pack("t", {**BASE, "scorecards/x.yaml": text})


def company(text: str):
    """A pack extending the base pack with a scorecard overlay."""
    return pack("o", {"pack.yaml": "name: o\nversion: 1.0.0\nextends: [{name: t}]\n", "scorecards/x.yaml": text})


def problems(text: str, *overlays) -> list[str]:
    try:
        load_packs([base(text), *overlays])
    except MetadataError as e:
        return [str(p) for p in e.problems]
    return []


def test_a_minimal_scorecard_compiles():
    card = load_packs([base()]).kinds["scorecards"]["simple"]
    assert [i.name for i in card.indicators] == ["debt", "credit"]
    assert [g.name for g in card.groups] == ["financial", "other"]
    assert [b.text for b in card.indicator("debt").bands] == ["(-∞, 50)", "[50, 80]", "(80, +∞)"]
    assert card.grade_for(D("59.99")) == "B" and card.grade_for(D(60)) == "A"
    assert card.rank("D") > card.rank("B") > card.rank("A")
    assert card.statements.where == 'kind == "year"' and len(card.digest) == 32


@pytest.mark.parametrize("replace, expected", [
    (("entity: customer", "entity: nosuch"), "x.yaml:3 applies_to.entity: no entity 'nosuch'"),
    (("table: statements", "table: name"), "x.yaml:4 statements.table: entity 'customer' has no table field 'name'"),
    (("order_by: period", "order_by: day"), "x.yaml:4 statements.order_by: table 'statements' has no field 'day'"),
    (('kind == "year"', 'knd == "year"'), "x.yaml:4 statements.where: unknown field 'knd'"),
    (("weight: 60", "weight: 50"), "x.yaml:5 groups: the indicators' weights add up to 90, not 100"),
    (("weight: 60", "weight: 60.005"), "groups.financial.indicators.debt.weight: a weight has at most two decimal"),
    (("latest.debts", "latest.debt"), "x.yaml:10 groups.financial.indicators.debt.formula: 'latest' has no field 'debt'"),
    (("latest.debts", "SUMM(debts)"), "groups.financial.indicators.debt.formula: unknown function 'SUMM'"),
    (("latest.debts", "nosuch"), "groups.financial.indicators.debt.formula: unknown field 'nosuch'"),
    (("{min: 50, max: 80", "{min: 40, max: 80"),
     "x.yaml:13 groups.financial.indicators.debt.bands.1: [40, 80] overlaps (-∞, 50) or comes before it"),
    (("{min: 50, max: 80", "{min: 60, max: 80"),
     "x.yaml:13 groups.financial.indicators.debt.bands.1: values between 50 and 60 are in no band"),
    (("{min: 50, max: 80", "{above: 50, max: 80"),
     "groups.financial.indicators.debt.bands.1: 50 is in no band: end the band before with 'max'"),
    (("{above: 80", "{min: 80"), "groups.financial.indicators.debt.bands.2: 80 is in two bands"),
    (("{min: 50, max: 80", "{min: 50, max: 40"), "bands.1: the band [50, 40] contains no value"),
    (("{below: 50, points: 100}", "{min: 0, points: 100}"),
     "groups.financial.indicators.debt.bands.0: only the last band may be open above"),
    (("{above: 80, points: 0}", "{points: 0}"), "bands.2: only the first band may be open below"),
    (("{min: 50, max: 80", "{min: 50, below: 80, max: 80"),
     "x.yaml:13 groups.financial.indicators.debt.bands.1: give 'max' or 'below', not both"),
    (("points: 50}", "points: 50.125}"), "bands.1.points: points have at most two decimal places"),
    (("{value: bad, points: 0}", "{value: clean, points: 0}"),
     "groups.other.indicators.credit.options.clean: option 'clean' is given twice"),
    (("- name: credit", "- name: debt"), "groups.other.indicators.debt.name: indicator 'debt' is defined twice"),
    (("- name: credit", "- name: total"), "groups.other.indicators.total.name: 'total' is reserved"),
    (("        weight: 40\n", "        weight: 40\n        bands: [{points: 1}]\n"),
     "x.yaml:17 groups.other.indicators.credit: an indicator is scored either by 'bands' or by 'options'"),
    (("{grade: A, min: 60}", "{grade: A, min: 60}\n  - {grade: A, min: 30}"), "grades.1.grade: grade 'A' is given twice"),
    (("{grade: B, min: 0}", "{grade: B, min: 70}"), "x.yaml:25 grades.1.min: grades go from best to worst"),
    (("{grade: B, min: 0}", "{grade: B, min: 10}"), "x.yaml:23 grades: the lowest grade by points needs 'min: 0'"),
    (("{grade: D}", "{grade: D}\n  - {grade: C, min: 0}"), "grades.3.min: grades with 'min' come first"),
    (("{grade: D}", "{grade: E}"), "x.yaml:26 grades.2.grade: 'E' is not a code of the code list 'grade'"),
    (("grade_codelist: grade", "grade_codelist: nosuch"), "x.yaml:22 grade_codelist: no code list 'nosuch'"),
    (("debt > 90, grade: B", "debt > 90, grade: Z"), "x.yaml:28 caps.heavy.grade: 'Z' is not one of the grades"),
    (("debt > 90", "detb > 90"), "x.yaml:28 caps.heavy.when: unknown field 'detb'"),
    (("credit == \"bad\"", "points.nosuch == 0"), "vetoes.bad_credit.when: 'points' has no field 'nosuch'"),
    (("name: bad_credit", "name: heavy"), "vetoes.heavy.name: a cap or veto named 'heavy' is defined twice"),
    (("applies_to: {entity: customer}", "applies_to: {entity: customer}\nbogus: 1"),
     "x.yaml:4 bogus: unknown property 'bogus'"),
])
def test_semantic_checks_name_file_line_and_path(replace, expected):
    old, new = replace
    assert old in GOOD
    found = problems(GOOD.replace(old, new))
    assert any(expected in p for p in found), found


def test_every_problem_is_reported_at_once():
    text = GOOD.replace("weight: 60", "weight: 61").replace("debt > 90", "detb > 90").replace("{grade: D}", "{grade: E}")
    assert len(problems(text)) == 4      # the weights, the cap, E not in the code list, D not a grade


def test_products_are_checked_when_the_product_kind_names_them(standard):
    if "products" not in KINDS:
        pytest.skip("the product kind is not registered")
    card = (ROOT / "seed/standard/scorecards/enterprise_standard.yaml").read_text(encoding="utf-8")
    text = card.replace("  entity: enterprise_customer\n", "  entity: enterprise_customer\n  products: [no_such_product]\n")
    src = PackSource("standard", {**standard.files, "scorecards/enterprise_standard.yaml": text})
    with pytest.raises(MetadataError) as e:
        load_packs([src])
    assert any("applies_to.products.0: no product 'no_such_product'" in str(p) for p in e.value.problems)


@pytest.fixture(scope="module")
def standard_cards(standard):
    return load_packs([standard]).kinds["scorecards"]


def test_the_standard_scorecards(standard_cards):
    cards = standard_cards
    ent, ind = cards["enterprise_standard"], cards["individual_standard"]
    assert ent.entity == "enterprise_customer" and ind.entity == "individual_customer"
    assert sum(i.weight for i in ent.indicators) == sum(i.weight for i in ind.indicators) == 100
    assert [g.code for g in ent.grades] == ["AAA", "AA", "A", "BBB", "BB", "B", "C", "D"]
    assert all(i.label.get("en") and i.label.get("zh") for c in (ent, ind) for i in c.indicators)


# -- overlays ----------------------------------------------------------------------------------

def test_an_overlay_changes_weights_bands_and_thresholds(standard, standard_cards):
    base = standard_cards["enterprise_standard"]
    card = load_packs([standard, read_pack_dir(PACKS / "scorecard_overlay")]).kinds["scorecards"]["enterprise_standard"]
    assert [i.name for i in card.indicators if i.group == "non_financial"] == [
        "industry_outlook", "operating_years", "management", "tax_record", "credit_record", "collateral"]
    assert "revenue_growth" not in {i.name for i in card.indicators}
    debt = card.indicator("debt_ratio")
    assert debt.weight == 25 and [b.text for b in debt.bands] == ["(-∞, 50)", "[50, 70)", "[70, 85]", "(85, +∞)"]
    assert [(g.code, g.min) for g in card.grades][:2] == [("AAA", 95), ("AA", 85)]
    assert [c.name for c in card.caps] == ["high_debt"] and card.caps[0].when == "debt_ratio > 85"
    assert card.vetoes == base.vetoes                                     # untouched
    assert dict(card.label) == {"zh": "企业客户信用评分卡（本公司）", "en": "Enterprise credit scorecard"}
    assert card.digest != base.digest


SMALL_OVERLAY = """\
overlay: simple
remove_indicators: [credit]
change_indicators:
  debt:
    weight: 50
    bands:
      - {below: 60, points: 100}
      - {min: 60, points: 0}
add_indicators:
  - group: other
    indicator: {name: character, weight: 50, options: [{value: good, points: 100}, {value: bad, points: 0}]}
grades:
  - {grade: A, min: 70}
  - {grade: B, min: 0}
  - {grade: D}
vetoes:
  - {name: bad_character, when: character == "bad", grade: D}
"""


@pytest.mark.parametrize("replace, expected", [
    (("weight: 50\n", "weight: 55\n"), "o/scorecards/x.yaml:11 groups.other.indicators.character.weight: "
                                       "the indicators' weights add up to 105, not 100"),   # at a weight it set
    (("{min: 60, points: 0}", "{min: 65, points: 0}"),
     "o/scorecards/x.yaml:8 groups.financial.indicators.debt.bands.1: values between 60 and 65 are in no band"),
    (("remove_indicators: [credit]", "remove_indicators: [nosuch]"), "o/scorecards/x.yaml:2 remove_indicators.0: no indicator 'nosuch'"),
    (("  debt:\n", "  debtt:\n"), "o/scorecards/x.yaml:4 change_indicators.debtt: no indicator 'debtt'"),
    (("group: other", "group: nosuch"), "o/scorecards/x.yaml:10 add_indicators.0.group: no group 'nosuch'"),
    (("  - group: other\n", "  - group: other\n    after: nosuch\n"), "add_indicators.0.after: no indicator 'nosuch'"),
    (("{name: character", "{name: debt"), "add_indicators.0.indicator.name: indicator 'debt' already exists"),
    (('character == "bad"', 'charactr == "bad"'), "o/scorecards/x.yaml:17 vetoes.bad_character.when: unknown field 'charactr'"),
    (("{grade: B, min: 0}", "{grade: B, min: 80}"), "o/scorecards/x.yaml:14 grades.1.min: grades go from best to worst"),
    (('vetoes:\n  - {name: bad_character, when: character == "bad", grade: D}\n', ""),
     "t/scorecards/x.yaml:30 vetoes.bad_credit.when: unknown field 'credit'"),    # the base veto names a removed indicator
])
def test_overlay_problems_point_at_the_overlay(replace, expected):
    old, new = replace
    assert old in SMALL_OVERLAY
    assert not problems(GOOD, company(SMALL_OVERLAY))
    found = problems(GOOD, company(SMALL_OVERLAY.replace(old, new)))
    assert any(expected in p for p in found), found


def test_an_overlay_can_switch_an_indicator_from_bands_to_options():
    text = SMALL_OVERLAY.replace("    bands:\n      - {below: 60, points: 100}\n      - {min: 60, points: 0}\n",
                                 "    options: [{value: low, points: 100}, {value: high, points: 0}]\n")
    card = load_packs([base(), company(text)]).kinds["scorecards"]["simple"]
    assert card.indicator("debt").bands == () and [o.value for o in card.indicator("debt").options] == ["low", "high"]


# -- docs ------------------------------------------------------------------------------------

@pytest.mark.parametrize("schema_file", ["scorecard.json", "scorecard_overlay.json"])
def test_every_scorecard_schema_property_is_documented(schema_file):
    doc = (ROOT / "docs" / "scorecards.md").read_text(encoding="utf-8")
    assert not undocumented(doc, ROOT / "metadata" / "schemas" / "scorecard" / schema_file)


def test_the_docs_examples_are_the_shipped_files():
    doc = (ROOT / "docs" / "scorecards.md").read_text(encoding="utf-8")
    for path in ("seed/standard/scorecards/individual_standard.yaml",
                 "tests/packs/scorecard_overlay/scorecards/enterprise_standard.yaml"):
        example = re.search(r"```yaml\n# " + re.escape(path) + r"\n(.*?)```", doc, re.S).group(1)
        assert yaml.safe_load(example) == yaml.safe_load((ROOT / path).read_text(encoding="utf-8")), path
