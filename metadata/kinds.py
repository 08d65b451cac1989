"""The registry of metadata kinds. A new kind registers a folder, schemas and a compiler."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from .doc import Doc
from .errors import Problem

SCHEMA_DIR = Path(__file__).parent / "schemas"


@dataclass
class Context:
    """What a kind's overlay and compile steps may read, and where they report problems."""
    docs: dict[str, dict[str, Doc]]
    field_storage: dict[str, str]           # plugin field types: name -> storage
    functions: dict[str, Callable]          # formula functions beyond the builtins (plugins, LOOKUP)
    ancestors: dict[str, set[str]]          # pack -> packs it (transitively) requires or extends
    workflow_actions: frozenset[str] | None = None   # plugins' workflow actions (None: not checked)
    binaries: Mapping[str, bytes] = field(default_factory=dict)   # "pack label/path" -> a binary file's bytes
    problems: list[Problem] = field(default_factory=list)
    compiled: dict[str, dict[str, Any]] = field(default_factory=dict)

    def report(self, doc: Doc, path: tuple, message: str) -> None:
        self.problems.append(doc.problem(path, message))

    def touch(self, doc: Doc, path: tuple, pack: str, file: str, line: int | None) -> None:
        """Record that `pack` set `path`; two packs that don't depend on each other conflict."""
        earlier = doc.touched.get(path)
        if earlier and earlier != pack and earlier not in self.ancestors.get(pack, ()):
            other_file, other_line = doc.where(path)
            self.problems.append(Problem(file, line, ".".join(map(str, path)),
                                         f"conflicts with pack '{earlier}' ({other_file}:{other_line}), "
                                         "which changes the same thing; make one pack extend the other"))
        doc.touched[path] = pack

    def names(self, kind: str) -> set[str]:
        return set(self.docs.get(kind, {}))


@dataclass(frozen=True)
class Kind:
    folder: str
    schema: str
    compile: Callable[[Doc, Context], Any]
    overlay_schema: str | None = None
    overlay: Callable[[Doc, dict, dict, str, str, Context], None] | None = None
    order: int = 50        # compile order: lower first (code lists before entities before forms)
    # a kind whose documents can be a choice field's options (`options_from`): a document's entity
    applies_to: Callable[[dict], str] | None = None


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> None:
    KINDS[kind.folder] = kind


@lru_cache(maxsize=None)
def _schemas() -> Registry:
    """Every schema by its `$id`, so that one can use another's definitions (an overlay's steps)."""
    resources = [Resource.from_contents(json.loads(p.read_text(encoding="utf-8")))
                 for p in sorted(SCHEMA_DIR.rglob("*.json"))]
    return Registry().with_resources((r.id(), r) for r in resources if r.id())


@lru_cache(maxsize=None)
def validator(schema_file: str) -> Draft202012Validator:
    path = Path(schema_file)
    if not path.is_absolute():
        path = SCHEMA_DIR / schema_file
    return Draft202012Validator(json.loads(path.read_text(encoding="utf-8")), registry=_schemas())
