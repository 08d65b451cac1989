"""Side effects that reach beyond the record: `create` (a related record), `update` (the record a
link field points to) and `call` (a plugin's workflow action, hook `danbao_workflow_actions`). Both run inside the transition's transaction, so
anything they write is rolled back with it when a later part of the transition fails — and a
failing effect rolls the transition back."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Mapping

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from metadata.model import text_of
from metadata.workflow import Effect, Step

from ..compute import is_blank
from ..db import records
from ..errors import ConflictError, DanbaoError, ValidationError
from ..store import Actor, Store
from .model import Instance, error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActionContext:
    """What a plugin's workflow action gets."""
    values: Mapping[str, Any]    # the record's fields, with `id` and `initiator`
    params: Mapping[str, Any]    # the step's `with:`, evaluated on the record
    instance: Instance
    step: Step
    actor: Actor                 # who acted (the system for automatic moves and deadlines)
    now: datetime
    store: Store                 # write with store.create/update(..., conn=conn)
    conn: Connection             # the transition's transaction


def _errors(e: ValidationError) -> tuple[str, str]:
    parts = [(f"{path or '(record)'}: {m.get('zh', '')}", f"{path or '(record)'}: {m.get('en', '')}")
             for path, messages in e.errors.items() for m in messages]
    return "; ".join(p[0] for p in parts), "; ".join(p[1] for p in parts)


def create(run, eff: Effect, step: Step) -> int:
    """Create the related record the effect describes; its formulas see the workflow's record."""
    entity = eff.create_entity
    if entity not in run.store.meta.entities:
        raise error(f"步骤「{step.name}」要创建的实体「{entity}」不存在", f"step '{step.name}' creates a "
                    f"'{entity}' record, but there is no such entity")
    env = run.env()
    values = {name: run.evaluate(text, env) for name, text in eff.create_values.items()}
    try:
        rec = run.store.create(entity, values, actor=run.writer, conn=run.conn)
    except ValidationError as e:
        zh, en = _errors(e)
        raise error(f"步骤「{step.name}」无法创建「{entity}」记录:{zh}",
                    f"step '{step.name}' could not create a '{entity}' record: {en}") from None
    run.log("create", from_step=step.name, data={"entity": entity, "record_id": rec.id})
    return rec.id


def update(run, eff: Effect, step: Step) -> int:
    """Write the fields of the record that the link field `eff.update_record` of the workflow's
    record points to, at its current version, as the acting user with the workflow's authority."""
    link = run.entity.field(eff.update_record)
    env = run.env()
    target_id = env.get(eff.update_record)
    what = f"{link.entity} {target_id}"
    if is_blank(target_id):
        raise error(f"步骤「{step.name}」要修改「{text_of(link.label, 'zh')}」所指的记录,但该字段为空",
                    f"step '{step.name}' updates the record '{eff.update_record}' points to, but it is empty")
    values = {name: run.evaluate(text, env) for name, text in eff.update_values.items()}
    row = run.conn.execute(select(records.c.version).where(and_(
        records.c.id == target_id, records.c.entity == link.entity, records.c.deleted.is_(False)))).first()
    if row is None:
        raise error(f"步骤「{step.name}」要修改的记录「{what}」不存在",
                    f"step '{step.name}' updates the record {what}, which does not exist")
    try:
        run.store.update(link.entity, target_id, values, version=row.version, actor=run.writer, conn=run.conn)
    except ValidationError as e:
        zh, en = _errors(e)
        raise error(f"步骤「{step.name}」无法修改记录「{what}」:{zh}",
                    f"step '{step.name}' could not update the record {what}: {en}") from None
    except ConflictError:
        raise error(f"步骤「{step.name}」修改记录「{what}」时,该记录刚被他人修改,请重试",
                    f"step '{step.name}': the record {what} was changed meanwhile; try again") from None
    run.log("update", from_step=step.name, data={"entity": link.entity, "record_id": target_id,
                                                  "set": sorted(values)})
    return target_id


def call(run, eff: Effect, step: Step) -> None:
    """Run the plugin action; a dict it returns is written to the record's fields."""
    name = eff.call
    action = run.store.types.workflow_actions.get(name)
    if action is None:
        raise error(f"插件动作「{name}」不存在(插件是否已安装?)",
                    f"no plugin workflow action '{name}' (is its plugin installed?)")
    env = run.env()
    params = {p: run.evaluate(text, env) for p, text in eff.call_with.items()}
    context = ActionContext(MappingProxyType(env), MappingProxyType(params), run.inst, step, run.actor,
                            run.now, run.store, run.conn)
    try:
        result = action(context)
    except DanbaoError:
        raise                              # meant for people already
    except Exception as e:                 # noqa: BLE001  (a plugin's bug: roll back, tell people which)
        log.exception("workflow action %s failed (instance %s, step %s)", name, run.inst.id, step.name)
        raise error(f"插件动作「{name}」执行失败,操作已撤销:{type(e).__name__}: {e}",
                    f"the plugin action '{name}' failed, nothing was changed: {type(e).__name__}: {e}") from None
    if result is not None and not isinstance(result, Mapping):
        raise error(f"插件动作「{name}」返回了无效结果", f"the plugin action '{name}' returned "
                    f"{type(result).__name__}, not a dict of fields or None")
    if result:
        run.write(dict(result))
    run.log("call", from_step=step.name, data={"action": name, "set": sorted(result or ())})
