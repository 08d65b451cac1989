"""Record import and export (CSV and JSON), shared by the CLI and the screens.

Export streams: records are read page by page with `core.query.find`, never all at once. Values are
written in their stored form, so money and decimals are exact strings ("1234567.89"), dates ISO
("2026-03-15"), booleans true/false; in CSV a child table (and an attachment list) is one cell holding
JSON, a multichoice value is its codes joined with commas. Columns are `id`, `version`, then every
field of the entity in model order (computed fields included; they are ignored on import).

Import goes row by row through `Store.create` — or `Store.update` when the row has both `id` and
`version` — so it gets exactly the validation of the screens. CSV headers are field names or the
fields' Chinese (or English) labels. Rows are numbered as a spreadsheet shows them: in CSV the header
is row 1 and the first record row 2; in JSON the first object is row 1.

All or nothing by default: every row is tried inside one transaction (each in its own savepoint) and
the report lists every failing row with field and message (zh, en); when any row fails, nothing is
kept. `partial=True` keeps the rows that passed; `dry_run=True` never keeps anything.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import and_, select

from metadata.model import Entity, Field, Metadata

from .codec import decode, dump_value
from .compute import is_blank
from .db import records
from .errors import (
    ConflictError,
    DanbaoError,
    NotFound,
    PermissionDenied,
    ValidationError,
    msg,
)
from .query import Filter, Query, find
from .registry import EMPTY, Registry
from .store import SYSTEM, Actor, Store

FORMATS = ("csv", "json")
PAGE = 500
SYSTEM_HEADERS = {"id": "id", "ID": "id", "记录ID": "id", "version": "version", "版本": "version"}


class TransferError(DanbaoError):
    """The file as a whole cannot be read (format, header); no row was tried."""


# -- export -----------------------------------------------------------------------------------

def columns(entity: Entity) -> list[str]:
    return ["id", "version", *entity.field_names]


def iter_records(engine, meta: Metadata, entity_name: str, *, page_size: int = PAGE,
                 types: Registry = EMPTY, search: str | None = None) -> Iterator:
    """Every live record of the entity, by id, fetched a page at a time (keyset: fast at any depth)."""
    last = 0
    while True:
        rows = find(engine, meta, Query(entity_name, [Filter("id", "gt", last)], search=search,
                                        sort=["id"], limit=page_size), types)
        yield from rows
        if len(rows) < page_size:
            return
        last = rows[-1].id


def record_dict(entity: Entity, row, types: Registry = EMPTY) -> dict:
    out = {"id": row.id, "version": row.version}
    for f in entity.fields:
        out[f.name] = dump_value(f, row.values.get(f.name), types)
    return out


def _cell(f: Field, stored) -> str:
    if stored is None or stored == []:
        return ""
    if f.is_table or f.type == "attachment" or (isinstance(stored, list) and stored and isinstance(stored[0], dict)):
        return json.dumps(stored, ensure_ascii=False, separators=(",", ":"))
    if isinstance(stored, list):
        return ",".join(str(v) for v in stored)
    if isinstance(stored, bool):
        return "true" if stored else "false"
    return str(stored)


def export_records(engine, meta: Metadata, entity_name: str, out: IO[str], fmt: str = "csv", *,
                   types: Registry = EMPTY, page_size: int = PAGE, search: str | None = None) -> int:
    """Write the entity's records to `out` (a text stream); returns how many were written."""
    entity = _entity(meta, entity_name)
    fmt = _format(fmt)
    n = 0
    rows = iter_records(engine, meta, entity_name, page_size=page_size, types=types, search=search)
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns(entity))
        for row in rows:
            d = record_dict(entity, row, types)
            writer.writerow([d["id"], d["version"], *(_cell(f, d[f.name]) for f in entity.fields)])
            n += 1
    else:
        out.write("[")
        for row in rows:
            out.write(",\n" if n else "\n")
            out.write(json.dumps(record_dict(entity, row, types), ensure_ascii=False, separators=(",", ": ")))
            n += 1
        out.write("\n]\n" if n else "]\n")
    return n


# -- import -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    row: int          # spreadsheet row (CSV: header = 1) or object number (JSON, from 1); 0 = the file
    field: str        # field path ("name", "shareholders.1.share"), "" for the row as a whole
    zh: str
    en: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{where}{' ' + self.field if self.field else ''}: {self.zh} / {self.en}"


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0          # rows with id and version that match the stored record
    errors: list[RowError] = dc_field(default_factory=list)
    committed: bool = False
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def failed_rows(self) -> int:
        return len({e.row for e in self.errors})


def header_map(entity: Entity) -> dict[str, str]:
    """Accepted column headers -> field name: names, then zh and en labels (names win on clashes)."""
    out: dict[str, str] = {}
    for f in entity.fields:
        for locale in ("en", "zh"):
            text = (f.label or {}).get(locale)
            if text:
                out.setdefault(text.strip(), f.name)
    for f in entity.fields:
        out[f.name] = f.name
    out.update(SYSTEM_HEADERS)
    return out


def read_rows(entity: Entity, stream: IO[str], fmt: str) -> Iterator[tuple[int, dict]]:
    """(row number, {field: raw value}) from a CSV or JSON text stream; raises TransferError."""
    fmt = _format(fmt)
    names = header_map(entity)
    if fmt == "json":
        try:
            data = json.load(stream, parse_float=Decimal)
        except json.JSONDecodeError as e:
            raise TransferError(msg(f"不是有效的 JSON(第 {e.lineno} 行):{e.msg}",
                                    f"not valid JSON (line {e.lineno}): {e.msg}")) from None
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise TransferError(msg("JSON 应为对象列表", "the JSON must be a list of objects"))
        keys = {k for d in data for k in d}
        _check_headers(entity, keys, names)
        for i, d in enumerate(data, start=1):
            yield i, {names[k]: v for k, v in d.items() if names[k] not in _computed(entity)}
        return
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as e:
        raise TransferError(msg(f"CSV 格式错误:{e}", f"CSV format error: {e}")) from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    _check_headers(entity, header, names)
    fields = [names.get(h) for h in header]
    dupes = sorted({f for f in fields if f and fields.count(f) > 1})
    if dupes:
        raise TransferError(msg(f"列重复:{', '.join(dupes)}", f"columns given twice: {', '.join(dupes)}"))
    skip = _computed(entity)
    try:
        for i, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(fields):
                yield i, {"": _TooMany(len(cells), len(fields))}
                continue
            row: dict[str, Any] = {}
            for name, cell in zip(fields, cells):
                if name in skip:
                    continue
                row[name] = _from_cell(entity, name, cell)
            yield i, row
    except csv.Error as e:
        raise TransferError(msg(f"CSV 格式错误(第 {reader.line_num} 行):{e}",
                                f"CSV format error (line {reader.line_num}): {e}")) from None


class _TooMany:
    def __init__(self, got, want):
        self.got, self.want = got, want


class _BadJson:
    def __init__(self, error: str):
        self.error = error


def _from_cell(entity: Entity, name: str, cell: str):
    if cell.strip() == "":
        return None
    if name in ("id", "version"):
        return cell.strip()
    f = entity.field(name)
    if f.is_table or f.type == "attachment":
        try:
            return json.loads(cell, parse_float=Decimal)
        except json.JSONDecodeError as e:
            return _BadJson(e.msg)
    return cell


def _computed(entity: Entity) -> set[str]:
    return {f.name for f in entity.fields if f.is_computed}


def _check_headers(entity: Entity, headers: Iterable[str], names: dict[str, str]) -> None:
    unknown = sorted(h for h in headers if h not in names)
    if not unknown:
        return
    removed = [h for h in unknown if h in entity.removed_fields]
    other = [h for h in unknown if h not in entity.removed_fields]
    parts_zh, parts_en = [], []
    if other:
        parts_zh.append(f"未知的列:{', '.join(other)}")
        parts_en.append(f"unknown column(s): {', '.join(other)}")
    if removed:
        parts_zh.append(f"已移除的字段:{', '.join(removed)}")
        parts_en.append(f"removed field(s): {', '.join(removed)}")
    raise TransferError(msg(";".join(parts_zh), "; ".join(parts_en)))


def import_records(store: Store, entity_name: str, rows: Iterable[tuple[int, dict]], *,
                   actor: Actor = SYSTEM, dry_run: bool = False, partial: bool = False,
                   as_new: bool = False) -> ImportResult:
    """Create (or, with id and version, update) one record per row; see the module docstring.

    `as_new`: ignore `id` and `version` and create every row (e.g. loading an export elsewhere).
    """
    entity = _entity(store.meta, entity_name)
    result = ImportResult(dry_run=dry_run)
    with store.engine.connect().execution_options(danbao_write=True) as conn:
        tx = conn.begin()
        try:
            for rowno, raw in rows:
                result.rows += 1
                sp = conn.begin_nested()
                try:
                    outcome = _import_row(store, entity, conn, raw, actor, as_new)
                except ValidationError as e:
                    sp.rollback()
                    for path, messages in e.errors.items():
                        for m in messages:
                            result.errors.append(RowError(rowno, path, m.get("zh", ""), m.get("en", "")))
                except (ConflictError, NotFound, PermissionDenied) as e:
                    sp.rollback()
                    result.errors.append(RowError(rowno, "id" if isinstance(e, NotFound) else "",
                                                  e.message["zh"], e.message["en"]))
                else:
                    sp.commit()
                    setattr(result, outcome, getattr(result, outcome) + 1)
            if dry_run or (result.errors and not partial):
                tx.rollback()
            else:
                tx.commit()
                result.committed = True
        except BaseException:
            if tx.is_active:
                tx.rollback()
            raise
    return result


def _import_row(store: Store, entity: Entity, conn, raw: dict, actor: Actor, as_new: bool) -> str:
    """Import one row; returns 'created', 'updated' or 'unchanged'."""
    data = dict(raw)
    errors: dict[str, list] = {}
    if "" in data and isinstance(data[""], _TooMany):
        t = data.pop("")
        raise ValidationError({"": [msg(f"该行有 {t.got} 个单元格,表头只有 {t.want} 列",
                                        f"the row has {t.got} cells but the header only {t.want} columns")]})
    for name, value in list(data.items()):
        if isinstance(value, _BadJson):
            errors[name] = [msg(f"不是有效的 JSON:{value.error}", f"not valid JSON: {value.error}")]
            del data[name]
    rid, version = data.pop("id", None), data.pop("version", None)
    update = not as_new and not is_blank(rid) and not is_blank(version)
    if not as_new and (is_blank(rid) != is_blank(version)):
        errors["id" if is_blank(rid) else "version"] = [
            msg("修改记录需要同时给出 id 和 version", "updating a record needs both id and version")]
    if update:
        rid, version = _int(rid, "id", errors), _int(version, "version", errors)
    if errors:
        raise ValidationError(errors)
    if update:
        if not actor.system:
            _drop_unchanged_readonly(store, entity, conn, rid, data)
        rec = store.update(entity.name, rid, data, version=version, actor=actor, conn=conn)
        return "unchanged" if rec.version == version else "updated"
    if not actor.system:  # blank read-only cells (e.g. a number assigned on save) are simply absent
        for f in entity.fields:
            if f.readonly and f.name in data and is_blank(data[f.name]):
                del data[f.name]
    store.create(entity.name, data, actor=actor, conn=conn)
    return "created"


def _int(value, name: str, errors: dict) -> int | None:
    try:
        n = int(str(value).strip())
        if n > 0:
            return n
    except ValueError:
        pass
    errors[name] = [msg("应为正整数", "must be a positive whole number")]
    return None


def _drop_unchanged_readonly(store: Store, entity: Entity, conn, rid: int, data: dict) -> None:
    """People may not change read-only fields; a read-only column that repeats the stored value
    (as an edited export does) is not a change, so it is left out."""
    doc = conn.execute(select(records.c.data).where(and_(records.c.id == rid, records.c.entity == entity.name,
                                                         records.c.deleted.is_(False)))).scalar_one_or_none()
    if doc is None:
        return  # Store.update reports NotFound
    stored = decode(entity, doc, store.types)
    for f in entity.fields:
        if not f.readonly or f.name not in data:
            continue
        try:
            value = [dict(r) for r in data[f.name]] if f.is_table else store.types.type(f.type).parse(data[f.name], f)
        except Exception:  # noqa: BLE001, S112 - a bad value is left for the store to report
            continue
        if value == stored.get(f.name) or (is_blank(value) and is_blank(stored.get(f.name))):
            del data[f.name]


def import_stream(store: Store, entity_name: str, stream: IO[str], fmt: str = "csv", **kw) -> ImportResult:
    entity = _entity(store.meta, entity_name)
    return import_records(store, entity_name, read_rows(entity, stream, fmt), **kw)


def import_file(store: Store, entity_name: str, path, fmt: str | None = None, **kw) -> ImportResult:
    fmt = fmt or guess_format(str(path))
    with open(path, encoding="utf-8-sig", newline="") as stream:
        return import_stream(store, entity_name, stream, fmt, **kw)


def import_text(store: Store, entity_name: str, text: str, fmt: str = "csv", **kw) -> ImportResult:
    return import_stream(store, entity_name, io.StringIO(text.lstrip("\ufeff"), newline=""), fmt, **kw)


def guess_format(path: str) -> str:
    return "json" if path.lower().endswith(".json") else "csv"


def _format(fmt: str) -> str:
    fmt = (fmt or "").lower()
    if fmt not in FORMATS:
        raise TransferError(msg(f"不支持的格式 {fmt}(可用:csv、json)", f"unknown format '{fmt}' (use csv or json)"))
    return fmt


def _entity(meta: Metadata, name: str) -> Entity:
    try:
        return meta.entity(name)
    except KeyError:
        raise NotFound(msg(f"没有名为 {name} 的实体", f"no entity named '{name}'")) from None
