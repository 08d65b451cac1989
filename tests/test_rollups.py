"""Rollup fields on a real database (SQLite and PostgreSQL): every aggregate, where, latest with
ties, links moved between parents, deletes, a parent rule refusing the child's write, history,
rollups of rollups, concurrent children, load errors with file:line:path, refresh_all and the CLI."""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text, update

from core import metastore
from core.db import records
from core.errors import ValidationError
from core.rollups import refresh_all
from core.store import Actor, Store
from metadata.loader import check_packs
from metadata.source import PackSource, read_pack_dir
from ui.cli import cli

from .conftest import PACKS

LI = Actor("li", {"pm"})


@pytest.fixture
def store(engine, clock):
    inst = metastore.install(engine, [read_pack_dir(PACKS / "rollups")], clock=clock)
    return Store(engine, inst.meta, clock=clock, meta_version=inst.version)


@pytest.fixture
def project(store):
    return store.create("project", {"number": "DB2026001", "release_amount": "1000"})


def pay(store, project, principal, actor=LI, **more):
    return store.create("repayment", {"project": project.id, "principal": principal, **more}, actor=actor)


def get(store, project):
    return store.get("project", project.id)


def test_a_new_parent_starts_with_sum_and_count_zero_and_the_rest_blank(project):
    v = project.values
    assert v["repaid"] == Decimal("0.00") and v["repayments"] == 0 and v["visits"] == 0
    assert v["smallest"] is v["largest"] is v["average"] is v["first_paid"] is v["last_class"] is None
    assert v["balance"] == Decimal("1000.00")


def test_every_aggregate_and_where(store, project):
    pay(store, project, "100", paid_on="2026-03-02")
    pay(store, project, "250.50", paid_on="2026-02-01")
    pay(store, project, "40", paid_on="2026-03-10", status="draft")     # not confirmed: not repaid
    pay(store, project, None, paid_on="2026-01-20")                     # blank principal: skipped
    v = get(store, project).values
    assert v["repaid"] == Decimal("350.50")                              # where status == "confirmed"
    assert v["repayments"] == 4                                          # count: every record
    assert v["smallest"] == Decimal("40.00") and v["largest"] == Decimal("250.50")
    assert v["average"] == Decimal("130.17")                             # 390.50 / 3, blank skipped
    assert v["first_paid"] == date(2026, 1, 20)                          # min of dates
    assert v["balance"] == Decimal("649.50")                             # computed from the rollup


def test_latest_by_order_by_with_ties_to_the_higher_id(store, project):
    def visit(day, cls):
        return store.create("visit", {"project": project.id, "visit_date": day, "classification": cls})
    visit("2026-03-01", "watch")
    visit("2026-01-01", "substandard")
    assert get(store, project).values["last_class"] == "watch"
    visit("2026-03-01", "normal")                                        # same date, higher id wins
    assert get(store, project).values["last_class"] == "normal"
    visit(None, "substandard")                                           # no date: skipped, as in LATEST()
    assert get(store, project).values["last_class"] == "normal"
    assert get(store, project).values["visits"] == 4


def test_editing_and_deleting_a_child_refreshes_and_link_moves_refresh_both(store, project):
    other = store.create("project", {"number": "DB2026002", "release_amount": "500"})
    r = pay(store, project, "100")
    r = store.update("repayment", r.id, {"principal": "120"}, version=r.version, actor=LI)
    assert get(store, project).values["repaid"] == Decimal("120.00")
    r = store.update("repayment", r.id, {"status": "draft"}, version=r.version, actor=LI)
    assert get(store, project).values["repaid"] == Decimal("0.00")
    r = store.update("repayment", r.id, {"status": "confirmed", "project": other.id}, version=r.version, actor=LI)
    assert get(store, project).values["repaid"] == Decimal("0.00")
    assert get(store, project).values["repayments"] == 0
    assert get(store, other).values["repaid"] == Decimal("120.00")
    assert get(store, other).values["balance"] == Decimal("380.00")
    store.delete("repayment", r.id, version=r.version, actor=LI)
    assert get(store, other).values["repaid"] == Decimal("0.00") and get(store, other).values["repayments"] == 0


def test_an_unrelated_edit_of_a_child_does_not_rewrite_the_parent(store, project):
    r = pay(store, project, "100")
    before = get(store, project).version
    store.update("repayment", r.id, {"note": "补充说明"}, version=r.version, actor=LI)
    assert get(store, project).version == before
    assert len(store.history("project", project.id)) == 2               # create, then the one repayment


def test_the_parent_is_saved_with_history_by_the_child_writer(store, project):
    pay(store, project, "300", actor=Actor("zhao", {"pm"}))
    p = get(store, project)
    assert p.version == 2 and p.updated_by == "zhao"
    h = store.history("project", project.id)[-1]
    assert h["actor"] == "zhao" and h["action"] == "update" and h["version"] == 2
    assert h["changes"]["repaid"] == ["0.00", "300.00"] and h["changes"]["balance"] == ["1000.00", "700.00"]


def test_rollups_are_never_typed_in(store, project):
    p = store.update("project", project.id, {"repaid": "999", "number": "DB2026001X"}, version=project.version,
                     actor=LI)
    assert p.values["repaid"] == Decimal("0.00") and p.values["number"] == "DB2026001X"


def test_a_parent_rule_refuses_the_child_write_and_nothing_is_saved(store, project, engine):
    pay(store, project, "700")
    with pytest.raises(ValidationError) as e:
        pay(store, project, "400")
    assert e.value.errors == {"": [{"zh": "担保项目 DB2026001: 在保余额不能小于 0",
                                    "en": "Guarantee project DB2026001: the balance cannot be below 0"}]}
    with engine.connect() as c:
        assert c.execute(select(records.c.id).where(records.c.entity == "repayment")).all().__len__() == 1
    assert get(store, project).values["repaid"] == Decimal("700.00") and get(store, project).version == 2


def test_rollups_of_rollups_chain_to_the_grandparent(store):
    pf = store.create("portfolio", {"name": "一号包"})
    a = store.create("project", {"number": "A", "release_amount": "1000", "portfolio": pf.id})
    b = store.create("project", {"number": "B", "release_amount": "1000", "portfolio": pf.id})
    assert store.get("portfolio", pf.id).values["projects"] == 2
    pay(store, a, "100")
    r = pay(store, b, "50")
    assert store.get("portfolio", pf.id).values["repaid_total"] == Decimal("150.00")
    store.delete("repayment", r.id, version=r.version)
    assert store.get("portfolio", pf.id).values["repaid_total"] == Decimal("100.00")
    assert store.history("portfolio", pf.id)[-1]["actor"] == "system"


def test_the_link_field_of_a_rollup_is_indexed(store, engine):
    assert store.meta.entity("repayment").field("project").indexed
    if engine.dialect.name == "sqlite":
        from core.rollups import _related
        with engine.connect() as c:
            c.execute(text("ANALYZE"))
            compiled = []
            from sqlalchemy import event

            @event.listens_for(c, "before_cursor_execute")
            def grab(conn, cursor, statement, params, context, many):
                compiled.append((statement, params))
            _related(store, c, store.meta.entity("repayment"), "project", 1)
            stmt, params = compiled[-1]
            plan = " ".join(str(r[-1]) for r in c.exec_driver_sql("EXPLAIN QUERY PLAN " + stmt, params))
        assert "fx_i_repayment__project" in plan, plan


@pytest.mark.postgres
def test_concurrent_children_of_one_parent_lose_nothing(engine, clock):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; the row lock matters on PostgreSQL")
    inst = metastore.install(engine, [read_pack_dir(PACKS / "rollups")], clock=clock)
    store = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    p = store.create("project", {"number": "DB-RACE", "release_amount": "1000"})
    errors, start = [], threading.Barrier(6)

    def worker(i):
        try:
            start.wait()
            for _ in range(3):
                store.create("repayment", {"project": p.id, "principal": "10"}, actor=Actor(f"u{i}", {"pm"}))
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    v = store.get("project", p.id)
    assert v.values["repaid"] == Decimal("180.00") and v.values["repayments"] == 18 and v.version == 19


def test_refresh_all_computes_values_for_old_data(store, project, engine):
    pay(store, project, "100")
    pay(store, project, "50")
    with engine.begin() as c:   # as if the rollups had been added after the data
        c.execute(update(records).where(records.c.id == project.id).values(data={"number": "DB2026001",
                                                                                 "release_amount": "1000.00"}))
    assert get(store, project).values["repaid"] is None
    result = refresh_all(store, "project")
    assert (result.checked, result.changed, result.failed) == (1, 1, [])
    v = get(store, project).values
    assert v["repaid"] == Decimal("150.00") and v["repayments"] == 2 and v["balance"] == Decimal("850.00")
    assert store.history("project", project.id)[-1]["actor"] == "system"
    assert refresh_all(store, "project").changed == 0                   # safe to run again
    with pytest.raises(ValueError):
        refresh_all(store, "project", "number")


def test_refresh_all_lists_records_their_rules_refuse(store, project, engine):
    pay(store, project, "600")
    with engine.begin() as c:
        c.execute(update(records).where(records.c.id == project.id).values(data={"number": "DB2026001",
                                                                                 "release_amount": "100.00"}))
    result = refresh_all(store, "project", "repaid")
    assert result.changed == 0 and result.failed == [(project.id, "担保项目 DB2026001: 在保余额不能小于 0")]


def test_cli_rollups_refresh(store, project, engine):
    pay(store, project, "100")
    with engine.begin() as c:
        c.execute(update(records).where(records.c.id == project.id).values(data={"number": "DB2026001",
                                                                                 "release_amount": "1000.00"}))
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["--database", url, "rollups", "refresh"])
    assert result.exit_code == 0, result.output
    assert "project: 1 record(s) checked, 1 updated" in result.output
    assert "portfolio: 0 record(s) checked, 0 updated" in result.output
    assert get(store, project).values["repaid"] == Decimal("100.00")
    result = CliRunner().invoke(cli, ["--database", url, "rollups", "refresh", "project", "--field", "number"])
    assert result.exit_code == 1 and "has no rollup field 'number'" in result.output


# -- load checks -----------------------------------------------------------------------------------

CHILD = """\
name: child
fields:
  - {name: loan, type: link, entity: loan}
  - {name: other, type: link, entity: other}
  - {name: amount, type: money}
  - {name: day, type: date}
  - {name: tags, type: multichoice, options: [{value: a}]}
  - {name: label, type: text}
"""
OTHER = "name: other\nfields:\n  - {name: name, type: text}\n"


def load_problems(parent_fields: str) -> list[str]:
    parent = "name: loan\nfields:\n  - {name: name, type: text}\n" + parent_fields
    src = PackSource("t", {"pack.yaml": "name: t\nversion: 1.0.0\n", "entities/loan.yaml": parent,
                           "entities/child.yaml": CHILD, "entities/other.yaml": OTHER})
    return [str(p) for p in check_packs([src])]


@pytest.mark.parametrize("field, expected", [
    ("{name: r, type: rollup, from: nope, link: loan, aggregate: sum, field: amount}",
     "t/entities/loan.yaml:4 fields.r.from: unknown entity 'nope'"),
    ("{name: r, type: rollup, from: child, link: amount, aggregate: sum, field: amount}",
     "t/entities/loan.yaml:4 fields.r.link: 'amount' is not a link field of 'child'"),
    ("{name: r, type: rollup, from: child, link: other, aggregate: sum, field: amount}",
     "t/entities/loan.yaml:4 fields.r.link: 'child.other' links to 'other', not to 'loan'"),
    ("{name: r, type: rollup, from: child, link: loan, aggregate: sum, field: label}",
     "t/entities/loan.yaml:4 fields.r.field: sum needs a number; 'child.label' is text"),
    ("{name: r, type: rollup, from: child, link: loan, aggregate: max, field: label}",
     "t/entities/loan.yaml:4 fields.r.field: max needs a number or a date; 'child.label' is text"),
    ("{name: r, type: rollup, from: child, link: loan, aggregate: latest, field: tags, order_by: day}",
     "t/entities/loan.yaml:4 fields.r.field: latest needs a scalar value"),
    ("{name: r, type: rollup, from: child, link: loan, aggregate: sum, field: nope}",
     "t/entities/loan.yaml:4 fields.r.field: entity 'child' has no field 'nope'"),
    ("{name: r, type: rollup, from: child, link: loan, aggregate: sum}",
     "t/entities/loan.yaml:4 fields.r: a sum rollup needs 'field'"),
    ("{name: r, type: rollup, from: child, link: loan, aggregate: count, field: amount}",
     "t/entities/loan.yaml:4 fields.r.field: count counts records: it takes no 'field'"),
    ("{name: r, type: rollup, from: child, link: loan, aggregate: latest, field: amount}",
     "t/entities/loan.yaml:4 fields.r: a latest rollup needs 'order_by'"),
    ("{name: r, type: rollup, from: child, link: loan, aggregate: sum, field: amount, order_by: day}",
     "t/entities/loan.yaml:4 fields.r.order_by: 'order_by' applies to a latest rollup only"),
    ("{name: r, type: rollup, from: child, link: loan, aggregate: sum, field: amount, where: name == 1}",
     "t/entities/loan.yaml:4 fields.r.where: unknown field 'name'"),
    ("{name: r, type: rollup, from: child, link: loan, aggregate: sum, field: amount, where: 'amount >'}",
     "t/entities/loan.yaml:4 fields.r.where:"),
    ("{name: r, type: rollup, link: loan, aggregate: sum, field: amount}",
     "t/entities/loan.yaml:4 fields.r: a rollup field needs 'from'"),
    ("{name: r, type: rollup, from: child, link: loan, aggregate: total, field: amount}",
     "t/entities/loan.yaml:4 fields.r.aggregate:"),
    ("{name: r, type: rollup, from: child, link: loan, aggregate: sum, field: amount, result: date}",
     "t/entities/loan.yaml:4 fields.r.result: a sum rollup of money cannot give 'date'"),
    ("{name: r, type: rollup, from: child, link: loan, aggregate: count, formula: '1'}",
     "t/entities/loan.yaml:4 fields.r.formula: 'formula' does not apply to a field of type 'rollup'"),
])
def test_load_errors_name_file_line_and_key_path(field, expected):
    out = load_problems(f"  - {field}\n")
    assert any(o.startswith(expected) for o in out), out


def test_a_rollup_cycle_is_refused():
    out = load_problems("  - {name: r, type: rollup, from: child, link: loan, aggregate: sum, field: amount}\n")
    assert out == []
    src = PackSource("t", {
        "pack.yaml": "name: t\nversion: 1.0.0\n",
        "entities/a.yaml": "name: a\nfields:\n  - {name: b, type: link, entity: b}\n"
                           "  - {name: x, type: rollup, from: b, link: a, aggregate: sum, field: y}\n",
        "entities/b.yaml": "name: b\nfields:\n  - {name: a, type: link, entity: a}\n"
                           "  - {name: y, type: rollup, from: a, link: b, aggregate: sum, field: x}\n"})
    out = [str(p) for p in check_packs([src])]
    assert any("t/entities/a.yaml:4 fields.x.field: rollups depend on each other in a cycle: a.x → b.y → a.x"
               in o for o in out), out


def test_a_rollup_in_a_child_table_is_refused():
    out = load_problems("  - name: rows\n    type: table\n    fields:\n"
                        "      - {name: r, type: rollup, from: child, link: loan, aggregate: count}\n")
    assert any("fields.rows.fields.r.type: a child-table field cannot be a rollup" in o for o in out), out


# -- screens --------------------------------------------------------------------------------------

def test_the_record_and_edit_screens_show_a_rollup_read_only(store, project, engine, clock):
    from core.users import create_user
    from ui.app import create_app
    from .test_records import login, text as body
    create_user(engine, "li", name="李经理", roles=["pm"], password="right-pass")
    app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "CLOCK": clock})
    pay(store, project, "234.5")
    client = login(app.test_client())
    view = body(client.get(f"/e/project/{project.id}"))
    assert "累计还款本金" in view and "234.50" in view and "765.50" in view and "还款笔数" in view
    edit = body(client.get(f"/e/project/{project.id}/edit"))
    assert "234.50" in edit
    assert 'name="repaid"' not in edit and 'name="repayments"' not in edit       # never an input
    assert 'name="release_amount"' in edit
    new = body(client.get("/e/project/new"))
    assert 'name="repaid"' not in new and "累计还款本金" in new
