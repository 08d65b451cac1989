"""What the edit form of a stored, unchanged record needs — values, errors and each field's live
state — without redoing what its last save already did.

`Store.preview(entity, {}, record_id=…)` runs the whole `validate.evaluate`: computed fields,
clearing hidden fields, every field check, link existence and the record's validations. For a
record saved under the installed metadata version most of that is settled by the save: its
computed values were computed from the values it holds, hidden fields were cleared, and it passed
every check (which depend only on its values and the metadata). What can differ since is what
depends on more than that: the conditions (`visible_if` / `required_if` / `readonly_if` may read
the date, system fields, …) and validations that read today's date, the clock, system fields,
plugin functions or linked records' fields.

`preview_stored` evaluates only those: each field's state (fields without conditions have one
state for every record, kept per compiled entity) and the validations the stored values do not
settle. It falls back to `Store.preview` whenever that cannot give the same answer:

- the record was last written under another metadata version (or without one);
- a computed field's formula depends on anything but the record's values and the metadata
  (today's date, system fields such as `id` or `updated_at`, a linked record's fields, a plugin
  function), or a child row's computed field reads a computed field of the parent (rows are
  computed first, so the saved value may predate the parent's);
- a field that is hidden now still holds a value (the full evaluation would clear it and compute
  again);
- a condition fails or a validation reports an error: the full evaluation then reports it with
  everything else.

Not re-checked, as the form shows them only on a save or a live round trip: that linked records
and users still exist (a query per linked entity; a link whose record was deleted since shows its
number instead of its title), and `required` on blank fields (the form does not mark a blank field
before a save). An ID number's birth date is checked against today, which only moves forward.
`tests/test_edit_state.py` checks that the two paths give the same values and states.
"""
from __future__ import annotations

from metadata.model import Entity, Field

from .compute import Evaluator
from .formula import BUILTIN_FUNCTIONS, compile_formula
from .validate import FieldState, Prepared, _copy, apply_visibility

SYSTEM_NAMES = frozenset({"id", "created_at", "created_by", "updated_at", "updated_by"})

_KEPT = 256
_plans: dict[tuple, tuple[Entity, "_Plan | None"]] = {}


class _Plan:
    """What must run again on a stored record of an entity (no plan: the whole evaluation).

    `fields`: (field, its fixed state or None when conditions decide it, (column, fixed state or
    None) of a table); `validations`: the record's rules that the stored values do not settle."""

    __slots__ = ("fields", "validations")

    def __init__(self, entity: Entity, validations: tuple):
        self.fields = tuple((f, _fixed(f), tuple((c, _fixed(c)) for c in f.fields) if f.is_table else ())
                            for f in entity.fields)
        self.validations = validations


def preview_stored(store, entity_name: str, record, *, actor):
    """`store.preview(entity_name, {}, record_id=record.id, actor=actor)` for the stored `record`
    just read (`store.get`), without reading it again; the same result (see the module's doc)."""
    p = stored_states(store, entity_name, record, actor=actor)
    return p if p is not None else store.preview(entity_name, {}, record_id=record.id, actor=actor)


def stored_states(store, entity_name: str, record, *, actor) -> Prepared | None:
    """The fast path alone: the preview of the unchanged stored record, or None when only the
    full evaluation can give it (the caller then runs `Store.preview`)."""
    entity = store.meta.entity(entity_name)
    store._require(actor, "update", entity)          # as Store.preview asks for an existing record
    if store.meta_version is None or record.meta_version != store.meta_version:
        return None
    plan = _plan(entity, store.functions)
    if plan is None:
        return None
    ev, system = _evaluator(store, entity, record, actor)
    values = {k: _copy(v) for k, v in record.values.items() if entity.has(k)}
    if apply_visibility(ev, entity, values, system) or ev.errors:   # a hidden field holds a value
        return None
    env = {**system, **values}
    states = _states(ev, plan, values, env)
    if ev.errors:
        return None
    for v in plan.validations:
        ok = ev.run(v.formula, env, v.field or "", v.message)
        if ok is not None and not ok:
            return None
    if ev.errors:
        return None
    return Prepared(values, [], {}, states)


def field_states(store, entity_name: str, record, values: dict, *, actor) -> tuple[dict, dict]:
    """(states by path, errors of the conditions) of `record` holding `values` (typed, after
    computation and clearing, as `Prepared.values`), decided as `Store.preview` decides them for
    the stored record, whatever the entity's rules."""
    entity = store.meta.entity(entity_name)
    ev, system = _evaluator(store, entity, record, actor)
    plan = _plan(entity, store.functions) or _Plan(entity, ())
    return _states(ev, plan, values, {**system, **values}), ev.errors


def _evaluator(store, entity: Entity, record, actor) -> tuple[Evaluator, dict]:
    """An evaluator as Store.preview makes one for the stored `record`, and the system fields."""
    now = store.clock.now()
    system = {"id": record.id, "created_at": record.created_at, "created_by": record.created_by,
              "updated_at": now, "updated_by": actor.username}
    return Evaluator(entity, store.functions, now.date(), {}, store.types, lambda e, i: _linked(store, e, i)), system


def _linked(store, entity: str, record_id: int):
    """A linked record's values for a formula reading `link.field` (read only when one does)."""
    with store.engine.connect() as c:
        return store._linked(c, entity, record_id)


def _states(ev: Evaluator, plan: "_Plan", values: dict, env: dict) -> dict:
    states = {}
    for f, fixed, columns in plan.fields:
        states[f.name] = fixed or _state(ev, f, env, f.name)
        if columns:
            name = f.name
            for i, row in enumerate(values.get(name) or []):
                row_env = {**row, "parent": values}
                for ch, ch_fixed in columns:
                    path = f"{name}.{i}.{ch.name}"
                    states[path] = ch_fixed or _state(ev, ch, row_env, path)
    return states


def _state(ev: Evaluator, f: Field, env, path: str) -> FieldState:
    """A field's live state, as `validate._check_field` decides it."""
    if f.visible_if and not ev.condition(f.visible_if, env, path, f.label, True):
        return FieldState(visible=False)
    required = f.required or ev.condition(f.required_if, env, path, f.label, False)
    readonly = f.readonly or f.is_computed or ev.condition(f.readonly_if, env, path, f.label, False)
    return FieldState(True, required, readonly)


def _fixed(f: Field) -> FieldState | None:
    """The state of a field without conditions (the same for every record), else None."""
    if f.visible_if or f.required_if or f.readonly_if:
        return None
    return FieldState(True, bool(f.required), bool(f.readonly or f.is_computed))


def _plan(entity: Entity, functions) -> _Plan | None:
    """The entity's plan, kept per compiled entity (a new metadata version compiles new ones)."""
    names = frozenset(functions or ())
    key = (id(entity), names)
    hit = _plans.get(key)
    if hit is not None and hit[0] is entity:
        return hit[1]
    if len(_plans) >= _KEPT:
        _plans.pop(next(iter(_plans)))
    plan = _make_plan(entity, names)
    _plans[key] = (entity, plan)
    return plan


def _make_plan(entity: Entity, functions: frozenset) -> _Plan | None:
    links = {f.name for f in _all_fields(entity) if f.type == "link"}
    computed = {f.name for f in entity.fields if f.is_computed}
    for f in _all_fields(entity):
        if f.is_computed and volatile(f.formula, functions, links):
            return None
    for table in (f for f in entity.fields if f.is_table):
        for ch in table.fields:
            # child rows are computed before the parent's computed fields: a row formula reading one
            # of those saw its value from before the save's computation, so computing again may differ
            if ch.is_computed and any(n == "parent" and a in computed
                                      for n, a in compile_formula(ch.formula).attributes):
                return None
    return _Plan(entity, tuple(v for v in entity.validations if volatile(v.formula, functions, links)))


def volatile(text: str, functions=frozenset(), links=frozenset()) -> bool:
    """True when formula `text` may give another value for the same record values under the same
    metadata: it reads today's date (TODAY() and the like), a system field (`id`, `updated_at`, …),
    a linked record's field (`customer.name`), or calls a plugin's function (`functions`: the names
    the store adds to the built-ins; LOOKUP reads the metadata's code lists)."""
    formula = compile_formula(text)
    if formula.names & SYSTEM_NAMES:
        return True
    if any(name in links for name, _attr in formula.attributes):
        return True
    for name in formula.functions:
        if name == "LOOKUP":
            continue
        builtin = BUILTIN_FUNCTIONS.get(name)
        if name in functions or builtin is None or builtin.formula_spec.mode == "context":
            return True
    return False


def _all_fields(entity: Entity):
    for f in entity.fields:
        yield f
        yield from f.fields
