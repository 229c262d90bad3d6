"""Forms of the routing pages. They only validate input; the verbs in routing/actions.py do the
change (and re-check everything)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from minhu.categories.models import Category
from minhu.orgs.models import HANDLING_KINDS, Unit

from .models import AREA_KINDS, LeadLocal


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return _("%(name)s（%(kind)s）") % {"name": obj.name, "kind": obj.get_kind_display()}


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return _("%(name)s（%(kind)s）") % {"name": obj.name, "kind": obj.get_kind_display()}


class DispatchRuleForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("分类"),
        queryset=Category.objects.filter(active=True).select_related("parent"),
    )
    area = UnitChoiceField(
        label=_("区域"),
        queryset=Unit.objects.filter(active=True, kind__in=AREA_KINDS).order_by("path"),
        required=False,
        empty_label=_("全区"),
    )
    lead_local = forms.ChoiceField(
        label=_("主办方式"),
        choices=LeadLocal.choices,
        required=False,
        help_text=_("选择“属地街道/镇”或“属地社区/村”时，按诉求所在地确定主办单位"),
    )
    lead_unit = UnitChoiceField(
        label=_("主办单位"),
        queryset=Unit.objects.filter(active=True, kind__in=HANDLING_KINDS).order_by("path"),
        required=False,
    )
    assist_units = UnitMultipleChoiceField(
        label=_("协办单位"),
        queryset=Unit.objects.filter(active=True, kind__in=HANDLING_KINDS).order_by("path"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if bool(data.get("lead_unit")) == bool(data.get("lead_local")):
            raise forms.ValidationError(_("请指定主办单位，或选择由属地街道/社区主办（二选一）"))
        return data


class ConfigForm(forms.Form):
    auto_dispatch = forms.BooleanField(label=_("启用自动派单"), required=False)
    threshold = forms.FloatField(
        label=_("自动派单置信度阈值"),
        min_value=0.0,
        max_value=1.0,
        required=False,
        help_text=_("0–1，留空使用部署默认值"),
    )
    rules_may_auto_dispatch = forms.BooleanField(label=_("关键词规则也可自动派单"), required=False)
    duplicate_days = forms.IntegerField(
        label=_("疑似重复：时间范围(天)"), min_value=1, max_value=365
    )
    duplicate_radius_m = forms.IntegerField(
        label=_("疑似重复：距离(米)"), min_value=10, max_value=50_000
    )
    duplicate_min_score = forms.FloatField(
        label=_("疑似重复：最低分"), min_value=0.0, max_value=1.0
    )
    hotspot_similarity = forms.FloatField(
        label=_("热点聚类：相似度阈值"), min_value=0.05, max_value=0.95
    )
    hotspot_min_size = forms.IntegerField(label=_("热点：最少诉求数"), min_value=2, max_value=1000)


class MonthlyProblemForm(forms.Form):
    title = forms.CharField(label=_("题目"), min_length=4, max_length=200)
    summary = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    month = forms.CharField(label=_("月份"))
    appeal_ids = forms.CharField(widget=forms.HiddenInput)
    street = forms.IntegerField(required=False, widget=forms.HiddenInput)
    terms = forms.CharField(required=False, widget=forms.HiddenInput)
    support = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean_month(self) -> dt.date:
        return parse_month(self.cleaned_data["month"])

    def clean_appeal_ids(self) -> list[int]:
        try:
            ids = [int(x) for x in self.cleaned_data["appeal_ids"].split(",") if x.strip()]
        except ValueError:
            raise forms.ValidationError(_("诉求编号不正确"))
        if not ids:
            raise forms.ValidationError(_("请至少选择一件诉求"))
        return ids


class LinkForm(forms.Form):
    other = forms.CharField(label=_("关联诉求"), max_length=20, help_text=_("诉求查询码或编号"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class ReplyCheckForm(forms.Form):
    text = forms.CharField(label=_("答复内容"), required=False, max_length=5000)


def parse_month(value: str) -> dt.date:
    try:
        return dt.datetime.strptime((value or "").strip()[:7], "%Y-%m").date()
    except ValueError:
        raise forms.ValidationError(_("月份格式应为 YYYY-MM"))
