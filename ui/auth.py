"""Sign-in and sign-out (Flask-Login), the session's life, and CSRF protection.

- **CSRF**: one random token per session. Every POST/PUT/PATCH/DELETE must carry it, in the form
  field `csrf_token` or in the `X-CSRFToken` header; it is checked here, centrally, before any view
  runs. Templates put `{{ csrf_token() }}` in a hidden field of each form, and base.html sets
  `hx-headers` on <body>, so every HTMX request sends the header without anything else to do.
- **Sign-in**: hashed passwords; `MAX_FAILURES` consecutive failures lock the account for
  `LOCK_MINUTES` (core.users.sign_in), measured on the injected clock (`CLOCK`).
- **Session**: it ends after `PERMANENT_SESSION_LIFETIME` (default 8 hours) without a request;
  each request starts the period again. Inactivity is measured on the injected clock too, so tests
  can move time. "Remember me" sets Flask-Login's remember cookie (`REMEMBER_COOKIE_DURATION`,
  default 14 days): the user stays signed in across browser restarts and idle periods until then.
- **Sign-out** is a POST (with the token) and clears the session and the remember cookie.
"""
from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime, gettext as _
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
    user_loaded_from_cookie,
)
from werkzeug.exceptions import BadRequest

from core.store import Actor
from core.users import get_user, sign_in

bp = Blueprint("auth", __name__)
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")
KEEP_ACROSS_SIGN_IN = ("lang",)     # session keys that survive sign-in and sign-out


class CSRFError(BadRequest):
    """A state-changing request without the session's token (answered with a friendly 400 page)."""
    description = "CSRF token missing or wrong"


class LoginUser(UserMixin):
    def __init__(self, user):
        self.user = user
        self.id = str(user.id)
        self.username, self.name, self.roles = user.username, user.name, user.roles

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.roles)


def csrf_token() -> str:
    """The session's CSRF token (created on first use)."""
    token = session.get("csrf_token")
    if not token:
        token = session["csrf_token"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    if request.method not in STATE_CHANGING:
        return
    expected = session.get("csrf_token")
    given = request.form.get("csrf_token") or next(
        (request.headers[h] for h in CSRF_HEADERS if request.headers.get(h)), "")
    if not expected or not hmac.compare_digest(str(expected).encode(), str(given).encode()):
        raise CSRFError()


def _now() -> datetime:
    return current_app.extensions["danbao"].clock.now()


def _clear_session(*, forget_remember: bool) -> None:
    kept = {k: session[k] for k in KEEP_ACROSS_SIGN_IN if k in session}
    session.clear()
    session.update(kept)
    if forget_remember:
        session["_remember"] = "clear"      # Flask-Login deletes the remember cookie


def _remember_duration() -> timedelta:
    d = current_app.config.get("REMEMBER_COOKIE_DURATION", timedelta(days=14))
    return d if isinstance(d, timedelta) else timedelta(seconds=int(d))


def check_session() -> None:
    """End a signed-in session after the configured time without requests (remember-me excepted)."""
    if request.endpoint == "static" or "_user_id" not in session:
        return None
    now = _now()
    seen = _parse(session.get("seen"))
    remember_until = _parse(session.get("remember_until"))
    idle = seen is not None and now - seen > current_app.permanent_session_lifetime
    remembered = remember_until is not None and now <= remember_until
    if (idle and not remembered) or (remember_until is not None and not remembered):
        logout_user()
        _clear_session(forget_remember=True)
        g.session_expired = True
        if request.method in STATE_CHANGING:
            return current_app.login_manager.unauthorized()
        return None
    session["seen"] = now.isoformat()
    session.permanent = True
    return None


def _parse(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no '//' tricks); else the home page."""
    if not target:
        return url_for("views.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("views.home")
    return target


_safe_next = safe_next   # older name


def _unauthorized():
    """Not signed in: a redirect to the sign-in page (for HTMX, an HX-Redirect of the whole page)."""
    if getattr(g, "session_expired", False):
        flash(_("Your session has expired: please sign in again."), "info")
    else:
        flash(_("Please sign in to continue."), "info")
    if request.headers.get("HX-Request"):
        # an HTMX request cannot follow a redirect to a whole page: ask HTMX to load it instead
        here = urlsplit(request.headers.get("HX-Current-URL") or "")
        nxt = here.path + (f"?{here.query}" if here.query else "") if here.path else None
        resp = make_response("", 401)
        resp.headers["HX-Redirect"] = url_for("auth.login", next=nxt) if nxt else url_for("auth.login")
        return resp
    nxt = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=nxt) if nxt else url_for("auth.login"))


def init_app(app) -> None:
    # PERMANENT_SESSION_LIFETIME (8 hours) is set by the app factory: Flask has its own default
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=14))
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_SECURE", bool(app.config.get("SESSION_COOKIE_SECURE")))
    app.config.setdefault("SESSION_REFRESH_EACH_REQUEST", True)

    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.session_protection = "strong"
    manager.unauthorized_handler(_unauthorized)

    @manager.user_loader
    def load_user(user_id: str):
        if not user_id.isdigit():
            return None
        user = get_user(current_app.extensions["danbao"].engine, id=int(user_id))
        return LoginUser(user) if user and user.active else None

    manager.init_app(app)

    @user_loaded_from_cookie.connect_via(app)
    def _from_cookie(sender, user=None, **extra):
        now = _now()
        session["seen"] = now.isoformat()
        session["remember_until"] = (now + _remember_duration()).isoformat()
        session.permanent = True

    app.before_request(check_session)
    app.before_request(check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("views.home"))
    error = None
    status = 200
    username = ""
    remember = False
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        remember = request.form.get("remember") in ("1", "on", "true", "yes")
        now = _now()
        result = sign_in(current_app.extensions["danbao"].engine, username, password, now=now)
        if result.user is not None:
            target = safe_next(request.form.get("next"))
            _clear_session(forget_remember=False)      # a fresh session: no fixation
            session.permanent = True
            session["seen"] = now.isoformat()
            if remember:
                session["remember_until"] = (now + _remember_duration()).isoformat()
            login_user(LoginUser(result.user), remember=remember, duration=_remember_duration())
            csrf_token()
            return redirect(target)
        if result.locked_until is not None:
            error = _("Too many failed sign-ins: this account is locked until %(time)s.",
                      time=format_datetime(result.locked_until, "short"))
            status = 429
        else:
            error = _("Wrong user name or password.")
            status = 401
    return render_template("login.html", error=error, username=username, remember=remember,
                           next=request.values.get("next", "")), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    _clear_session(forget_remember=True)
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
