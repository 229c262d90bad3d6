"""Tiles other apps add to the overview (运行概览) without the web app importing them.

An app declares a tile once, in its `AppConfig.ready()`:

    from minhu.web.tiles import Tile, register_tile

    register_tile(Tile(code="consultation", title=_("有事好商量"), order=10, figures=fn))

`fn(user)` returns the tile's figures for that user's scope, `[(label, value, url), ...]`
(url "" for none), or None when the tile has nothing for them (it is not shown). Each tile
is one or two grouped queries; a tile that fails is left out, never the page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

logger = logging.getLogger("minhu.web")

Figures = list[tuple[str | Promise, object, str]]


@dataclass(frozen=True)
class Tile:
    code: str
    title: str | Promise
    figures: Callable[[object], Figures | None]
    order: int = 100


_TILES: dict[str, Tile] = {}


def register_tile(tile: Tile) -> Tile:
    _TILES[tile.code] = tile
    return tile


def tiles_for(user) -> list[dict]:
    out = []
    for tile in sorted(_TILES.values(), key=lambda t: (t.order, t.code)):
        try:
            figures = tile.figures(user)
        except Exception:  # a broken tile must not take the overview down
            logger.exception("overview tile %s failed", tile.code)
            continue
        if figures:
            out.append({"code": tile.code, "title": tile.title, "figures": figures})
    return out
