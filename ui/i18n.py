"""Interface language: Flask-Babel with Chinese (zh_CN) first and English complete.

- The locale comes from the session (`session["lang"]`), set by the language switch in the header
  (`POST /lang`). `Accept-Language` is deliberately ignored: staff read Chinese, so Chinese is the
  default until someone chooses English.
- Interface text goes through gettext with English msgids: `_("Sign in")` in Python and templates.
  Catalogs live in `ui/translations/<locale>/LC_MESSAGES/messages.po` (and the compiled `.mo`, both
  committed); see docs/ui.md for the extract/update/compile commands.
- Metadata labels (`{zh: …, en: …}`) follow the same locale: `lang()` gives "zh" or "en", and the
  Jinja global `text_of(label)` uses it.
- `translations(locale)` loads a catalog outside a request (e.g. `Display(locale="en")`).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Blueprint, has_request_context, redirect, request, session
from flask_babel import Babel, Domain
from jinja2 import pass_context
from markupsafe import Markup

from metadata.model import text_of as _text_of

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
TRANSLATIONS = Path(__file__).parent / "translations"
# The language switch shows each language in its own name.
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}

bp = Blueprint("i18n", __name__)


def N_(message: str) -> str:
    """Marks a msgid for extraction where it is translated later (e.g. by `translations(locale)`)."""
    return message


def select_locale() -> str:
    if has_request_context():
        chosen = session.get("lang")
        if chosen in LOCALES:
            return chosen
    return DEFAULT_LOCALE


def current_locale() -> str:
    """The request's locale as one of LOCALES ("zh_CN" or "en"); the default outside a request.
    (Babel itself calls Chinese "zh_Hans_CN"; Danbao's catalogs and settings say "zh_CN".)"""
    return select_locale()


class _Domain(Domain):
    """Flask-Babel's message domain, reading our catalogs by our locale names: Babel parses
    "zh_CN" as zh_Hans_CN, whose catalog gettext would look for under zh_Hans_CN/ and zh/."""

    def get_translations(self):
        return _catalog()


def _catalog():
    """The catalog of the request's locale; outside a request, none (the English msgids)."""
    if not has_request_context():
        return NullTranslations()
    return translations(current_locale())


@pass_context
def _template_gettext(context, string: str, **variables) -> str:
    """`_()` in templates, as Jinja's newstyle gettext does it (the translation is markup, then
    %-formatted with the variables, which are escaped), in one call instead of three through the
    template context and Flask-Babel's lookups in `g`: a page calls it a few dozen times."""
    rv = _catalog().ugettext(string)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables if variables or "%" in rv else rv     # without either, % changes nothing


def lang_of(locale: str | Locale | None) -> str:
    """"zh" or "en": the key of metadata labels for a locale."""
    return str(locale or DEFAULT_LOCALE).replace("-", "_").split("_")[0]


def lang() -> str:
    return lang_of(current_locale())


def text_of(label, locale: str | None = None) -> str:
    """A metadata label in the current locale (or `locale`), falling back to Chinese."""
    return _text_of(label, lang_of(locale) if locale else lang())


def message(m: dict | None) -> str:
    """A core `msg(zh, en)` message in the current language."""
    if not m:
        return ""
    return m.get(lang()) or m.get("zh") or next(iter(m.values()), "")


@lru_cache(maxsize=8)
def translations(locale: str) -> Translations:
    """The compiled catalog for `locale` (a null catalog, i.e. the English msgids, when missing)."""
    return Translations.load(str(TRANSLATIONS), [locale])


def _safe_next(target: str | None) -> str:
    from .auth import safe_next
    return safe_next(target)


@bp.route("/lang", methods=["POST"])
def switch():
    """Remember the chosen language in the session (kept across sign-in and sign-out). The header's
    buttons post here through HTMX, which then reloads the page; a plain form post (with `next`)
    is redirected back."""
    chosen = request.form.get("lang")
    if chosen in LOCALES:
        session["lang"] = chosen
    if request.headers.get("HX-Request"):
        return "", 200, {"HX-Refresh": "true"}
    return redirect(_safe_next(request.form.get("next")))


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel = Babel(app, locale_selector=select_locale)
    babel.__dict__["domain_instance"] = _Domain()      # overrides Flask-Babel's cached property
    app.jinja_env.globals["_"] = _template_gettext     # instead of Jinja's alias of `gettext`
    app.register_blueprint(bp)
    app.jinja_env.globals.update(text_of=text_of, current_locale=current_locale, lang=lang,
                                 LOCALES=LOCALES, LANGUAGE_NAMES=LANGUAGE_NAMES,
                                 html_lang=lambda: current_locale().replace("_", "-"))


# -- catalog maintenance: `python -m ui.i18n update` / `python -m ui.i18n check` -------------------
# The same extraction as `pybabel extract -F babel.cfg -o /tmp/messages.pot ui`, done in-process
# so that tests can check the catalogs against the code.

ROOT = Path(__file__).resolve().parent.parent
STAMP = __import__("datetime").datetime(2026, 1, 1)
HEADER = ("# Danbao interface text. msgids are English; update with `python -m ui.i18n update`,\n"
          "# translate the new entries, run it again (it compiles the .mo), commit .po and .mo.")


def extract():
    """Every msgid used in ui/ (Python and templates), as a babel Catalog (the .pot)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, str(ROOT / "babel.cfg"))
    pot = Catalog(project="danbao", fuzzy=False)
    ui = Path(__file__).resolve().parent
    for filename, lineno, msgid, comments, context in extract_from_dir(
            str(ui), method_map, options_map, keywords=DEFAULT_KEYWORDS):
        pot.add(msgid, None, [(f"ui/{filename}", lineno)], auto_comments=comments, context=context)
    return pot


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(locale: str):
    from babel.messages.pofile import read_po
    with open(po_path(locale), "rb") as f:
        return read_po(f, locale=locale)


def compile_mo(catalog) -> bytes:
    import io

    from babel.messages.mofile import write_mo
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def untranslated(catalog) -> list[str]:
    """msgids with an empty (or partly empty, for plurals) translation, or marked fuzzy."""
    missing = []
    for m in catalog:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, (list, tuple)) else [m.string]
        if m.fuzzy or not all(strings):
            missing.append(m.id if isinstance(m.id, str) else m.id[0])
    return missing


def update() -> dict[str, list[str]]:
    """Bring both catalogs up to date with the code: add new msgids (English: the msgid itself),
    mark unused ones obsolete (#~, kept for their translation), compile the .mo files. Returns the msgids still untranslated, per locale."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    pot = extract()
    result = {}
    for locale in LOCALES:
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = read_catalog(locale) if path.exists() else Catalog(locale=locale, project="danbao")
        catalog.update(pot, no_fuzzy_matching=True)     # unused entries are kept as obsolete (#~)
        catalog.fuzzy = False
        catalog.project, catalog.version = "danbao", "0"
        catalog.creation_date = catalog.revision_date = STAMP      # stable headers: no churn
        catalog.last_translator = catalog.language_team = "Danbao contributors"
        catalog.msgid_bugs_address = ""
        catalog.header_comment = HEADER
        if locale == "en":
            for m in catalog:
                if m.id and not (all(m.string) if isinstance(m.string, (list, tuple)) else m.string):
                    m.string = tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id
        with open(path, "wb") as f:
            write_po(f, catalog, width=100, sort_output=True, omit_header=False, include_previous=False)
        catalog = read_catalog(locale)
        path.with_suffix(".mo").write_bytes(compile_mo(catalog))
        result[locale] = untranslated(catalog)
    translations.cache_clear()
    return result


def _pairs(catalog) -> dict:
    def norm(x):
        return tuple(x) if isinstance(x, (list, tuple)) else x
    return {norm(m.id): norm(m.string) for m in catalog if m.id and not m.fuzzy}


def check() -> list[str]:
    """Problems with the catalogs: msgids in the code missing from a catalog, untranslated msgids,
    a .mo that is not the compiled .po."""
    from babel.messages.mofile import read_mo

    problems = []
    used = {m.id for m in extract() if m.id}
    for locale in LOCALES:
        catalog = read_catalog(locale)
        have = {m.id for m in catalog if m.id}
        problems += [f"{locale}: not in the catalog: {i!r}" for i in sorted(used - have, key=str)]
        problems += [f"{locale}: untranslated: {i!r}" for i in untranslated(catalog)]
        mo = po_path(locale).with_suffix(".mo")
        if not mo.exists():
            problems.append(f"{locale}: {mo.name} is missing: run `python -m ui.i18n update`")
            continue
        with open(mo, "rb") as f:
            compiled = read_mo(f)
        if _pairs(compiled) != _pairs(catalog):
            problems.append(f"{locale}: {mo.name} differs from messages.po: run `python -m ui.i18n update`")
    return problems


def main(argv=None) -> int:
    import sys
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["update"]:
        for locale, missing in update().items():
            for msgid in missing:
                print(f"{locale}: untranslated: {msgid}")
        return 0
    if args[:1] == ["check"]:
        problems = check()
        print("\n".join(problems) or "catalogs complete")
        return 1 if problems else 0
    print("usage: python -m ui.i18n update|check")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
