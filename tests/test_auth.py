"""Sign-in hardening over real HTTP: CSRF (forms and HTMX), lock-out, session expiry, remember-me,
cookie flags, security headers, HTMX error fragments, the vendored htmx."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.users import get_user, set_password, sign_in
from ui.app import create_app

from .test_app import app, client, login, text, token  # noqa: F401 - fixtures

TEMPLATES = Path(__file__).resolve().parent.parent / "ui" / "templates"
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/e/customer"}


def cookies(resp) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    return {h.split("=", 1)[0]: h for h in resp.headers.getlist("Set-Cookie")}


# -- CSRF ---------------------------------------------------------------------------------------

def test_form_post_without_token_gets_a_friendly_400(client):
    client.get("/login")
    resp = client.post("/login", data={"username": "li", "password": "right-pass"})
    assert resp.status_code == 400
    page = text(resp)
    assert "<html" in page and "CSRF" in page and "刷新" in page and "Traceback" not in page
    assert client.get("/").status_code == 302                      # not signed in


def test_htmx_post_needs_the_header(client):
    login(client)
    resp = client.post("/lang", data={"lang": "en"}, headers=HTMX)
    assert resp.status_code == 400
    assert "<html" not in text(resp) and 'class="alert error"' in text(resp)   # a fragment
    assert resp.headers["HX-Retarget"] == "#alerts" and resp.headers["HX-Reswap"] == "innerHTML"
    assert "退出" in text(client.get("/"))                        # still Chinese: nothing changed
    tok = token(client, "/")
    resp = client.post("/lang", data={"lang": "en"}, headers={**HTMX, "X-CSRFToken": tok})
    assert resp.status_code == 200 and resp.headers["HX-Refresh"] == "true"
    assert "Sign out" in text(client.get("/"))
    assert client.post("/lang", data={"lang": "zh_CN"}, headers={**HTMX, "X-CSRFToken": "forged"}).status_code == 400


def test_every_state_changing_method_is_checked(app, client):
    @app.route("/echo", methods=["PUT", "PATCH", "DELETE", "POST"])
    def echo():
        return "done"

    login(client)
    tok = token(client, "/")
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/echo").status_code == 400
        assert getattr(client, method)("/echo", headers={"X-CSRFToken": tok}).get_data(as_text=True) == "done"


def test_the_page_puts_the_token_in_htmx_headers(client):
    login(client)
    html = text(client.get("/"))
    tok = token(client, "/")
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"" + re.escape(tok) + r"\"\}'>", html)


def test_sign_out_with_the_header(client):
    login(client)
    tok = token(client, "/")
    assert client.post("/logout", headers={"X-CSRFToken": tok}).status_code == 302
    assert client.get("/").status_code == 302


# -- lock-out -----------------------------------------------------------------------------------

def test_five_failures_lock_the_account_for_fifteen_minutes(app, client, clock, engine):
    for _ in range(4):
        assert login(client, password="wrong-pass").status_code == 401
    resp = login(client, password="wrong-pass")                    # the fifth
    assert resp.status_code == 429 and "锁定" in text(resp)
    resp = login(client)                                          # even the right password
    assert resp.status_code == 429 and client.get("/").status_code == 302
    clock.advance(minutes=14)
    assert login(client).status_code == 429
    clock.advance(minutes=1, seconds=1)
    assert login(client).status_code == 302                       # the lock has lifted
    assert client.get("/").status_code == 200


def test_a_success_resets_the_count(engine, clock):
    from core.users import create_user
    create_user(engine, "zhao", name="赵", password="right-pass")
    for _ in range(4):
        assert sign_in(engine, "zhao", "nope", now=clock.now()).user is None
    assert sign_in(engine, "zhao", "right-pass", now=clock.now()).user.username == "zhao"
    for _ in range(4):
        assert sign_in(engine, "zhao", "nope", now=clock.now()).locked_until is None
    assert sign_in(engine, "zhao", "nope", now=clock.now()).locked_until is not None
    set_password(engine, "zhao", "new-pass1")                     # a reset lifts the lock
    assert sign_in(engine, "zhao", "new-pass1", now=clock.now()).user is not None
    assert get_user(engine, username="zhao") is not None
    # unknown names are answered like wrong passwords, and never lock anything
    for _ in range(6):
        assert sign_in(engine, "ghost", "x", now=clock.now()) == sign_in(engine, "ghost", "x", now=clock.now())


# -- session life -------------------------------------------------------------------------------

def test_session_expires_after_eight_idle_hours(client, clock):
    login(client)
    clock.advance(hours=7, minutes=59)
    assert client.get("/").status_code == 200                     # activity restarts the period
    clock.advance(hours=7, minutes=59)
    assert client.get("/").status_code == 200
    clock.advance(hours=8, minutes=1)
    resp = client.get("/e/customer")
    assert resp.status_code == 302 and resp.location == "/login?next=/e/customer"
    assert "登录已超时" in text(client.get(resp.location))
    assert client.get("/").status_code == 302


def test_session_lifetime_is_configurable(engine, clock, app):
    short = create_app({"ENGINE": engine, "SECRET_KEY": "k", "CLOCK": clock, "PERMANENT_SESSION_LIFETIME": 600})
    c = short.test_client()
    login(c)
    clock.advance(minutes=9)
    assert c.get("/").status_code == 200
    clock.advance(minutes=11)
    assert c.get("/").status_code == 302


def test_expired_session_htmx_request_redirects_the_whole_page(client, clock):
    login(client)
    clock.advance(hours=9)
    resp = client.get("/e/customer", headers=HTMX)
    assert resp.status_code == 401 and resp.headers["HX-Redirect"] == "/login?next=/e/customer"


def test_remember_me_only_when_asked(client, clock):
    resp = login(client)
    assert "remember_token" not in cookies(resp)
    client.post("/logout", data={"csrf_token": token(client, "/")})
    resp = client.post("/login", data={"username": "li", "password": "right-pass", "remember": "1",
                                       "csrf_token": token(client)})
    cookie = cookies(resp)["remember_token"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    clock.advance(hours=20)                                       # idle, but remembered
    assert client.get("/").status_code == 200
    clock.advance(days=14)
    assert client.get("/").status_code == 302                     # the fortnight is over
    # sign-out forgets the remember cookie
    resp = client.post("/login", data={"username": "li", "password": "right-pass", "remember": "1",
                                       "csrf_token": token(client)})
    resp = client.post("/logout", data={"csrf_token": token(client, "/")})
    assert "remember_token=;" in cookies(resp)["remember_token"]


def test_cookie_flags(engine, clock, app):
    resp = login(app.test_client())
    session_cookie = cookies(resp)["session"]
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie and "Secure" not in session_cookie
    secure = create_app({"ENGINE": engine, "SECRET_KEY": "k", "CLOCK": clock, "SESSION_COOKIE_SECURE": True})
    c = secure.test_client()
    resp = c.post("/login", data={"username": "li", "password": "right-pass", "remember": "1",
                                  "csrf_token": token(c)})
    assert all("Secure" in v and "HttpOnly" in v for v in cookies(resp).values())


# -- headers, errors, assets ---------------------------------------------------------------------

def test_security_headers(client):
    for resp in (client.get("/login"), client.get("/nowhere"), client.get("/static/danbao.css")):
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "frame-ancestors 'self'" in csp and "unsafe-inline" not in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_htmx_errors_are_fragments(app, client):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    login(client)
    for path, code, words in (("/nowhere", 404, "页面不存在"), ("/e/memo", 403, "没有权限"),
                              ("/boom", 500, "系统错误")):
        resp = client.get(path, headers=HTMX)
        body = text(resp)
        assert resp.status_code == code and words in body and "<html" not in body
        assert "secret internals" not in body and "Traceback" not in body
        assert resp.headers["HX-Retarget"] == "#alerts"
    assert "<html" in text(client.get("/nowhere"))                # a whole page otherwise
    resp = client.get("/logout")
    assert resp.status_code == 405 and "不支持的操作" in text(resp)


def test_vendored_htmx_is_served_and_loaded(client):
    resp = client.get("/static/vendor/htmx.min.js")
    assert resp.status_code == 200 and "htmx" in text(resp) and len(resp.data) > 30_000
    html = text(client.get("/login"))
    assert 'src="/static/vendor/htmx.min.js"' in html and 'src="/static/danbao.js"' in html
    assert '"includeIndicatorStyles": false' in html
    assert client.get("/static/danbao.js").status_code == 200


def test_templates_use_no_external_urls_inline_scripts_or_styles():
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        src = path.read_text(encoding="utf-8")
        for pattern, what in ((r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", "external URL"),
                              (r"<script(?![^>]*\bsrc=)[^>]*>", "inline script"),
                              (r"<style", "inline style sheet"),
                              (r"\sstyle\s*=", "style attribute (the CSP blocks it)"),
                              (r"\son[a-z]+\s*=\s*[\"']", "inline event handler (the CSP blocks it)"),
                              (r"hx-on", "hx-on (needs eval)")):
            for m in re.finditer(pattern, src, re.IGNORECASE):
                line = src.count("\n", 0, m.start()) + 1
                problems.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("target", ["/e/customer", "/e/customer?q=a&page=2"])
def test_sign_in_keeps_next(client, target):
    resp = client.get(target)
    assert resp.status_code == 302
    nxt = re.search(r"next=([^&]+)", resp.location).group(1)
    from urllib.parse import unquote
    assert unquote(nxt) == target
