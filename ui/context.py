"""What every screen needs from the request: the installed metadata, a store for the signed-in
user, the entities they may read."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import PermissionDenied, msg
from core.store import Store
from metadata.menu import MAIN
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
    """The store of the installed metadata, made once per request (a screen asks a dozen times)."""
    if "store" not in g:
        inst = installed()
        ext = current_app.extensions["danbao"]
        g.store = Store(ext.engine, inst.meta, clock=ext.clock, registry=ext.registry, meta_version=inst.version)
    return g.store


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


@dataclass(frozen=True)
class NavGroup:
    name: str | None     # the menu group (None: no menu, the entities in one list)
    text: str
    links: tuple[NavLink, ...]


def nav_groups() -> list[NavGroup]:
    """The navigation's links to the entities the user may read, grouped by the `main` menu (entities
    it does not place follow under "Other"); drawn once per metadata version, roles, locale and
    script root (every page shows them)."""
    try:
        m = meta()
        if m is None or not current_user.is_authenticated:
            return []
        key = ("nav", frozenset(current_user.roles), str(current_locale()), request.script_root)
        return cached(m, key, lambda: _groups(m))
    except Exception:  # noqa: BLE001 - the navigation must never break an error page
        return []


def _groups(m: Metadata) -> list[NavGroup]:
    links = [NavLink(e.name, url_for("lists.entity_list", entity_name=e.name), text_of(e.label)) for e in readable(m)]
    menu = m.kinds.get("menus", {}).get(MAIN)
    if menu is None:
        return [NavGroup(None, "", tuple(links))] if links else []
    by_name = {link.name: link for link in links}
    groups = [NavGroup(g.name, text_of(g.label), tuple(by_name[n] for n in g.entities if n in by_name))
              for g in menu.groups]
    rest = tuple(link for link in links if link.name not in menu.placed())
    return [g for g in groups if g.links] + ([NavGroup("other", _("Other"), rest)] if rest else [])


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
