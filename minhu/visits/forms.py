from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from minhu.orgs.models import Unit, UnitKind
from minhu.registry.models import CadreTier
from minhu.web.forms import UnitChoiceField, UnitMultipleChoiceField
from minhu.web.widgets import SearchCheckboxes, SearchSelect

AREA_KINDS = (UnitKind.STREET, UnitKind.TOWN, UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.GRID)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("活动名称"), max_length=100)
    owner_unit = UnitChoiceField(
        label=_("组织单位"),
        queryset=Unit.objects.none(),
        widget=SearchSelect(placeholder=_("输入单位名称筛选")),
    )
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    areas = UnitMultipleChoiceField(
        label=_("走访范围（镇街、社区或网格）"),
        queryset=Unit.objects.filter(active=True, kind__in=AREA_KINDS),
        widget=SearchCheckboxes(placeholder=_("输入名称筛选")),
    )
    units = UnitMultipleChoiceField(
        label=_("参与单位"),
        required=False,
        queryset=Unit.objects.filter(active=True).exclude(kind=UnitKind.GRID),
        widget=SearchCheckboxes(placeholder=_("输入名称筛选")),
    )
    tiers = forms.MultipleChoiceField(
        label=_("参与层级（不选为全部）"),
        required=False,
        choices=CadreTier.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    steps = forms.CharField(
        label=_("走访步骤（八步法，每行一项）"), widget=forms.Textarea(attrs={"rows": 4})
    )
    questions = forms.CharField(
        label=_("必问问题（九必问，每行一项）"), widget=forms.Textarea(attrs={"rows": 4})
    )
    benefits = forms.CharField(
        label=_("惠民实事（每行一项）"), widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, owner_units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_unit"].queryset = owner_units

    def grids(self) -> list[Unit]:
        q = Unit.objects.none()
        for area in self.cleaned_data["areas"]:
            q = q | Unit.objects.filter(path__startswith=area.path, kind=UnitKind.GRID, active=True)
        return list(q.distinct())

    def script(self) -> dict[str, list[str]]:
        return {k: _lines(self.cleaned_data[k]) for k in ("steps", "questions", "benefits")}
