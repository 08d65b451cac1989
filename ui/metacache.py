"""Parts of screens that depend only on the installed metadata (and the locale, which callers put
in their keys): labels, layouts, option lists, drawn HTML. Kept per compiled metadata object,
which core.metastore compiles once per installed version and process, so installing new metadata
starts afresh and nothing needs invalidating."""
from __future__ import annotations

from metadata.model import Metadata

_KEPT = 4               # metadata versions kept; older ones are no longer drawn
_CACHES: dict[int, tuple[Metadata, dict]] = {}


def parts(meta: Metadata) -> dict:
    """The cache of `meta`: a dict of parts by key."""
    hit = _CACHES.get(id(meta))
    if hit is None or hit[0] is not meta:
        if len(_CACHES) >= _KEPT:
            _CACHES.pop(next(iter(_CACHES)), None)
        hit = _CACHES[id(meta)] = (meta, {})
    return hit[1]


def cached(meta: Metadata, key: tuple, make):
    """The part `key` of `meta`, made by `make()` the first time."""
    cache = parts(meta)
    hit = cache.get(key)
    if hit is None:
        hit = cache[key] = make()
    return hit
