"""Record import and export (core.transfer): exact money, per-row reports, all or nothing."""
from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from core import metastore
from core.store import Actor, Store
from core.transfer import TransferError, export_records, import_text, read_rows
from metadata.source import read_pack_dir

from .conftest import PACKS


@pytest.fixture
def store(engine, clock):
    inst = metastore.install(engine, [read_pack_dir(PACKS / "mini")], clock=clock)
    return Store(engine, inst.meta, clock=clock, meta_version=inst.version)


def export(store, entity, fmt="csv", **kw) -> str:
    out = io.StringIO()
    export_records(store.engine, store.meta, entity, out, fmt, **kw)
    return out.getvalue()


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def without_ids(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ("id", "version", "customer")} for r in rows]


def projects(store):
    cust = store.create("customer", {"name": "杭州恒信机械有限公司"})
    made = [
        store.create("project", {"customer": cust.id, "kind": "loan", "amount": "12,345,678,901.23", "rate": "1.5",
                                 "start": "2026-01-31", "collateral": [
                                     {"kind": "house", "value": "3000000.10", "ratio": "70"},
                                     {"kind": "land", "value": "0.07"}]}),
        store.create("project", {"customer": cust.id, "kind": "bond", "bond_rating": "AA+", "amount": "0.01"}),
        store.create("project", {"customer": cust.id, "kind": "loan", "amount": "999999999999.99", "rate": "0"}),
    ]
    return cust, made


def test_csv_export_writes_exact_strings_and_child_tables_as_json(store):
    _, made = projects(store)
    rows = csv_rows(export(store, "project"))
    assert [r["id"] for r in rows] == [str(p.id) for p in made]
    first = rows[0]
    assert first["amount"] == "12345678901.23" and first["rate"] == "1.50"
    assert first["fee"] == "185185183.52"       # computed, exported (ignored on import)
    assert first["number"] == "DB202603-0001" and first["start"] == "2026-01-31" and first["end"] == "2027-01-31"
    assert json.loads(first["collateral"])[0] == {"kind": "house", "value": "3000000.10", "ratio": "70.00",
                                                  "recognised": "2100000.07", "kind_label": "房产",
                                                  "over_cap": False}
    assert rows[2]["amount"] == "999999999999.99"
    assert rows[1]["approved"] == "" and rows[1]["bond_rating"] == "AA+"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_import_round_trip_keeps_money_exact(store, fmt):
    _, made = projects(store)
    before = export(store, "project", fmt)
    for p in made:                                 # empty the table, then load the export as new rows
        store.delete("project", p.id, version=p.version)
    result = import_text(store, "project", before, fmt, as_new=True)
    assert result.ok and result.committed and result.created == 3, result.errors
    after = export(store, "project", fmt)
    if fmt == "csv":
        a, b = csv_rows(before), csv_rows(after)
        assert without_ids(a) == without_ids(b)
    else:
        a, b = json.loads(before), json.loads(after)
        assert [{k: v for k, v in r.items() if k not in ("id", "version")} for r in a] == \
            [{k: v for k, v in r.items() if k not in ("id", "version")} for r in b]
        assert b[0]["amount"] == "12345678901.23"
    from core.query import Query, find
    amounts = [r.values["amount"] for r in find(store.engine, store.meta, Query("project"))]
    assert amounts == [Decimal("12345678901.23"), Decimal("0.01"), Decimal("999999999999.99")]


def test_export_pages_through_every_record(store):
    for i in range(7):
        store.create("customer", {"name": f"客户{i}"})
    rows = csv_rows(export(store, "customer", page_size=2))
    assert [r["name"] for r in rows] == [f"客户{i}" for i in range(7)]
    data = json.loads(export(store, "customer", "json", page_size=3))
    assert len(data) == 7 and data[0]["name"] == "客户0"
    assert json.loads(export(store, "project", "json")) == []


def test_import_accepts_chinese_labels_as_headers(store):
    result = import_text(store, "customer", "名称,身份证号,rating\n张三,11010519491231002X,88\n")
    assert result.ok and result.created == 1, result.errors
    (row,) = csv_rows(export(store, "customer"))
    assert row["name"] == "张三" and row["id_number"] == "11010519491231002X" and row["rating"] == "88"


def test_import_is_all_or_nothing_with_a_per_row_report(store):
    text = ("name,rating,joined_on,nickname\n"
            "甲,10,2024-01-01,abc\n"
            ",200,2024-13-01,ABC\n"     # row 3: four problems
            "乙,20,,\n"
            "丙,x,,\n")                 # row 5
    result = import_text(store, "customer", text)
    assert not result.ok and not result.committed
    assert result.rows == 4 and result.failed_rows == 2
    by_row = {}
    for e in result.errors:
        by_row.setdefault(e.row, {})[e.field] = (e.zh, e.en)
    assert set(by_row) == {3, 5}
    assert set(by_row[3]) == {"name", "rating", "joined_on", "nickname"}
    assert by_row[3]["name"] == ("必填", "required")
    assert by_row[3]["nickname"] == ("只能小写字母", "lower-case letters only")
    assert "rating" in by_row[5]
    assert export(store, "customer").count("\n") == 1          # nothing kept

    partial = import_text(store, "customer", text, partial=True)
    assert partial.committed and partial.created == 2 and partial.failed_rows == 2
    assert [r["name"] for r in csv_rows(export(store, "customer"))] == ["甲", "乙"]


def test_dry_run_keeps_nothing_and_does_not_use_numbers(store):
    cust = store.create("customer", {"name": "甲"})
    text = f"customer,kind,amount\n{cust.id},loan,100\n{cust.id},loan,200\n"
    result = import_text(store, "project", text, dry_run=True)
    assert result.ok and result.created == 2 and not result.committed
    failed = import_text(store, "project", text + f"{cust.id},nope,1\n")
    assert not failed.committed and [e.row for e in failed.errors] == [4]
    # numbers are gap-free: the rolled-back rows did not use any
    assert store.create("project", {"customer": cust.id, "kind": "loan", "amount": 1}).values["number"] == \
        "DB202603-0001"


def test_unique_values_clash_inside_one_file(store):
    text = "name,id_number\n甲,11010519491231002X\n乙,11010519491231002X\n"
    result = import_text(store, "customer", text)
    assert [(e.row, e.field) for e in result.errors] == [(3, "id_number")]
    assert not result.committed


def test_rows_with_id_and_version_update(store):
    a = store.create("customer", {"name": "甲", "rating": 1})
    b = store.create("customer", {"name": "乙", "rating": 2})
    rows = csv_rows(export(store, "customer"))
    rows[0]["rating"] = "50"
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    result = import_text(store, "customer", out.getvalue())
    assert result.ok and (result.updated, result.unchanged, result.created) == (1, 1, 0)
    assert store.get("customer", a.id).values["rating"] == 50 and store.get("customer", a.id).version == 2
    assert store.get("customer", b.id).version == 1
    # the same file again is stale for the first row: refused, reported, nothing kept
    again = import_text(store, "customer", out.getvalue())
    assert not again.committed and [e.row for e in again.errors] == [2]
    assert "changed" in again.errors[0].en
    missing = import_text(store, "customer", "id,version,name\n9999,1,丙\n")
    assert [(e.row, e.field) for e in missing.errors] == [(2, "id")]
    half = import_text(store, "customer", f"id,version,name\n{a.id},,丙\n")
    assert [(e.row, e.field) for e in half.errors] == [(2, "version")]


def test_people_cannot_set_read_only_fields_but_may_repeat_them(store):
    cust = store.create("customer", {"name": "甲"})
    pm = Actor("li", {"pm"})
    bad = import_text(store, "project", f"number,customer,kind,amount\nX-1,{cust.id},loan,5\n", actor=pm)
    assert [(e.row, e.field) for e in bad.errors] == [(2, "number")]
    ok = import_text(store, "project", f"number,customer,kind,amount\n,{cust.id},loan,5\n", actor=pm)
    assert ok.ok and ok.created == 1
    (row,) = csv_rows(export(store, "project"))
    edited = f"id,version,number,customer,kind,amount\n{row['id']},{row['version']},{row['number']},{cust.id},loan,6\n"
    result = import_text(store, "project", edited, actor=pm)
    assert result.ok and result.updated == 1, result.errors


def test_file_level_problems(store):
    with pytest.raises(TransferError) as e:
        list(read_rows(store.meta.entity("customer"), io.StringIO("name,colour\nx,red\n"), "csv"))
    assert "colour" in e.value.message["en"] and "colour" in e.value.message["zh"]
    with pytest.raises(TransferError):
        import_text(store, "customer", "{not json", "json")
    with pytest.raises(TransferError):
        import_text(store, "customer", '{"a": 1}', "json")
    with pytest.raises(TransferError):
        import_text(store, "customer", "name,name\nx,y\n")
    bad_cell = import_text(store, "project", "customer,kind,amount,collateral\n1,loan,5,[{oops\n")
    assert ("collateral" in {e.field for e in bad_cell.errors})
    too_many = import_text(store, "customer", "name\nx,y\n")
    assert [(e.row, e.field) for e in too_many.errors] == [(2, "")]


def test_json_import_keeps_decimals_exact(store):
    cust = store.create("customer", {"name": "甲"})
    text = json.dumps([{"customer": cust.id, "kind": "loan", "amount": 0.1, "rate": 2.675}])
    result = import_text(store, "project", text, "json")
    assert result.ok, result.errors
    (row,) = json.loads(export(store, "project", "json"))
    assert row["amount"] == "0.10" and row["rate"] == "2.68"
