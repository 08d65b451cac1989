"""Turn input into a record's values: parse, defaults, computed fields, conditions and every rule.

`prepare` is used by every write (screens, imports, API, workflow): it returns the values to store
or raises ValidationError with every problem by field path. `evaluate` is the same work without
raising, for a form being filled in: values, errors so far, and each field's live state.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from metadata.model import Entity, Field, Metadata

from . import products
from .checksums import id_number_birth_date
from .compute import Evaluator, is_blank
from .errors import ValidationError, msg
from .fieldtypes import FieldValueError
from .formula import compile_formula
from .registry import EMPTY, Registry

Exists = Callable[[str, set[int]], set[int]]  # (entity or "user", ids) -> the ids that exist


@dataclass(frozen=True)
class FieldState:
    visible: bool = True
    required: bool = False
    readonly: bool = False


@dataclass
class Prepared:
    values: dict                # typed values of every field (tables: lists of row dicts)
    cleared: list[str]          # fields cleared because visible_if made them hidden
    errors: dict = field(default_factory=dict)    # path -> messages (evaluate only)
    states: dict = field(default_factory=dict)    # path -> FieldState, for every field and row field


def prepare(meta: Metadata, entity: Entity, incoming: Mapping[str, Any], existing: dict | None, *,
            functions, today, exists: Exists, trusted: bool = False, system: Mapping | None = None,
            types: Registry = EMPTY, load_link=None, roles=None) -> Prepared:
    p = evaluate(meta, entity, incoming, existing, functions=functions, today=today, exists=exists,
                 trusted=trusted, system=system, types=types, load_link=load_link, roles=roles)
    if p.errors:
        raise ValidationError(p.errors)
    return p


def evaluate(meta: Metadata, entity: Entity, incoming: Mapping[str, Any], existing: dict | None, *,
             functions, today, exists: Exists | None = None, trusted: bool = False,
             system: Mapping | None = None, types: Registry = EMPTY, load_link=None, roles=None) -> Prepared:
    """Everything `prepare` does, returning the errors instead of raising them (links are checked
    only when `exists` is given; a product's roles only when the writer's `roles` are given)."""
    errors: dict[str, list] = {}
    states: dict[str, FieldState] = {}
    ev = Evaluator(entity, functions, today, errors, types, load_link)
    values = {k: _copy(v) for k, v in (existing or {}).items() if entity.has(k)}
    given = set()
    for name, raw in incoming.items():
        if not entity.has(name):
            gone = name in entity.removed_fields
            errors.setdefault(name, []).append(
                msg(f"字段 {name} {'已移除' if gone else '不存在'}",
                    f"field '{name}' {'was removed' if gone else 'does not exist'}"))
            continue
        f = entity.field(name)
        if f.is_computed:
            continue  # computed fields are never typed in
        if f.readonly and not trusted:
            # a screen may post the whole record back: only a change to a read-only field is refused
            current = (existing or {}).get(name)
            if (f.is_table and not is_blank(raw)) or \
                    (not f.is_table and _parse(f, raw, name, {}, types) != current and not is_blank(raw)):
                errors.setdefault(name, []).append(msg("该字段只读", "this field is read-only"))
            continue
        values[name] = _parse_table(f, raw, errors, types) if f.is_table else _parse(f, raw, name, errors, types)
        given.add(name)
    env = {**(system or {}), **values}
    if existing is None:
        ev.defaults(env, given)
        values.update({k: v for k, v in env.items() if entity.has(k)})
    for name in given:
        if entity.field(name).is_table:
            for row, raw in zip(values[name], incoming[name] or []):
                ev.defaults({**row, "parent": values}, set(raw), into=row, fields=entity.field(name).fields)
    ev.compute(values)
    cleared = apply_visibility(ev, entity, values, system)
    if cleared:
        ev.compute(values)  # hidden inputs are blank now
    env = {**(system or {}), **values}
    for f in entity.fields:
        states[f.name] = _check_field(ev, meta, f, values.get(f.name), f.name, env, existing, trusted, errors)
        if f.is_table:
            for i, row in enumerate(values.get(f.name) or []):
                row_env = {**row, "parent": values}
                old_rows = (existing or {}).get(f.name) or []
                old = old_rows[i] if i < len(old_rows) else None
                for ch in f.fields:
                    path = f"{f.name}.{i}.{ch.name}"
                    states[path] = _check_field(ev, meta, ch, row.get(ch.name), path, row_env, old, trusted, errors)
    if exists is not None:
        _check_links(entity, values, exists, errors)
    broken = {path.split(".")[0] for path in errors}
    for v in entity.validations:
        if broken & compile_formula(v.formula).names:
            continue  # a rule over input that could not be read would only mislead
        ok = ev.run(v.formula, env, v.field or "", v.message)
        if ok is not None and not ok:
            errors.setdefault(v.field or "", []).append(dict(v.message))
    products.check(meta, entity, values, existing, roles, errors, load_link)
    return Prepared(values, cleared, errors, states)


def _copy(v):
    if isinstance(v, list):
        return [dict(r) if isinstance(r, dict) else r for r in v]
    return v


def _parse(f: Field, raw, path: str, errors: dict, types: Registry):
    try:
        return types.type(f.type).parse(raw, f)
    except FieldValueError as e:
        errors.setdefault(path, []).append(e.message)
    except KeyError:
        errors.setdefault(path, []).append(msg(f"未知字段类型 {f.type}", f"unknown field type {f.type}"))
    return None


def _parse_table(f: Field, raw, errors: dict, types: Registry) -> list[dict]:
    if is_blank(raw):
        return []
    if not isinstance(raw, list) or not all(isinstance(r, Mapping) for r in raw):
        errors.setdefault(f.name, []).append(msg("子表数据格式不正确", "rows must be a list of objects"))
        return []
    rows = []
    for i, r in enumerate(raw):
        row = {}
        for name, value in r.items():
            if name == "id":
                continue
            child = next((c for c in f.fields if c.name == name), None)
            if child is None:
                errors.setdefault(f"{f.name}.{i}.{name}", []).append(
                    msg(f"字段 {name} 不存在", f"field '{name}' does not exist"))
            elif not child.is_computed:
                row[name] = _parse(child, value, f"{f.name}.{i}.{name}", errors, types)
        rows.append(row)
    return rows


def apply_visibility(ev: Evaluator, entity: Entity, values: dict, system) -> list[str]:
    """Clear the values of fields hidden by visible_if (documented in docs/metadata.md)."""
    cleared = []
    env = {**(system or {}), **values}
    for f in entity.fields:
        if f.visible_if and not ev.condition(f.visible_if, env, f.name, f.label, True):
            if not is_blank(values.get(f.name)):
                cleared.append(f.name)
            values[f.name] = [] if f.is_table else None
        if f.is_table:
            for i, row in enumerate(values.get(f.name) or []):
                row_env = {**row, "parent": values}
                for ch in f.fields:
                    if ch.visible_if and not ev.condition(ch.visible_if, row_env, f"{f.name}.{i}.{ch.name}",
                                                          ch.label, True):
                        if not is_blank(row.get(ch.name)):
                            cleared.append(f"{f.name}.{i}.{ch.name}")
                        row[ch.name] = None
    return cleared


def _check_field(ev: Evaluator, meta: Metadata, f: Field, value, path: str, env, existing, trusted,
                 errors) -> FieldState:
    """Check one field's rules; return its live state (shown, required, editable)."""
    def err(zh, en):
        errors.setdefault(path, []).append(msg(zh, en))

    if f.visible_if and not ev.condition(f.visible_if, env, path, f.label, True):
        return FieldState(visible=False)
    required = f.required or ev.condition(f.required_if, env, path, f.label, False)
    readonly = f.readonly or f.is_computed or ev.condition(f.readonly_if, env, path, f.label, False)
    state = FieldState(True, required, readonly)
    if path in errors:  # the input could not be read; "required" would only repeat that
        return state
    old = (existing or {}).get(f.name) if existing is not None else None
    if not trusted and existing is not None and f.readonly_if and not f.readonly and readonly and \
            value != old and not (is_blank(value) and is_blank(old)):
        err("该字段当前不可修改", "this field cannot be changed now")   # clearing it is a change too
        return state
    if is_blank(value):
        if required and not f.is_computed:
            err("必填", "required")
        if f.is_table and f.min_rows:
            err(f"至少 {f.min_rows} 行", f"at least {f.min_rows} row(s)")
        return state
    if f.min is not None and value < f.min:
        err(f"不能小于 {f.min}", f"must be at least {f.min}")
    if f.max is not None and value > f.max:
        err(f"不能大于 {f.max}", f"must be at most {f.max}")
    if isinstance(value, str):
        if f.min_length is not None and len(value) < f.min_length:
            err(f"至少 {f.min_length} 个字符", f"at least {f.min_length} characters")
        if f.max_length is not None and len(value) > f.max_length:
            err(f"最多 {f.max_length} 个字符", f"at most {f.max_length} characters")
        if f.pattern and not re.fullmatch(f.pattern, value):
            m = f.pattern_message
            errors.setdefault(path, []).append(dict(m) if m else msg("格式不正确", "wrong format"))
    if f.codelist or f.options:
        for code in (value if isinstance(value, list) else [value]):
            if not _offered(meta, f, code) and not _kept(old, code):
                err(f"「{code}」不是可选的值", f"'{code}' is not one of the options")
    if f.is_table and f.max_rows is not None and len(value) > f.max_rows:
        err(f"最多 {f.max_rows} 行", f"at most {f.max_rows} row(s)")
    if f.is_table and f.min_rows and len(value) < f.min_rows:
        err(f"至少 {f.min_rows} 行", f"at least {f.min_rows} row(s)")
    if f.type == "attachment":
        _check_files(f, value, err)
    if f.type == "id_number" and id_number_birth_date(value) > ev.today:
        err("身份证号码中的出生日期晚于今天", "the ID number's birth date is in the future")
    return state


def _offered(meta: Metadata, f: Field, code) -> bool:
    if f.options is not None:
        return any(o.value == code and o.active for o in f.options)
    item = meta.codelists[f.codelist].get(code) if f.codelist in meta.codelists else None
    return bool(item and item.active)


def _kept(old, code) -> bool:
    """An inactive option that the record already has stays valid."""
    return old == code or (isinstance(old, list) and code in old)


def _check_files(f: Field, files: list, err) -> None:
    if not f.multiple and len(files) > 1:
        err("只能上传一个文件", "only one file is allowed")
    for file in files:
        ext = file.get("name", "").rsplit(".", 1)[-1].lower() if "." in file.get("name", "") else ""
        if f.accept and ext not in f.accept:
            err(f"不允许的文件类型 .{ext}(允许:{', '.join(f.accept)})",
                f"file type .{ext} is not allowed (allowed: {', '.join(f.accept)})")
        if file.get("size", 0) > f.max_size_mb * 1024 * 1024:
            err(f"文件超过 {f.max_size_mb} MB", f"file is larger than {f.max_size_mb} MB")


def _check_links(entity: Entity, values: dict, exists: Exists, errors: dict) -> None:
    """One query per linked entity, however many rows link to it."""
    wanted: dict[str, dict[int, list[str]]] = {}

    def want(f: Field, value, path):
        if value is None:
            return
        target = "user" if f.type == "user" else f.entity if f.type == "link" else None
        if target:
            wanted.setdefault(target, {}).setdefault(value, []).append(path)

    for f in entity.fields:
        want(f, values.get(f.name), f.name)
        if f.is_table:
            for i, row in enumerate(values.get(f.name) or []):
                for ch in f.fields:
                    want(ch, row.get(ch.name), f"{f.name}.{i}.{ch.name}")
    for target, ids in wanted.items():
        found = exists(target, set(ids))
        for missing in set(ids) - found:
            for path in ids[missing]:
                errors.setdefault(path, []).append(
                    msg(f"关联记录 {missing} 不存在", f"linked record {missing} does not exist"))

