"""Dates on screens: Display.date gives Babel's text for the locale's pattern (the ISO-like Chinese
pattern is written without Babel, for speed: the text must stay the same)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import format_date

from ui.app import create_app
from ui.display import DATE_FORMATS, Display


def test_dates_are_babel_text_in_both_languages(engine):
    app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret"})
    days = [date(2026, 3, 15) + timedelta(days=d) for d in range(0, 800, 37)]
    days += [date(999, 1, 2), date(1, 12, 31), date(9999, 12, 31), datetime(2026, 3, 5, 9, 30)]
    with app.test_request_context("/"):
        for locale, lang in (("zh_CN", "zh"), ("en", "en")):
            display = Display(None, engine, None, locale=locale)
            for d in days:
                assert display.date(d) == format_date(d, DATE_FORMATS[lang], locale=locale), (locale, d)
