"""Documents generated from a pack's .docx templates, filled from one record (docs/documents.md).

    for doc in available(store, "project", record, actor): …      # what a screen offers
    out = render(store, "guarantee_contract", record_id, actor)   # out.content, out.file_name

Who may generate a document: someone who may read the record and has one of the document's
roles, while the record's workflow is at one of the document's steps (when it names any). The
template is filled with docxtpl; a template that asks for a name the record lacks, or that
breaks, is refused with a message naming the template, never a stack trace.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Callable

from jinja2 import StrictUndefined, TemplateError, UndefinedError

from metadata.document import FILE_NAME_PART, Document, TemplateProblem, open_template, template_env
from metadata.model import text_of

from .compute import Evaluator
from .document_context import Formatter, Money, Related, Values, date_text, plain_text
from .errors import DanbaoError, NotFound, PermissionDenied, msg
from .query import Filter, Query, find
from .store import SYSTEM, Actor, Record, Store
from .users import get_user
from .workflow.queries import instance_for

UNSAFE_IN_FILE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


class DocumentError(DanbaoError):
    """The document could not be generated (a broken template or formula); nothing was produced."""
    message = msg("文档生成失败", "The document could not be generated")


@dataclass(frozen=True)
class Rendered:
    content: bytes
    file_name: str
    media_type: str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def documents_of(store: Store, entity: str) -> list[Document]:
    return sorted((d for d in store.meta.kinds.get("documents", {}).values() if d.entity == entity),
                  key=lambda d: d.name)


def available(store: Store, entity: str, record: Record, actor: Actor) -> list[Document]:
    """The documents `actor` may generate from `record` now, by name."""
    docs = documents_of(store, entity)
    if not docs or not store.allowed(actor, "read", store.meta.entity(entity)):
        return []
    step = _step(store, entity, record.id) if any(d.steps for d in docs) else None
    return [d for d in docs if _refusal(d, actor, step) is None]


def render(store: Store, name: str, record_id: int, actor: Actor) -> Rendered:
    """The document `name` filled from the record: its bytes and file name."""
    doc = store.meta.kinds.get("documents", {}).get(name)
    if doc is None:
        raise NotFound(msg(f"没有文档「{name}」", f"no document '{name}'"))
    record = store.get(doc.entity, record_id, actor=actor)          # refuses who may not read it
    refusal = _refusal(doc, actor, _step(store, doc.entity, record_id) if doc.steps else None)
    if refusal:
        raise PermissionDenied(refusal)
    context = _context(store, doc, record, actor)
    file_name = FILE_NAME_PART.sub(lambda m: str(context.get(m.group(1), "")), doc.file_name)
    return Rendered(_fill(doc, context, store.functions), UNSAFE_IN_FILE_NAME.sub("_", file_name))


def _step(store: Store, entity: str, record_id: int) -> str | None:
    inst = instance_for(store.engine, entity, record_id)
    return inst.step if inst else None


def _refusal(doc: Document, actor: Actor, step: str | None) -> dict | None:
    label = text_of(doc.label)
    if not actor.system and not actor.roles & set(doc.roles):
        return msg(f"没有生成「{label}」的权限", f"you may not generate '{text_of(doc.label, 'en')}'")
    if doc.steps and step not in doc.steps:
        return msg(f"「{label}」只在流程的以下步骤生成：{'、'.join(doc.steps)}",
                   f"'{text_of(doc.label, 'en')}' is generated at the steps {', '.join(doc.steps)} only")
    return None


RELATED_LIMIT = 500   # records of one entity listed by `related.<entity>`


def _context(store: Store, doc: Document, record: Record, actor: Actor) -> dict:
    entity = store.meta.entity(doc.entity)

    def load(target: str, rid: int):
        try:
            # the parties as the contract names them, whether or not the actor may open their records
            return {**store.get(target, rid, actor=SYSTEM).values, "id": rid}
        except NotFound:
            return None

    def user_name(uid: int) -> str:
        user = get_user(store.engine, id=uid)
        return user.name if user else f"#{uid}"

    today = store.clock.today()
    values = {**record.values, "id": record.id, "created_at": record.created_at, "created_by": record.created_by,
              "updated_at": record.updated_at, "updated_by": record.updated_by}

    def related(other: str, links: tuple[str, ...]) -> list[tuple[int, dict]]:
        """The live `other` records linking to this one, oldest first; only for who may read them."""
        target = store.meta.entity(other)
        if not store.allowed(actor, "read", target):
            raise PermissionDenied(msg(f"没有查看「{text_of(target.label)}」的权限，不能生成「{text_of(doc.label)}」",
                                       f"you may not read {other}, which '{text_of(doc.label, 'en')}' lists"))
        found: dict[int, dict] = {}
        for link in links:
            for row in find(store.engine, store.meta, Query(other, [Filter(link, "eq", record.id)], sort=["id"],
                                                             limit=RELATED_LIMIT), store.types):
                found[row.id] = row.values
        return sorted(found.items())

    formatter = Formatter(store.meta, load, user_name)
    context = formatter.record(entity, values)
    context.setdefault("related", formatter.related(entity, related))   # a field named `related` wins
    context.update({k: plain_text(values[k]) for k in ("id", "created_at", "created_by", "updated_at", "updated_by")})
    context["today"] = date_text(today)
    errors: dict = {}
    evaluator = Evaluator(entity, store.functions, today, errors, store.types, load_link=load)
    for name, text in doc.values.items():
        context[name] = plain_text(evaluator.run(text, values, name, {"zh": name}))
    if errors:
        problem = next(iter(errors.values()))[0]
        raise DocumentError(msg(f"「{text_of(doc.label)}」的取值 {problem['zh']}",
                                f"'{text_of(doc.label, 'en')}': {problem['en']}"))
    return context


class _Unknown(StrictUndefined):
    """An unknown name stops the rendering; the message says which name, and in what."""

    @property
    def _undefined_message(self) -> str:
        if isinstance(self._undefined_obj, (Values, Related)):
            return f"{self._undefined_obj.describe()}没有「{self._undefined_name}」"
        return super()._undefined_message


def _rmb_upper(function: Callable | None):
    """The filter `{{ amount|rmb_upper }}`: an amount in capitals (人民币大写), by the formula
    function RMB_UPPER (the builtin plugin), so documents and formulas write amounts alike."""
    def rmb_upper(value):
        if function is None:
            raise DocumentError(msg("没有公式函数 RMB_UPPER（内置插件未加载），无法写出大写金额",
                                    "the formula function RMB_UPPER (builtin plugin) is not loaded"))
        if isinstance(value, Money):
            return function(value.amount)
        if value in (None, ""):
            return ""
        try:
            return function(Decimal(str(value).replace(",", "")))
        except InvalidOperation:
            raise DocumentError(msg(f"rmb_upper：「{value}」不是金额", f"rmb_upper: '{value}' is not an amount")) from None
    return rmb_upper


def _fill(doc: Document, context: dict, functions) -> bytes:
    where_zh, where_en = f"文档「{text_of(doc.label)}」的模板 {doc.template}", f"the template {doc.template}"
    try:
        tpl = open_template(doc.content)
        env = template_env({"rmb_upper": _rmb_upper(functions.get("RMB_UPPER"))}, undefined=_Unknown)
        tpl.render(context, jinja_env=env)
        out = BytesIO()
        tpl.save(out)
    except (DocumentError, PermissionDenied):
        raise
    except UndefinedError as e:
        raise DocumentError(msg(f"{where_zh}使用了记录中没有的名称：{e.message}",
                                f"{where_en} uses a name the record does not have: {e.message}")) from None
    except (TemplateError, TemplateProblem) as e:
        raise DocumentError(msg(f"{where_zh}有误：{e}", f"{where_en} is broken: {e}")) from None
    except Exception as e:  # noqa: BLE001 - whatever a broken template trips in docxtpl, the user gets a message
        raise DocumentError(msg(f"{where_zh}无法填写（{type(e).__name__}）",
                                f"{where_en} could not be filled ({type(e).__name__}: {e})")) from None
    return out.getvalue()
