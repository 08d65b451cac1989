"""Shared fixtures. Database tests run on SQLite always and on PostgreSQL when
DANBAO_TEST_POSTGRES_URL is set (`.ci/run` sets it and fails if those tests were skipped)."""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.db import create_schema, drop_schema, make_engine
from metadata.source import PackSource, read_pack_dir

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed"
PACKS = Path(__file__).parent / "packs"
PG_URL = os.environ.get("DANBAO_TEST_POSTGRES_URL")


def backends():
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=backends())
def engine(request, tmp_path):
    if request.param == "postgresql":
        if not PG_URL:
            if os.environ.get("DANBAO_REQUIRE_POSTGRES"):
                pytest.fail("DANBAO_REQUIRE_POSTGRES is set but DANBAO_TEST_POSTGRES_URL is not")
            pytest.skip("PostgreSQL: set DANBAO_TEST_POSTGRES_URL")
        eng = make_engine(PG_URL)
        drop_schema(eng)
    else:
        eng = make_engine(f"sqlite:///{tmp_path / 'test.sqlite'}")
    create_schema(eng)
    yield eng
    if request.param == "postgresql":
        drop_schema(eng)
    eng.dispose()


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 3, 15, 9, 30))


def pack(label: str, files: dict[str, str]) -> PackSource:
    """A pack from inline YAML texts (test helper)."""
    return PackSource(label, files)


@pytest.fixture(scope="session")
def standard():
    return read_pack_dir(SEED / "standard")


@pytest.fixture(scope="session")
def acme():
    return read_pack_dir(SEED / "acme")


def compiled(sources):
    """The sources compiled as a draft is (a test fails on any problem)."""
    from core import drafts
    meta, problems = drafts.check(sources)
    assert problems == [], [str(p) for p in problems]
    return meta


@pytest.fixture(scope="module")
def standard_draft(standard):
    """The standard pack as a draft's sources, with its metadata."""
    return [standard], compiled([standard])
