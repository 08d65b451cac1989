"""消息中心 (message center) screens: the inbox (unread first, read/unread filter, paged), a
message, compose (to users, departments, roles), sent messages, announcements with an
administrator's publish and withdraw, and the header's unread count — a small fragment HTMX
re-fetches every 60 seconds. The rules live in core/messages.py (docs/ui.md "Messages")."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import messages as core
from core.errors import NotFound, ValidationError
from core.users import list_users

from . import context
from .i18n import N_, message as text_message, text_of
from .workflow_view import active_users, display, name_of, now, record_titles

bp = Blueprint("messages", __name__)
PAGE = 20
SHOW = ("all", "unread", "read")
KIND_LABELS = {"message": N_("Message"), "task": N_("To do"), "warning": N_("Warning"), "reminder": N_("Reminder")}
KIND_BADGES = {"message": "", "task": "info", "warning": "danger", "reminder": "warning"}


def unread_count() -> int | None:
    """The signed-in user's unread messages, once per page (None: not signed in, or it failed)."""
    if "unread_messages" not in g:
        g.unread_messages = None
        try:
            if current_user.is_authenticated:
                g.unread_messages = core.unread_count(context.engine(), current_user.username)
        except Exception:  # noqa: BLE001 - the header must never break a page (error pages included)
            g.unread_messages = None
    return g.unread_messages


def _department_list():
    meta = context.meta()
    return meta.codelists.get("department") if meta is not None else None


def _link(m: core.Message) -> str | None:
    """Where a message leads: a warning to 我的预警, anything about a record to the record (its
    workflow panel holds the task)."""
    meta = context.meta()
    if m.entity and meta is not None and m.entity in meta.entities and m.record_id:
        return url_for("records.record_view", entity_name=m.entity, record_id=m.record_id)
    if m.kind == "warning":
        return url_for("warnings.my_warnings")
    return None


def label(value) -> str:
    """A message's subject: a user's plain text, or a system message's {zh, en} in the user's language."""
    return value if isinstance(value, str) else text_of(value or {"zh": ""})


def _items(rows: list[core.Message]) -> list[dict]:
    titles = record_titles(display(), [r for r in rows if r.entity]) if context.meta() is not None else {}
    return [{"m": r, "subject": label(r.subject), "kind": _(KIND_LABELS.get(r.kind, r.kind)),
             "badge": KIND_BADGES.get(r.kind, ""), "sender": name_of(r.sender) or _("System"),
             "record": titles.get((r.entity, r.record_id)), "url": _link(r), "to": _audience(r.audience)} for r in rows]


def _audience(audience: dict | None) -> str:
    """Whom a message was addressed to, as the sender chose them."""
    if not audience:
        return ""
    depts = _department_list()
    names = [name_of(u) for u in audience.get("users", ())]
    for code in audience.get("departments", ()):
        item = depts.get(code) if depts is not None else None
        names.append(text_of(item.label) if item is not None else code)
    names += list(audience.get("roles", ()))
    return _(", ").join(names)


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@bp.route("/messages")
@login_required
def inbox():
    show = request.args.get("show") if request.args.get("show") in SHOW else "all"
    page = core.inbox(context.engine(), current_user.username, show=show, page=_page(), size=PAGE)
    return render_template("messages/inbox.html", items=_items(page.items), page=page, show=show, tab="inbox")


@bp.route("/messages/sent")
@login_required
def sent():
    page = core.sent(context.engine(), current_user.username, page=_page(), size=PAGE)
    return render_template("messages/inbox.html", items=_items(page.items), page=page, show="all", tab="sent")


@bp.route("/messages/<int:message_id>")
@login_required
def view(message_id: int):
    try:
        m = core.read(context.engine(), message_id, current_user.username, now())
    except NotFound:
        abort(404)
    to = core.recipients_of(context.engine(), message_id) if m.sender == current_user.username else []
    [item] = _items([m])
    body = m.body if isinstance(m.body, str) else None
    level = m.body.get("level") if isinstance(m.body, dict) else None
    return render_template("messages/view.html", it=item, body=body, level=level,
                           to=[(name_of(u), at) for u, at in to])


@bp.route("/messages/<int:message_id>/unread", methods=["POST"])
@login_required
def mark_unread(message_id: int):
    core.mark(context.engine(), [message_id], current_user.username, None)
    return redirect(url_for("messages.inbox"))


@bp.route("/messages/read-all", methods=["POST"])
@login_required
def read_all():
    n = core.mark(context.engine(), None, current_user.username, now())
    flash(_("%(n)s message(s) marked read.", n=n), "info")
    return redirect(url_for("messages.inbox"))


@bp.route("/messages/count")
@login_required
def count():
    """The header's unread count, re-fetched by HTMX every 60 seconds (messages/count.html)."""
    return render_template("messages/count.html")


def _choices() -> dict:
    depts = _department_list()
    roles = sorted({r for u in list_users(context.engine()) if u.active for r in u.roles})
    return {"users": active_users(exclude=current_user.username),
            "departments": [(i.code, text_of(i.label), 0 if i.parent is None else 1) for i in _walk(depts)] if depts else [],
            "roles": roles}


def _walk(codelist, parent=None):
    for item in codelist.children(parent):
        if item.active:
            yield item
            yield from _walk(codelist, item.code)


@bp.route("/messages/new", methods=["GET", "POST"])
@login_required
def compose():
    form = {"users": request.values.getlist("users"), "departments": request.values.getlist("departments"),
            "roles": request.values.getlist("roles"), "subject": request.form.get("subject", ""),
            "body": request.form.get("body", "")}
    errors = {}
    if request.method == "POST":
        try:
            core.send(context.engine(), sender=current_user.username, subject=form["subject"], body=form["body"],
                      now=now(), users=form["users"], departments=form["departments"], roles=form["roles"],
                      departments_list=_department_list())
            flash(_("The message is sent."), "info")
            return redirect(url_for("messages.sent"))
        except ValidationError as e:
            errors = {k: text_message(v[0]) for k, v in e.errors.items()}
    status = 422 if errors else 200
    return render_template("messages/compose.html", form=form, errors=errors, **_choices()), status


# -- announcements ----------------------------------------------------------------------------

def _when(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.route("/announcements", methods=["GET", "POST"])
@login_required
def announcements():
    admin = core.can_publish(current_user.actor.roles)
    form, errors = {}, {}
    if request.method == "POST":
        if not admin:
            abort(403)
        form = {k: request.form.get(k, "") for k in ("title", "body", "published_at", "expires_at")}
        bad = {k: _("Enter a date and time.") for k in ("published_at", "expires_at") if form[k] and not _when(form[k])}
        try:
            if bad:
                raise ValidationError({k: [{"zh": v, "en": v}] for k, v in bad.items()})
            core.publish(context.engine(), author=current_user.username, roles=current_user.actor.roles,
                         title=form["title"], body=form["body"], now=now(), published_at=_when(form["published_at"]),
                         expires_at=_when(form["expires_at"]))
            flash(_("The announcement is published."), "info")
            return redirect(url_for("messages.announcements"))
        except ValidationError as e:
            errors = {k: text_message(v[0]) for k, v in e.errors.items()}
    at = now()
    rows = core.announcements(context.engine(), at, everything=admin)
    items = [{"a": a, "author": name_of(a.author),
              "live": a.published_at <= at and (a.expires_at is None or a.expires_at > at)} for a in rows]
    return render_template("messages/announcements.html", items=items, admin=admin, form=form, errors=errors), \
        (422 if errors else 200)


@bp.route("/announcements/<int:announcement_id>/withdraw", methods=["POST"])
@login_required
def withdraw(announcement_id: int):
    if not core.can_publish(current_user.actor.roles):
        abort(403)
    try:
        core.withdraw(context.engine(), announcement_id, roles=current_user.actor.roles, now=now())
    except NotFound:
        abort(404)
    flash(_("The announcement is withdrawn."), "info")
    return redirect(url_for("messages.announcements"))
