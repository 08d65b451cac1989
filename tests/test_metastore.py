"""Installing metadata: versions in the database, indexes made and dropped, all or nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import metastore
from core.db import expression_indexes, meta_versions
from core.store import Store
from metadata.errors import MetadataError
from metadata.source import PackSource, read_pack_dir

from .conftest import PACKS


def mini():
    return read_pack_dir(PACKS / "mini")


def overlay(body: str) -> PackSource:
    return PackSource("co", {"pack.yaml": "name: co\nversion: 1.0.0\nextends: [{name: mini}]\n",
                             "entities/customer.yaml": body})


def versions(engine):
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(meta_versions)).scalar_one()


def indexes(engine):
    with engine.connect() as c:
        return set(expression_indexes(c))


def test_install_stores_sources_and_reloads_them(engine, clock):
    inst = metastore.install(engine, [mini()], clock=clock, actor="admin")
    metastore._cache.clear()   # as in a fresh process
    again = metastore.current(engine)
    assert again.version == inst.version and again.meta.digest == inst.meta.digest
    assert set(again.meta.entities) == {"customer", "project"}
    assert metastore.versions(engine)[0]["installed_by"] == "admin"


def test_bad_metadata_changes_nothing(engine, clock):
    metastore.install(engine, [mini()], clock=clock)
    before = indexes(engine)
    with pytest.raises(MetadataError):
        metastore.install(engine, [mini(), overlay("overlay: customer\nhide_fields: [nosuch]\n")], clock=clock)
    assert versions(engine) == 1 and indexes(engine) == before


def test_new_unique_field_violated_by_data_rolls_back(engine, clock):
    inst = metastore.install(engine, [mini()], clock=clock)
    store = Store(engine, inst.meta, clock=clock)
    for n in ("a", "b"):
        store.create("customer", {"name": "同名"})
    with pytest.raises(MetadataError) as e:
        metastore.install(engine, [mini(), overlay("overlay: customer\nchange_fields: {name: {unique: true}}\n")],
                          clock=clock)
    assert "existing records share values" in str(e.value)
    assert versions(engine) == 1
    assert "fx_u_customer__name" not in indexes(engine) and "fx_i_customer__name" in indexes(engine)


def test_indexes_follow_the_metadata(engine, clock):
    metastore.install(engine, [mini()], clock=clock)
    assert {"fx_i_customer__rating", "fx_u_customer__id_number", "fx_i_project__amount"} <= indexes(engine)
    metastore.install(engine, [mini(), overlay("overlay: customer\nchange_fields: {rating: {indexed: false}}\n")],
                      clock=clock)
    assert "fx_i_customer__rating" not in indexes(engine)
    assert versions(engine) == 2
