"""The Flask application factory.

    app = create_app({"DATABASE_URL": "sqlite:///…", "SECRET_KEY": "…"})

Nothing happens at import time. Configuration keys (all optional):

- `DATABASE_URL`: the database; default $DANBAO_DATABASE_URL, else ./instance/danbao.sqlite
- `ENGINE`: an existing SQLAlchemy engine (tests), instead of `DATABASE_URL`
- `SECRET_KEY`: signs the session cookie; default $DANBAO_SECRET_KEY, else a random key kept in
  ./instance/secret_key so sessions survive a restart
- `CLOCK`: a `core.clock.Clock` (tests inject a fixed one)
- `REGISTRY`: the plugin registry (default: every installed plugin, `plugins.manager.build_registry()`)
- `PAGE_SIZE`: rows per list page (default 20)
- `PERMANENT_SESSION_LIFETIME`: sign-out after this long without a request (default 8 hours)
- `REMEMBER_COOKIE_DURATION`: how long "remember me" lasts (default 14 days)
- `SCHEDULER`: run the daily jobs in the app (core/scheduler.py): True, or {job: "HH:MM" | "<n>m"};
  default $DANBAO_SCHEDULER ("1", or "warnings_scan=02:00,flow_deadlines=15m"); off: cron runs them
- `SESSION_COOKIE_SECURE`: set it (behind HTTPS) to send the session and remember cookies only over
  HTTPS; default $DANBAO_SECURE_COOKIES == "1"

Every response carries security headers (`SECURITY_HEADERS`, a Content-Security-Policy that allows
only this site's own scripts and styles); errors are answered with friendly pages in the user's
language, or with a small alert fragment for HTMX requests — never with a stack trace.
"""
from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_htmx import HTMX
from werkzeug.exceptions import HTTPException

from core import metastore
from core.clock import Clock
from core.db import make_engine
from core.errors import DanbaoError, NotFound, PermissionDenied

from .i18n import N_

log = logging.getLogger("danbao")


def _secret_key(instance: Path) -> str:
    key = os.environ.get("DANBAO_SECRET_KEY")
    if key:
        return key
    path = instance / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    try:
        path.chmod(0o600)
    except OSError:  # pragma: no cover - e.g. on some Windows file systems
        pass
    return key


class Danbao:
    """What the views need: the engine and the clock (kept in app.extensions['danbao'])."""

    def __init__(self, engine, clock: Clock, registry):
        self.engine, self.clock, self.registry = engine, clock, registry

    def installed(self):
        return metastore.current(self.engine, **self.registry.checks())


SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "font-src 'self'; connect-src 'self'; object-src 'self'; frame-src 'self'; "
        "frame-ancestors 'self'; base-uri 'self'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(PAGE_SIZE=20, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=os.environ.get("DANBAO_SECURE_COOKIES") == "1",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=8), SECURITY_HEADERS=dict(SECURITY_HEADERS))
    app.config.update(config or {})
    app.config.setdefault("REMEMBER_COOKIE_SECURE", bool(app.config["SESSION_COOKIE_SECURE"]))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.config.get("INSTANCE_DIR", "instance")))
    engine = app.config.get("ENGINE") or make_engine(app.config.get("DATABASE_URL"))
    registry = app.config.get("REGISTRY")
    if registry is None:
        from plugins.manager import build_registry
        registry = build_registry()
    app.extensions["danbao"] = Danbao(engine, app.config.get("CLOCK") or Clock(), registry)
    HTMX(app)

    from . import (auth, context, files, i18n, lists, record_documents, records, related, required_documents,
                   scoring_view, studio, views, workflow, workflow_committee, workflow_files, workflow_lists,
                   workflow_proxies)
    from .workflow_view import enabled
    i18n.init_app(app)
    auth.init_app(app)
    for module in (auth, views, lists, records, files, workflow, workflow_files, workflow_lists, workflow_committee,
                   workflow_proxies, related, record_documents, required_documents, scoring_view, studio):
        app.register_blueprint(module.bp)
    from . import warnings as warnings_screen  # 我的预警 (docs/rules.md)
    app.register_blueprint(warnings_screen.bp)
    from . import regulatory  # 监管指标 (docs/regulatory.md)
    app.register_blueprint(regulatory.bp)
    from . import messages as messages_screen  # 消息中心 (docs/ui.md "Messages")
    app.register_blueprint(messages_screen.bp)
    from . import (studio_access, studio_codelists, studio_draft, studio_entities, studio_formula,  # the studio
                   studio_forms, studio_menus, studio_products, studio_rules, studio_scorecard_formula,
                   studio_scorecards, studio_workflows)                                          # (docs/studio.md)
    for module in (studio_draft, studio_entities, studio_codelists, studio_formula, studio_forms, studio_products,
                   studio_workflows, studio_scorecards, studio_scorecard_formula, studio_rules, studio_menus,
                   studio_access):
        app.register_blueprint(module.bp)
    app.jinja_env.globals["unread_messages"] = messages_screen.unread_count
    # the navigation's workflow counts (once per page) and whether a record page has a workflow panel
    app.jinja_env.globals.update(nav_groups=context.nav_groups, flow_counts=workflow_lists.nav_counts,
                                 flow_enabled=enabled)
    app.after_request(_security_headers)
    _error_handlers(app)
    _scheduler(app, engine, registry)
    return app


def _scheduler(app: Flask, engine, registry) -> None:
    """The optional in-app scheduler (core/scheduler.py): config SCHEDULER — True, or a schedule
    {job: "HH:MM" | "<n>m"} — else the environment's DANBAO_SCHEDULER ("1", or
    "warnings_scan=02:00,flow_deadlines=15m"). Off by default: cron runs the same jobs."""
    setting = app.config.get("SCHEDULER", os.environ.get("DANBAO_SCHEDULER"))
    if not setting or setting in ("0", "false"):
        return
    from core.scheduler import Scheduler, standard_jobs
    schedule = None
    if isinstance(setting, dict):
        schedule = setting
    elif isinstance(setting, str) and "=" in setting:
        schedule = dict(part.strip().split("=", 1) for part in setting.split(",") if part.strip())
    scheduler = Scheduler(engine, standard_jobs(engine, registry, schedule), app.extensions["danbao"].clock)
    app.extensions["danbao_scheduler"] = scheduler
    scheduler.start(float(app.config.get("SCHEDULER_TICK", 60)))


def _security_headers(resp):
    for name, value in current_app.config["SECURITY_HEADERS"].items():
        resp.headers.setdefault(name, value)
    if resp.mimetype == "text/html" and "Cache-Control" not in resp.headers:
        resp.headers["Cache-Control"] = "no-store"     # business data is not kept in shared caches
    return resp


_TITLES = {
    400: N_("The request could not be handled"),
    403: N_("Access denied"),
    404: N_("Page not found"),
    405: N_("Action not allowed"),
    413: N_("Too large"),
    500: N_("System error"),
}
_DETAILS = {
    400: N_("Please check what you entered and try again."),
    403: N_("You do not have permission to see this page."),
    404: N_("The page or record does not exist."),
    405: N_("This action is not allowed here."),
    413: N_("What was sent is larger than allowed."),
    500: N_("Something went wrong on our side. It has been logged; please try again later."),
}


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _error_page(code: int, detail: str | None = None):
    """The friendly page (or, for HTMX, an alert fragment shown in the page's #alerts box)."""
    code = code if code in _TITLES else 500
    title, detail = _(_TITLES[code]), detail or _(_DETAILS[code])
    if _is_htmx():
        html = render_template("error_fragment.html", code=code, title=title, detail=detail)
        return html, code, {"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML"}
    return render_template("error.html", code=code, title=title, detail=detail), code


def _error_handlers(app: Flask) -> None:
    from .auth import CSRFError
    from .i18n import message

    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError):
        return _error_page(400, _("The page has expired or the form did not come from this site "
                                  "(CSRF check failed). Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        code = e.code or 500
        if code < 400 or code not in _TITLES:
            return e
        return _error_page(code)

    @app.errorhandler(NotFound)
    def not_found(e: NotFound):
        return _error_page(404, message(e.message))

    @app.errorhandler(PermissionDenied)
    def forbidden(e: PermissionDenied):
        return _error_page(403, message(e.message))

    @app.errorhandler(DanbaoError)
    def danbao_error(e: DanbaoError):
        return _error_page(400, message(e.message))

    @app.errorhandler(Exception)
    def crash(e: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        try:
            return _error_page(500)
        except Exception:  # noqa: BLE001 - even the error page failed: a plain answer, never a trace
            log.exception("the error page failed too")
            return "500 Internal Server Error", 500, {"Content-Type": "text/plain; charset=utf-8"}
