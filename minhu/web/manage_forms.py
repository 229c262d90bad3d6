"""Forms of the administration pages (units, users, categories, time limits, calendar,
collection points)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from minhu.appeals.models import CollectionPoint
from minhu.categories.models import Category
from minhu.deadlines.models import CalendarOverride, TimeLimitPolicy
from minhu.orgs.models import ALLOWED_PARENTS, Membership, Role, Unit, UnitKind, User

from .forms import UnitChoiceField
from .widgets import SearchSelect


def check_password(password: str, user=None) -> None:
    """Django's password validators, with Chinese messages for the common cases (the bundled
    zh-hans catalogue lacks some of them)."""
    try:
        validate_password(password, user)
    except forms.ValidationError as exc:
        messages = []
        for error in exc.error_list:
            params = error.params or {}
            if error.code == "password_too_short":
                messages.append(f"密码太短，至少需要{params.get('min_length', 8)}个字符")
            elif error.code == "password_too_common":
                messages.append("密码过于常见")
            elif error.code == "password_entirely_numeric":
                messages.append("密码不能全是数字")
            elif error.code == "password_too_similar":
                messages.append("密码与用户信息过于相似")
            else:
                messages.extend(error.messages)
        raise forms.ValidationError(messages)


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
            self.add_error("new_password2", "两次输入的密码不一致")
        elif p2:
            try:
                check_password(p2, self.user)
            except forms.ValidationError as exc:
                self.add_error("new_password2", exc)
        return data

    def save(self):
        self.user.set_password(self.cleaned_data["new_password1"])
        self.user.save(update_fields=["password"])
        return self.user


class UnitForm(forms.ModelForm):
    parent = UnitChoiceField(
        label=_("上级单位"),
        queryset=Unit.objects.exclude(kind=UnitKind.GRID).order_by("path"),
        required=False,
        widget=SearchSelect(placeholder="输入上级单位名称筛选"),
    )

    class Meta:
        model = Unit
        fields = ["name", "code", "kind", "parent", "phone", "active", "paired_communities"]
        widgets = {"paired_communities": forms.SelectMultiple(attrs={"size": 6})}

    def clean(self):
        data = super().clean()
        kind, parent = data.get("kind"), data.get("parent")
        if kind:
            allowed = ALLOWED_PARENTS.get(kind, set())
            parent_kind = parent.kind if parent else None
            if parent_kind not in allowed:
                names = "、".join(str(UnitKind(k).label) for k in allowed if k) or "无（顶级）"
                self.add_error("parent", f"「{UnitKind(kind).label}」的上级应为：{names}")
        if parent and self.instance.pk and parent.path.startswith(self.instance.path or "~"):
            self.add_error("parent", "上级单位不能是本单位或其下级")
        if data.get("paired_communities") and kind != UnitKind.DEPARTMENT:
            self.add_error("paired_communities", "只有区直部门可以结对社区")
        return data


class UserCreateForm(forms.ModelForm):
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, strip=False)
    unit = UnitChoiceField(
        label=_("所属单位"),
        queryset=Unit.objects.filter(active=True).order_by("path"),
        widget=SearchSelect(placeholder="输入单位名称筛选"),
    )
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)

    class Meta:
        model = User
        fields = ["username", "display_name", "phone", "email"]

    def clean_password(self):
        password = self.cleaned_data["password"]
        check_password(password)
        return password

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password"])
        if commit:
            user.save()
            Membership.objects.create(
                user=user, unit=self.cleaned_data["unit"], role=self.cleaned_data["role"]
            )
        return user


class UserEditForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "phone", "email", "is_active"]
        labels = {"is_active": _("启用（可登录）")}


class MembershipForm(forms.ModelForm):
    unit = UnitChoiceField(
        label=_("单位"),
        queryset=Unit.objects.filter(active=True).order_by("path"),
        widget=SearchSelect(placeholder="输入单位名称筛选"),
    )

    class Meta:
        model = Membership
        fields = ["unit", "role"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        if (
            self.user
            and data.get("unit")
            and Membership.objects.filter(
                user=self.user, unit=data["unit"], role=data.get("role")
            ).exists()
        ):
            raise forms.ValidationError("该用户在此单位已有此角色")
        return data


class CategoryForm(forms.ModelForm):
    parent = forms.ModelChoiceField(
        label=_("一级分类"),
        queryset=Category.objects.filter(parent__isnull=True),
        required=False,
        empty_label="—— 无（本身为一级分类）——",
    )
    default_lead_unit = UnitChoiceField(
        label=_("默认主办单位"),
        queryset=Unit.objects.filter(active=True).exclude(kind=UnitKind.GRID).order_by("path"),
        required=False,
        widget=SearchSelect(placeholder="输入单位名称筛选"),
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

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent and self.instance.pk:
            if parent.pk == self.instance.pk:
                raise forms.ValidationError("不能以自身为上级")
            if self.instance.children.exists():
                raise forms.ValidationError("该分类下已有二级分类，不能再设为二级分类")
        return parent


class TimeLimitForm(forms.ModelForm):
    category = forms.ModelChoiceField(
        label=_("分类"),
        queryset=Category.objects.select_related("parent"),
        required=False,
        empty_label="—— 全部分类（默认）——",
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"),
        required=False,
        choices=[("", "—— 全部 ——"), ("normal", "一般"), ("urgent", "紧急"), ("critical", "特急")],
    )

    class Meta:
        model = TimeLimitPolicy
        fields = ["step", "category", "urgency", "amount", "measure"]

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("时限必须大于0")
        return amount


class CalendarOverrideForm(forms.ModelForm):
    is_workday = forms.TypedChoiceField(
        label=_("类型"),
        choices=[("0", "放假"), ("1", "上班（调休）")],
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
        widget=SearchSelect(placeholder="输入单位名称筛选"),
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
