"""The workflow lists: 待办 (to do), 已办 (done), 我发起的 (started by me), 抄送我的 (CC'd to me), and
the counts the navigation shows beside them. Each list is the engine's read (Workflows.todo,
done_by, started_by, cc_to: the newest 100) laid out as one table; titles, names and step labels
are looked up once per page. See docs/ui.md ("Workflow screens")."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, select

from core.db import wf_tasks
from core.workflow import Instance, Task
from core.workflow.model import from_row

from . import context
from .i18n import N_, text_of
from .workflow_labels import STATE_BADGES, action_label, is_vote, origin_label, state_label, step_label
from .workflow_view import Definitions, display, name_of, now, record_titles, task, workflows

bp = Blueprint("flow_lists", __name__, url_prefix="/flow")
LISTS = {"todo": N_("To do"), "done": N_("Done"), "started": N_("Started by me"), "cc": N_("CC'd to me")}


def nav_counts() -> dict | None:
    """{todo, cc, started} for the signed-in user's navigation, once per page; None when no workflow
    is installed (the navigation then shows no workflow links)."""
    if "flow_counts" not in g:
        g.flow_counts = None
        try:
            meta = context.meta()
            if current_user.is_authenticated and meta is not None and meta.kinds.get("workflows"):
                g.flow_counts = workflows().counts(current_user.username)
        except Exception:  # noqa: BLE001 - the navigation must never break a page (error pages included)
            g.flow_counts = None
    return g.flow_counts


def _record_url(inst: Instance) -> str:
    return url_for("records.record_view", entity_name=inst.entity, record_id=inst.record_id)


def _due(t: Task, at) -> dict:
    return {"due": t.due_at, "overdue": bool(t.due_at and t.due_at < at)}


def _base(inst: Instance, defs: Definitions, titles: dict) -> dict:
    wf = defs.of(inst)
    return {"instance": inst, "title": titles.get((inst.entity, inst.record_id), f"#{inst.record_id}"),
            "url": _record_url(inst), "workflow": text_of(wf.label), "step": step_label(wf, inst.step),
            "state": inst.state, "state_label": state_label(inst.state),
            "state_badge": STATE_BADGES.get(inst.state, ""), "initiator": name_of(inst.initiator),
            "started_at": inst.started_at}


def _holders(instances: list[Instance]) -> dict[int, list[Task]]:
    """The open tasks of each running instance's current step (who holds it), in one query."""
    running = {i.id: i for i in instances if i.running}
    if not running:
        return {}
    with context.engine().connect() as c:
        rows = c.execute(select(wf_tasks).where(and_(wf_tasks.c.instance_id.in_(running), wf_tasks.c.state == "open",
                                                     wf_tasks.c.kind != "cc")).order_by(wf_tasks.c.seq, wf_tasks.c.id))
        tasks = [from_row(Task, r) for r in rows]
    out: dict[int, list[Task]] = {}
    for t in tasks:
        inst = running[t.instance_id]
        if t.step == inst.step and t.round == inst.round:
            out.setdefault(t.instance_id, []).append(t)
    return out


def _rows(kind: str, username: str) -> list[dict]:
    wf = workflows()
    defs = Definitions(wf)
    disp = display()
    at = now()
    if kind == "started":
        instances = wf.started_by(username)
        titles = record_titles(disp, instances)
        holders = _holders(instances)
        rows = []
        for inst in instances:
            held = holders.get(inst.id, [])
            first = min((t.created_at for t in held), default=None)
            due = min((t.due_at for t in held if t.due_at), default=None)
            rows.append({**_base(inst, defs, titles), "holders": ", ".join(name_of(t.assignee) for t in held),
                         "since": first, "due": due, "overdue": bool(due and due < at)})
        return rows
    items = {"todo": wf.todo, "done": wf.done_by, "cc": wf.cc_to}[kind](username)
    titles = record_titles(disp, [i.instance for i in items])
    rows = []
    for item in items:
        t, inst = item.task, item.instance
        row = {**_base(inst, defs, titles), "task": t, "task_step": step_label(defs.of(inst), t.step),
               "since": t.created_at, "origin": origin_label(t.origin), **_due(t, at)}
        if kind == "todo":
            # a standing proxy's row names the absent assignee; a `remind` deadline marks the task reminded
            row["behalf_of"] = name_of(item.on_behalf_of)
            row["reminded"] = t.reminded_at is not None
        if kind == "done":
            row["action"] = action_label(t.action, is_vote(defs.of(inst), t.step))
            row["acted_at"] = t.acted_at
        if kind == "cc":
            row["from"] = name_of(t.added_by)
            row["unread"] = t.state == "open"
            row["url"] = url_for("flow_lists.cc_open", task_id=t.id)
        rows.append(row)
    return rows


def _page(kind: str):
    rows = _rows(kind, current_user.username)
    return render_template("flow/list.html", kind=kind, heading=_(LISTS[kind]), rows=rows, disp=display())


def _list_view(kind: str):
    def view():
        return _page(kind)
    view.__name__ = kind
    return login_required(view)


for _kind in LISTS:     # /flow/todo, /flow/done, /flow/started, /flow/cc (endpoints flow_lists.<kind>)
    bp.add_url_rule(f"/{_kind}", _kind, _list_view(_kind))


@bp.route("/cc/<int:task_id>/open")
@login_required
def cc_open(task_id: int):
    """Open a CC'd record: the CC is marked read (the engine's `read` action), then the record."""
    t = task(task_id)
    if t is None or t.kind != "cc" or t.assignee != current_user.username:
        abort(404)
    wf = workflows()
    if t.state == "open":
        wf.act(t.id, current_user.actor, "read")
    return redirect(_record_url(wf.instance(t.instance_id)))
