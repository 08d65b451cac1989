"""Attachments: uploaded files kept in the database (`files` table), referenced from records.

One source of truth for every app process (several workers on PostgreSQL share it), and transactional
with the records that refer to the files. The life of a file:

1. `save_upload` checks an upload against the field's limits (`accept` extensions, `max_size_mb`,
   not empty, really a PNG/JPEG/GIF/WebP/PDF when its extension says so), stores it with
   `record_id` NULL and returns a reference ``{"id", "name", "size", "type"}`` — the value an
   `attachment` field stores (a list of them). The reference travels in the record form as JSON.
2. The record is saved with the references (`Store.create` / `Store.update`); the saving screen then
   calls `attach(conn, entity, record_id, refs)` in the same transaction, which marks the files as
   belonging to that record.
3. `delete_orphans(engine, older_than)` deletes uploads that no saved record ever referred to (forms
   abandoned after an upload, files removed from a form before saving), once they are older than
   `older_than`. It never trusts `record_id` alone: before deleting it scans the records *and the
   history* of the upload's entity for references, so a file that any version of a record ever
   referred to is kept (the history would otherwise point to nothing) and is attached instead.
   Run it from a periodic job (e.g. nightly, deleting uploads older than a day).

Removing a file from a record only removes the reference; the file row stays for the history.

Nothing here depends on Flask.
"""
from __future__ import annotations

import hashlib
import json
import mimetypes
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from .clock import Clock
from .db import files, history, records
from .errors import NotFound, ValidationError, msg

__all__ = [
    "PREVIEWABLE",
    "attach",
    "clean_name",
    "delete_orphans",
    "extension",
    "limit_bytes",
    "open_file",
    "parse_refs",
    "save_upload",
    "sniff",
]

# extension -> (magic test, content type). Files with these extensions must really be that format.
_MAGIC = {
    "png": (lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"), "image/png"),
    "jpg": (lambda b: b.startswith(b"\xff\xd8\xff"), "image/jpeg"),
    "jpeg": (lambda b: b.startswith(b"\xff\xd8\xff"), "image/jpeg"),
    "gif": (lambda b: b[:6] in (b"GIF87a", b"GIF89a"), "image/gif"),
    "webp": (lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP", "image/webp"),
    "pdf": (lambda b: b"%PDF-" in b[:1024], "application/pdf"),   # readers allow leading junk
}
PREVIEWABLE = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}
_EXTRA_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "ofd": "application/ofd", "txt": "text/plain"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_RESERVED = re.compile(r'[<>:"|?*]')


def extension(name: str) -> str:
    """The lower-case extension without the dot ('' when there is none)."""
    return name.rsplit(".", 1)[-1].lower() if "." in name.strip(".") else ""


def clean_name(name: str) -> str:
    """A safe file name: the last path part only, NFC, no control or reserved characters, at most
    200 characters (the extension kept), never empty or only dots."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _RESERVED.sub("_", _CONTROL.sub("", name)).strip().strip(".").strip()
    if not name:
        return "file"
    if len(name) > 200:
        ext = extension(name)
        keep = 200 - len(ext) - 1 if ext and len(ext) < 20 else 200
        name = name[:keep].rstrip() + ("." + ext if keep < 200 else "")
    return name


def sniff(data: bytes) -> str | None:
    """The previewable content type the bytes really are (by magic numbers), else None."""
    for test, ctype in _MAGIC.values():
        if test(data[:1024]):
            return ctype
    return None


def limit_bytes(max_size_mb: float) -> int:
    return int(max_size_mb * 1024 * 1024)


def _size_text(max_size_mb: float) -> str:
    return f"{max_size_mb:g}"


def _content_type(name: str, given: str | None) -> str:
    ext = extension(name)
    if ext in _MAGIC:
        return _MAGIC[ext][1]
    if ext in _EXTRA_TYPES:
        return _EXTRA_TYPES[ext]
    guessed = mimetypes.guess_type("x." + ext)[0] if ext else None
    if guessed:
        return guessed
    given = (given or "").split(";")[0].strip().lower()
    if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", given) and given not in PREVIEWABLE:
        return given
    return "application/octet-stream"


def check_upload(*, field: str, name: str, data: bytes, accept: Iterable[str] = (),
                 max_size_mb: float = 20) -> str:
    """The cleaned name, or ValidationError({field: [message]}) for a file the field refuses."""
    name = clean_name(name)
    ext = extension(name)
    accept = [a.lower().lstrip(".") for a in accept or ()]
    errors = []
    if accept and ext not in accept:
        allowed = ", ".join(accept)
        errors.append(msg(f"「{name}」的类型 .{ext or '?'} 不允许(允许:{allowed})",
                          f"{name}: file type .{ext or '?'} is not allowed (allowed: {allowed})"))
    elif not data:
        errors.append(msg(f"「{name}」是空文件", f"{name} is empty"))
    elif len(data) > limit_bytes(max_size_mb):
        errors.append(msg(f"「{name}」超过 {_size_text(max_size_mb)} MB",
                          f"{name} is larger than {_size_text(max_size_mb)} MB"))
    elif ext in _MAGIC and not _MAGIC[ext][0](data[:1024]):
        errors.append(msg(f"「{name}」的内容不是 .{ext} 文件", f"{name} is not really a .{ext} file"))
    if errors:
        raise ValidationError({field: errors})
    return name


def save_upload(engine: Engine | Connection, *, entity: str, field: str, name: str, content_type: str | None,
                data: bytes, uploaded_by: str | None, clock: Clock | None = None, accept: Iterable[str] = (),
                max_size_mb: float = 20) -> dict:
    """Check and store one uploaded file (not yet attached to a record); return its reference.

    `field` is the field path (`contract_files`, or `docs.scan` for a child-table column); error
    messages are reported against it. Raises `ValidationError` with zh/en messages.
    """
    name = check_upload(field=field, name=name, data=data, accept=accept, max_size_mb=max_size_mb)
    ctype = _content_type(name, content_type)
    row = dict(name=name, content_type=ctype, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
               data=data, entity=entity, field=field, record_id=None, uploaded_by=uploaded_by,
               uploaded_at=(clock or Clock()).now())
    with _begin(engine) as c:
        fid = c.execute(insert(files).values(**row).returning(files.c.id)).scalar_one()
    return {"id": str(fid), "name": name, "size": len(data), "type": ctype}


def open_file(engine: Engine | Connection, file_id: int | str, *, with_data: bool = True):
    """The `files` row (with `data` unless with_data=False); NotFound when there is none."""
    try:
        fid = int(file_id)
    except (TypeError, ValueError):
        raise NotFound(msg("文件不存在", "File not found")) from None
    cols = list(files.c) if with_data else [c for c in files.c if c.name != "data"]
    with _connect(engine) as c:
        row = c.execute(select(*cols).where(files.c.id == fid)).first()
    if row is None:
        raise NotFound(msg("文件不存在", "File not found"))
    return row


def refs_of(value: Any) -> list[dict]:
    """Every attachment reference anywhere inside a record value (fields, child rows, history)."""
    found: list[dict] = []

    def walk(v):
        if isinstance(v, dict):
            if isinstance(v.get("id"), str) and "name" in v and "size" in v and "type" in v:
                found.append(v)
            else:
                for x in v.values():
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(value)
    return found


def _ids(refs: Iterable[Any]) -> set[int]:
    out = set()
    for r in refs or ():
        fid = r.get("id") if isinstance(r, dict) else r
        if isinstance(fid, (str, int)) and str(fid).isdigit():
            out.add(int(fid))
    return out


def attach(conn: Engine | Connection, entity: str, record_id: int, refs: Iterable[Any]) -> int:
    """Mark the uploads of `entity` that `refs` name as belonging to the saved record `record_id`
    (call it in the record's transaction). `refs` may be references, a whole record value (every
    reference inside is found) or ids. Files already attached elsewhere are left as they are.
    Returns how many files were attached."""
    if isinstance(refs, dict):
        refs = refs_of(refs)
    ids = _ids(refs)
    if not ids:
        return 0
    with _begin(conn) as c:
        return c.execute(update(files).where(and_(files.c.id.in_(ids), files.c.entity == entity,
                                                  files.c.record_id.is_(None)))
                         .values(record_id=record_id)).rowcount


def lookup(engine: Engine | Connection, ids: Iterable[int]) -> dict[int, Any]:
    """Rows (without data) by id."""
    ids = set(ids)
    if not ids:
        return {}
    with _connect(engine) as c:
        rows = c.execute(select(*[col for col in files.c if col.name != "data"])
                         .where(files.c.id.in_(ids))).all()
    return {r.id: r for r in rows}


def delete_orphans(engine: Engine, older_than: datetime) -> int:
    """Delete uploads made before `older_than` that no saved record refers to, in any version
    (records and history of the upload's entity are scanned). Uploads found referenced but not yet
    attached are attached to the referring record instead. Returns how many files were deleted."""
    with engine.connect().execution_options(danbao_write=True) as c, c.begin():
        cand = c.execute(select(files.c.id, files.c.entity).where(and_(
            files.c.record_id.is_(None), files.c.uploaded_at < older_than))).all()
        if not cand:
            return 0
        by_entity: dict[str, set[int]] = {}
        for fid, ent in cand:
            by_entity.setdefault(ent, set()).add(fid)
        doomed: set[int] = set()
        for ent, ids in by_entity.items():
            owner: dict[int, int] = {}
            q1 = select(records.c.id, records.c.data).where(records.c.entity == ent)
            q2 = select(history.c.record_id, history.c.changes).where(history.c.entity == ent)
            for q in (q1, q2):
                for rid, doc in c.execute(q, execution_options={"yield_per": 500}):
                    if isinstance(doc, str):
                        doc = json.loads(doc)
                    for fid in _ids(refs_of(doc)) & ids:
                        owner.setdefault(fid, rid)
            for fid, rid in owner.items():
                c.execute(update(files).where(files.c.id == fid).values(record_id=rid))
            doomed |= ids - set(owner)
        if doomed:
            c.execute(delete(files).where(and_(files.c.id.in_(doomed), files.c.record_id.is_(None))))
        return len(doomed)


def parse_refs(text: Any) -> list[dict]:
    """The references in a posted hidden input (JSON text); [] for blank or malformed input."""
    if isinstance(text, list):
        value = text
    else:
        try:
            value = json.loads(text) if isinstance(text, (str, bytes)) and text.strip() else []
        except ValueError:
            return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return []
    out = []
    for r in value:
        if isinstance(r, dict) and str(r.get("id", "")).isdigit():
            ref = {"id": str(r["id"]), "name": str(r.get("name") or ""),
                   "size": r["size"] if isinstance(r.get("size"), int) and not isinstance(r.get("size"), bool)
                   else 0, "type": str(r.get("type") or "")}
            out.append(_with_doc(ref, r))
    return out


def _with_doc(ref: dict, given: dict) -> dict:
    """Keep the code of the required document a file was uploaded for (core/required_documents.py)."""
    doc = given.get("doc")
    return {**ref, "doc": doc} if isinstance(doc, str) and doc else ref


def normalize_refs(engine: Engine | Connection, refs: list[dict]) -> list[dict]:
    """References as stored: name, size and type taken from the files table; unknown ids dropped,
    duplicates removed, order kept."""
    rows = lookup(engine, _ids(refs))
    out, seen = [], set()
    for r in refs:
        fid = int(r["id"])
        if fid in rows and fid not in seen:
            seen.add(fid)
            row = rows[fid]
            out.append(_with_doc({"id": str(fid), "name": row.name, "size": row.size, "type": row.content_type}, r))
    return out


@contextmanager
def _begin(target) -> Iterator[Connection]:
    """A write transaction on an engine, or the caller's connection as it is."""
    if isinstance(target, Connection):
        yield target
        return
    with target.connect().execution_options(danbao_write=True) as conn, conn.begin():
        yield conn


@contextmanager
def _connect(target) -> Iterator[Connection]:
    if isinstance(target, Connection):
        yield target
        return
    with target.connect() as conn:
        yield conn
