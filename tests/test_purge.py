"""Purging the data of removed fields: preview, then delete in one transaction with history."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import metastore
from core.db import record_rows, records
from core.errors import ConflictError, ValidationError
from core.purge import preview, purge
from core.store import Store
from metadata.source import PackSource, read_pack_dir

from .conftest import PACKS

OVERLAY = PackSource("co", {
    "pack.yaml": "name: co\nversion: 1.0.0\nextends: [{name: mini}]\n",
    "entities/customer.yaml": "overlay: customer\nremove_fields: [nickname, joined_on]\n",
    "entities/project.yaml": "overlay: project\nremove_fields: [collateral, recognised_total, coverage]\nremove_validations: [collateral_cap]\n",
})


def stored(engine, rid):
    with engine.connect() as c:
        return c.execute(select(records.c.data, records.c.version).where(records.c.id == rid)).one()


@pytest.fixture
def setup(engine, clock):
    mini = read_pack_dir(PACKS / "mini")
    inst = metastore.install(engine, [mini], clock=clock)
    store = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    a = store.create("customer", {"name": "甲", "nickname": "abc", "joined_on": "2024-01-01"})
    b = store.create("customer", {"name": "乙", "nickname": "xyz"})
    c = store.create("customer", {"name": "丙"})
    p = store.create("project", {"customer": a.id, "kind": "loan", "amount": 100,
                                 "collateral": [{"kind": "house", "value": 50}]})
    inst = metastore.install(engine, [mini, OVERLAY], clock=clock)
    store = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    return store, (a, b, c, p)


def test_removed_fields_keep_their_data_until_purged(setup):
    store, (a, *_) = setup
    assert not store.meta.entity("customer").has("nickname")
    store.update("customer", a.id, {"rating": 5}, version=a.version)   # an edit keeps the hidden data
    assert stored(store.engine, a.id).data["nickname"] == "abc"


def test_dry_run_counts_records_per_field_and_changes_nothing(setup):
    store, (_, b, *_) = setup
    result = preview(store.engine, store.meta, "customer")
    assert result.fields == ["joined_on", "nickname"]
    assert result.counts == {"joined_on": 1, "nickname": 2} and result.records == 0
    assert purge(store.engine, store.meta, "customer", dry_run=True).counts == result.counts
    assert stored(store.engine, b.id).version == 1
    only = preview(store.engine, store.meta, "customer", ["nickname"])
    assert only.counts == {"nickname": 2}


def test_purge_deletes_the_keys_bumps_versions_and_writes_history(setup, clock):
    store, (a, b, c, _) = setup
    result = purge(store.engine, store.meta, "customer", ["nickname"], actor="admin", clock=clock)
    assert result.records == 2 and not result.dry_run
    data, version = stored(store.engine, a.id)
    assert "nickname" not in data and data["joined_on"] == "2024-01-01" and version == 2
    assert stored(store.engine, c.id).version == 1            # had nothing to purge
    entry = store.history("customer", a.id)[-1]
    assert entry["action"] == "purge" and entry["actor"] == "admin" and entry["version"] == 2
    assert entry["changes"] == {"nickname": ["abc", None]}
    # an edit started before the purge is stale now
    with pytest.raises(ConflictError):
        store.update("customer", b.id, {"rating": 1}, version=1)
    assert preview(store.engine, store.meta, "customer").counts == {"joined_on": 1}
    # nothing left: a second run changes nothing
    purge(store.engine, store.meta, "customer")
    assert purge(store.engine, store.meta, "customer").records == 0
    assert preview(store.engine, store.meta, "customer").fields == []


def test_purging_a_removed_table_drops_its_child_rows(setup):
    store, (*_, p) = setup
    with store.engine.connect() as conn:
        assert conn.execute(select(record_rows.c.id).where(record_rows.c.record_id == p.id)).first()
    result = purge(store.engine, store.meta, "project")
    assert result.records == 1 and "collateral" in result.fields
    with store.engine.connect() as conn:
        assert conn.execute(select(record_rows.c.id).where(record_rows.c.record_id == p.id)).first() is None
    assert "collateral" not in stored(store.engine, p.id).data


def test_fields_still_in_the_model_cannot_be_purged(setup):
    store, _ = setup
    with pytest.raises(ValidationError) as e:
        purge(store.engine, store.meta, "customer", ["name"])
    assert "name" in e.value.errors
    with pytest.raises(ValidationError):
        preview(store.engine, store.meta, "customer", ["bad name'; --"])
