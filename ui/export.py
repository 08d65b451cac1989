"""A list, as filtered and sorted on screen, exported to CSV or XLSX without loading it whole.

Rows are read a page at a time: by id (keyset, `Filter("id", "gt"/"lt", last)`) when the list is in
id order, otherwise with the list's own sort in offset pages (core breaks ties by id, so pages do not
overlap). CSV is produced by a generator as the rows arrive (UTF-8 with a byte-order mark so Excel
reads Chinese); XLSX is written by openpyxl's write-only workbook into a spooled temporary file,
which is then streamed (a zip file cannot be written to a socket as it goes).

Cells are for people: code-list labels, link titles, user names, dates. Numbers stay numbers: plain
in CSV (no thousands separators, so spreadsheets read them as numbers), numeric cells with a number
format in XLSX. Text that a spreadsheet would run as a formula (starting with = + - @) is written as
text: prefixed with ' in CSV, typed as a string cell in XLSX.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from core.query import Filter, Query, Row, find
from metadata.model import Entity, Field

from .display import Display

BATCH = 500
CHUNK = 64 * 1024
NUMBER_TYPES = {"integer", "decimal", "money", "percent"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_FORMATS = {"integer": "#,##0", "money": "#,##0.00", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


def export_fields(entity: Entity) -> list[Field]:
    """Every field a person reads, in the entity's order: not hidden, not a child table or files."""
    return [f for f in entity.fields
            if not f.hidden and not f.is_table and f.value_type not in ("attachment", "table")]


def batches(engine, meta, query: Query, types, size: int = BATCH) -> Iterator[list[Row]]:
    """The query's rows, `size` at a time, in the query's order; never all at once."""
    sort = list(query.sort) or ["id"]
    if sort in (["id"], ["-id"]):
        op = "lt" if sort[0] == "-id" else "gt"
        last = None
        while True:
            filters = list(query.filters) + ([Filter("id", op, last)] if last is not None else [])
            rows = find(engine, meta, replace(query, filters=filters, sort=sort, limit=size, offset=0), types)
            if rows:
                yield rows
            if len(rows) < size:
                return
            last = rows[-1].id
    offset = 0
    while True:
        rows = find(engine, meta, replace(query, sort=sort, limit=size, offset=offset), types)
        if rows:
            yield rows
        if len(rows) < size:
            return
        offset += size


def _safe_text(s: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", s)


class Exporter:
    """Cells of one entity's rows; `header(field)` gives a column's heading (the field's label)."""

    def __init__(self, meta, engine, types, entity: Entity, header: Callable[[Field], str],
                 system_labels: dict[str, str] | None = None, batch: int | None = None):
        self.meta, self.engine, self.types, self.entity = meta, engine, types, entity
        self.fields = export_fields(entity)
        self.header = header
        self.id_label = (system_labels or {}).get("id", "ID")
        self.batch = batch or BATCH

    def headers(self) -> list[str]:
        return [self.id_label] + [self.header(f) for f in self.fields]

    def _rows(self, query: Query) -> Iterator[tuple[Display, list[Row]]]:
        for rows in batches(self.engine, self.meta, query, self.types, self.batch):
            display = Display(self.meta, self.engine, self.types)   # fresh: titles of this batch only
            display.preload_links(self.fields, [r.values for r in rows])
            yield display, rows

    # -------------------------------------------------------------------------- CSV

    def csv_value(self, display: Display, f: Field, v) -> str:
        if v is None or v == "" or v == []:
            return ""
        t = f.value_type
        if t in NUMBER_TYPES:
            return format(v, "f") if isinstance(v, Decimal) else str(v)
        if t == "date" and isinstance(v, date):
            return v.isoformat()
        text = display.value(f, v)
        return "'" + text if text.startswith(FORMULA_START) else text

    def csv_chunks(self, query: Query) -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        buf.write("\ufeff")
        writer.writerow(self.headers())
        yield buf.getvalue()
        for display, rows in self._rows(query):
            buf.seek(0)
            buf.truncate()
            for r in rows:
                writer.writerow([r.id] + [self.csv_value(display, f, r.values.get(f.name)) for f in self.fields])
            yield buf.getvalue()

    # -------------------------------------------------------------------------- XLSX

    def xlsx_cell(self, ws, display: Display, f: Field, v) -> WriteOnlyCell:
        t = f.value_type
        if v is None or v == "" or v == []:
            return WriteOnlyCell(ws, value=None)
        if t in NUMBER_TYPES and isinstance(v, (int, Decimal)) and not isinstance(v, bool):
            if t == "percent":   # stored as 2 for 2%: a percentage cell holds 0.02
                cell = WriteOnlyCell(ws, value=Decimal(v) / 100)
                cell.number_format = "0.00%" if (f.precision or 2) >= 2 else "0%"
                return cell
            cell = WriteOnlyCell(ws, value=v)
            places = f.precision if f.precision is not None else 2
            cell.number_format = XLSX_FORMATS.get(t) or ("#,##0." + "0" * places if places else "#,##0")
            return cell
        if t == "datetime" and isinstance(v, datetime):
            cell = WriteOnlyCell(ws, value=v.replace(tzinfo=None))
            cell.number_format = XLSX_FORMATS["datetime"]
            return cell
        if t == "date" and isinstance(v, date):
            cell = WriteOnlyCell(ws, value=v)
            cell.number_format = XLSX_FORMATS["date"]
            return cell
        cell = WriteOnlyCell(ws, value=_safe_text(display.value(f, v)))
        cell.data_type = "s"   # never a formula, whatever the text starts with
        return cell

    def xlsx_file(self, query: Query, title: str = "Sheet"):
        """The workbook in a spooled temporary file, rewound; the caller streams and closes it."""
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title=_sheet_title(title))
        bold = Font(bold=True)
        head = []
        for text in self.headers():
            cell = WriteOnlyCell(ws, value=_safe_text(text))
            cell.data_type = "s"
            cell.font = bold
            head.append(cell)
        ws.append(head)
        ws.freeze_panes = "A2"
        for display, rows in self._rows(query):
            for r in rows:
                ws.append([r.id] + [self.xlsx_cell(ws, display, f, r.values.get(f.name)) for f in self.fields])
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed by file_chunks
        try:
            wb.save(spool)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool


def _sheet_title(title: str) -> str:
    for ch in '[]:*?/\\':
        title = title.replace(ch, " ")
    return title.strip()[:31] or "Sheet"


def file_chunks(f, size: int = CHUNK) -> Iterator[bytes]:
    """A file's bytes, a chunk at a time; the file is closed at the end (or when the client leaves)."""
    try:
        while True:
            data = f.read(size)
            if not data:
                return
            yield data
    finally:
        f.close()
