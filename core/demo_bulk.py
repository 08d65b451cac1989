"""Bulk mode of the demo-data generator (core.demo_data): the same values, inserted as encoded
documents in batches, for benchmarks at 100k-1M projects.

Each record's document is made the way the store makes it — the entity's defaults, the given
values, rollups aggregated with ``core.rollups.aggregate`` over the record's related records,
computed fields by the store's own ``Evaluator``, ``core.codec.encode`` — without the store's
per-record queries. The first records of every entity and one in :data:`VERIFY_EVERY` are also
run through ``core.validate.evaluate`` (every rule and check but link existence) and must give the
same document with no error, else :class:`BulkError` stops the load: what is inserted is exactly
what the store would have written for those values.

What bulk mode skips: history entries, workflow instances and tasks, the per-record link
existence check (links point at records it has just inserted) and the attachments' files (every
attachment field refers to one stored file). It dates records when they happened (``created_at``
from the project's approval day), numbers them with the entity's pattern for that day, mirrors
child-table rows into ``record_rows`` and advances the ``sequences`` so later saves continue each
series. Run ``core.db.analyze`` afterwards (``danbao generate`` does).
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime

from sqlalchemy import insert, select, text

from .codec import encode
from .compute import Evaluator
from .db import record_rows, records, sequences
from .demo_data import (ATTACHMENT, CONTRACT_PATTERN, SHARES, STATUS, Refs, Report, available_stages, created_at,
                        enterprise_values, gm_limit, plan, project_bundle, sizes)
from . import demo
from .numbering import format_number, period_key
from .users import list_users
from .validate import evaluate

VERIFY_FIRST = 3          # records of each entity checked against core.validate.evaluate ...
VERIFY_EVERY = 997        # ... and then one in this many


class BulkError(RuntimeError):
    """A generated record is not what the store would write (or not valid): nothing more is loaded."""


class BulkWriter:
    """Documents made as the store makes them, inserted in batches with their child rows."""

    def __init__(self, store, today: date):
        self.store, self.meta, self.today = store, store.meta, today
        self.seq: dict[str, int] = {}
        self.made: Counter = Counter()
        self._defaults: dict[str, dict] = {}
        self._files: dict[tuple[str, str], list] = {}

    # -- values -----------------------------------------------------------------------------
    def defaults(self, name: str) -> dict:
        """The entity's defaults for a new record (rollups 0 or blank), as evaluate fills them."""
        if name not in self._defaults:
            entity, errors = self.meta.entity(name), {}
            env: dict = {}
            Evaluator(entity, self.store.functions, self.today, errors, self.store.types).defaults(env, set())
            self._defaults[name] = {k: v for k, v in env.items() if entity.has(k)}
        return self._defaults[name]

    def complete(self, name: str, given: dict, *, rollups: dict | None = None, links=None) -> dict:
        """Typed values with defaults, rollups and computed fields (`links(entity, id)` -> values)."""
        entity = self.meta.entity(name)
        values = {**self.defaults(name), **{k: self._parse(entity.field(k), v) for k, v in given.items()},
                  **(rollups or {})}
        for f in entity.fields:
            if f.is_table and values.get(f.name):
                static = [c for c in f.fields if c.default is not None and not c.default_formula]
                values[f.name] = [{**{c.name: self._row_default(name, f, c) for c in static if c.name not in r},
                                   **r} for r in values[f.name]]
        errors: dict = {}
        Evaluator(entity, self.store.functions, self.today, errors, self.store.types, links).compute(values)
        if errors:
            raise BulkError(f"{name}: {errors}")
        self.made[name] += 1
        n = self.made[name]
        if n <= VERIFY_FIRST or n % VERIFY_EVERY == 0:
            self._verify(name, given, rollups, links, values)
        return values

    def _parse(self, f, value):
        """A value as the store parses input (e.g. money quantized to the cent)."""
        if f.is_table:
            cols = {c.name: c for c in f.fields}
            return [{k: self._parse(cols[k], v) for k, v in row.items()} for row in value]
        return self.store.types.type(f.type).parse(value, f)

    def _row_default(self, name, table, col):
        errors, row = {}, {}
        Evaluator(self.meta.entity(name), self.store.functions, self.today, errors, self.store.types).defaults(
            row, set(), fields=[col])
        return row.get(col.name)

    def _verify(self, name: str, given: dict, rollups: dict | None, links, values: dict) -> None:
        entity, kw = self.meta.entity(name), dict(functions=self.store.functions, today=self.today, trusted=True,
                                                  system={"id": None}, types=self.store.types, load_link=links)
        p = evaluate(self.meta, entity, given, None, **kw)
        if rollups and not p.errors:      # the store saves the parent again with each rollup's value
            p = evaluate(self.meta, entity, {}, {**p.values, **rollups}, **kw)
        if p.errors:
            raise BulkError(f"a generated {name} is not valid: {p.errors}")
        mine, theirs = encode(entity, values, types=self.store.types), encode(entity, p.values, types=self.store.types)
        if mine != theirs:
            diff = {k: (mine.get(k), theirs.get(k)) for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)}
            raise BulkError(f"bulk {name} differs from the store's document: {diff}")

    def number(self, conn, name: str, field: str, pattern: str, at: datetime) -> str:
        key = f"{name}:{field}:{period_key(pattern, at)}"
        if key not in self.seq:
            self.seq[key] = conn.execute(select(sequences.c.value).where(sequences.c.name == key)).scalar() or 0
        self.seq[key] += 1
        return format_number(pattern, at, self.seq[key])

    def file(self, conn, name: str, field: str) -> list:
        """One stored file for every attachment of `name`.`field`."""
        if (name, field) not in self._files:
            from .files import save_upload
            f = self.meta.entity(name).field(field)
            self._files[(name, field)] = [save_upload(conn, entity=name, field=field, name=f"{field}.pdf",
                                                      content_type="application/pdf", data=ATTACHMENT,
                                                      uploaded_by="system", accept=f.accept or ())]
        return self._files[(name, field)]

    def given(self, conn, name: str, values: dict, at: datetime) -> dict:
        """Values as the generator gives them: only fields the entity has, attachments stored, the
        record number drawn."""
        entity = self.meta.entity(name)
        out = {k: (self.file(conn, name, k) if v == "file" and entity.field(k).type == "attachment" else v)
               for k, v in values.items() if entity.has(k) and v is not None}
        if entity.numbering and not out.get(entity.numbering.field):
            out[entity.numbering.field] = self.number(conn, name, entity.numbering.field, entity.numbering.pattern, at)
        return out

    # -- inserts ----------------------------------------------------------------------------
    def insert(self, conn, name: str, docs: list[tuple[datetime, dict]]) -> list[int]:
        """Insert documents (in order) and their child rows; returns their ids in the same order."""
        if not docs:
            return []
        entity = self.meta.entity(name)
        rows = [{"entity": name, "data": doc, "version": 1, "meta_version": self.store.meta_version, "deleted": False,
                 "created_at": at, "created_by": "system", "updated_at": at, "updated_by": "system"}
                for at, doc in docs]
        ids = list(conn.execute(insert(records).returning(records.c.id, sort_by_parameter_order=True), rows).scalars())
        children = [{"record_id": rid, "entity": name, "field": f.name, "position": i, "data": r}
                    for rid, (_, doc) in zip(ids, docs) for f in entity.fields if f.is_table
                    for i, r in enumerate(doc.get(f.name) or [])]
        if children:
            conn.execute(insert(record_rows), children)
        return ids

    def finish(self, conn) -> None:
        """Advance the numbering sequences past what was drawn."""
        for key, value in self.seq.items():
            conn.execute(text("INSERT INTO sequences (name, value) VALUES (:n, 0) ON CONFLICT (name) DO NOTHING"),
                         {"n": key})
            conn.execute(text("UPDATE sequences SET value = :v WHERE name = :n AND value < :v"), {"n": key, "v": value})


def project_docs(w: BulkWriter, conn, bundle: dict, refs_names: dict, at: datetime):
    """(project doc, [(entity, child doc)]) made as the store would after writing the project and
    then each child through Store.create (the project's rollups refreshed after each)."""
    meta = w.meta
    project = w.given(conn, "project", bundle["project"], at)
    if meta.entity("project").has("contract_no"):
        project["contract_no"] = w.number(conn, "project", "contract_no", CONTRACT_PATTERN, at)

    def customer(entity, rid):
        return refs_names.get((entity, rid))
    pvals = w.complete("project", project, links=customer)
    rollup_fields = [f for f in meta.entity("project").fields if f.is_rollup]
    made: list[tuple[str, dict]] = []
    previous = None
    for name, vals in bundle["children"]:
        if previous is not None and name != previous and rollup_fields:
            pvals = w.complete("project", project, rollups=_rollups(w, rollup_fields, made), links=customer)
        child = w.given(conn, name, {**vals, "project": 1}, at)   # the real id once inserted
        cvals = w.complete(name, child, links=lambda entity, rid: pvals if entity == "project" else customer(entity, rid))
        made.append((name, {**cvals, "id": len(made) + 1}))
        previous = name
    if made and rollup_fields:
        pvals = w.complete("project", project, rollups=_rollups(w, rollup_fields, made), links=customer)
    types = w.store.types
    return (encode(meta.entity("project"), pvals, types=types),
            [(name, encode(meta.entity(name), {k: v for k, v in vals.items() if k != "id"}, types=types))
             for name, vals in made])


def insert_projects(w: BulkWriter, conn, made: list, report: Report | None = None) -> list[int]:
    """Insert (created_at, project doc, [(entity, child doc)]) from project_docs; the project ids."""
    project_ids = w.insert(conn, "project", [(at, doc) for at, doc, _ in made])
    by_entity: dict[str, list] = {}
    for pid, (at, _, children) in zip(project_ids, made):
        for name, doc in children:
            by_entity.setdefault(name, []).append((at, {**doc, "project": pid}))
    for name, docs in by_entity.items():
        w.insert(conn, name, docs)
        if report is not None:
            report.records[name] += len(docs)
    if report is not None:
        report.records["project"] += len(project_ids)
    return project_ids


def _rollups(w: BulkWriter, fields, made) -> dict:
    from .rollups import aggregate
    out = {}
    for f in fields:
        rows = [vals for name, vals in made if name == f.rollup.source and f.rollup.link == "project"]
        out[f.name] = aggregate(w.store, w.meta.entity(f.rollup.source), f, rows)
    return out


def _existing_codes(store, name: str) -> set:
    """The unique codes (uscc, id_number) records of `name` already hold."""
    with store.engine.connect() as c:
        rows = c.execute(select(records.c.data).where(records.c.entity == name, records.c.deleted.is_(False)))
        return {_key(r.data) for r in rows} - {None}


def _key(values: dict) -> str | None:
    return values.get("uscc") or values.get("id_number")


def generate_bulk(store, projects: int, *, rng: random.Random, today: date, batch: int = 2000,
                  progress=None) -> Report:
    """Customers, banks and `projects` post-loan projects in batches (see the module docstring)."""
    report, w, meta = Report(), BulkWriter(store, today), store.meta
    users = {u.username: u.id for u in list_users(store.engine) if u.active}
    n = sizes(projects)
    names: dict[tuple[str, int], dict] = {}
    ids: dict[str, list[int]] = {}
    stages = available_stages(meta, report)
    report.skip("approval stages: bulk mode writes no workflow instances, so no projects in 申请 … 放款确认")
    first_day = date(today.year - 6, 1, 1)
    makers = {"enterprise_customer": lambda: enterprise_values(meta, rng, today),
              "individual_customer": lambda: demo.individual_values(meta, rng, today)}
    used_banks: set[str] = set()
    makers["bank"] = lambda: demo.bank_values(meta, rng, today, used_banks)
    for name, make in makers.items():
        ids[name] = []
        if name not in meta.entities:
            report.skip(f"customers: entity '{name}' is not installed")
            continue
        seen = _existing_codes(store, name)
        done = 0
        while done < n[name]:
            with store.transaction() as conn:
                docs = []
                for _ in range(min(batch, n[name] - done)):
                    v = make()
                    while _key(v) in seen:                  # unique codes: redraw on a (rare) collision
                        v = make()
                    if _key(v):
                        seen.add(_key(v))
                    at = created_at(first_day + (today - first_day) * done // max(1, n[name]), rng)
                    docs.append((at, encode(meta.entity(name), w.complete(name, w.given(conn, name, v, at)),
                                            types=store.types)))
                    done += 1
                new = w.insert(conn, name, docs)
                for rid, (_, doc) in zip(new, docs):
                    names[(name, rid)] = {"id": rid, "name": doc.get("name")}
                ids[name] += new
                w.finish(conn)
            report.records[name] += len(docs)
            if progress:
                progress(name, report.records[name])
    refs = Refs([(i, names[("enterprise_customer", i)]["name"]) for i in ids["enterprise_customer"]],
                [(i, names[("individual_customer", i)]["name"]) for i in ids["individual_customer"]],
                ids["bank"], users)
    if not stages or not refs.enterprises:
        return report
    limit = gm_limit(store)
    counts = plan(projects)
    todo = [s for s in SHARES if s in stages for _ in range(counts[s])]
    rng.shuffle(todo)
    refs_names = {k: v for k, v in names.items() if k[0] != "bank"}
    for start in range(0, len(todo), batch):
        with store.transaction() as conn:
            made = []
            for stage in todo[start:start + batch]:
                bundle = project_bundle(meta, rng, today, stage, refs, limit)
                at = created_at(bundle["created"], rng)
                made.append((at, *project_docs(w, conn, bundle, refs_names, at)))
                report.stages[STATUS[stage] if stage != "overdue" else "overdue"] += 1
            insert_projects(w, conn, made, report)
            w.finish(conn)
        if progress:
            progress("project", report.records["project"])
    return report

