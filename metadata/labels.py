"""Labels: a plain string or a map by locale, normalised to a map."""
from __future__ import annotations

from types import MappingProxyType


def label(value, default: str | None = None):
    """Normalise a label to a read-only {locale: text} map; None when absent and no default."""
    if value is None:
        return MappingProxyType({"zh": default}) if default is not None else None
    if isinstance(value, str):
        return MappingProxyType({"zh": value})
    return MappingProxyType(dict(value))


LABEL_KEYS = {"label", "title", "description", "help", "placeholder", "message", "pattern_message"}


def overlay_value(key: str, old, new):
    """An overlay's new value for `key`: labels merge per locale ({zh: …} keeps the old en)."""
    if key in LABEL_KEYS and isinstance(new, dict):
        base = {"zh": old} if isinstance(old, str) else dict(old or {})
        return {**base, **new}
    return new
