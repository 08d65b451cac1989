"""Bulk mode of the demo-data generator (core.demo_data): the same values, inserted as encoded
documents in batches, for benchmarks at 100k-1M projects.

Each record's document is made the way the store makes it — the entity's defaults, the given
values parsed by their field types, rollups aggregated with ``core.rollups.aggregate`` over the
record's related records, computed fields, hidden fields cleared as ``core.validate`` clears
them, ``core.codec.encode`` — without the store's per-record queries. The formulas are compiled
once per entity to closures (``core.fastformula``: the formula engine's own operators and
functions without its per-node dispatch); if one raises, the record is made again by the store's
``Evaluator``. Values already in their parsed form (a date, a Decimal with the field's places)
skip their parser. The first records of every entity and one in :data:`VERIFY_EVERY` are also
run through ``core.validate.evaluate`` (every rule and check but link existence) and must give the
same document with no error, else :class:`BulkError` stops the load: what is inserted is exactly
what the store would have written for those values.

What bulk mode skips: history entries, workflow instances and tasks, the per-record link
existence check (links point at records it has just inserted) and the attachments' files (every
attachment field refers to one stored file). It dates records when they happened (``created_at``
from the project's approval day), numbers them with the entity's pattern for that day, mirrors
child-table rows into ``record_rows`` and advances the ``sequences`` so later saves continue each
series. Rows go in through the driver: PostgreSQL ``COPY`` (psycopg 3; ids drawn from the id
sequence first), SQLite ``executemany`` with the ids after the largest (inside the write
transaction, SQLite's single writer). Run ``core.db.analyze`` afterwards (``danbao generate`` does).
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, text

from .codec import dump_value, encode
from .compute import Evaluator, child_order, coerce_result, is_blank
from .fastformula import compile_fast
from .formula import compile_formula
from .fieldtypes import (BUILTIN_TYPES, _dump_bool, _dump_date, _dump_decimal, _dump_int, _dump_same,
                         _precision)
from .db import _dumps, records, sequences
from .demo_data import (ATTACHMENT, CONTRACT_PATTERN, STATUS, Refs, Report, available_stages, bulk_plan,
                        created_at, enterprise_values, gm_limit, project_bundle, sizes)
from . import demo
from .demo_flows import Documents
from .numbering import format_number, period_key
from .users import list_users
from .validate import apply_visibility, evaluate

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
        self._plans: dict[str, _Plan] = {}
        self._dirty: set[str] = set()
        self._periods: dict[tuple, str] = {}

    # -- values -----------------------------------------------------------------------------
    def defaults(self, name: str) -> dict:
        """The entity's defaults for a new record (rollups 0 or blank), as evaluate fills them."""
        if name not in self._defaults:
            entity, errors = self.meta.entity(name), {}
            env: dict = {}
            Evaluator(entity, self.store.functions, self.today, errors, self.store.types).defaults(env, set())
            self._defaults[name] = {k: v for k, v in env.items() if entity.has(k)}
        return self._defaults[name]

    def plan(self, name: str) -> "_Plan":
        if name not in self._plans:
            self._plans[name] = _Plan(self, name)
        return self._plans[name]

    def complete(self, name: str, given: dict, *, rollups: dict | None = None, links=None) -> dict:
        """Typed values with defaults, rollups and computed fields (`links(entity, id)` -> values)."""
        plan = self.plan(name)
        parse = plan.parse
        values = {**plan.defaults, **{k: parse[k](v) for k, v in given.items()}, **(rollups or {})}
        for table, static in plan.row_defaults:
            if values.get(table):
                values[table] = [{**{c: v for c, v in static if c not in r}, **r} for r in values[table]]
        try:
            plan.compute(values, links)
        except Exception:  # noqa: BLE001 - the store's evaluator decides and reports (below)
            errors: dict = {}
            ev = Evaluator(plan.entity, self.store.functions, self.today, errors, self.store.types, links)
            ev.compute(values)
            if apply_visibility(ev, plan.entity, values, None):
                ev.compute(values)
            if errors:
                raise BulkError(f"{name}: {errors}") from None
        self.made[name] += 1
        n = self.made[name]
        if n <= VERIFY_FIRST or n % VERIFY_EVERY == 0:
            self._verify(name, given, rollups, links, values)
        return values

    def refresh(self, name: str, values: dict, rollups: dict, *, given: dict, links=None) -> dict:
        """`values` (made by complete) with new rollup values: only the computed fields that depend
        on rollups are evaluated again when nothing else can change (the plan's `partial`), else
        the whole record is made again."""
        plan = self.plan(name)
        if not plan.partial:
            return self.complete(name, given, rollups=rollups, links=links)
        out = {**values, **rollups}
        try:
            plan.compute_dependent(out, links)
        except Exception:  # noqa: BLE001 - the whole record, as the store makes it
            return self.complete(name, given, rollups=rollups, links=links)
        return out

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
        if self.plan(name).encode(values) != mine:
            raise BulkError(f"bulk {name}: the fast encoding differs from core.codec.encode")
        if mine != theirs:
            diff = {k: (mine.get(k), theirs.get(k)) for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)}
            raise BulkError(f"bulk {name} differs from the store's document: {diff}")

    def number(self, conn, name: str, field: str, pattern: str, at: datetime) -> str:
        period = (name, field, pattern, at.date())
        key = self._periods.get(period)
        if key is None:
            key = self._periods[period] = f"{name}:{field}:{period_key(pattern, at)}"
        if key not in self.seq:
            self.seq[key] = conn.execute(select(sequences.c.value).where(sequences.c.name == key)).scalar() or 0
        self.seq[key] += 1
        self._dirty.add(key)
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
        def stored(k, v):
            if isinstance(v, Documents):
                return v.refs(lambda code: self.file(conn, name, k)[0])
            return self.file(conn, name, k) if v == "file" and entity.field(k).type == "attachment" else v
        out = {k: stored(k, v) for k, v in values.items() if entity.has(k) and v is not None}
        if entity.numbering and not out.get(entity.numbering.field):
            out[entity.numbering.field] = self.number(conn, name, entity.numbering.field, entity.numbering.pattern, at)
        return out

    # -- inserts ----------------------------------------------------------------------------
    def insert(self, conn, name: str, docs: list[tuple[datetime, dict]]) -> list[int]:
        """Insert documents (in order) and their child rows; returns their ids in the same order."""
        if not docs:
            return []
        entity = self.meta.entity(name)
        ids = _new_ids(conn, len(docs))
        mv, when = self.store.meta_version, _timestamp(conn)
        _copy_rows(conn, "records", RECORD_COLUMNS,
                   [(rid, name, _dumps(doc), 1, mv, False, when(at), "system", when(at), "system")
                    for rid, (at, doc) in zip(ids, docs)])
        tables = [f.name for f in entity.fields if f.is_table]
        if tables:
            _copy_rows(conn, "record_rows", ROW_COLUMNS,
                       [(rid, name, t, i, _dumps(r)) for rid, (_, doc) in zip(ids, docs) for t in tables
                        for i, r in enumerate(doc.get(t) or [])])
        return ids

    def finish(self, conn) -> None:
        """Advance the numbering sequences past what was drawn."""
        keys = sorted(self._dirty)
        if keys:
            conn.execute(text("INSERT INTO sequences (name, value) VALUES (:n, 0) ON CONFLICT (name) DO NOTHING"),
                         [{"n": k} for k in keys])
            conn.execute(text("UPDATE sequences SET value = :v WHERE name = :n AND value < :v"),
                         [{"n": k, "v": self.seq[k]} for k in keys])
        self._dirty.clear()


RECORD_COLUMNS = ("id", "entity", "data", "version", "meta_version", "deleted", "created_at", "created_by",
                  "updated_at", "updated_by")
ROW_COLUMNS = ("record_id", "entity", "field", "position", "data")


def _new_ids(conn, n: int) -> list[int]:
    """`n` ids for new records: drawn from the id sequence on PostgreSQL; on SQLite (one writer at
    a time, inside this write transaction) the next ones after the largest."""
    if conn.dialect.name == "postgresql":
        return sorted(conn.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('records', 'id')) FROM generate_series(1, {int(n)})").scalars())
    start = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM records").scalar()
    return list(range(start + 1, start + n + 1))


def _timestamp(conn):
    """A datetime as the dialect stores it (SQLAlchemy's SQLite text format)."""
    if conn.dialect.name == "sqlite":
        return lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f")
    return lambda d: d


def _copy_rows(conn, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows through the driver: COPY on PostgreSQL (psycopg 3), executemany on SQLite."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        cur = conn.connection.driver_connection.cursor()
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                         [tuple(int(v) if type(v) is bool else v for v in row) for row in rows])


class _Plan:
    """One entity's record making, prepared once: defaults, input parsers, child-row defaults and
    the computed fields as closures (core.fastformula) in the store's order."""

    def __init__(self, w: BulkWriter, name: str):
        entity = self.entity = w.meta.entity(name)
        self.defaults = w.defaults(name)
        self.today = w.today
        self.parse = {f.name: self._parser(w, f) for f in entity.fields}
        self.row_defaults = [(f.name, [(c.name, w._row_default(name, f, c)) for c in f.fields
                                       if c.default is not None and not c.default_formula])
                             for f in entity.fields if f.is_table]
        self.row_defaults = [(t, static) for t, static in self.row_defaults if static]
        self.targets = {f.name: f.entity for f in entity.fields for f in (f, *f.fields) if f.type == "link"}
        links = frozenset(self.targets)
        fns = w.store.functions

        def step(f):
            return f.name, compile_fast(f.formula, fns, links), _canonical(f, lambda v, f=f: coerce_result(f, v))
        self.tables = [(t.name, [step(f) for f in order]) for t in entity.fields if t.is_table
                       for order in [child_order(t)] if order]
        self.computed = [step(entity.field(n)) for n in entity.computed_order]
        self.visible = [(f.name, f.is_table, compile_fast(f.visible_if, fns, links)) for f in entity.fields
                        if f.visible_if]
        self.row_visible = [(t.name, [(c.name, compile_fast(c.visible_if, fns, links)) for c in t.fields
                                      if c.visible_if]) for t in entity.fields if t.is_table]
        self.row_visible = [(t, cols) for t, cols in self.row_visible if cols]
        # the computed fields a rollup feeds (directly or through other computed fields)
        dependent = {f.name for f in entity.fields if f.is_rollup}
        for n in entity.computed_order:
            if compile_formula(entity.field(n).formula).names & dependent:
                dependent.add(n)
        self.dependent = [c for c in self.computed if c[0] in dependent]
        seen = set().union(*(compile_formula(f.visible_if).names for f in entity.fields if f.visible_if))
        self.partial = not self.tables and not (seen & dependent)
        types = w.store.types
        self.dumpers = [(f.name, (lambda v, f=f: dump_value(f, v, types)) if f.is_table else _dumper(f, types))
                        for f in entity.fields]

    def encode(self, values: dict) -> dict:
        """core.codec.encode(entity, values) for a new record (checked on the verified sample)."""
        doc = {}
        for name, dump in self.dumpers:
            v = values.get(name)
            if v is not None:
                v = dump(v)
                if v is not None and v != []:
                    doc[name] = v
        return doc

    @staticmethod
    def _parser(w: BulkWriter, f):
        if f.is_table:
            return lambda rows, f=f: w._parse(f, rows)
        parse = w.store.types.type(f.type).parse
        return _canonical(f, lambda v: parse(v, f))

    def compute(self, values: dict, links) -> None:
        """What Evaluator.compute does (raises on anything unexpected: the caller falls back)."""
        ctx = _LinkCtx(self.today, self.targets, links)
        self._compute(values, ctx)
        if self._visibility(values, ctx):        # hidden inputs are blank now (core.validate)
            self._compute(values, ctx)

    def compute_dependent(self, values: dict, links) -> None:
        ctx = _LinkCtx(self.today, self.targets, links)
        for name, fn, coerce in self.dependent:
            values[name] = coerce(fn(values, ctx))

    def _compute(self, values: dict, ctx) -> None:
        for table, order in self.tables:
            for row in values.get(table) or []:
                env = {**row, "parent": values}
                for name, fn, coerce in order:
                    row[name] = env[name] = coerce(fn(env, ctx))
        for name, fn, coerce in self.computed:
            values[name] = coerce(fn(values, ctx))

    def _visibility(self, values: dict, ctx) -> bool:
        """core.validate.apply_visibility with the compiled conditions: whether a value was cleared."""
        cleared = False
        for name, is_table, fn in self.visible:
            if not fn(values, ctx):
                cleared = cleared or not is_blank(values.get(name))
                values[name] = [] if is_table else None
        for table, cols in self.row_visible:
            for row in values.get(table) or []:
                env = {**row, "parent": values}
                for name, fn in cols:
                    if not fn(env, ctx):
                        cleared = cleared or not is_blank(row.get(name))
                        row[name] = None
        return cleared


def _dumper(f, types):
    """The field type's dump for one field, the common built-in cases without the dispatch."""
    ft = types.type(f.type)
    if f.is_computed or f.is_rollup:
        ft = BUILTIN_TYPES.get(f.result or "decimal", ft)
    dump = ft.dump
    if dump is _dump_same:
        return lambda v: v
    if dump is _dump_decimal:
        return lambda v: format(v, "f") if type(v) is Decimal else dump(v, f)
    if dump is _dump_date:
        return lambda v: v.isoformat() if type(v) is date else dump(v, f)
    if dump is _dump_int:
        return lambda v: v if type(v) is int else dump(v, f)
    if dump is _dump_bool:
        return lambda v: v if type(v) is bool else dump(v, f)
    return lambda v: dump(v, f)


def _canonical(f, parse):
    """`parse` (a built-in type's parser for field `f`), skipped for a value that is already what it
    would return: a date, an int, a bool, a Decimal with the field's decimal places (core.fieldtypes
    returns these unchanged)."""
    kind = (f.result or "decimal") if (f.is_computed or f.is_rollup) else f.type
    if kind not in BUILTIN_TYPES:
        return parse
    exact = {"date": date, "integer": int, "boolean": bool}.get(kind)
    if exact is not None:
        return lambda v: v if type(v) is exact else parse(v)
    if kind in ("money", "decimal", "percent"):
        places = -2 if kind == "money" else -_precision(f)

        def decimal(v):
            if type(v) is Decimal and v.is_finite():
                t = v.as_tuple()
                if t.exponent == places and len(t.digits) + places < 40:
                    return v
            return parse(v)
        return decimal
    memo: dict = {}

    def text(v):                # a built-in parser is a function of the text (and the field) alone
        if type(v) is not str:
            return parse(v)
        out = memo.get(v, memo)
        if out is memo:
            if len(memo) > 20_000:
                memo.clear()
            out = memo[v] = parse(v)
        return out
    return text


class _LinkCtx:
    __slots__ = ("today", "targets", "load", "loaded")

    def __init__(self, today, targets, load):
        self.today, self.targets, self.load, self.loaded = today, targets, load, {}

    def linked(self, name: str, rid: int):
        key = (self.targets[name], rid)
        if key not in self.loaded:
            self.loaded[key] = self.load(*key)
        return self.loaded[key]


def project_docs(w: BulkWriter, conn, bundle: dict, refs_names: dict, at: datetime):
    """(project doc, [(entity, child doc)]) made as the store would after writing the project and
    then each child through Store.create (the project's rollups refreshed after each)."""
    meta = w.meta
    project = w.given(conn, "project", bundle["project"], at)
    if meta.entity("project").has("contract_no") and project.get("contract_date"):
        project["contract_no"] = w.number(conn, "project", "contract_no", CONTRACT_PATTERN, at)

    def customer(entity, rid):
        return refs_names.get((entity, rid))
    pvals = w.complete("project", project, links=customer)
    by_source: dict[str, list] = {}
    for f in meta.entity("project").fields:
        if f.is_rollup and f.rollup.link == "project":
            by_source.setdefault(f.rollup.source, []).append(f)
    made: list[tuple[str, dict]] = []
    rollups: dict = {}          # the project's rollups over `made` (the others are still 0 or blank)

    def refresh(source: str) -> bool:
        if source not in by_source:
            return False
        rollups.update(_rollups(w, by_source[source], made))
        return True
    previous = None
    for name, vals in bundle["children"]:
        if previous is not None and name != previous and refresh(previous):
            pvals = w.refresh("project", pvals, dict(rollups), given=project, links=customer)
        child = w.given(conn, name, {**vals, "project": 1}, at)   # the real id once inserted
        cvals = w.complete(name, child, links=lambda entity, rid: pvals if entity == "project" else customer(entity, rid))
        made.append((name, {**cvals, "id": len(made) + 1}))
        previous = name
    if previous is not None and refresh(previous):
        pvals = w.complete("project", project, rollups=dict(rollups), links=customer)
    return (w.plan("project").encode(pvals),
            [(name, w.plan(name).encode(vals))
             for name, vals in made])


def insert_projects(w: BulkWriter, conn, made: list, report: Report | None = None) -> list[int]:
    """Insert (created_at, project doc, [(entity, child doc)]) from project_docs; the project ids."""
    project_ids = w.insert(conn, "project", [(at, doc) for at, doc, _ in made])
    by_entity: dict[str, list] = {}
    linked = {}
    for pid, (at, _, children) in zip(project_ids, made):
        for name, doc in children:
            if name not in linked:
                linked[name] = w.meta.entity(name).has("project")
            by_entity.setdefault(name, []).append((at, {**doc, "project": pid} if linked[name] else doc))
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
        rows = [vals for name, vals in made if name == f.rollup.source]
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
    stages = available_stages(meta, report, approval=True)
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
                    docs.append((at, w.plan(name).encode(w.complete(name, w.given(conn, name, v, at)))))
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
    counts = bulk_plan(projects)
    todo = [s for s in counts if s in stages for _ in range(counts[s])]
    rng.shuffle(todo)
    refs_names = {k: v for k, v in names.items() if k[0] != "bank"}
    for start in range(0, len(todo), batch):
        with store.transaction() as conn:
            made = []
            for stage in todo[start:start + batch]:
                bundle = project_bundle(meta, rng, today, stage, refs, limit)
                at = created_at(bundle["created"], rng)
                made.append((at, *project_docs(w, conn, bundle, refs_names, at)))
                report.stages[STATUS.get(stage, stage) if stage != "overdue" else "overdue"] += 1
            insert_projects(w, conn, made, report)
            w.finish(conn)
        if progress:
            progress("project", report.records["project"])
    return report

