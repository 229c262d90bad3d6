"""Forms of the registry pages: list filters and the edit forms (the verbs do the checking)."""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Building, Estate, EstateKind, Gender, HouseholdTag, Relation


class GridChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class RegistryFilter(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": _("地址、姓名、楼号"), "type": "search"}),
    )
    grid = GridChoiceField(
        label=_("网格"), queryset=None, required=False, empty_label=_("全部网格")
    )

    # (field lookups searched by q) per list
    search_fields: tuple[str, ...] = ()

    def __init__(self, data=None, *, grids: QuerySet, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["grid"].queryset = grids.order_by("path")

    def apply(self, qs: QuerySet) -> QuerySet:
        if not self.is_bound or not self.is_valid():
            return qs
        d = self.cleaned_data
        if d.get("grid"):
            qs = qs.filter(**{self.grid_lookup: d["grid"]})
        text = (d.get("q") or "").strip()
        if text:
            q = Q()
            for f in self.search_fields:
                q |= Q(**{f"{f}__icontains": text})
            qs = qs.filter(q)
        return qs

    grid_lookup = "grid"


class HouseholdFilter(RegistryFilter):
    tag = forms.ChoiceField(
        label=_("标签"), required=False, choices=[("", _("全部标签")), *HouseholdTag.choices]
    )
    unmanaged = forms.BooleanField(label=_("仅脱管楼栋"), required=False)
    no_cadre = forms.BooleanField(label=_("仅未联户"), required=False)
    search_fields = ("address", "head_name", "building__name", "estate__name")

    def apply(self, qs):
        qs = super().apply(qs)
        if self.is_bound and self.is_valid():
            d = self.cleaned_data
            if d.get("tag"):
                qs = qs.filter(tags__contains=f",{d['tag']},")
            if d.get("unmanaged"):
                qs = qs.filter(building__unmanaged=True)
            if d.get("no_cadre"):
                from .assignment import has_cadre

                qs = qs.exclude(has_cadre())
        return qs


class ResidentFilter(RegistryFilter):
    grid_lookup = "household__grid"
    search_fields = ("name", "household__address")


class BuildingFilter(RegistryFilter):
    unmanaged = forms.BooleanField(label=_("仅脱管楼栋"), required=False)
    search_fields = ("name", "estate__name")

    def apply(self, qs):
        qs = super().apply(qs)
        if self.is_bound and self.is_valid() and self.cleaned_data.get("unmanaged"):
            qs = qs.filter(unmanaged=True)
        return qs


class EstateFilter(RegistryFilter):
    search_fields = ("name", "address")


class ShopFilter(RegistryFilter):
    search_fields = ("name", "operator", "business_type", "licence_no")


def _scope_grid_and_building(form, grids: QuerySet, editing: bool) -> None:
    """The grid and building choices of a form that places a row in a building: the grids
    the user may edit; no grid field when editing (a row does not move grid); the phone's
    "blank keeps it" hint only when editing."""
    form.fields["grid"].queryset = grids.order_by("path")
    form.fields["building"].queryset = (
        Building.objects.filter(grid__in=grids, active=True)
        .select_related("estate")
        .order_by("estate__name", "name")
    )
    if editing:
        del form.fields["grid"]
    else:
        form.fields["phone"].help_text = ""


class HouseholdForm(forms.Form):
    grid = GridChoiceField(label=_("网格"), queryset=None)
    building = forms.ModelChoiceField(
        label=_("楼宇"), queryset=None, required=False, empty_label=_("（无楼宇：平房/自然村）")
    )
    unit_no = forms.CharField(label=_("单元"), max_length=20, required=False)
    room = forms.CharField(label=_("门牌/房号"), max_length=40, required=False)
    address = forms.CharField(label=_("详细地址"), max_length=255)
    head_name = forms.CharField(label=_("户主姓名"), max_length=50)
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        required=False,
        help_text=_("留空表示不修改；已存号码不显示"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    member_count = forms.IntegerField(label=_("家庭人数"), min_value=0, max_value=99, initial=1)
    tags = forms.MultipleChoiceField(
        label=_("标签"),
        choices=HouseholdTag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label=_("有效（取消即注销）"), required=False, initial=True)

    def __init__(self, *args, grids: QuerySet, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        _scope_grid_and_building(self, grids, editing)


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices)
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        required=False,
        help_text=_("留空表示不修改；已存号码不显示"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    gender = forms.ChoiceField(
        label=_("性别"), choices=[("", _("未填")), *Gender.choices], required=False
    )
    birth_year = forms.IntegerField(
        label=_("出生年份"), min_value=1900, max_value=2100, required=False
    )
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        required=False,
        help_text=_("留空表示不修改；已存号码不显示"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    active = forms.BooleanField(label=_("有效"), required=False, initial=True)


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("查看原因"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如：核对低保资格")}),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("台账文件（.xlsx）"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )


class EstateForm(forms.Form):
    grid = GridChoiceField(label=_("网格"), queryset=None)
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=EstateKind.choices)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    active = forms.BooleanField(label=_("有效（取消即注销）"), required=False, initial=True)

    def __init__(self, *args, grids: QuerySet, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids.order_by("path")
        if editing:
            del self.fields["grid"]


class BuildingForm(forms.Form):
    grid = GridChoiceField(label=_("网格"), queryset=None)
    estate = forms.ModelChoiceField(label=_("小区/自然村"), queryset=None)
    name = forms.CharField(label=_("楼号"), max_length=60)
    unit_count = forms.IntegerField(label=_("单元数"), min_value=1, max_value=50, initial=1)
    floor_count = forms.IntegerField(label=_("层数"), min_value=1, max_value=200, initial=1)
    unmanaged = forms.BooleanField(
        label=_("脱管楼栋（无物业、无业委会）"), required=False, initial=False
    )
    active = forms.BooleanField(label=_("有效（取消即注销）"), required=False, initial=True)

    def __init__(self, *args, grids: QuerySet, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids.order_by("path")
        self.fields["estate"].queryset = Estate.objects.filter(
            grid__in=grids, active=True
        ).order_by("name")
        if editing:
            del self.fields["grid"]


class ShopForm(forms.Form):
    grid = GridChoiceField(label=_("网格"), queryset=None)
    building = forms.ModelChoiceField(
        label=_("所在楼宇"), queryset=None, required=False, empty_label=_("（沿街，无楼宇）")
    )
    name = forms.CharField(label=_("店名"), max_length=100)
    operator = forms.CharField(label=_("经营者"), max_length=50, required=False)
    business_type = forms.CharField(label=_("经营类型"), max_length=50, required=False)
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        required=False,
        help_text=_("留空表示不修改；已存号码不显示"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    licence_no = forms.CharField(label=_("营业执照号"), max_length=40, required=False)
    address = forms.CharField(label=_("地址"), max_length=255, required=False)
    active = forms.BooleanField(label=_("有效（取消即注销）"), required=False, initial=True)

    def __init__(self, *args, grids: QuerySet, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        _scope_grid_and_building(self, grids, editing)
