"""The scorecard kind: credit scoring templates as metadata (see docs/scorecards.md).

A scorecard names the customer entity it applies to, groups of weighted indicators (a formula or
the reviewer's answer, scored by bands of values or by options), grade thresholds, caps and
vetoes. `build(data)` turns a checked document into an immutable `Scorecard`; a stored scoring run
rebuilds the exact definition it was scored with from the source it keeps. `compile_scorecard`
adds the semantic checks, reported with file:line:path.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from . import scorecard_overlay
from .doc import Doc
from .entity import SYSTEM_NAMES, _reach
from .formulas import formula_problems
from .kinds import Context, Kind, register_kind
from .labels import label
from .workflow import digest_of

HUNDRED = Decimal(100)
# names the formulas of caps and vetoes see besides the indicators
RULE_NAMES = ("points", "total")
# names the indicators' formulas see besides the customer's fields
ROW_NAMES = ("latest", "previous")


def dec(value) -> Decimal:
    """A number from metadata (YAML int, float or numeric text) as an exact Decimal."""
    return Decimal(str(value).strip())


@dataclass(frozen=True)
class Band:
    points: Decimal
    low: Decimal | None = None      # None: open below
    low_inclusive: bool = True      # `min` (≥) or `above` (>)
    high: Decimal | None = None     # None: open above
    high_inclusive: bool = False    # `max` (≤) or `below` (<)
    label: Mapping[str, str] | None = None

    def contains(self, value: Decimal) -> bool:
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        return self.high is None or value < self.high or (value == self.high and self.high_inclusive)

    @property
    def text(self) -> str:
        """Interval notation, e.g. `[50, 60)` or `(90, +∞)`."""
        low = "(-∞" if self.low is None else ("[" if self.low_inclusive else "(") + _plain(self.low)
        high = "+∞)" if self.high is None else _plain(self.high) + ("]" if self.high_inclusive else ")")
        return f"{low}, {high}"


def _plain(d: Decimal) -> str:
    return format(d.normalize(), "f") if d == d.to_integral_value() else format(d, "f")


@dataclass(frozen=True)
class Option:
    value: str
    label: Mapping[str, str]
    points: Decimal


@dataclass(frozen=True)
class Indicator:
    name: str
    group: str
    label: Mapping[str, str]
    weight: Decimal
    formula: str | None = None       # None: the reviewer answers
    unit: str | None = None
    bands: tuple[Band, ...] = ()
    options: tuple[Option, ...] = ()

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Group:
    name: str
    label: Mapping[str, str]
    indicators: tuple[str, ...]


@dataclass(frozen=True)
class Grade:
    code: str
    min: Decimal | None               # None: reached only through a cap or a veto
    label: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Rule:
    """A cap (the grade is at most `grade`) or a veto (the grade is `grade`) when `when` holds."""
    name: str
    label: Mapping[str, str]
    when: str
    grade: str


@dataclass(frozen=True)
class Statements:
    table: str                       # the customer's child table of statements
    order_by: str                    # the latest row has the greatest value of this column
    where: str | None = None         # only rows for which this holds (e.g. annual statements)


@dataclass(frozen=True)
class Scorecard:
    name: str
    label: Mapping[str, str]
    entity: str
    products: tuple[str, ...]
    statements: Statements | None
    groups: tuple[Group, ...]
    indicators: tuple[Indicator, ...]
    grades: tuple[Grade, ...]        # best first
    grade_codelist: str | None
    caps: tuple[Rule, ...]
    vetoes: tuple[Rule, ...]
    source: Mapping[str, Any]         # the document it was built from (stored with each run)
    digest: str                       # content hash of `source`
    pack: str = ""

    def indicator(self, name: str) -> Indicator:
        return next(i for i in self.indicators if i.name == name)

    def rank(self, grade: str) -> int:
        """0 for the best grade; higher is worse."""
        return next(i for i, g in enumerate(self.grades) if g.code == grade)

    def grade_for(self, total: Decimal) -> str:
        scored = [g for g in self.grades if g.min is not None]
        return next((g.code for g in scored if total >= g.min), scored[-1].code)


def _band(b: Mapping) -> Band:
    low = b.get("min", b.get("above"))
    high = b.get("max", b.get("below"))
    return Band(points=dec(b["points"]), low=None if low is None else dec(low), low_inclusive="above" not in b,
                high=None if high is None else dec(high), high_inclusive="max" in b, label=label(b.get("label")))


def _indicator(i: Mapping, group: str) -> Indicator:
    return Indicator(
        name=i["name"], group=group, label=label(i.get("label"), i["name"]), weight=dec(i["weight"]),
        formula=i.get("formula"), unit=i.get("unit"), bands=tuple(_band(b) for b in i.get("bands") or ()),
        options=tuple(Option(str(o["value"]), label(o.get("label"), str(o["value"])), dec(o["points"]))
                      for o in i.get("options") or ()))


def _rules(items) -> tuple[Rule, ...]:
    return tuple(Rule(r["name"], label(r.get("label"), r["name"]), r["when"], str(r["grade"])) for r in items or ())


def build(data: Mapping, pack: str = "") -> Scorecard:
    """The immutable scorecard for a schema-valid document (no semantic checks)."""
    source = json.loads(json.dumps(data, default=str))
    st = data.get("statements")
    groups = tuple(Group(g["name"], label(g.get("label"), g["name"]), tuple(i["name"] for i in g["indicators"]))
                   for g in data["groups"])
    return Scorecard(
        name=data["name"], label=label(data.get("label"), data["name"]), entity=data["applies_to"]["entity"],
        products=tuple(data["applies_to"].get("products") or ()),
        statements=Statements(st["table"], st["order_by"], st.get("where")) if st else None,
        groups=groups, indicators=tuple(_indicator(i, g["name"]) for g in data["groups"] for i in g["indicators"]),
        grades=tuple(Grade(str(g["grade"]), None if g.get("min") is None else dec(g["min"]), label(g.get("label")))
                     for g in data["grades"]),
        grade_codelist=data.get("grade_codelist"), caps=_rules(data.get("caps")), vetoes=_rules(data.get("vetoes")),
        source=source, digest=digest_of(source), pack=pack)


# -- semantic checks -------------------------------------------------------------------------

def _cents(value) -> bool:
    """At most two decimal places (weights and points), so weighted scores stay exact at 6."""
    try:
        return dec(value).as_tuple().exponent >= -2
    except InvalidOperation:
        return False


def band_problems(bands: tuple[Band, ...]) -> list[tuple[int, str]]:
    """(band index, message) for empty bands, overlaps, gaps, order and open ends."""
    out = []
    for i, b in enumerate(bands):
        if b.low is not None and b.high is not None and (
                b.low > b.high or (b.low == b.high and not (b.low_inclusive and b.high_inclusive))):
            out.append((i, f"the band {b.text} contains no value"))
        if i == 0:
            continue
        prev = bands[i - 1]
        if prev.high is None:
            out.append((i - 1, "only the last band may be open above (no max or below)"))
        elif b.low is None:
            out.append((i, "only the first band may be open below (no min or above)"))
        elif prev.high > b.low:
            out.append((i, f"{b.text} overlaps {prev.text} or comes before it: list bands from low to high"))
        elif prev.high < b.low:
            out.append((i, f"values between {_plain(prev.high)} and {_plain(b.low)} are in no band"))
        elif prev.high_inclusive and b.low_inclusive:
            out.append((i, f"{_plain(b.low)} is in two bands: end the band before with 'below' or start this one "
                        "with 'above'"))
        elif not prev.high_inclusive and not b.low_inclusive:
            out.append((i, f"{_plain(b.low)} is in no band: end the band before with 'max' or start this one "
                        "with 'min'"))
    return out


def compile_scorecard(doc: Doc, ctx: Context) -> Scorecard | None:
    data = doc.data

    def report(path, message):
        ctx.report(doc, path, message)

    card = build(data, doc.pack)
    entity = ctx.compiled.get("entities", {}).get(card.entity)
    if entity is None:
        report(("applies_to", "entity"), f"no entity '{card.entity}'")
    if "products" in ctx.docs:           # the product kind, when installed, names the products
        for i, name in enumerate(card.products):
            if name not in ctx.docs["products"]:
                report(("applies_to", "products", i), f"no product '{name}'")
    codelists = ctx.names("codelists")

    def formula(text, path, names):
        for message in formula_problems(text, names, ctx.functions, codelists):
            report(path, message)

    fields = {f.name: f for f in entity.fields} if entity else {}
    names = {n: _reach(f, ctx) for n, f in fields.items()} | {n: None for n in SYSTEM_NAMES}
    if card.statements and entity is not None:
        table = fields.get(card.statements.table)
        if table is None or not table.is_table:
            report(("statements", "table"), f"entity '{entity.name}' has no table field '{card.statements.table}'")
        else:
            columns = {c.name: None for c in table.fields}
            if card.statements.order_by not in columns:
                report(("statements", "order_by"), f"table '{table.name}' has no field '{card.statements.order_by}'")
            if card.statements.where:
                formula(card.statements.where, ("statements", "where"), columns)
            names |= {n: set(columns) for n in ROW_NAMES}
    _check_indicators(card, doc, report, lambda text, path: entity is not None and formula(text, path, names))
    _check_grades(card, report, ctx)
    rule_names = {i.name: None for i in card.indicators} | {"points": {i.name for i in card.indicators},
                                                             "total": None}
    seen: set[str] = set()
    for key, rules in (("caps", card.caps), ("vetoes", card.vetoes)):
        for r in rules:
            path = (key, r.name)
            if r.name in seen:
                report(path + ("name",), f"a cap or veto named '{r.name}' is defined twice")
            seen.add(r.name)
            formula(r.when, path + ("when",), rule_names)
            if r.grade not in {g.code for g in card.grades}:
                report(path + ("grade",), f"'{r.grade}' is not one of the grades")
    return card


def _check_indicators(card: Scorecard, doc: Doc, report, formula) -> None:
    groups: set[str] = set()
    seen: set[str] = set()
    for g in card.groups:
        if g.name in groups:
            report(("groups", g.name, "name"), f"group '{g.name}' is defined twice")
        groups.add(g.name)
    for ind, raw in zip(card.indicators, (i for g in card.source["groups"] for i in g["indicators"])):
        path = ("groups", ind.group, "indicators", ind.name)
        if ind.name in seen:
            report(path + ("name",), f"indicator '{ind.name}' is defined twice (names are unique in the scorecard)")
        if ind.name in RULE_NAMES:
            report(path + ("name",), f"'{ind.name}' is reserved for caps and vetoes: choose another name")
        seen.add(ind.name)
        if not _cents(raw["weight"]):
            report(path + ("weight",), "a weight has at most two decimal places")
        if ind.formula:
            formula(ind.formula, path + ("formula",))
        if bool(ind.bands) == bool(ind.options):
            report(path, "an indicator is scored either by 'bands' or by 'options': give one of them")
        for i, b in enumerate(raw.get("bands") or ()):
            for low, high in (("min", "above"), ("max", "below")):
                if low in b and high in b:
                    report(path + ("bands", i), f"give '{low}' or '{high}', not both")
            if not _cents(b["points"]):
                report(path + ("bands", i, "points"), "points have at most two decimal places")
        for i, message in band_problems(ind.bands):
            report(path + ("bands", i), message)
        values: set[str] = set()
        for o, r in zip(ind.options, raw.get("options") or ()):
            if o.value in values:
                report(path + ("options", o.value), f"option '{o.value}' is given twice")
            values.add(o.value)
            if not _cents(r["points"]):
                report(path + ("options", o.value, "points"), "points have at most two decimal places")
    total = sum((i.weight for i in card.indicators), Decimal(0))
    if total != HUNDRED:
        # point at a weight an overlay set, if any: that is where the sum was broken
        overlaid = [p for i in card.indicators for p in [("groups", i.group, "indicators", i.name, "weight")]
                    if doc.where(p)[0] != doc.file]
        report(overlaid[-1] if overlaid else ("groups",), f"the indicators' weights add up to {_plain(total)}, not 100")


def _check_grades(card: Scorecard, report, ctx: Context) -> None:
    codes: set[str] = set()
    previous: Grade | None = None
    for i, g in enumerate(card.grades):
        path = ("grades", i)
        if g.code in codes:
            report(path + ("grade",), f"grade '{g.code}' is given twice")
        codes.add(g.code)
        if g.min is not None:
            if previous is not None and previous.min is None:
                report(path + ("min",), "grades with 'min' come first: a grade without it is reached only "
                       "by caps and vetoes")
            elif previous is not None and g.min >= previous.min:
                report(path + ("min",), f"grades go from best to worst: min {_plain(g.min)} should be below "
                       f"{_plain(previous.min)} of '{previous.code}'")
        previous = g
    scored = [g for g in card.grades if g.min is not None]
    if not scored or scored[-1].min != 0:
        report(("grades",), "the lowest grade by points needs 'min: 0', so that every total has a grade")
    if card.grade_codelist:
        cl = ctx.compiled.get("codelists", {}).get(card.grade_codelist)
        if cl is None:
            report(("grade_codelist",), f"no code list '{card.grade_codelist}'")
        else:
            for i, g in enumerate(card.grades):
                if cl.get(g.code) is None:
                    report(("grades", i, "grade"), f"'{g.code}' is not a code of the code list '{cl.name}'")


register_kind(Kind(folder="scorecards", schema="scorecard/scorecard.json",
                   overlay_schema="scorecard/scorecard_overlay.json", overlay=scorecard_overlay.apply,
                   compile=compile_scorecard, order=70))
