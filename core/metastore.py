"""Installed metadata lives in the database, so every app process sees the same version.

Installing validates the whole set of packs first, then in one transaction stores the sources as a
new version and creates (or drops) the expression indexes its fields need. On any error nothing
changes: a new unique index that existing data violates rolls the install back.
"""
from __future__ import annotations

from dataclasses import dataclass
from threading import Lock

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from metadata.errors import MetadataError, Problem
from metadata.loader import load_packs
from metadata.model import Metadata
from metadata.source import PackSource

from .clock import Clock
from .db import analyze, expression_indexes, meta_versions
from .sqlexpr import wanted_indexes


@dataclass(frozen=True)
class Installed:
    version: int
    meta: Metadata
    sources: tuple[PackSource, ...]


_cache: dict[tuple[str, int], Installed] = {}
_lock = Lock()


def install(engine: Engine, sources: list[PackSource], *, actor: str = "system", clock: Clock | None = None,
            note: str | None = None, field_types: dict[str, str] | None = None, functions=frozenset(), workflow_actions=None) -> Installed:
    """Validate and install exactly these packs (the complete set) as a new metadata version."""
    meta = load_packs(sources, field_types=field_types, functions=functions,
                      workflow_actions=workflow_actions)  # raises: nothing changed
    now = (clock or Clock()).now()
    dialect = engine.dialect.name
    wanted = wanted_indexes(dialect, meta.entities.values())
    with engine.connect().execution_options(danbao_write=True) as conn, conn.begin():
        for name in set(expression_indexes(conn)) - set(wanted):
            conn.execute(text(f'DROP INDEX IF EXISTS "{name}"'))
        for name, ddl in wanted.items():
            try:
                with conn.begin_nested():
                    conn.execute(text(ddl))
            except IntegrityError:
                entity, field = name.split("_", 2)[2].split("__")
                raise MetadataError([Problem(f"{entity}", None, f"fields.{field}.unique",
                                             "existing records share values of this field; "
                                             "make them unique before declaring it unique")]) from None
        version = conn.execute(insert(meta_versions).values(
            digest=meta.digest, installed_at=now, installed_by=actor, indexes=sorted(wanted),
            packs=[s.stored() for s in sources], note=note,
        ).returning(meta_versions.c.id)).scalar_one()
    analyze(engine)
    installed = Installed(version, meta, tuple(sources))
    _cache[(str(engine.url), version)] = installed
    return installed


def current(engine: Engine, *, field_types: dict[str, str] | None = None, functions=frozenset(),
            workflow_actions=None) -> Installed | None:
    """The installed metadata, compiled once per version and process."""
    with engine.connect() as conn:
        row = conn.execute(select(meta_versions.c.id).order_by(meta_versions.c.id.desc()).limit(1)).first()
        if row is None:
            return None
        key = (str(engine.url), row.id)
        with _lock:
            if key not in _cache:
                packs = conn.execute(select(meta_versions.c.packs).where(meta_versions.c.id == row.id)).scalar_one()
                sources = tuple(PackSource.from_stored(p) for p in packs)
                _cache[key] = Installed(row.id, load_packs(list(sources), field_types=field_types,
                                                           functions=functions, workflow_actions=workflow_actions),
                                        sources)
        return _cache[key]


def versions(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(meta_versions.c.id, meta_versions.c.digest, meta_versions.c.installed_at,
                                   meta_versions.c.installed_by, meta_versions.c.packs,
                                   meta_versions.c.note)
                            .order_by(meta_versions.c.id)).all()
    return [{"version": r.id, "digest": r.digest, "installed_at": r.installed_at, "installed_by": r.installed_by,
             "packs": [p["label"] for p in r.packs], "note": r.note} for r in rows]


def pack_name(source: PackSource) -> str:
    """The `name` in the pack's manifest (the folder label when the manifest cannot be read)."""
    import yaml
    try:
        data = yaml.safe_load(source.files.get("pack.yaml") or source.files.get("pack.json") or "")
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            return data["name"]
    except yaml.YAMLError:
        pass
    return source.label


def installed_sources(engine: Engine, version: int | None = None) -> list[PackSource]:
    """The sources of a metadata version (default: the latest), read without compiling them."""
    q = select(meta_versions.c.packs)
    q = (q.where(meta_versions.c.id == version) if version is not None
         else q.order_by(meta_versions.c.id.desc()).limit(1))
    with engine.connect() as conn:
        packs = conn.execute(q).scalar()
    return [PackSource.from_stored(p) for p in packs or []]


def merged_sources(current: list[PackSource], given: list[PackSource]) -> list[PackSource]:
    """The installed packs with those of the same name replaced by the given ones, new ones added."""
    by_name = {pack_name(s): s for s in current}
    for s in given:
        by_name[pack_name(s)] = s
    return list(by_name.values())
