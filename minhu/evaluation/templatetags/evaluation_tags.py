from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def ev_qs(context, **changes) -> str:
    """The current query string with some parameters replaced: href="?{% ev_qs page=2 %}"."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None
