"""Danbao's plugin interface: pluggy hooks through which packages add field types and formula
functions (and, later, more: document renderers, export formats, …).

* :mod:`plugins.hookspecs` — the hook specifications and the ``hookimpl`` marker plugins use;
* :mod:`plugins.manager` — ``plugin_manager()`` (built-in plugins plus the ``danbao`` entry
  points) and ``build_registry()`` (a :class:`core.registry.Registry` of everything plugins add,
  with clear ``PluginError`` on conflicts);
* :mod:`plugins.builtin` — Danbao's own extras, written as an ordinary plugin: the formula
  function ``RMB_UPPER`` and the field type ``bank_account``.

How to write a plugin: ``docs/plugins.md``.
"""
