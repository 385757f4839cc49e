"""The main navigation: a bottom bar on phones, a top bar on laptops. Features add their entry."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation."""

    label: str
    endpoint: str
    icon: str  #: id of a symbol in static/icons/sprite.svg
    order: int
    roles: tuple[str, ...] | None = None  #: None = every signed-in person
    #: The entry is highlighted on pages of these blueprints.
    blueprints: tuple[str, ...] = ()
    #: False: laptop top bar only; on phones the entry is reached from the "Plus" page.
    phone: bool = True
    #: None = any team; else only people holding one of `roles` in a team running one of these
    #: programmes see the entry (an ASLL tool is noise for a drop-in coordinator).
    programmes: tuple[str, ...] | None = None


_ITEMS: list[NavItem] = []


def register(item: NavItem) -> None:
    """Add an entry (idempotent, so creating several apps in one process is harmless)."""
    if item not in _ITEMS:
        _ITEMS.append(item)
        _ITEMS.sort(key=lambda i: i.order)


def items_for(user) -> list[NavItem]:
    """The entries this person may use."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [i for i in _ITEMS if _allowed(user, i)]


def _allowed(user, item: NavItem) -> bool:
    if item.roles is None and item.programmes is None:
        return True
    return any((item.roles is None or m.role in item.roles)
               and (item.programmes is None or m.team.programme in item.programmes)
               for m in user.memberships)


def phone_items(items: list[NavItem]) -> list[NavItem]:
    """The entries of the phone's bottom bar."""
    return [i for i in items if i.phone]


def more_items(items: list[NavItem]) -> list[NavItem]:
    """The entries listed on the "Plus" page (those not in the bottom bar)."""
    return [i for i in items if not i.phone]


def is_active(item: NavItem) -> bool:
    """Whether the current page belongs to this entry."""
    return request.endpoint == item.endpoint or request.blueprint in item.blueprints


def init_app(app: Flask) -> None:
    """Expose the navigation to templates."""

    @app.context_processor
    def inject_nav():
        items = items_for(current_user)
        return {"nav_items": items, "nav_phone_items": phone_items(items),
                "nav_more_items": more_items(items), "nav_active": is_active}
