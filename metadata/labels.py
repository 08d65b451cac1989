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
