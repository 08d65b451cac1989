"""Load packs: parse, check against the schemas, order, merge overlays, compile, check semantics.

    meta = load_packs([read_pack_dir("seed/standard"), read_pack_dir("seed/acme")])

Every problem in every file is collected and raised together as one MetadataError.
"""
from __future__ import annotations

import difflib
from graphlib import CycleError, TopologicalSorter
from typing import Callable, Iterable, Mapping
from types import MappingProxyType

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from . import codelist, entity, form  # noqa: F401  (they register their kinds)
from . import workflow  # noqa: F401,E402  (registers the workflow kind)
from . import product  # noqa: F401,E402  (registers the product kind)
from . import scorecard  # noqa: F401,E402  (registers the scorecard kind)
from . import document  # noqa: F401,E402  (registers the document kind)
from . import rule  # noqa: F401,E402  (registers the rule kind)
from . import menu  # noqa: F401,E402  (registers the menu kind)
from .doc import Doc, problem_at
from .errors import MetadataError, Problem
from .kinds import KINDS, Context, validator
from .model import Metadata, PackInfo
from .source import PackSource, digest_of
from .yamlsource import SourceError, load_yaml
from .labels import label


def merged_documents(sources: list[PackSource], folder: str) -> dict:
    """One kind's documents as the packs combine them (overlays applied), not compiled: quick, and
    readable while other files have problems (files with schema problems are left out)."""
    only = [PackSource(s.label, {p: t for p, t in s.files.items()
                                 if p in ("pack.yaml", "pack.json") or p.startswith(folder + "/")}) for s in sources]
    problems: list[Problem] = []
    manifests = _manifests(only, problems)
    order, ancestors = _order(manifests, problems)
    ctx = Context(docs={k: {} for k in KINDS}, field_storage={}, functions={}, ancestors=ancestors,
                  problems=problems)
    for name in order:
        _merge_pack(manifests[name][0], name, ctx)
    return dict(ctx.docs[folder])


def load_packs(sources: list[PackSource], *, field_types: dict[str, str] | None = None,
               functions: Mapping[str, Callable] | Iterable[str] = (),
               workflow_actions: Iterable[str] | None = None) -> Metadata:
    """Compile packs into Metadata or raise MetadataError listing every problem.

    `field_types`: extra field types from plugins (name -> storage kind);
    `functions`: extra formula functions from plugins (a mapping, so that calls are checked
    against the functions' declared arguments, or just their names);
    `workflow_actions`: the names of plugins' workflow actions, which `call:` side effects are
    checked against (None: not checked).
    """
    problems: list[Problem] = []
    manifests = _manifests(sources, problems)
    order, ancestors = _order(manifests, problems)
    extra = dict(functions) if isinstance(functions, Mapping) else {name: _unchecked for name in functions}
    ctx = Context(docs={k: {} for k in KINDS}, field_storage=dict(field_types or {}),
                  functions={"LOOKUP": _unchecked, **extra}, ancestors=ancestors, problems=problems,
                  workflow_actions=None if workflow_actions is None else frozenset(workflow_actions),
                  binaries={f"{s.label}/{rel}": data for s in sources for rel, data in s.binaries.items()})
    for name in order:
        source, manifest = manifests[name]
        _merge_pack(source, name, ctx)
    # files with schema errors were left out; compile the rest so every problem is reported at once
    for kind in sorted(KINDS.values(), key=lambda k: k.order):
        ctx.compiled[kind.folder] = {}
        for doc_name, doc in sorted(ctx.docs[kind.folder].items()):
            obj = kind.compile(doc, ctx)
            if obj is not None:
                ctx.compiled[kind.folder][doc_name] = obj
    if problems:
        raise MetadataError(problems)
    packs = tuple(_pack_info(manifests[n][1]) for n in order)
    kinds = MappingProxyType({k: MappingProxyType(v) for k, v in ctx.compiled.items()})
    return Metadata(packs=packs, entities=kinds["entities"], codelists=kinds["codelists"],
                    forms=kinds["forms"], kinds=kinds, digest=digest_of([manifests[n][0] for n in order]))


def _unchecked(*args):
    """Stands for a function known by name only: its arguments are checked when it runs."""


def check_packs(sources: list[PackSource], **kw) -> list[Problem]:
    try:
        load_packs(sources, **kw)
    except MetadataError as e:
        return e.problems
    return []


def _manifests(sources, problems) -> dict[str, tuple[PackSource, dict]]:
    out = {}
    for source in sources:
        file = f"{source.label}/pack.yaml"
        data = _parse(source, "pack.yaml", "pack.json", problems)
        if data is None:
            continue
        manifest, _lines = data
        if manifest["name"] in out:
            problems.append(Problem(file, 1, "name", f"pack '{manifest['name']}' given twice"))
            continue
        out[manifest["name"]] = (source, manifest)
    return out


def _parse(source: PackSource, rel: str, schema: str | None, problems, overlay_schema: str | None = None):
    """Parse one file and check it against its schema; None when it has problems."""
    file = f"{source.label}/{rel}"
    text = source.files.get(rel)
    if text is None:
        problems.append(Problem(file, None, "", "file missing"))
        return None
    try:
        data, lines = load_yaml(text)
    except SourceError as e:
        problems.append(Problem(file, e.line, "", e.message))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(file, 1, "", "expected a mapping of keys to values"))
        return None
    if overlay_schema and "overlay" in data:
        schema = overlay_schema
    errors = sorted(validator(schema).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    for err in errors:
        path = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = set(err.schema.get("properties", {}))
            for key in sorted(set(err.instance) - known, key=str):
                near = difflib.get_close_matches(str(key), known, n=1)
                hint = f"; did you mean '{near[0]}'?" if near else f" (known: {', '.join(sorted(known))})"
                problems.append(problem_at(file, lines, data, path + (key,), f"unknown property '{key}'{hint}"))
            continue
        problems.append(problem_at(file, lines, data, path, _schema_message(err)))
    return None if errors else (data, lines)


def _schema_message(err) -> str:
    if err.validator == "oneOf" and err.validator_value and isinstance(err.instance, (str, dict)) \
            and any("patternProperties" in s or "minLength" in s for s in err.validator_value):
        return "expected a text or a map of locale to text, e.g. {zh: 客户名称, en: Customer name}"
    return err.message


def _order(manifests, problems) -> tuple[list[str], dict[str, set[str]]]:
    graph: dict[str, set[str]] = {}
    for name, (source, manifest) in manifests.items():
        graph[name] = set()
        for rel in ("requires", "extends"):
            for i, dep in enumerate(manifest.get(rel, [])):
                path = f"{rel}.{i}"
                file = f"{source.label}/pack.yaml"
                if dep["name"] not in manifests:
                    problems.append(Problem(file, None, path, f"needs pack '{dep['name']}', which is not given"))
                    continue
                graph[name].add(dep["name"])
                spec = dep.get("version")
                if spec:
                    try:
                        ok = Version(manifests[dep["name"]][1]["version"]) in SpecifierSet(spec)
                    except (InvalidSpecifier, InvalidVersion) as e:
                        problems.append(Problem(file, None, path + ".version", str(e)))
                        continue
                    if not ok:
                        have = manifests[dep["name"]][1]["version"]
                        problems.append(Problem(file, None, path + ".version",
                                                f"needs {dep['name']} {spec}, but version {have} is given"))
    try:
        # deterministic: among packs ready at the same time, take them by name
        sorter = TopologicalSorter(graph)
        sorter.prepare()
        order = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            order.extend(ready)
            sorter.done(*ready)
    except CycleError as e:
        problems.append(Problem("pack.yaml", None, "requires", f"packs depend on each other in a cycle: {e.args[1]}"))
        return [], {}
    ancestors: dict[str, set[str]] = {}
    for name in order:
        ancestors[name] = set(graph[name]).union(*(ancestors[d] for d in graph[name])) if graph[name] else set()
    return order, ancestors


def _merge_pack(source: PackSource, pack: str, ctx: Context) -> None:
    extends = set()
    manifest_extends = None
    for rel in sorted(source.files):
        if rel in ("pack.yaml", "pack.json") or "/" not in rel:
            continue
        folder, _, fname = rel.partition("/")
        file = f"{source.label}/{rel}"
        kind = KINDS.get(folder)
        if kind is None:
            ctx.problems.append(Problem(file, None, "", f"unknown metadata kind folder '{folder}' "
                                        f"(known: {', '.join(sorted(KINDS))})"))
            continue
        parsed = _parse(source, rel, kind.schema, ctx.problems, kind.overlay_schema)
        if parsed is None:
            continue
        data, lines = parsed
        if "overlay" in data:
            if manifest_extends is None:
                manifest_extends = _extends_of(source, ctx)
            extends = manifest_extends
            target = ctx.docs[folder].get(data["overlay"])
            if target is None:
                ctx.problems.append(problem_at(file, lines, data, ("overlay",),
                                               f"nothing named '{data['overlay']}' to overlay in {folder}"))
            elif target.pack not in extends:
                ctx.problems.append(problem_at(file, lines, data, ("overlay",),
                                               f"'{data['overlay']}' belongs to pack '{target.pack}', "
                                               f"which this pack does not extend"))
            else:
                kind.overlay(target, data, lines, pack, file, ctx)
            continue
        name = data["name"]
        if name in ctx.docs[folder]:
            other = ctx.docs[folder][name]
            ctx.problems.append(problem_at(file, lines, data, ("name",),
                                           f"'{name}' is already defined in {other.file}; "
                                           "use 'overlay:' to change it"))
            continue
        ctx.docs[folder][name] = Doc.from_file(folder, name, pack, file, data, lines)


def _extends_of(source: PackSource, ctx: Context) -> set[str]:
    data, _ = load_yaml(source.files["pack.yaml"])
    direct = {d["name"] for d in data.get("extends", [])}
    # extending a pack also lets you overlay what it extends
    return direct.union(*(ctx.ancestors.get(d, set()) for d in direct)) if direct else set()


def _pack_info(manifest: dict) -> PackInfo:
    deps = lambda key: tuple((d["name"], d.get("version", "")) for d in manifest.get(key, []))  # noqa: E731
    return PackInfo(manifest["name"], str(manifest["version"]), label(manifest.get("title"), manifest["name"]),
                    deps("requires"), deps("extends"))
