"""Django admin pages that change configuration through the audited verbs.

`VerbAdminMixin` replaces the ModelAdmin's direct saves: add and change call the model's create
and update verbs with `actor=request.user` (only the fields the form changed), delete calls its
delete verb (the bulk "delete selected" action too, one verb call per row), and inline formsets
go through `save_inline` (each admin routes its inline rows to their own verbs). Every verb
writes its `ConfigChange` row.

A refused change (`DomainError`) rolls back the whole request (the admin views run in one
transaction) and the page is rendered again with the verb's message on the form: the view runs a
second time with the refusal attached to the request, and `get_form` adds it as a form error, so
the user keeps what they typed and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.db import models, router, transaction
from django.forms import BaseModelFormSet, ModelForm
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from .errors import DomainError

REFUSAL_ATTR = "_minhu_admin_refusal"


class Refused(Exception):
    """A verb refused an admin save; carries the DomainError."""

    def __init__(self, error: DomainError):
        super().__init__(error.message)
        self.error = error


def call_verb(verb: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return verb(*args, **kwargs)
    except DomainError as exc:
        raise Refused(exc) from exc


def _refused_form(form_class: type[ModelForm], error: DomainError) -> type[ModelForm]:
    field = error.details.get("field")

    class RefusedForm(form_class):
        def clean(self):
            data = super().clean()
            self.add_error(field if field in self.fields else None, error.message)
            return data

    RefusedForm.__name__ = form_class.__name__
    return RefusedForm


class VerbAdminMixin:
    """Put before `admin.ModelAdmin` (or a subclass) in the bases."""

    #: create(*, actor, **values) -> obj
    verb_create: Callable[..., models.Model] | None = None
    #: update(pk, *, actor, **changes) -> obj
    verb_update: Callable[..., models.Model] | None = None
    #: delete(pk, *, actor) -> None
    verb_delete: Callable[..., None] | None = None
    #: The form fields handed to the verbs.
    verb_fields: tuple[str, ...] = ()

    # --- values ---------------------------------------------------------------------------

    def verb_values(self, request: HttpRequest, form: ModelForm, change: bool) -> dict[str, Any]:
        data = form.cleaned_data
        if change:
            names = [n for n in form.changed_data if n in self.verb_fields]
        else:
            names = [n for n in self.verb_fields if n in data]
        return {n: data[n] for n in names}

    def _verb(self, name: str) -> Callable[..., Any]:
        # Stored on the class as plain functions: fetched from the class, not bound.
        return getattr(type(self), name)

    # --- saving ---------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        values = self.verb_values(request, form, change)
        if change:
            if not values:
                return
            saved = call_verb(self._verb("verb_update"), obj.pk, actor=request.user, **values)
        else:
            saved = call_verb(self._verb("verb_create"), actor=request.user, **values)
        # The admin goes on with `obj` (inlines, log entry, redirect): give it the saved row.
        for field in obj._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields go to the verbs with the others (no form.save_m2m()).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)  # fills new/changed/deleted_objects; writes nothing
        self.save_inline(request, form.instance, formset)

    def save_inline(self, request, parent: models.Model, formset: BaseModelFormSet) -> None:
        if formset.new_objects or formset.changed_objects or formset.deleted_objects:
            raise NotImplementedError(f"{type(self).__name__} has no verbs for its inlines")

    def delete_model(self, request, obj):
        call_verb(self._verb("verb_delete"), obj.pk, actor=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic(using=router.db_for_write(self.model)):
            for pk in queryset.values_list("pk", flat=True):
                call_verb(self._verb("verb_delete"), pk, actor=request.user)

    # --- refusals -------------------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        error = getattr(request, REFUSAL_ATTR, None)
        return _refused_form(form, error) if error is not None else form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as exc:
            if request.method != "POST" or getattr(request, REFUSAL_ATTR, None) is not None:
                raise
            # Rolled back; render the form again with the verb's message.
            setattr(request, REFUSAL_ATTR, exc.error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except Refused as exc:  # list_editable or the bulk delete: rolled back
            self.message_user(request, exc.error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except Refused as exc:
            self.message_user(request, exc.error.message, messages.ERROR)
            opts = self.model._meta
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[object_id],
                current_app=self.admin_site.name,
            )
            return HttpResponseRedirect(url)


def inline_changes(
    formset: BaseModelFormSet, fields: Iterable[str]
) -> list[tuple[models.Model, dict[str, Any]]]:
    """(row, {field: new value}) for each changed row of a saved-with-commit=False formset."""
    wanted = set(fields)
    out = []
    for obj, changed in formset.changed_objects:
        values = {n: getattr(obj, n) for n in changed if n in wanted}
        if values:
            out.append((obj, values))
    return out
