"""The plugin manager and the registry built from it.

    pm = plugin_manager()                 # built-in plugins + installed "danbao" entry points
    registry = build_registry(pm)         # core.registry.Registry
    meta = load_packs(sources, field_types=registry.storage, functions=registry.function_names)
    store = Store(engine, meta, registry=registry)

Nothing happens at import time: plugins are found and loaded only when :func:`plugin_manager`
is called. Every problem (a plugin that cannot be imported, a misspelled hook, a bad name, two
plugins claiming the same name) raises :class:`PluginError` naming the plugins involved.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import re
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import pluggy

from core.fieldtypes import BUILTIN_TYPES, FieldType
from core.formula import BUILTIN_FUNCTIONS, FunctionSpec
from core.registry import Registry

from . import hookspecs

__all__ = [
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "RESERVED_FUNCTIONS",
    "STORAGE_KINDS",
    "PluginError",
    "build_registry",
    "check",
    "contributions",
    "plugin_manager",
]

ENTRY_POINT_GROUP = "danbao"

#: Plugins that are part of Danbao: registered under these names whatever is installed.
#: The names match the entry points declared in Danbao's own pyproject.toml, so the entry
#: point of the same plugin is recognised and skipped.
BUILTIN_PLUGINS: Mapping[str, str] = MappingProxyType({"builtin": "plugins.builtin"})

STORAGE_KINDS = frozenset({"text", "integer", "decimal", "date", "datetime", "boolean", "json"})

#: Function names a plugin cannot define: the formula engine's built-ins, the LOOKUP function
#: every store adds, and the words TRUE and FALSE of the formula language.
RESERVED_FUNCTIONS = frozenset(BUILTIN_FUNCTIONS) | {"LOOKUP", "TRUE", "FALSE"}

_FUNCTION_NAME = re.compile(r"[A-Z][A-Z0-9_]*", re.ASCII)
_TYPE_NAME = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
_CORE = "Danbao core"


class PluginError(Exception):
    """A plugin cannot be used: it failed to load, or it conflicts with Danbao or another plugin.

    ``plugins`` names the plugins involved (``"Danbao core"`` stands for the built-in engines).
    """

    def __init__(self, message: str, plugins: Iterable[str] = ()):
        super().__init__(message)
        self.plugins = tuple(plugins)


# ------------------------------------------------------------------------------ the manager

def _entry_points() -> list[importlib.metadata.EntryPoint]:
    """Installed entry points of the ``danbao`` group, in a stable order."""
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return sorted(eps, key=lambda ep: (ep.name, ep.value))


def _dist_of(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f" of package {dist.name!r}" if dist is not None and getattr(dist, "name", None) else ""


def _register(pm: pluggy.PluginManager, plugin: Any, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as e:
        raise PluginError(f"plugin {name!r} is not a valid Danbao plugin: {e}", [name]) from e


def plugin_manager(load_entrypoints: bool = True) -> pluggy.PluginManager:
    """A plugin manager with Danbao's hooks, its built-in plugins and, unless
    ``load_entrypoints`` is false, every installed plugin of the ``danbao`` entry point group.

    A plugin is registered once: an entry point naming a plugin that is already registered
    (Danbao declares its own built-in plugin as an entry point too) is skipped. Two different
    plugins under one name, a plugin that cannot be imported, and a hook implementation that
    matches no hook (a misspelled name) raise :class:`PluginError`.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, module in BUILTIN_PLUGINS.items():
        _register(pm, importlib.import_module(module), name)
    if load_entrypoints:
        for ep in _entry_points():
            if pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as e:
                raise PluginError(f"plugin {ep.name!r}{_dist_of(ep)} could not be loaded from "
                                  f"{ep.value!r}: {type(e).__name__}: {e}", [ep.name]) from e
            if pm.is_registered(plugin):
                continue
            other = pm.get_plugin(ep.name)
            if other is not None:
                raise PluginError(f"two plugins are called {ep.name!r}: {ep.value!r}{_dist_of(ep)} "
                                  f"and the already registered {other!r}; rename one entry point",
                                  [ep.name])
            _register(pm, plugin, ep.name)
    check(pm)
    return pm


def check(pm: pluggy.PluginManager) -> None:
    """Raise :class:`PluginError` if a registered plugin implements a hook that does not exist
    (usually a misspelled name: ``danbao_field_type`` for ``danbao_field_types``)."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as e:
        name = pm.get_name(e.plugin) or repr(e.plugin)
        known = ", ".join(sorted(n for n in dir(pm.hook) if n.startswith("danbao_")))
        raise PluginError(f"plugin {name!r}: {e} (Danbao's hooks: {known})", [name]) from e


# ------------------------------------------------------------------------------ the registry

def contributions(pm: pluggy.PluginManager, hook_name: str) -> list[tuple[str, Any]]:
    """``(plugin name, result)`` for each plugin implementing the hook ``hook_name``, in
    registration order; ``None`` results are left out. A hook that raises becomes a
    :class:`PluginError` naming the plugin."""
    out = []
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        if impl.hookwrapper or getattr(impl, "wrapper", False):
            continue
        try:
            result = impl.function()
        except Exception as e:
            raise PluginError(f"plugin {impl.plugin_name!r}: {hook_name}() failed: "
                              f"{type(e).__name__}: {e}", [impl.plugin_name]) from e
        if result is not None:
            out.append((impl.plugin_name, result))
    return out


def _collect_field_types(pm: pluggy.PluginManager) -> dict[str, FieldType]:
    types: dict[str, FieldType] = {}
    owner: dict[str, str] = {}
    for plugin, result in contributions(pm, "danbao_field_types"):
        where = f"plugin {plugin!r}, danbao_field_types()"
        if isinstance(result, (str, bytes, Mapping)) or not isinstance(result, Iterable):
            raise PluginError(f"{where} must return a list of FieldType, got {result!r}", [plugin])
        for ft in result:
            if not isinstance(ft, FieldType):
                raise PluginError(f"{where} returned {ft!r}, which is not a "
                                  "core.fieldtypes.FieldType", [plugin])
            name = ft.name
            if not isinstance(name, str) or not _TYPE_NAME.fullmatch(name):
                raise PluginError(f"{where}: field type name {name!r} must be a lower-case "
                                  "identifier such as 'bank_account'", [plugin])
            if name in BUILTIN_TYPES:
                raise PluginError(f"{where}: field type {name!r} is a built-in field type of "
                                  f"{_CORE}; built-in types cannot be redefined, choose another "
                                  "name", [plugin, _CORE])
            if name in owner:
                first = owner[name]
                if first == plugin:
                    raise PluginError(f"{where}: field type {name!r} is given twice", [plugin])
                raise PluginError(f"field type {name!r} is defined by two plugins: {first!r} and "
                                  f"{plugin!r}; uninstall or block one of them", [first, plugin])
            if ft.storage not in STORAGE_KINDS:
                raise PluginError(f"{where}: field type {name!r} has storage {ft.storage!r}; "
                                  f"use one of {', '.join(sorted(STORAGE_KINDS))}", [plugin])
            for part in ("parse", "dump", "load"):
                if not callable(getattr(ft, part)):
                    raise PluginError(f"{where}: field type {name!r}: {part} is not callable",
                                      [plugin])
            types[name], owner[name] = ft, plugin
    return types


def _collect_functions(pm: pluggy.PluginManager) -> dict[str, Callable[..., Any]]:
    functions: dict[str, Callable[..., Any]] = {}
    owner: dict[str, str] = {}
    for plugin, result in contributions(pm, "danbao_formula_functions"):
        where = f"plugin {plugin!r}, danbao_formula_functions()"
        if not isinstance(result, Mapping):
            raise PluginError(f"{where} must return a dict of name -> function, got {result!r}",
                              [plugin])
        for name, fn in result.items():
            if not isinstance(name, str) or not _FUNCTION_NAME.fullmatch(name):
                raise PluginError(f"{where}: function name {name!r} must be an UPPER_CASE "
                                  "identifier such as 'RMB_UPPER'", [plugin])
            if name in RESERVED_FUNCTIONS:
                raise PluginError(f"{where}: {name} is a built-in formula function of {_CORE}; "
                                  "built-in functions cannot be redefined, choose another name",
                                  [plugin, _CORE])
            if name in owner:
                raise PluginError(f"formula function {name} is defined by two plugins: "
                                  f"{owner[name]!r} and {plugin!r}; uninstall or block one of "
                                  "them", [owner[name], plugin])
            if not callable(fn):
                raise PluginError(f"{where}: {name} is not callable: {fn!r}", [plugin])
            spec = getattr(fn, "formula_spec", None)
            if spec is not None and not (isinstance(spec, FunctionSpec) and spec.name == name
                                         and spec.mode == "eager"):
                raise PluginError(f"{where}: {name}.formula_spec must be "
                                  f"FunctionSpec({name!r}, min_args, max_args), got {spec!r}",
                                  [plugin])
            functions[name], owner[name] = fn, plugin
    return functions


def _collect_workflow_actions(pm: pluggy.PluginManager) -> dict[str, Callable[..., Any]]:
    actions: dict[str, Callable[..., Any]] = {}
    owner: dict[str, str] = {}
    for plugin, result in contributions(pm, "danbao_workflow_actions"):
        where = f"plugin {plugin!r}, danbao_workflow_actions()"
        if not isinstance(result, Mapping):
            raise PluginError(f"{where} must return a dict of name -> callable, got {result!r}", [plugin])
        for name, fn in result.items():
            if not isinstance(name, str) or not _TYPE_NAME.fullmatch(name):
                raise PluginError(f"{where}: action name {name!r} must be a lower-case identifier "
                                  "such as 'notify_bank'", [plugin])
            if name in owner:
                raise PluginError(f"workflow action {name!r} is defined by two plugins: {owner[name]!r} "
                                  f"and {plugin!r}; uninstall or block one of them", [owner[name], plugin])
            if not callable(fn):
                raise PluginError(f"{where}: {name} is not callable: {fn!r}", [plugin])
            actions[name], owner[name] = fn, plugin
    return actions


def build_registry(pm: pluggy.PluginManager | None = None) -> Registry:
    """The field types, formula functions and workflow actions of every plugin of ``pm``
    (default: ``plugin_manager()``), checked: names well formed, no built-in redefined, no name
    claimed by two plugins — else :class:`PluginError`."""
    if pm is None:
        pm = plugin_manager()
    return Registry(field_types=MappingProxyType(_collect_field_types(pm)),
                    functions=MappingProxyType(_collect_functions(pm)),
                    workflow_actions=MappingProxyType(_collect_workflow_actions(pm)))
