"""Field-level differences between two stored documents, child rows included."""
from __future__ import annotations


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for scalar fields; {table: {"rows": {i: {field: [b, a]}}, "added": [..],
    "removed": [..]}} for child tables (lists of dicts)."""
    out = {}
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b == a:
            continue
        if _is_rows(b) and _is_rows(a):
            out[key] = _rows_diff(b or [], a or [])
        else:
            out[key] = [b, a]
    return out


def _is_rows(v) -> bool:
    return v is None or (isinstance(v, list) and all(isinstance(r, dict) for r in v))


def _rows_diff(before: list, after: list) -> dict:
    changed = {}
    for i in range(min(len(before), len(after))):
        d = diff(before[i], after[i])
        if d:
            changed[str(i)] = d
    out: dict = {}
    if changed:
        out["rows"] = changed
    if len(after) > len(before):
        out["added"] = after[len(before):]
    if len(before) > len(after):
        out["removed"] = before[len(after):]
    return out
