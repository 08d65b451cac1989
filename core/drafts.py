"""The studio's draft: metadata administrators are changing and staff do not yet see (docs/studio.md).

A draft is a complete set of packs, like a metadata version: usually the installed packs with the
studio's own pack (the company's overlay, see `core.studio_pack`) changed; after a restore, an
earlier version's packs. There is one draft at a time, shared by the administrators. It is checked
exactly as installing checks it, and publishing installs it as a new version. Nothing reaches staff
before that.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from metadata.errors import MetadataError, Problem
from metadata.loader import load_packs
from metadata.model import Metadata
from metadata.source import PackSource

from . import metastore
from .clock import Clock
from .conversions import convert
from .db import meta_drafts

ROW = 1   # the one draft


@dataclass(frozen=True)
class Draft:
    sources: tuple[PackSource, ...]
    based_on: int | None       # the version it started from
    note: str | None           # "from 3": restored from version 3
    updated_at: datetime
    updated_by: str | None
    conversions: dict = field(default_factory=dict)   # {"entity.field": {old value: new}}: see core.conversions


def current(engine: Engine) -> Draft | None:
    with engine.connect() as conn:
        row = conn.execute(select(meta_drafts).where(meta_drafts.c.id == ROW)).first()
    if row is None:
        return None
    return Draft(tuple(PackSource.from_stored(p) for p in row.packs), row.based_on, row.note,
                 row.updated_at, row.updated_by, dict(row.conversions or {}))


def save(engine: Engine, sources: list[PackSource], *, based_on: int | None, note: str | None, actor: str,
         clock: Clock) -> Draft:
    values = dict(packs=[s.stored() for s in sources], based_on=based_on, note=note,
                  updated_at=clock.now(), updated_by=actor)
    with engine.begin() as conn:
        if conn.execute(update(meta_drafts).where(meta_drafts.c.id == ROW).values(**values)).rowcount == 0:
            conn.execute(insert(meta_drafts).values(id=ROW, **values))
    return current(engine)


def map_values(engine: Engine, key: str, mapping: dict[str, str], *, actor: str, clock: Clock) -> Draft:
    """Set how the values of field `key` ("entity.field") convert on publishing (blank: left as they are)."""
    draft = current(engine)
    conversions = {**draft.conversions, key: {old: new for old, new in mapping.items() if new}}
    with engine.begin() as conn:
        conn.execute(update(meta_drafts).where(meta_drafts.c.id == ROW).values(
            conversions={k: v for k, v in conversions.items() if v}, updated_at=clock.now(), updated_by=actor))
    return current(engine)


def start(engine: Engine, *, actor: str, clock: Clock, version: int | None = None) -> Draft:
    """A new draft from a version's packs (default: the installed one), replacing any draft."""
    latest = metastore.versions(engine)
    if version is not None and version not in {v["version"] for v in latest}:
        raise KeyError(version)
    sources = metastore.installed_sources(engine, version)
    note = f"from {version}" if version is not None else None
    return save(engine, sources, based_on=latest[-1]["version"] if latest else None, note=note,
                actor=actor, clock=clock)


def discard(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(meta_drafts).where(meta_drafts.c.id == ROW))


def check(sources, **checks) -> tuple[Metadata | None, list[Problem]]:
    """The draft compiled, or its problems (every one, with file, line and key)."""
    try:
        return load_packs(list(sources), **checks), []
    except MetadataError as e:
        return None, e.problems


def stale(engine: Engine, draft: Draft) -> bool:
    """Whether a version was installed after the draft began (publishing it would undo that one)."""
    latest = metastore.versions(engine)
    return bool(latest) and latest[-1]["version"] != draft.based_on


def rebase(engine: Engine, draft: Draft, pack: str, *, actor: str, clock: Clock) -> Draft:
    """Carry the draft's `pack` over to the installed packs (after someone installed a version)."""
    mine = [s for s in draft.sources if metastore.pack_name(s) == pack]
    sources = metastore.merged_sources(metastore.installed_sources(engine), mine)
    latest = metastore.versions(engine)
    return save(engine, sources, based_on=latest[-1]["version"] if latest else None, note=draft.note,
                actor=actor, clock=clock)


def publish(engine: Engine, *, actor: str, clock: Clock, **checks) -> metastore.Installed:
    """Install the draft as a new version and close it (MetadataError: nothing changed)."""
    draft = current(engine)
    if draft is None:
        raise LookupError("no draft")
    if stale(engine, draft):
        raise MetadataError([Problem("", None, "", "another version was installed after this draft began; "
                                                   "carry the draft over to it first")])
    note = f"draft {draft.note}" if draft.note else "draft"     # the studio shows these in words
    before = metastore.current(engine, **checks)
    installed = metastore.install(engine, list(draft.sources), actor=actor, clock=clock, note=note, **checks)
    convert(engine, _wanted(draft.conversions, before.meta if before else None, installed.meta), actor=actor,
            now=clock.now())
    discard(engine)
    return installed


def _wanted(conversions: dict, before: Metadata | None, after: Metadata) -> dict:
    """The mappings of fields whose type this publication changes (a mapping left from an undone change is not)."""
    out = {}
    for key, mapping in conversions.items():
        entity, name = key.split(".", 1)
        try:
            if before.entity(entity).field(name).type != after.entity(entity).field(name).type:
                out[key] = mapping
        except (AttributeError, KeyError):
            continue
    return out
