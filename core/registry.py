"""What plugins add to the engines: field types, formula functions and workflow actions, gathered
in one object."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .fieldtypes import BUILTIN_TYPES, FieldType


@dataclass(frozen=True)
class Registry:
    field_types: Mapping[str, FieldType] = field(default_factory=dict)   # plugin types only
    functions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    workflow_actions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)   # `call:` side effects

    def type(self, name: str) -> FieldType:
        return BUILTIN_TYPES.get(name) or self.field_types[name]

    @property
    def storage(self) -> dict[str, str]:
        """Plugin field types by name -> storage kind, as the metadata loader wants them."""
        return {name: t.storage for name, t in self.field_types.items()}

    @property
    def function_names(self) -> frozenset[str]:
        return frozenset(self.functions)

    @property
    def action_names(self) -> frozenset[str]:
        return frozenset(self.workflow_actions)

    def checks(self) -> dict:
        """What loading metadata checks names against: `metastore.install/current(engine, **reg.checks())`."""
        return {"field_types": self.storage, "functions": self.function_names, "workflow_actions": self.action_names}


EMPTY = Registry()
