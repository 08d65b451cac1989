"""The document kind: contracts, forms and reports generated from `.docx` templates shipped in a
pack and filled from one record (see docs/documents.md; rendering is core/documents.py).

A document names its entity, its template (a Word file beside the YAML, carried by the pack as a
binary file), the downloaded file's name, extra values as formulas, the roles that may generate
it and, optionally, the workflow steps at which it is offered. The template is checked when the
pack is installed: it must exist, be a Word document, have valid template syntax and use only
names the record provides.
"""
from __future__ import annotations

import io
import posixpath
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping

from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from .doc import Doc
from .entity import SYSTEM_NAMES, _reach
from .formulas import formula_problems
from .kinds import Context, Kind, register_kind
from .labels import label, overlay_value
from .model import Label
from .yamlsource import line_of

# names every template may use besides the entity's fields and the document's values
EXTRA_NAMES = ("today", "related")
FILE_NAME_PART = re.compile(r"\{([^{}]*)\}")
OVERLAY_KEYS = ("label", "description", "template", "file_name", "roles", "steps")
FILTERS = ("rmb_upper",)   # filters core/documents.py adds to Jinja's own


@dataclass(frozen=True)
class Document:
    name: str
    label: Label
    entity: str
    template: str                 # the file in its pack, e.g. "standard/documents/guarantee_contract.docx"
    content: bytes                # the template's bytes
    file_name: str                # "保证合同-{contract_no}.docx"
    values: Mapping[str, str]     # extra names -> formulas on the record
    roles: tuple[str, ...]
    steps: tuple[str, ...] = ()   # offered only at these workflow steps (empty: always)
    description: Label | None = None
    pack: str = ""


def template_env(filters: Mapping[str, Callable] | None = None,
                 undefined: type[StrictUndefined] = StrictUndefined) -> SandboxedEnvironment:
    """The template language: Jinja as docxtpl reads it, sandboxed (a pack cannot run code), an
    unknown name an error rather than blank text, and values escaped for Word's XML. `filters`:
    the implementations of FILTERS when rendering (checking only needs their names)."""
    env = SandboxedEnvironment(undefined=undefined, autoescape=True)
    env.filters.update(filters or dict.fromkeys(FILTERS, str))
    return env


class TemplateProblem(ValueError):
    """The file is not a usable template; the message says why, for the person who made it."""


def open_template(content: bytes):
    """The template as a docxtpl object, or TemplateProblem when the bytes are not a Word file."""
    from docxtpl import DocxTemplate
    try:
        tpl = DocxTemplate(io.BytesIO(content))
        tpl.init_docx()
    except Exception:  # noqa: BLE001 - zip, XML or content-type errors all mean the same to the author
        raise TemplateProblem("not a valid Word (.docx) file") from None
    return tpl


def template_names(content: bytes) -> set[str]:
    """The names a template uses from outside (loop variables excluded)."""
    tpl = open_template(content)
    try:
        return set(tpl.get_undeclared_template_variables(template_env()))
    except TemplateSyntaxError as e:
        raise TemplateProblem(f"template syntax: {e.message}") from None


# -- overlays ------------------------------------------------------------------------------

def apply_overlay(doc: Doc, data: dict, lines: dict, pack: str, file: str, ctx: Context) -> None:
    """Replace the template, file name, label, roles or steps; `values` merge by name."""
    for key in OVERLAY_KEYS:
        if key in data:
            ctx.touch(doc, (key,), pack, file, lines.get((key,)))
            doc.data[key] = overlay_value(key, doc.data.get(key), data[key])
            doc.locs[(key,)] = (file, lines.get((key,)))   # a replaced template is found beside the overlay
    for name, text in (data.get("values") or {}).items():
        path = ("values", name)
        ctx.touch(doc, path, pack, file, line_of(lines, path))
        doc.data.setdefault("values", {})[name] = text
        doc.locs[path] = (file, line_of(lines, path))


# -- semantic checks -------------------------------------------------------------------------

def template_key(doc: Doc) -> str:
    """The template's key among the packs' binary files: relative to the file that named it."""
    file, _line = doc.where(("template",))
    return posixpath.normpath(posixpath.join(posixpath.dirname(file), doc.data["template"]))


def compile_document(doc: Doc, ctx: Context) -> Document | None:
    data = doc.data

    def report(path, message):
        ctx.report(doc, path, message)

    entity = ctx.compiled.get("entities", {}).get(data["entity"])
    if entity is None:
        report(("entity",), f"no entity '{data['entity']}'")
    values = dict(data.get("values") or {})
    fields = {f.name: f for f in entity.fields} if entity else {}
    formula_names = {n: _reach(f, ctx) for n, f in fields.items()} | {n: None for n in SYSTEM_NAMES}
    for name, text in sorted(values.items()):
        if name in fields or name in SYSTEM_NAMES or name in EXTRA_NAMES:
            report(("values", name), f"'{name}' is already a name of the record; choose another")
        elif entity is not None:
            for message in formula_problems(text, formula_names, ctx.functions, ctx.names("codelists")):
                report(("values", name), message)
    known = set(fields) | SYSTEM_NAMES | set(EXTRA_NAMES) | set(values)
    for part in FILE_NAME_PART.findall(data["file_name"]):
        if entity is not None and part not in known:
            report(("file_name",), f"'{{{part}}}': the record has no field or value '{part}'")
    key = template_key(doc)
    content = ctx.binaries.get(key)
    if content is None:
        report(("template",), f"no file '{key}' (a template is looked for beside the file that names it)")
    else:
        try:
            unknown = template_names(content) - known
        except TemplateProblem as e:
            report(("template",), f"{key}: {e}")
        else:
            if entity is not None and unknown:
                report(("template",), f"{key} uses {', '.join(sorted(unknown))}, which the record does not have "
                       f"(fields of '{entity.name}', the document's values, {', '.join(EXTRA_NAMES)})")
    steps = tuple(data.get("steps") or ())
    if steps and entity is not None:
        flows = [w for w in ctx.compiled.get("workflows", {}).values() if w.entity == entity.name]
        for i, step in enumerate(steps):
            if not any(w.has_step(step) for w in flows):
                report(("steps", i), f"no workflow of '{entity.name}' has a step '{step}'")
    if entity is None or content is None:
        return None
    return Document(name=doc.name, label=label(data.get("label"), doc.name), entity=entity.name, template=key,
                    content=content, file_name=data["file_name"], values=MappingProxyType(values),
                    roles=tuple(data["roles"]), steps=steps, description=label(data.get("description")),
                    pack=doc.pack)


register_kind(Kind(folder="documents", schema="document/document.json",
                   overlay_schema="document/document_overlay.json", overlay=apply_overlay,
                   compile=compile_document, order=70))
