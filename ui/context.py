"""What every screen needs from the request: the installed metadata, a store for the signed-in
user, the entities they may read."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, g, request, url_for
from flask_login import current_user

from core.errors import PermissionDenied, msg
from core.store import Store
from metadata.model import Entity, Metadata, text_of as label_in

from .i18n import current_locale, text_of
from .metacache import cached


def installed():
    if "installed" not in g:
        g.installed = current_app.extensions["danbao"].installed()
    return g.installed


def meta() -> Metadata | None:
    inst = installed()
    return inst.meta if inst else None


def engine():
    return current_app.extensions["danbao"].engine


def types():
    return current_app.extensions["danbao"].registry


def store() -> Store:
    inst = installed()
    ext = current_app.extensions["danbao"]
    return Store(ext.engine, inst.meta, clock=ext.clock, registry=ext.registry, meta_version=inst.version)


def readable(m: Metadata | None) -> list[Entity]:
    if m is None or not current_user.is_authenticated:
        return []
    s = store()
    actor = current_user.actor
    return sorted((e for e in m.entities.values() if s.allowed(actor, "read", e)),
                  key=lambda e: (e.pack, text_of(e.label)))


@dataclass(frozen=True)
class NavLink:
    name: str       # the entity
    href: str
    text: str


def nav_entities() -> list[NavLink]:
    """The navigation's links to the entities the user may read, in order; drawn once per metadata
    version, roles, locale and script root (every page shows them)."""
    try:
        m = meta()
        if m is None or not current_user.is_authenticated:
            return []
        key = ("nav", frozenset(current_user.roles), str(current_locale()), request.script_root)
        return cached(m, key, lambda: [NavLink(e.name, url_for("lists.entity_list", entity_name=e.name),
                                               text_of(e.label)) for e in readable(m)])
    except Exception:  # noqa: BLE001 - the navigation must never break an error page
        return []


def entity_or_404(name: str) -> Entity:
    """The entity, if it exists (404) and the user may read it (403)."""
    m = meta()
    if m is None or name not in m.entities:
        abort(404)
    entity = m.entity(name)
    if not store().allowed(current_user.actor, "read", entity):
        raise PermissionDenied(msg(f"没有查看「{label_in(entity.label, 'zh')}」的权限",
                                   f"You may not read {label_in(entity.label, 'en')}."))
    return entity
