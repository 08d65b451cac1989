"""Compiled, immutable metadata: what the engines read at run time."""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from types import MappingProxyType
from typing import Any, Mapping

Label = Mapping[str, str]  # {"zh": ..., "en": ...}


def text_of(label: Label | None, locale: str = "zh") -> str:
    """The label in `locale`, falling back to zh, then to any value."""
    if not label:
        return ""
    lang = locale.split("_")[0].split("-")[0]
    return label.get(locale) or label.get(lang) or label.get("zh") or next(iter(label.values()))


@dataclass(frozen=True)
class Option:
    value: str
    label: Label
    active: bool = True


@dataclass(frozen=True)
class Rollup:
    """What a `rollup` field aggregates: the live `source` records whose `link` points here."""
    source: str                       # `from`: the entity aggregated
    link: str                         # the link field of `source` that points to this entity
    aggregate: str                    # sum | count | min | max | avg | latest
    field: str | None = None          # the field of `source` aggregated (None for count)
    where: str | None = None          # a formula over each `source` record
    order_by: str | None = None       # latest: the `source` field that orders (ties: higher id)
    inputs: frozenset[str] = frozenset()   # `source` fields whose change can change the value


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    storage: str
    label: Label
    help: Label | None = None
    placeholder: Label | None = None
    required: bool = False
    required_if: str | None = None
    visible_if: str | None = None
    readonly: bool = False
    readonly_if: str | None = None
    hidden: bool = False
    default: Any = None
    default_formula: str | None = None
    min: Any = None
    max: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_message: Label | None = None
    unique: bool = False
    indexed: bool = False
    precision: int | None = None
    options: tuple[Option, ...] | None = None
    codelist: str | None = None
    options_from: str | None = None   # a metadata kind whose documents are the options (products)
    entity: str | None = None
    display_field: str | None = None
    fields: tuple["Field", ...] = ()
    min_rows: int | None = None
    max_rows: int | None = None
    # a computed field's formula; a rollup's is its own name (its stored value), so that for every
    # field with is_computed evaluating `formula` over the record's values gives the field's value
    formula: str | None = None
    result: str | None = None
    accept: tuple[str, ...] = ()
    max_size_mb: float = 20
    multiple: bool = True
    rollup: Rollup | None = None

    @property
    def is_table(self) -> bool:
        return self.type == "table"

    @property
    def is_computed(self) -> bool:
        """Derived by the system, never typed in: a `computed` or a `rollup` field."""
        return self.type in ("computed", "rollup")

    @property
    def is_rollup(self) -> bool:
        return self.type == "rollup"

    @property
    def value_type(self) -> str:
        """The type of the value: a computed or rollup field's result type, otherwise its own type."""
        return (self.result or "decimal") if self.is_computed else self.type

    def child(self, name: str) -> "Field":
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class Validation:
    name: str
    formula: str
    message: Label
    field: str | None = None


@dataclass(frozen=True)
class Numbering:
    field: str
    pattern: str


@dataclass(frozen=True)
class Entity:
    name: str
    label: Label
    fields: tuple[Field, ...]
    title_field: str | None
    search_fields: tuple[str, ...]
    list_columns: tuple[str, ...]
    numbering: Numbering | None
    permissions: Mapping[str, tuple[str, ...]]
    validations: tuple[Validation, ...]
    removed_fields: tuple[str, ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()   # composite (filter, sort) indexes
    computed_order: tuple[str, ...] = ()   # computed fields in dependency order
    pack: str = ""
    description: Label | None = None
    _by_name: Mapping[str, Field] = dc_field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_name", MappingProxyType({f.name: f for f in self.fields}))

    def field(self, name: str) -> Field:
        return self._by_name[name]

    def has(self, name: str) -> bool:
        return name in self._by_name

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(self._by_name)


@dataclass(frozen=True)
class CodeItem:
    code: str
    label: Label
    parent: str | None = None
    active: bool = True
    data: Mapping[str, Any] = dc_field(default_factory=dict)


@dataclass(frozen=True)
class CodeList:
    name: str
    label: Label
    items: tuple[CodeItem, ...]
    description: Label | None = None
    pack: str = ""
    _by_code: Mapping[str, CodeItem] = dc_field(default_factory=dict, repr=False, compare=False)
    _children: Mapping[str | None, tuple[CodeItem, ...]] = dc_field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_code", MappingProxyType({i.code: i for i in self.items}))
        kids: dict[str | None, list[CodeItem]] = {}
        for i in self.items:                 # built once: screens walk trees of thousands of codes
            kids.setdefault(i.parent, []).append(i)
        object.__setattr__(self, "_children", MappingProxyType({k: tuple(v) for k, v in kids.items()}))

    def get(self, code: str) -> CodeItem | None:
        return self._by_code.get(code)

    def children(self, parent: str | None) -> tuple[CodeItem, ...]:
        """The items directly under `parent` (the roots for None), in the list's order."""
        return self._children.get(parent, ())

    @property
    def hierarchical(self) -> bool:
        return any(k is not None for k in self._children)


@dataclass(frozen=True)
class Section:
    name: str
    label: Label
    columns: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Tab:
    name: str
    label: Label
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Form:
    name: str
    entity: str
    label: Label
    tabs: tuple[Tab, ...]   # a form without tabs has one unnamed tab
    pack: str = ""


@dataclass(frozen=True)
class PackInfo:
    name: str
    version: str
    title: Label
    requires: tuple[tuple[str, str], ...] = ()
    extends: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Metadata:
    packs: tuple[PackInfo, ...]
    entities: Mapping[str, Entity]
    codelists: Mapping[str, CodeList]
    forms: Mapping[str, Form]
    kinds: Mapping[str, Mapping[str, Any]]  # every kind by folder name, incl. the three above
    digest: str = ""                       # content hash of the sources: the version key

    def entity(self, name: str) -> Entity:
        return self.entities[name]

    def codelist(self, name: str) -> CodeList:
        return self.codelists[name]

    def form_for(self, entity: str) -> Form | None:
        return self.forms.get(entity) or next((f for f in self.forms.values() if f.entity == entity), None)
