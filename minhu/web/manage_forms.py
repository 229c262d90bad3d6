"""Forms of the administration pages (units, users, categories, time limits, calendar,
collection points). They check the shape of the input; the rules and the writes are the verbs'
(`orgs.actions`, `categories.actions`, `deadlines.actions`, `appeals.config_actions`), called by
the views."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from minhu.appeals.models import CollectionPoint, Urgency
from minhu.categories.models import Category
from minhu.deadlines.models import CalendarOverride, TimeLimitPolicy, kind_choices
from minhu.orgs.actions import password_problems
from minhu.orgs.models import Membership, Role, Unit, UnitKind, User

from .forms import UnitChoiceField
from .widgets import SearchSelect


def check_password(password: str, user=None) -> None:
    """The verbs' password rule (Django's validators, Chinese messages), shown at the field
    together with the form's other errors."""
    problems = password_problems(password, user)
    if problems:
        raise forms.ValidationError(problems)


class StaffSetPasswordForm(forms.Form):
    """An administrator sets a user's new password (twice, checked by the validators)."""

    new_password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("确认新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("new_password1"), data.get("new_password2")
        if p1 and p2 and p1 != p2:
            self.add_error("new_password2", gettext("两次输入的密码不一致"))
        elif p2:
            try:
                check_password(p2, self.user)
            except forms.ValidationError as exc:
                self.add_error("new_password2", exc)
        return data


class UnitForm(forms.ModelForm):
    parent = UnitChoiceField(
        label=_("上级单位"),
        queryset=Unit.objects.exclude(kind=UnitKind.GRID).order_by("path"),
        required=False,
        widget=SearchSelect(placeholder=_("输入上级单位名称筛选")),
    )

    class Meta:
        model = Unit
        fields = ["name", "code", "kind", "parent", "phone", "active", "paired_communities"]
        widgets = {"paired_communities": forms.SelectMultiple(attrs={"size": 6})}


class UserCreateForm(forms.ModelForm):
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, strip=False)
    unit = UnitChoiceField(
        label=_("所属单位"),
        queryset=Unit.objects.filter(active=True).order_by("path"),
        widget=SearchSelect(placeholder=_("输入单位名称筛选")),
    )
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)

    class Meta:
        model = User
        fields = ["username", "display_name", "phone", "email"]

    def clean_password(self):
        password = self.cleaned_data["password"]
        check_password(password)
        return password


class UserEditForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "phone", "email", "is_active"]
        labels = {"is_active": _("启用（可登录）")}


class MembershipForm(forms.ModelForm):
    unit = UnitChoiceField(
        label=_("单位"),
        queryset=Unit.objects.filter(active=True).order_by("path"),
        widget=SearchSelect(placeholder=_("输入单位名称筛选")),
    )

    class Meta:
        model = Membership
        fields = ["unit", "role"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user


class CategoryForm(forms.ModelForm):
    parent = forms.ModelChoiceField(
        label=_("一级分类"),
        queryset=Category.objects.filter(parent__isnull=True),
        required=False,
        empty_label=_("—— 无（本身为一级分类）——"),
    )
    default_lead_unit = UnitChoiceField(
        label=_("默认主办单位"),
        queryset=Unit.objects.filter(active=True).exclude(kind=UnitKind.GRID).order_by("path"),
        required=False,
        widget=SearchSelect(placeholder=_("输入单位名称筛选")),
    )

    class Meta:
        model = Category
        fields = [
            "name",
            "code",
            "parent",
            "default_lead_kind",
            "default_lead_unit",
            "keywords",
            "sort",
            "active",
        ]
        widgets = {"keywords": forms.Textarea(attrs={"rows": 2})}


class TimeLimitForm(forms.ModelForm):
    category = forms.ModelChoiceField(
        label=_("分类"),
        queryset=Category.objects.select_related("parent"),
        required=False,
        empty_label=_("—— 全部分类（默认）——"),
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"),
        required=False,
        choices=[("", _("—— 全部 ——")), *Urgency.choices],
    )
    kind = forms.ChoiceField(label=_("工单类型"), required=False)

    class Meta:
        model = TimeLimitPolicy
        fields = ["step", "kind", "category", "urgency", "amount", "measure"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("—— 全部类型 ——")), *kind_choices()]


class CalendarOverrideForm(forms.ModelForm):
    is_workday = forms.TypedChoiceField(
        label=_("类型"),
        choices=[("0", _("放假")), ("1", _("上班（调休）"))],
        coerce=lambda v: v == "1",
    )

    class Meta:
        model = CalendarOverride
        fields = ["date", "is_workday", "name"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}


class CollectionPointForm(forms.ModelForm):
    unit = UnitChoiceField(
        label=_("所属单位"),
        queryset=Unit.objects.filter(active=True).order_by("path"),
        widget=SearchSelect(placeholder=_("输入单位名称筛选")),
    )

    class Meta:
        model = CollectionPoint
        fields = ["name", "code", "unit", "channel", "is_service_hall", "address", "active"]


__all__ = [
    "CalendarOverrideForm",
    "CategoryForm",
    "CollectionPointForm",
    "MembershipForm",
    "StaffSetPasswordForm",
    "TimeLimitForm",
    "UnitForm",
    "UserCreateForm",
    "UserEditForm",
]
