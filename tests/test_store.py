"""The one write path on a real database (SQLite and PostgreSQL): validation, computed fields,
numbering, uniqueness, optimistic concurrency, history, permissions."""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import metastore
from core.db import history, record_rows, records
from core.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from core.store import Actor, Store
from metadata.source import PackSource, read_pack_dir

from .conftest import PACKS

ID_A = "11010519491231002X"
ID_B = "440524198001010013"


@pytest.fixture
def store(engine, clock):
    inst = metastore.install(engine, [read_pack_dir(PACKS / "mini")], clock=clock)
    return Store(engine, inst.meta, clock=clock, meta_version=inst.version)


@pytest.fixture
def customer(store):
    return store.create("customer", {"name": "张三", "id_number": ID_A, "rating": "80"})


def rows(engine, table=records):
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(table)).scalar_one()


def test_create_parses_fills_defaults_and_computes(store, customer):
    p = store.create("project", {"customer": customer.id, "kind": "loan", "amount": "1,000,000",
                                 "collateral": [{"kind": "house", "value": "500000", "ratio": "70"},
                                                {"kind": "land", "value": "100000.005"}]})
    v = p.values
    assert v["amount"] == Decimal("1000000.00") and v["rate"] == Decimal("2.00")
    assert v["fee"] == Decimal("20000.00")
    assert v["start"] == date(2026, 3, 15) and v["end"] == date(2027, 3, 15)   # TODAY() from the clock
    assert [r["recognised"] for r in v["collateral"]] == [Decimal("350000.00"), Decimal("50000.01")]
    assert v["collateral"][1]["ratio"] == Decimal("50.00")                      # child default
    assert [r["kind_label"] for r in v["collateral"]] == ["房产", "土地"]          # LOOKUP label
    assert [r["over_cap"] for r in v["collateral"]] == [False, False]            # LOOKUP data
    assert v["recognised_total"] == Decimal("400000.01")
    assert v["number"] == "DB202603-0001"
    assert store.get("project", p.id).values == v


def test_lookup_reads_code_list_data(store, customer):
    p = store.create("project", {"customer": customer.id, "kind": "loan", "amount": "1",
                                 "collateral": [{"kind": "land", "value": "1", "ratio": "65"}]})
    assert p.values["collateral"][0]["over_cap"] is True                          # land caps at 60


def test_formulas_read_linked_records(store, customer):
    p = store.create("project", {"customer": customer.id, "kind": "loan", "amount": "1"})
    assert p.values["customer_rating"] == 80
    store.update("customer", customer.id, {"rating": "60"}, version=customer.version)
    p = store.update("project", p.id, {"amount": "2"}, version=p.version)
    assert p.values["customer_rating"] == 60


def test_invalid_input_returns_every_error_and_writes_nothing(store, customer, engine):
    before = rows(engine), rows(engine, history)
    with pytest.raises(ValidationError) as e:
        store.create("project", {"customer": 999, "kind": "bond", "amount": "abc", "rate": "11",
                                 "nosuch": 1, "collateral": [{"kind": "car"}]})
    errors = e.value.errors
    assert set(errors) == {"customer", "bond_rating", "amount", "rate", "nosuch", "collateral.0.kind",
                           "collateral.0.value"}
    assert errors["bond_rating"] == [{"zh": "必填", "en": "required"}]          # required_if
    assert "does not exist" in errors["customer"][0]["en"]
    assert "not one of the options" in errors["collateral.0.kind"][0]["en"]   # inactive code
    assert (rows(engine), rows(engine, history)) == before


def test_visible_if_clears_hidden_values_and_skips_required(store, customer):
    p = store.create("project", {"customer": customer.id, "kind": "bond", "bond_rating": "AA", "amount": "10"})
    assert p.values["bond_rating"] == "AA"
    p = store.update("project", p.id, {"kind": "loan"}, version=p.version)
    assert p.values["bond_rating"] is None and p.cleared == ["bond_rating"]
    change = store.history("project", p.id)[-1]["changes"]
    assert change["bond_rating"] == ["AA", None]                             # the clearing is recorded


def test_entity_validation_and_formula_runtime_error(store, customer):
    with pytest.raises(ValidationError) as e:
        store.create("project", {"customer": customer.id, "kind": "loan", "amount": "100",
                                 "collateral": [{"kind": "house", "value": "1"}] * 4})
    assert e.value.errors == {"collateral": [{"zh": "反担保物最多 3 项", "en": "At most 3 collateral items"}]}


def test_id_number_birth_date_checked_against_the_injected_clock(store):
    from core.checksums import make_id_number
    born = make_id_number("330106", date(2026, 3, 16), 1)   # the day after the test clock's today
    with pytest.raises(ValidationError) as e:
        store.create("customer", {"name": "未来", "id_number": born})
    assert e.value.errors["id_number"][0]["en"] == "the ID number's birth date is in the future"
    assert store.create("customer", {"name": "今天", "id_number": make_id_number("330106", date(2026, 3, 15), 1)})


def test_readonly_and_readonly_if(store, customer):
    with pytest.raises(ValidationError) as e:
        store.create("project", {"customer": customer.id, "kind": "loan", "amount": "10", "number": "X1"},
                     actor=Actor("li", {"pm"}))
    assert "number" in e.value.errors
    p = store.create("project", {"customer": customer.id, "kind": "loan", "amount": "6000000"})
    with pytest.raises(ValidationError) as e:
        store.update("project", p.id, {"approved": "是"}, version=p.version, actor=Actor("li", {"pm"}))
    assert e.value.errors["approved"][0]["en"] == "this field cannot be changed now"


def test_inactive_option_kept_on_existing_record(store, engine, customer, clock):
    p = store.create("project", {"customer": customer.id, "kind": "loan", "amount": "10"})
    with engine.begin() as c:  # a record written when 'old' was still offered
        doc = dict(c.execute(select(records.c.data).where(records.c.id == p.id)).scalar_one(), kind="old")
        c.execute(records.update().where(records.c.id == p.id).values(data=doc))
    p = store.update("project", p.id, {"amount": "20"}, version=p.version)
    assert p.values["kind"] == "old"
    with pytest.raises(ValidationError):
        store.create("project", {"customer": customer.id, "kind": "old", "amount": "10"})


def test_optimistic_concurrency_refuses_stale_save_and_says_what_changed(store, customer):
    first = store.update("customer", customer.id, {"rating": "90"}, version=1, actor=Actor("wang"))
    with pytest.raises(ConflictError) as e:
        store.update("customer", customer.id, {"name": "李四"}, version=1, actor=Actor("li"))
    assert e.value.current_version == 2 and e.value.by == "wang"
    assert e.value.changes == {"rating": [80, 90]}
    assert store.get("customer", customer.id).values["name"] == "张三"
    assert first.version == 2


def test_history_records_who_what_when_with_child_rows(store, customer, clock):
    p = store.create("project", {"customer": customer.id, "kind": "loan", "amount": "100",
                                 "collateral": [{"kind": "house", "value": "10"}]}, actor=Actor("li"))
    clock.advance(hours=1)
    p = store.update("project", p.id, {"collateral": [{"kind": "house", "value": "20"}, {"kind": "land", "value": "5"}]},
                     version=p.version, actor=Actor("wang"))
    create, upd = store.history("project", p.id)
    assert create["action"] == "create" and create["actor"] == "li" and create["changes"]["amount"] == "100.00"
    assert upd["actor"] == "wang" and upd["at"].hour == 10 and upd["version"] == 2
    rows_change = upd["changes"]["collateral"]
    assert rows_change["rows"]["0"]["value"] == ["10.00", "20.00"]
    assert rows_change["added"] == [{"kind": "land", "value": "5.00", "ratio": "50.00", "recognised": "2.50",
                                     "kind_label": "土地", "over_cap": False}]
    store.delete("project", p.id, version=p.version, actor=Actor("zhao"))
    assert store.history("project", p.id)[-1]["action"] == "delete"
    with pytest.raises(NotFound):
        store.get("project", p.id)


def test_unique_enforced_and_reusable_after_delete(store, customer, engine):
    with pytest.raises(ValidationError) as e:
        store.create("customer", {"name": "李四", "id_number": ID_A})
    assert "already used" in e.value.errors["id_number"][0]["en"]
    store.delete("customer", customer.id, version=customer.version)
    assert store.create("customer", {"name": "李四", "id_number": ID_A}).id


def test_unique_enforced_by_database_under_concurrent_inserts(store, engine):
    results: list = []
    barrier = threading.Barrier(6)

    def insert(i):
        barrier.wait()
        try:
            results.append(store.create("customer", {"name": f"c{i}", "id_number": ID_B}).id)
        except ValidationError as e:
            results.append(e.errors)

    threads = [threading.Thread(target=insert, args=(i,)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sum(isinstance(r, int) for r in results) == 1
    assert all("id_number" in r for r in results if not isinstance(r, int))


def test_unique_index_rejects_a_racing_duplicate(store, engine, monkeypatch):
    store.create("customer", {"name": "a", "id_number": ID_B})
    monkeypatch.setattr(Store, "_check_unique", lambda *a: None)  # as if the other insert came after our check
    with pytest.raises(ValidationError) as e:
        store.create("customer", {"name": "b", "id_number": ID_B})
    assert list(e.value.errors) == ["id_number"]
    assert rows(engine) == 1


def test_numbering_is_gap_free_and_safe_under_concurrency(store, customer, clock):
    with pytest.raises(ValidationError):
        store.create("project", {"customer": customer.id, "kind": "loan"})  # fails: no number used
    numbers: list[str] = []
    barrier = threading.Barrier(5)

    def create():
        barrier.wait()
        for _ in range(3):
            numbers.append(store.create("project", {"customer": customer.id, "kind": "loan", "amount": "1"})
                           .values["number"])

    threads = [threading.Thread(target=create) for _ in range(5)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(numbers) == [f"DB202603-{i:04d}" for i in range(1, 16)]
    clock.advance(days=20)  # April: the sequence restarts
    assert store.create("project", {"customer": customer.id, "kind": "loan", "amount": "1"}).values["number"] \
        == "DB202604-0001"


def test_permissions_checked_before_anything(store, customer):
    with pytest.raises(PermissionDenied):
        store.delete("customer", customer.id, version=1, actor=Actor("li", {"pm"}))
    store.delete("customer", customer.id, version=1, actor=Actor("boss", {"admin"}))


def test_child_rows_mirrored_for_queries(store, customer, engine):
    p = store.create("project", {"customer": customer.id, "kind": "loan", "amount": "100",
                                 "collateral": [{"kind": "house", "value": "10"}, {"kind": "land", "value": "20"}]})
    assert rows(engine, record_rows) == 2
    store.update("project", p.id, {"collateral": []}, version=p.version)
    assert rows(engine, record_rows) == 0


REMOVE_RATING = PackSource("cut", {
    "pack.yaml": "name: cut\nversion: 1.0.0\nextends: [{name: mini}]\n",
    "entities/customer.yaml": "overlay: customer\nremove_fields: [nickname]\n"
                              "add_fields: [{name: wechat, type: text}]\n",
})


def test_adding_and_removing_fields_needs_no_migration_and_loses_no_data(store, engine, clock):
    c = store.create("customer", {"name": "张三", "nickname": "zhang"})
    inst = metastore.install(engine, [read_pack_dir(PACKS / "mini"), REMOVE_RATING], clock=clock)
    s2 = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    c = s2.get("customer", c.id)
    assert "nickname" not in c.values and c.values["wechat"] is None
    c = s2.update("customer", c.id, {"wechat": "zs"}, version=c.version)
    with engine.connect() as conn:
        doc = conn.execute(select(records.c.data).where(records.c.id == c.id)).scalar_one()
    assert doc["nickname"] == "zhang" and doc["wechat"] == "zs"   # kept until an explicit purge
    with pytest.raises(ValidationError) as e:
        s2.update("customer", c.id, {"nickname": "x"}, version=c.version)
    assert e.value.errors["nickname"][0]["en"] == "field 'nickname' was removed"


def test_formula_runtime_error_names_field_and_formula(engine, clock):
    ratio = PackSource("r", {"pack.yaml": "name: r\nversion: 1.0.0\n", "entities/r.yaml": (
        "name: r\nfields:\n  - {name: a, type: money}\n  - {name: b, type: money}\n"
        "  - {name: ratio, type: computed, label: {zh: 比率, en: Ratio}, formula: a / b}\n")})
    inst = metastore.install(engine, [ratio], clock=clock)
    store = Store(engine, inst.meta, clock=clock)
    assert store.create("r", {"a": "1", "b": "4"}).values["ratio"] == Decimal("0.25")
    with pytest.raises(ValidationError) as e:
        store.create("r", {"a": "1", "b": "0"})
    message = e.value.errors["ratio"][0]
    assert "a / b" in message["en"] and "Ratio" not in message["zh"] and "比率" in message["zh"]
    assert "division by zero" in message["en"]
    assert store.create("r", {"a": "1"}).values["ratio"] is None   # blank input: blank result


def test_unchanged_readonly_value_posted_back_is_accepted(store, customer):
    p = store.create("project", {"customer": customer.id, "kind": "loan", "amount": "10"})
    pm = Actor("li", {"pm"})
    p2 = store.update("project", p.id, {"number": p.values["number"], "amount": "20"}, version=p.version, actor=pm)
    assert p2.values["amount"] == Decimal("20.00")
    with pytest.raises(ValidationError) as e:
        store.update("project", p.id, {"number": "DB-OTHER"}, version=p2.version, actor=pm)
    assert list(e.value.errors) == ["number"]


def test_preview_gives_values_errors_and_live_states_without_writing(store, customer, engine):
    before = rows(engine)
    p = store.preview("project", {"customer": customer.id, "kind": "bond", "amount": "abc", "rate": "3"})
    assert p.errors["amount"][0]["en"] == "Not a valid number"
    assert p.states["bond_rating"].visible and p.states["bond_rating"].required
    assert p.states["fee"].readonly and p.states["number"].readonly
    p = store.preview("project", {"customer": customer.id, "kind": "loan", "amount": "100", "rate": "3"})
    assert p.values["fee"] == Decimal("3.00") and not p.errors
    assert not p.states["bond_rating"].visible
    big = store.create("project", {"customer": customer.id, "kind": "loan", "amount": "6000000"})
    assert store.preview("project", {"amount": "6000001"}, record_id=big.id).states["approved"].readonly
    assert rows(engine) == before + 1


RULES = PackSource("rules", {
    "pack.yaml": "name: rules\nversion: 1.0.0\n",
    "codelists/department.yaml": "name: department\nitems:\n  - {code: risk, label: 风控部}\n"
                                 "  - {code: old, label: 旧部门, active: false}\n",
    "entities/r.yaml": (
        "name: r\nfields:\n"
        "  - {name: code, type: text, min_length: 3, max_length: 5, pattern: '[A-Z]+',"
        " pattern_message: {zh: 只能大写字母, en: capitals only}}\n"
        "  - {name: owner, type: user}\n"
        "  - {name: dept, type: department}\n")})


def test_length_pattern_user_and_department_rules(engine, clock):
    from core.users import create_user
    inst = metastore.install(engine, [RULES], clock=clock)
    store = Store(engine, inst.meta, clock=clock)
    uid = create_user(engine, "li", name="李", roles=["pm"], password="secret-1").id
    with pytest.raises(ValidationError) as e:
        store.create("r", {"code": "AB", "owner": uid + 99, "dept": "old"})
    errors = e.value.errors
    assert errors["code"] == [{"zh": "至少 3 个字符", "en": "at least 3 characters"}]
    assert "does not exist" in errors["owner"][0]["en"]
    assert "not one of the options" in errors["dept"][0]["en"]
    with pytest.raises(ValidationError) as e:
        store.create("r", {"code": "ABCDEF"})
    assert e.value.errors["code"][0]["en"] == "at most 5 characters"
    with pytest.raises(ValidationError) as e:
        store.create("r", {"code": "abcd"})
    assert e.value.errors["code"] == [{"zh": "只能大写字母", "en": "capitals only"}]
    rec = store.create("r", {"code": "ABCD", "owner": uid, "dept": "risk"})
    assert (rec.values["owner"], rec.values["dept"]) == (uid, "risk")
