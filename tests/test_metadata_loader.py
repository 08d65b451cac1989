"""The metadata language: schema errors with file:line:path, semantic checks, all errors at once."""
from __future__ import annotations

import textwrap


from metadata.loader import check_packs, load_packs
from metadata.source import PackSource

MANIFEST = "name: t\nversion: 1.0.0\n"


def src(files: dict[str, str], label="t") -> PackSource:
    files = {k: textwrap.dedent(v) for k, v in files.items()}
    files.setdefault("pack.yaml", MANIFEST if label == "t" else f"name: {label}\nversion: 1.0.0\n")
    return PackSource(label, files)


def problems(*sources) -> list[str]:
    return [str(p) for p in check_packs(list(sources))]


CUSTOMER = """\
name: customer
fields:
  - name: name
    type: text
  - name: id_no
    type: id_number
    pattern: "abc("
"""


def test_error_names_file_line_and_key_path_with_field_name():
    out = problems(src({"entities/customer.yaml": CUSTOMER}))
    assert out == ["t/entities/customer.yaml:7 fields.id_no.pattern: 'abc(' is not a valid regular expression: "
                   "missing ), unterminated subpattern at position 3"]


def test_all_errors_reported_at_once_across_files():
    out = problems(src({
        "entities/a.yaml": "name: a\nfields:\n  - {name: x, type: txt}\n",
        "entities/b.yaml": "name: b\nfields:\n  - {name: y, type: text, requird: true}\n",
        "codelists/c.yaml": "name: c\nitems: [{code: 1}]\n",
    }))
    assert len(out) == 3
    assert any(o.startswith("t/entities/a.yaml:3 fields.x.type: unknown field type 'txt'") for o in out)
    assert "t/entities/b.yaml:3 fields.y.requird: unknown property 'requird'; did you mean 'required'?" in out
    assert any(o.startswith("t/codelists/c.yaml:2 items.1") and "'label' is a required property" in o for o in out)


def test_yaml_syntax_error_has_line():
    out = problems(src({"entities/a.yaml": "name: a\nfields: [\n  - x\n"}))
    assert len(out) == 1 and out[0].startswith("t/entities/a.yaml:") and "YAML syntax" in out[0]


def test_unknown_field_and_function_in_formula_with_suggestion():
    out = problems(src({"entities/p.yaml": """\
        name: p
        fields:
          - {name: amount, type: money}
          - {name: fee, type: computed, formula: amout * 2}
          - {name: x, type: text, visible_if: 'FOO(amount) > 1'}
        """}))
    assert any("fields.fee.formula" in o and "amout" in o and "amount" in o for o in out)
    assert any("fields.x.visible_if" in o and "FOO" in o for o in out)


def test_lookup_into_unknown_code_list():
    out = problems(src({"entities/p.yaml": "name: p\nfields:\n  - {name: k, type: text}\n"
                                           "  - {name: l, type: computed, result: text, formula: 'LOOKUP(\"nolist\", k)'}\n"}))
    assert any("fields.l.formula: LOOKUP: no code list 'nolist'" in o for o in out)


def test_link_to_unknown_entity_and_unknown_codelist():
    out = problems(src({"entities/p.yaml": """\
        name: p
        fields:
          - {name: c, type: link, entity: nobody}
          - {name: k, type: choice, codelist: nolist}
          - {name: r, type: region}
        """}))
    assert any("fields.c.entity: links to unknown entity 'nobody'" in o for o in out)
    assert any("fields.k.codelist: no code list 'nolist'" in o for o in out)
    assert any("fields.r.type: no code list 'region'" in o for o in out)


def test_cycle_among_computed_fields():
    out = problems(src({"entities/p.yaml": """\
        name: p
        fields:
          - {name: a, type: computed, formula: b + 1}
          - {name: b, type: computed, formula: c + 1}
          - {name: c, type: computed, formula: a + 1}
        """}))
    assert len(out) == 1 and "cycle" in out[0]


def test_duplicate_names():
    out = problems(src({
        "entities/p.yaml": "name: p\nfields:\n  - {name: a, type: text}\n  - {name: a, type: integer}\n",
        "entities/q.yaml": "name: p\nfields:\n  - {name: z, type: text}\n",
        "codelists/c.yaml": "name: c\nitems:\n  - {code: x, label: X}\n  - {code: x, label: Y}\n",
    }))
    assert any("field 'a' is defined twice" in o for o in out)
    assert any("t/entities/q.yaml:1 name: 'p' is already defined in t/entities/p.yaml" in o for o in out)
    assert any("code 'x' appears twice" in o for o in out)


def test_property_not_applicable_and_reserved_names():
    out = problems(src({"entities/p.yaml": """\
        name: p
        fields:
          - {name: t, type: text, precision: 2}
          - {name: version, type: integer}
        """}))
    assert any("fields.t.precision: 'precision' does not apply" in o for o in out)
    assert any("fields.version.name" in o and "reserved" in o for o in out)


def test_child_table_formulas_see_row_and_parent():
    meta = load_packs([src({"entities/p.yaml": """\
        name: p
        fields:
          - {name: amount, type: money}
          - name: items
            type: table
            fields:
              - {name: v, type: money}
              - {name: share, type: computed, formula: 'IF(parent.amount > 0, v / parent.amount * 100, 0)'}
          - {name: total, type: computed, formula: SUM(items.v)}
        """})])
    assert meta.entity("p").field("items").child("share").is_computed
    out = problems(src({"entities/p.yaml": """\
        name: p
        fields:
          - name: items
            type: table
            fields: [{name: v, type: money}]
          - {name: total, type: computed, formula: SUM(items.w)}
        """}))
    assert any("fields.total.formula: 'items' has no field 'w'" in o for o in out)


def test_numbering_pattern_checked():
    out = problems(src({"entities/p.yaml": """\
        name: p
        numbering: {field: no, pattern: "DB{YYYY}-{NNN}"}
        fields: [{name: no, type: text}]
        """}))
    assert any("numbering.pattern: unknown part(s) {NNN}" in o for o in out)
    assert any("needs a sequence part" in o for o in out)


def test_form_references_checked_and_unplaced_fields_get_other_section():
    base = {"entities/p.yaml": "name: p\nfields:\n  - {name: a, type: text}\n  - {name: b, type: text}\n"}
    out = problems(src({**base, "forms/p.yaml": "name: p\nentity: p\nsections:\n  - {name: s, fields: [a, zz]}\n"}))
    assert out == ["t/forms/p.yaml:4 tabs.main.sections.s.fields: entity 'p' has no field 'zz'"] or \
        any("has no field 'zz'" in o for o in out)
    meta = load_packs([src({**base, "forms/p.yaml": "name: p\nentity: p\nsections:\n  - {name: s, fields: [a]}\n"})])
    sections = meta.forms["p"].tabs[-1].sections
    assert sections[-1].name == "other" and sections[-1].fields == ("b",)


def test_pack_dependencies_and_versions():
    child = src({"pack.yaml": "name: c\nversion: 1.0.0\nrequires: [{name: t, version: '>=2'}]\n"}, "c")
    out = problems(src({}), child)
    assert any("needs t >=2, but version 1.0.0 is given" in o for o in out)
    missing = src({"pack.yaml": "name: c\nversion: 1.0.0\nextends: [{name: nope}]\n"}, "c")
    assert any("needs pack 'nope'" in o for o in problems(missing))


def test_labels_string_or_locale_map():
    meta = load_packs([src({"entities/p.yaml": """\
        name: p
        label: 项目
        fields: [{name: a, type: text, label: {zh: 名称, en: Name}}]
        """})])
    from metadata.model import text_of
    e = meta.entity("p")
    assert text_of(e.label, "en") == "项目"
    assert text_of(e.field("a").label, "en") == "Name" and text_of(e.field("a").label) == "名称"
    out = problems(src({"entities/p.yaml": "name: p\nlabel: {zh: 1}\nfields: [{name: a, type: text}]\n"}))
    assert out and "label" in out[0]


def test_standard_pack_loads(standard, acme):
    meta = load_packs([standard])
    assert {"individual_customer", "enterprise_customer", "bank"} <= set(meta.entities)
    region = meta.codelists["region"]
    assert region.hierarchical and region.get("110000") and len(region.items) > 3000
    assert meta.codelists["industry"].get("C34") or meta.codelists["industry"].get("C")
    load_packs([acme, standard])  # order given does not matter
