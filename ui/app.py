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
"""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from core import metastore
from core.clock import Clock
from core.db import make_engine
from core.errors import DanbaoError, NotFound, PermissionDenied

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
        reg = self.registry
        return metastore.current(self.engine, field_types=reg.storage, functions=reg.function_names)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(PAGE_SIZE=20, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.config.get("INSTANCE_DIR", "instance")))
    engine = app.config.get("ENGINE") or make_engine(app.config.get("DATABASE_URL"))
    registry = app.config.get("REGISTRY")
    if registry is None:
        from plugins.manager import build_registry
        registry = build_registry()
    app.extensions["danbao"] = Danbao(engine, app.config.get("CLOCK") or Clock(), registry)

    from . import auth, context, lists, records, views
    from metadata.model import text_of
    auth.init_app(app)
    for module in (auth, views, lists, records):
        app.register_blueprint(module.bp)
    app.jinja_env.globals.update(text_of=text_of, nav_entities=context.nav_entities)
    _error_handlers(app)
    return app


_TITLES = {
    400: ("请求无效", "The request could not be handled."),
    403: ("没有权限", "You may not see this page."),
    404: ("页面不存在", "The page or record does not exist."),
    405: ("不支持的操作", "This action is not allowed here."),
    500: ("系统错误", "Something went wrong on our side; it has been logged."),
}


def _error_page(code: int, detail: str | None = None):
    zh, en = _TITLES.get(code, _TITLES[500])
    return render_template("error.html", code=code, title=zh, title_en=en, detail=detail), code


def _error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        code = e.code or 500
        detail = e.description if code == 400 and isinstance(e.description, str) and \
            e.description.startswith("CSRF") else None
        if code not in _TITLES:
            return e
        return _error_page(code, detail)

    @app.errorhandler(NotFound)
    def not_found(e: NotFound):
        return _error_page(404, e.message["zh"])

    @app.errorhandler(PermissionDenied)
    def forbidden(e: PermissionDenied):
        return _error_page(403, e.message["zh"])

    @app.errorhandler(DanbaoError)
    def danbao_error(e: DanbaoError):
        return _error_page(400, e.message["zh"])

    @app.errorhandler(Exception)
    def crash(e: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error_page(500)
