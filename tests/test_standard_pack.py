"""The standard pack with the example company overlay, installed into a real database."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest

from core import metastore, sampledata
from core.errors import ValidationError
from core.query import Filter, Query, find
from core.store import Store


@pytest.fixture
def store(engine, clock, standard, acme):
    inst = metastore.install(engine, [standard, acme], clock=clock)
    return Store(engine, inst.meta, clock=clock, meta_version=inst.version)


def company(clock, **extra):
    values = sampledata.enterprise(random.Random(7), clock.today())
    values.pop("legal_rep_id_number", None)
    return {**values, **extra}


def test_enterprise_customer_with_statements_and_shareholders(store, clock):
    rec = store.create("enterprise_customer", company(clock, wechat="acme_wx", shareholders=[
        {"name": "甲公司", "kind": "company", "uscc": "91350100M000100Y43", "share": "60",
         "contributed_on": "2020-01-01"},
        {"name": "张三", "kind": "person", "id_number": "11010519491231002X", "share": "40",
         "contributed_on": "2020-01-01"}],
        financial_statements=[{"period": "2025-12-31", "period_type": "year", "total_assets": "1000",
                               "total_liabilities": "650", "current_assets": "400", "current_liabilities": "200",
                               "inventory": "100"}]))
    v = rec.values
    assert v["number"].startswith("QY2026")
    assert v["total_share"] == Decimal("100")
    row = v["financial_statements"][0]
    assert (row["debt_ratio"], row["current_ratio"], row["quick_ratio"]) == (Decimal("65"), Decimal("2"),
                                                                             Decimal("1.5"))
    assert v["wechat"] == "acme_wx"                                         # added by the company overlay
    found = find(store.engine, store.meta, Query("enterprise_customer", [Filter("shareholders.kind", "eq", "person")]))
    assert [r.id for r in found] == [rec.id]


def test_shares_over_100_percent_rejected(store, clock):
    with pytest.raises(ValidationError) as e:
        store.create("enterprise_customer", company(clock, shareholders=[
            {"name": "甲", "kind": "company", "uscc": "91350100M000100Y43", "share": "70", "contributed_on": "2020-01-01"},
            {"name": "乙", "kind": "company", "uscc": "91330100716105852F", "share": "40", "contributed_on": "2020-01-01"}]))
    assert any("100" in m["zh"] for msgs in e.value.errors.values() for m in msgs)


def test_code_list_overlay_applies(store, clock):
    with pytest.raises(ValidationError) as e:
        store.create("enterprise_customer", company(clock, company_type="hmt"))          # hidden by acme
    assert list(e.value.errors) == ["company_type"]
    assert store.create("enterprise_customer", company(clock, company_type="collective")).id   # added by acme


def test_checksums_enforced_on_the_standard_entities(store, clock):
    with pytest.raises(ValidationError) as e:
        store.create("enterprise_customer", company(clock, uscc="91350100M000100Y44"))
    assert e.value.errors["uscc"][0]["zh"] == "统一社会信用代码校验位不正确"
    person = sampledata.person(random.Random(3), clock.today())
    person["id_number"] = person["id_number"][:-1] + ("0" if person["id_number"][-1] != "0" else "1")
    with pytest.raises(ValidationError) as e:
        store.create("individual_customer", person)
    assert "id_number" in e.value.errors
