"""Sign-in and sign-out (Flask-Login), and a per-session CSRF token checked on every POST.

Templates put `{{ csrf_token() }}` in a hidden `csrf_token` field of every form; HTMX requests may
send it in the `X-CSRF-Token` header instead. A POST without the right token is refused with 400.
"""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)

from core.store import Actor
from core.users import authenticate, get_user

bp = Blueprint("auth", __name__)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class LoginUser(UserMixin):
    def __init__(self, user):
        self.user = user
        self.id = str(user.id)
        self.username, self.name, self.roles = user.username, user.name, user.roles

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.roles)


def csrf_token() -> str:
    token = session.get("csrf_token")
    if not token:
        token = session["csrf_token"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    if request.method in SAFE_METHODS:
        return
    expected = session.get("csrf_token")
    given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not expected or not hmac.compare_digest(str(expected), str(given)):
        abort(400, description="CSRF token missing or wrong: reload the page and try again. "
                               "(页面已过期,请刷新后重试)")


def init_app(app) -> None:
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.login_message = "请先登录"
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(user_id: str):
        if not user_id.isdigit():
            return None
        user = get_user(current_app.extensions["danbao"].engine, id=int(user_id))
        return LoginUser(user) if user and user.active else None

    manager.init_app(app)
    app.before_request(check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no '//' tricks)."""
    if not target:
        return url_for("views.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("views.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("views.home"))
    error = None
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        user = authenticate(current_app.extensions["danbao"].engine, username, password)
        if user is not None:
            target = _safe_next(request.form.get("next"))
            session.clear()  # a fresh session: no fixation
            login_user(LoginUser(user))
            csrf_token()
            return redirect(target)
        error = "用户名或密码错误"
    status = 401 if error else 200
    return render_template("login.html", error=error, username=username,
                           next=request.values.get("next", "")), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    session.clear()
    flash("已退出登录")
    return redirect(url_for("auth.login"))
