"""Responses to actions posted from lists (`_from` says which list)."""

from __future__ import annotations

from django.http import Http404


def render_fragment(request, origin: str, appeal, name: str, ok: bool, message: str, form):
    from . import dispatch, followup, workbench

    handlers = {
        "panel": dispatch.panel_response,
        "ext": dispatch.extension_row_response,
        "wb": workbench.row_response,
        "fu": followup.panel_response,
    }
    handler = handlers.get(origin)
    if handler is None:
        raise Http404
    return handler(request, appeal, name, ok, message, form)
