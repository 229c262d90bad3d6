"""Form widgets for dense desk work: a two-level category select, a searchable select and a
searchable checkbox list (multi-select). Each works without JavaScript; app.js adds filtering."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


def _instance(value):
    return getattr(value, "instance", None)


class CategorySelect(forms.Select):
    """Two selects: the first-level category filters the second. Only the second one is posted
    (as the field's name); without JavaScript it shows every category grouped by first level."""

    template_name = "web/widgets/category_select.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        tops: list = []
        children: dict[int, list] = {}
        for choice_value, _label in self.choices:
            cat = _instance(choice_value)
            if cat is None:
                continue
            if cat.parent_id:
                children.setdefault(cat.parent_id, []).append(cat)
            else:
                tops.append(cat)
        selected = str(value[0] if isinstance(value, list | tuple) and value else value or "")
        selected_top = ""
        for top in tops:
            if str(top.pk) == selected:
                selected_top = str(top.pk)
            for c in children.get(top.pk, []):
                if str(c.pk) == selected:
                    selected_top = str(top.pk)
        context["widget"].update(
            groups=[(top, children.get(top.pk, [])) for top in tops],
            selected=selected,
            selected_top=selected_top,
        )
        return context


class SearchSelect(forms.Select):
    """A select with a filter box above it."""

    template_name = "web/widgets/search_select.html"

    def __init__(self, attrs=None, choices=(), placeholder: str | None = None):
        super().__init__(attrs, choices)
        self.placeholder = placeholder if placeholder is not None else _("输入名称筛选")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["placeholder"] = self.placeholder
        return context


class SearchCheckboxes(forms.CheckboxSelectMultiple):
    """A scrollable checkbox list with a filter box: a searchable multi-select."""

    template_name = "web/widgets/search_checkboxes.html"

    def __init__(self, attrs=None, choices=(), placeholder: str | None = None):
        super().__init__(attrs, choices)
        self.placeholder = placeholder if placeholder is not None else _("输入名称筛选")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["placeholder"] = self.placeholder
        return context


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several photos in one input. Content is checked by the action (validate_image).

    `camera=True` (progress and resolution photos, taken on the spot) adds
    capture="environment": a phone opens its rear camera instead of the file picker."""

    def __init__(self, *args, camera: bool = False, **kwargs):
        attrs = {"accept": "image/*"}
        if camera:
            attrs["capture"] = "environment"
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        if isinstance(data, list | tuple):
            return [super(MultipleImageField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)]
