"""The hooks a Danbao plugin can implement.

A plugin is any module or object with functions named after these hooks and decorated with
:data:`hookimpl`. Every hook here *contributes* things: it takes no arguments and returns a
collection (or ``None`` for nothing), and :func:`plugins.manager.build_registry` gathers the
contributions of every plugin, checking names and conflicts. Later hooks (document renderers,
export formats, …) follow the same pattern: ``danbao_<things>() -> collection keyed by name``.

Every hook must be documented under a ``## <hook name>`` heading in ``docs/plugins.md``;
``tests/test_plugins.py`` fails otherwise.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

from core.fieldtypes import FieldType

PROJECT = "danbao"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def danbao_field_types() -> list[FieldType]:
    """Field types this plugin adds, as :class:`core.fieldtypes.FieldType` objects.

    ``name`` is a lower-case identifier (``bank_account``) used as ``type:`` in entity metadata;
    it must not be a built-in type or another plugin's type. ``storage`` is one of ``text``,
    ``integer``, ``decimal``, ``date``, ``datetime``, ``boolean``, ``json``. ``parse(raw, field)``
    returns the Python value or ``None`` (blank) or raises
    :class:`core.fieldtypes.FieldValueError` with a ``{"zh": …, "en": …}`` message;
    ``dump(value, field=None)`` and ``load(stored, field=None)`` convert to and from the stored
    JSON value and must round-trip exactly.
    """


@hookspec
def danbao_formula_functions() -> dict[str, Callable[..., Any]]:
    """Formula functions this plugin adds: a mapping of UPPER_CASE name to a callable.

    The function is called with its evaluated arguments: blank is ``None``, numbers are ``int``
    or ``Decimal`` (never ``float``), dates are ``datetime.date``, text is ``str``. It returns
    such a value (``None`` for blank) and raises :class:`core.formula.FormulaError` (message in
    English, ``zh=`` in Chinese) for bad arguments. Optionally it carries
    ``formula_spec = core.formula.FunctionSpec(NAME, min_args, max_args)`` so that wrong argument
    counts get the engine's own bilingual message. Names of built-in functions (``IF``, ``SUM``,
    …, ``LOOKUP``) and of other plugins' functions cannot be used.
    """


@hookspec
def danbao_workflow_actions() -> dict[str, Callable[[Any], dict | None]]:
    """Workflow actions this plugin adds: a mapping of lower-case name to a callable, run by a
    workflow step's side effect ``{call: name, with: {param: formula}}`` (see docs/workflow.md).

    The callable gets one :class:`core.workflow.effects.ActionContext`: ``values`` (the record's
    fields), ``params`` (the evaluated ``with``), ``instance``, ``step``, ``actor``, ``now``,
    ``store`` and ``conn`` (write through ``store.create(..., conn=conn)`` so the writes join the
    transition's transaction). It returns ``None`` or a dict of the record's fields to set (saved
    through the record store). Anything it raises rolls the whole transition back; a
    :class:`core.errors.DanbaoError` is shown as it is, other exceptions as the action failing.
    """
