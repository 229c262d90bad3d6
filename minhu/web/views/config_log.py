"""The log of configuration changes (core.ConfigChange) for administrators: who changed which
unit, account, role, category, time limit, calendar day or collection point, when, and how."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.core.audit import describe, model_choices, model_name
from minhu.core.models import ConfigAction, ConfigChange
from minhu.orgs.models import User

from ..filters import paginate
from ..permissions import page_required
from .manage import _render


class ChangeFilterForm(forms.Form):
    """GET filters of the log: object type, who, what kind of change, when, and one object."""

    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("对象名称"), "type": "search"}),
    )
    model = forms.ChoiceField(label=_("对象类型"), required=False)
    actor = forms.TypedChoiceField(label=_("操作人"), required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(
        label=_("操作"),
        required=False,
        choices=[("", _("全部操作")), *ConfigAction.choices],
    )
    date_from = forms.DateField(
        label=_("日期自"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("日期至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    object = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["model"].choices = [("", _("全部类型")), *model_choices()]
        actors = User.objects.filter(
            pk__in=ConfigChange.objects.filter(actor__isnull=False).values("actor_id")
        ).order_by("username")
        self.fields["actor"].choices = [("", _("全部操作人"))] + [
            (str(u.pk), f"{u} ({u.username})") for u in actors
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        return data

    def apply(self, qs: QuerySet) -> QuerySet:
        if not self.is_bound or not self.is_valid():
            return qs
        d = self.cleaned_data
        if d.get("q"):
            qs = qs.filter(object_repr__icontains=d["q"].strip())
        if d.get("model"):
            qs = qs.filter(model=d["model"])
        if d.get("actor"):
            qs = qs.filter(actor_id=d["actor"])
        if d.get("action"):
            qs = qs.filter(action=d["action"])
        if d.get("object"):
            qs = qs.filter(object_id=d["object"])
        tz = timezone.get_current_timezone()
        if d.get("date_from"):
            qs = qs.filter(created_at__gte=dt.datetime.combine(d["date_from"], dt.time.min, tz))
        if d.get("date_to"):
            end = d["date_to"] + dt.timedelta(days=1)
            qs = qs.filter(created_at__lt=dt.datetime.combine(end, dt.time.min, tz))
        return qs


@page_required("manage")
def changes(request):
    form = ChangeFilterForm(request.GET or None)
    qs = form.apply(ConfigChange.objects.order_by("-created_at", "-id"))
    page = paginate(request, qs)
    rows = [
        {
            "change": c,
            "model_label": model_name(c.model),
            "fields": describe(c),
        }
        for c in page.object_list
    ]
    subject = None
    if form.is_bound and form.is_valid() and form.cleaned_data.get("object"):
        subject = (form.cleaned_data.get("model"), form.cleaned_data["object"])
    ctx = {"page": page, "rows": rows, "filters": form, "subject": subject}
    return _render(request, "web/manage/changes.html", ctx, "web:manage_changes")
