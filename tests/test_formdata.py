"""Posted form fields → record data (ui/formdata.py), without a database."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from metadata.loader import load_packs
from metadata.source import PackSource, read_pack_dir
from ui.formdata import ActionError, apply_action, parse_form

from .conftest import PACKS, SEED


@pytest.fixture(scope="module")
def meta():
    standard = read_pack_dir(SEED / "standard")   # its enterprise customer; its own project would clash with mini's
    customers = {k: v for k, v in standard.files.items()
                 if k in ("pack.yaml", "entities/enterprise_customer.yaml", "entities/enterprise_change.yaml")
                 or k.startswith("codelists/")}
    return load_packs([read_pack_dir(PACKS / "mini"), PackSource("standard", customers)])


def test_fields_booleans_and_ignored_names(meta):
    project = meta.entity("project")
    form = MultiDict([("amount", "1,000"), ("approved", "false"), ("approved", "true"), ("kind", "loan"),
                      ("fee", "99"), ("nonsense", "x"), ("_action", ""), ("csrf_token", "t"), ("q", "杭州"),
                      ("number", "DB-1")])
    data = parse_form(project, form, meta)
    assert data == {"amount": "1,000", "approved": "true", "kind": "loan", "number": "DB-1"}
    assert parse_form(project, MultiDict([("approved", "false")]), meta) == {"approved": "false"}   # unchecked
    assert parse_form(project, MultiDict(), meta) == {}            # absent fields are left as they are


def test_child_rows_in_index_order_with_markers(meta):
    project = meta.entity("project")
    form = MultiDict([("collateral", ""), ("collateral.10", ""), ("collateral.10.kind", "land"),
                      ("collateral.2", ""), ("collateral.2.kind", "house"), ("collateral.2.value", "5"),
                      ("collateral.2.recognised", "1"), ("collateral.2.bogus", "x"), ("collateral.3", ""),
                      ("collateral.x.kind", "car")])
    data = parse_form(project, form, meta)
    assert data == {"collateral": [{"kind": "house", "value": "5"}, {}, {"kind": "land"}]}
    assert parse_form(project, MultiDict([("collateral", "")]), meta) == {"collateral": []}
    assert parse_form(project, MultiDict([("collateral.0.kind", "house")]), meta) == {}   # no table marker


def test_multichoice_attachments_and_cascades(meta):
    ent = meta.entity("enterprise_customer")
    form = MultiDict([("region", "330000"), ("region", "330100"), ("region", "330106"),
                      ("industry", "C"), ("industry", ""), ("attachments", '[{"id": "a", "name": "x.pdf", '
                                                                          '"size": 3, "type": "application/pdf"}]')])
    data = parse_form(ent, form, meta)
    assert data["region"] == "330106" and data["industry"] == "C"
    assert data["attachments"] == [{"id": "a", "name": "x.pdf", "size": 3, "type": "application/pdf"}]
    # a changed province with stale deeper levels: the deepest consistent code counts
    stale = parse_form(ent, MultiDict([("region", "110000"), ("region", "330100"), ("region", "330106")]), meta)
    assert stale["region"] == "110000"
    assert parse_form(ent, MultiDict([("attachments", "not json")]), meta)["attachments"] == "not json"
    assert parse_form(ent, MultiDict([("attachments", "")]), meta)["attachments"] is None

    from metadata.model import Entity, Field
    multi = Field("tags", "multichoice", "json", {"zh": "标签"})
    e = Entity("t", {"zh": "t"}, (multi,), None, (), (), None, {}, ())
    assert parse_form(e, MultiDict([("tags", ""), ("tags", "a"), ("tags", "b")])) == {"tags": ["a", "b"]}
    assert parse_form(e, MultiDict([("tags", "")])) == {"tags": []}         # every box cleared


def test_row_actions(meta):
    project = meta.entity("project")
    rows = [{"kind": "a"}, {"kind": "b"}, {"kind": "c"}]
    data, focus = apply_action(project, {"collateral": list(rows)}, "add_row:collateral")
    assert data["collateral"][-1] == {} and focus == "f-collateral-3-kind"
    data, focus = apply_action(project, {"collateral": list(rows)}, "remove_row:collateral:1")
    assert [r["kind"] for r in data["collateral"]] == ["a", "c"] and focus == "add-collateral"
    data, focus = apply_action(project, {"collateral": list(rows)}, "move_row:collateral:2:up")
    assert [r["kind"] for r in data["collateral"]] == ["a", "c", "b"] and focus == "mv-collateral-1-up"
    data, _ = apply_action(project, {"collateral": list(rows)}, "move_row:collateral:2:down")
    assert [r["kind"] for r in data["collateral"]] == ["a", "b", "c"]        # the last row stays last
    data, focus = apply_action(project, {"collateral": list(rows)}, "move_row:collateral:1:down")
    assert focus == "mv-collateral-2-up"                    # its down button is disabled now
    data, focus = apply_action(project, {}, "pick:customer:12")
    assert data == {"customer": "12"} and focus == "f-customer-q"
    for bad in ("add_row:kind", "remove_row:collateral:9", "move_row:collateral:0:left", "pick:kind:1",
                "explode", "remove_row:nope:0", "pick:collateral.0.kind:1"):
        with pytest.raises(ActionError):
            apply_action(project, {"collateral": list(rows)}, bad)
