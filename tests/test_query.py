"""Typed filters, sorting, search, child-row filters and sums, on SQLite and PostgreSQL."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from core import metastore
from core.errors import ValidationError
from core.query import Filter, Query, aggregate, count, find
from core.sqlexpr import index_name
from core.store import Store
from metadata.source import read_pack_dir

from .conftest import PACKS


@pytest.fixture
def data(engine, clock):
    inst = metastore.install(engine, [read_pack_dir(PACKS / "mini")], clock=clock)
    store = Store(engine, inst.meta, clock=clock)
    people = [store.create("customer", {"name": n, "rating": r, "joined_on": d})
              for n, r, d in [("张三", "9", "2025-12-01"), ("李四", "10", "2024-01-31"), ("王五", "100", None),
                              ("zhao_liu", None, "2026-01-05")]]
    amounts = ["999.99", "1000", "25000000.10", "5"]
    projects = [store.create("project", {"customer": people[i].id, "kind": "loan", "amount": a,
                                         "collateral": [{"kind": "house", "value": "0.10"},
                                                        {"kind": "land" if i % 2 else "house", "value": "0.20"}]})
                for i, a in enumerate(amounts)]
    return engine, inst.meta, people, projects


def names(rows):
    return [r.values["name"] for r in rows]


def test_numbers_compare_as_numbers_not_text(data):
    engine, meta, *_ = data
    assert names(find(engine, meta, Query("customer", [Filter("rating", "lt", "10")]))) == ["张三"]
    assert names(find(engine, meta, Query("customer", sort=["rating"]))) == ["张三", "李四", "王五", "zhao_liu"]
    assert names(find(engine, meta, Query("customer", sort=["-rating"]))) == ["zhao_liu", "王五", "李四", "张三"]


def test_money_compares_exactly_and_dates_as_dates(data):
    engine, meta, *_ = data
    rows = find(engine, meta, Query("project", [Filter("amount", "ge", "1,000")], sort=["amount"]))
    assert [r.values["amount"] for r in rows] == [Decimal("1000.00"), Decimal("25000000.10")]
    assert names(find(engine, meta, Query("customer", [Filter("joined_on", "gt", "2025/6/1")], sort=["joined_on"]))) \
        == ["张三", "zhao_liu"]
    assert names(find(engine, meta, Query("customer", [Filter("joined_on", "blank")]))) == ["王五"]


def test_search_in_and_pagination(data):
    engine, meta, *_ = data
    assert names(find(engine, meta, Query("customer", search="李"))) == ["李四"]
    assert names(find(engine, meta, Query("customer", search="_"))) == ["zhao_liu"]   # LIKE wildcards escaped
    assert names(find(engine, meta, Query("customer", [Filter("name", "in", ["王五", "张三"])], sort=["name"]))) \
        in (["张三", "王五"], ["王五", "张三"])
    page2 = find(engine, meta, Query("customer", sort=["rating"], limit=2, offset=2))
    assert names(page2) == ["王五", "zhao_liu"]
    assert count(engine, meta, Query("customer", [Filter("rating", "notblank")])) == 3
    assert count(engine, meta, Query("customer"), cap=2) == 2


def test_child_row_filters_and_exact_sums(data):
    engine, meta, people, projects = data
    with_land = find(engine, meta, Query("project", [Filter("collateral.kind", "eq", "land")], sort=["id"]))
    assert [r.id for r in with_land] == [projects[1].id, projects[3].id]
    total = aggregate(engine, meta, Query("project"), "collateral.value", "sum")
    assert total == Decimal("1.20")                      # 0.1 + 0.2 added exactly, four times over
    assert aggregate(engine, meta, Query("project"), "amount", "sum") == Decimal("25002005.09")
    assert aggregate(engine, meta, Query("project", [Filter("collateral.kind", "eq", "land")]),
                     "amount", "max") == Decimal("1000.00")
    assert aggregate(engine, meta, Query("project"), "amount", "count") == 4


def test_bad_filters_are_validation_errors(data):
    engine, meta, *_ = data
    with pytest.raises(ValidationError) as e:
        find(engine, meta, Query("customer", [Filter("rating", "gt", "lots")]))
    assert "rating" in e.value.errors
    with pytest.raises(ValidationError):
        find(engine, meta, Query("customer", [Filter("nosuch", "eq", "1")]))
    with pytest.raises(ValidationError):
        find(engine, meta, Query("customer", [Filter("name", "drop table", "1")]))


def test_filter_values_are_bound_not_pasted(data):
    engine, meta, *_ = data
    assert find(engine, meta, Query("customer", [Filter("name", "eq", "x' OR '1'='1")])) == []
    assert count(engine, meta, Query("customer")) == 4


def test_indexed_fields_have_expression_indexes_used_by_queries(data):
    engine, meta, *_ = data
    name = index_name("customer", "rating", False)
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            from core.sqlexpr import value_expr
            expr = value_expr("sqlite", meta.entity("customer").field("rating"))
            # INDEXED BY fails with "no query solution" unless the query can use that index
            plan = " ".join(str(r[-1]) for r in c.execute(text(
                f"EXPLAIN QUERY PLAN SELECT id FROM records r INDEXED BY {name} WHERE r.entity = 'customer' "
                f"AND r.deleted = 0 AND {expr.replace('data', 'r.data')} > 5 ORDER BY {expr.replace('data', 'r.data')}")))
            assert name in plan and "TEMP B-TREE" not in plan
        else:
            assert c.execute(text("SELECT 1 FROM pg_indexes WHERE indexname = :n"), {"n": name}).first()
            unique = index_name("customer", "id_number", True)
            ddl = c.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": unique}).scalar_one()
            assert "UNIQUE" in ddl and "deleted = false" in ddl


def test_system_columns_filter_and_sort(data):
    engine, meta, people, _ = data
    rows = find(engine, meta, Query("customer", [Filter("id", "gt", str(people[1].id))], sort=["-id"]))
    assert [r.id for r in rows] == [people[3].id, people[2].id]
    assert count(engine, meta, Query("customer", [Filter("id", "in", [people[0].id, people[2].id])])) == 2
    assert count(engine, meta, Query("customer", [Filter("created_at", "ge", "2026-03-15T00:00:00")])) == 4


def test_composite_index_serves_filter_then_sort(engine, clock):
    from core.sqlexpr import composite_name, value_expr
    from metadata.source import PackSource
    pack = PackSource("c", {"pack.yaml": "name: c\nversion: 1.0.0\n", "entities/c.yaml": (
        "name: c\nindexes: [[region, name]]\nfields:\n  - {name: name, type: text}\n"
        "  - {name: region, type: text}\n")})
    inst = metastore.install(engine, [pack], clock=clock)
    store = Store(engine, inst.meta, clock=clock)
    for region, name in [("a", "z"), ("b", "y"), ("a", "x")]:
        store.create("c", {"region": region, "name": name})
    rows = find(engine, inst.meta, Query("c", [Filter("region", "eq", "a")], sort=["name"]))
    assert [r.values["name"] for r in rows] == ["x", "z"]
    name = composite_name("c", ("region", "name"))
    e = inst.meta.entity("c")
    region, sort = (value_expr(engine.dialect.name, e.field(n), "r.data") for n in ("region", "name"))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.execute(text(
                f"EXPLAIN QUERY PLAN SELECT id FROM records r INDEXED BY {name} WHERE r.entity = 'c' "
                f"AND r.deleted = 0 AND {region} = 'a' ORDER BY {sort} ASC NULLS LAST, r.id LIMIT 20")))
            assert name in plan and "TEMP B-TREE" not in plan
        else:
            assert conn.execute(text("SELECT 1 FROM pg_indexes WHERE indexname = :n"), {"n": name}).first()
