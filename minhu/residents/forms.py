"""Forms of the public H5 pages. Field checks give inline Chinese errors; the verbs in
minhu.appeals.actions / minhu.residents.actions check again and have the last word."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from minhu.appeals.actions import PHONE_RE
from minhu.appeals.models import CODE_ALPHABET, AppellantKind, Satisfaction
from minhu.categories.models import Category
from minhu.core.errors import DomainError
from minhu.orgs.models import Unit, UnitKind

from .models import ENTERPRISE_INDICATORS

SUBJECT_LEN = 20
# Fields of the verbs' errors (InvalidInput.details["field"]) -> fields of these forms.
FIELD_MAP = {
    "attachments": "photos",
    "appellant_phone": "phone",
    "appellant_name": "name",
}


def max_photos() -> int:
    return getattr(settings, "MINHU_H5_MAX_PHOTOS", 6)


def derive_subject(detail: str) -> str:
    """A title from the first words of the detail: its first sentence, cut to 20 characters."""
    raw = (detail or "").strip()
    text = " ".join(raw.split())
    first = " ".join(re.split(r"[。！？!?；;\n]", raw, maxsplit=1)[0].split()).strip("，,、：:")
    if len(first) < 4:
        first = text
    return first if len(first) <= SUBJECT_LEN else first[:SUBJECT_LEN] + "…"


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s\u3000]", "", value or "")


class DomainErrorsMixin:
    """Shows a verb's DomainError inline on the field it names (else above the form)."""

    def add_domain_error(self, error: DomainError) -> None:
        field = FIELD_MAP.get(error.details.get("field"), error.details.get("field"))
        self.add_error(field if field in self.fields else None, error.message)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input. Their content (real image, allowed type, size) is checked by
    the register_appeal verb with minhu.appeals.attachments.validate_image."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/*", "data-photos": ""})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        one = super().clean
        items = data if isinstance(data, list | tuple) else [data]
        files = [one(d, initial) for d in items if d]
        if len(files) > max_photos():
            raise forms.ValidationError(
                _("最多上传%(n)d张照片") % {"n": max_photos()}, code="too_many"
            )
        return files


def category_choices() -> list:
    """Grouped choices: first-level categories as groups, their second-level ones inside; a
    first-level category with no children is a choice of its own."""
    cats = list(Category.objects.filter(active=True).order_by("sort", "id"))
    children: dict[int, list[Category]] = {}
    for c in cats:
        if c.parent_id:
            children.setdefault(c.parent_id, []).append(c)
    choices: list = [("", _("不清楚，由工作人员分类"))]
    for top in (c for c in cats if not c.parent_id):
        kids = children.get(top.pk)
        if kids:
            group = [(str(k.pk), k.name) for k in kids]
            group.append((str(top.pk), _("其他%(name)s问题") % {"name": top.name}))
            choices.append((top.name, group))
        else:
            choices.append((str(top.pk), top.name))
    return choices


def department_queryset():
    return Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True).order_by("path")


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.name


IDENTITY_CHOICES = [("named", _("留下联系方式")), ("anonymous", _("匿名反映"))]


class AppealForm(DomainErrorsMixin, forms.Form):
    """我要反映. With enterprise=True the 营商环境意见码 variant: enterprise name required, the
    department concerned may be chosen, no anonymity."""

    detail = forms.CharField(
        label=_("遇到了什么问题？"),
        min_length=5,
        max_length=5000,
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "placeholder": _("请写清楚发生了什么、在哪里、持续多久了"),
                "maxlength": 5000,
            }
        ),
        error_messages={
            "required": _("请描述您遇到的问题"),
            "min_length": _("请至少写5个字，把问题说清楚"),
            "max_length": _("问题描述不能超过5000字"),
        },
    )
    subject = forms.CharField(
        label=_("标题"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("可不填，将根据问题描述自动生成")}),
        error_messages={"max_length": _("标题不能超过100字")},
    )
    category = forms.TypedChoiceField(
        label=_("问题类别"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("请从列表中选择类别")},
    )
    address = forms.CharField(
        label=_("问题地点"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如：幸福小区3号楼东门"), "maxlength": 200}),
        error_messages={"max_length": _("地点不能超过200字")},
    )
    photos = MultipleImageField(label=_("照片"), required=False)
    identity = forms.ChoiceField(
        label=_("联系方式"),
        choices=IDENTITY_CHOICES,
        initial="named",
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择是否匿名"), "invalid_choice": _("请选择是否匿名")},
    )
    name = forms.CharField(
        label=_("您的称呼"),
        required=False,
        max_length=60,
        widget=forms.TextInput(
            attrs={"placeholder": _("如：王女士"), "autocomplete": "name", "maxlength": 60}
        ),
    )
    phone = forms.CharField(
        label=_("手机号"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "inputmode": "tel",
                "autocomplete": "tel",
                "placeholder": _("用于接收答复短信"),
                "maxlength": 20,
            }
        ),
    )

    def __init__(self, *args: Any, enterprise: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        self.fields["category"].choices = category_choices()
        self.fields["photos"].help_text = _("可选，最多%(n)d张") % {"n": max_photos()}
        if enterprise:
            del self.fields["identity"]
            self.fields["name"].label = _("联系人")
            self.fields["enterprise_name"] = forms.CharField(
                label=_("企业名称"),
                max_length=100,
                widget=forms.TextInput(attrs={"autocomplete": "organization", "maxlength": 100}),
                error_messages={
                    "required": _("请填写企业名称"),
                    "max_length": _("企业名称不能超过100字"),
                },
            )
            self.fields["about_unit"] = DepartmentChoiceField(
                label=_("涉及部门"),
                queryset=department_queryset(),
                required=False,
                empty_label=_("不涉及具体部门 / 不清楚"),
                error_messages={"invalid_choice": _("请从列表中选择部门")},
            )
        self.order_fields(
            ["enterprise_name", "detail", "subject", "about_unit", "category", "address"]
        )

    @property
    def anonymous(self) -> bool:
        if self.enterprise:
            return False
        value = self.data.get("identity") if self.is_bound else self.initial.get("identity")
        return value == "anonymous"

    def clean_category(self) -> Category | None:
        pk = self.cleaned_data.get("category")
        if pk is None:
            return None
        cat = Category.objects.filter(pk=pk, active=True).first()
        if cat is None:
            raise forms.ValidationError(_("请从列表中选择类别"))
        return cat

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data.get("phone", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.enterprise or data.get("identity") == "named":
            phone = data.get("phone", "")
            if not phone and "phone" not in self.errors:
                self.add_error(
                    "phone",
                    _("请填写手机号") if self.enterprise else _("请填写手机号，或选择匿名反映"),
                )
            elif phone and not PHONE_RE.match(phone):
                self.add_error("phone", _("手机号格式不正确，请填写11位手机号"))
        return data

    def appeal_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for minhu.appeals.actions.register_appeal."""
        d = self.cleaned_data
        kwargs: dict[str, Any] = {
            "subject": d.get("subject") or derive_subject(d["detail"]),
            "detail": d["detail"],
            "category": d.get("category"),
            "address": d.get("address", ""),
            "attachments": d.get("photos") or [],
        }
        if self.enterprise:
            kwargs.update(
                appellant_kind=AppellantKind.ENTERPRISE,
                enterprise_name=d["enterprise_name"],
                appellant_name=d.get("name", ""),
                appellant_phone=d["phone"],
                about_unit=d.get("about_unit"),
            )
        elif d.get("identity") == "anonymous":
            kwargs["appellant_kind"] = AppellantKind.ANONYMOUS
        else:
            kwargs.update(
                appellant_kind=AppellantKind.PERSON,
                appellant_name=d.get("name", ""),
                appellant_phone=d["phone"],
            )
        return kwargs


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("查询码"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocapitalize": "characters",
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": _("10位字母和数字"),
                "maxlength": 20,
            }
        ),
        error_messages={"required": _("请输入查询码")},
    )
    phone = forms.CharField(
        label=_("手机号"),
        required=False,
        max_length=20,
        help_text=_("提交时留的手机号；匿名反映的不用填"),
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "maxlength": 20}
        ),
    )

    def clean_code(self) -> str:
        code = re.sub(r"[\s\-_]", "", self.cleaned_data["code"]).upper()
        if len(code) != 10 or any(ch not in CODE_ALPHABET for ch in code):
            raise forms.ValidationError(_("查询码是10位字母和数字，请核对"))
        return code

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data.get("phone", ""))


def satisfaction_field(label=None, required: bool = True) -> forms.Field:
    return forms.ChoiceField(
        label=label or _("您对办理结果满意吗？"),
        required=required,
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择满意度"), "invalid_choice": _("请选择满意度")},
    )


def comment_field(label=None, placeholder=None) -> forms.Field:
    return forms.CharField(
        label=label or _("说说您的意见"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": placeholder or _("有什么想说的，都可以写在这里"),
                "maxlength": 1000,
            }
        ),
        error_messages={"max_length": _("意见不能超过1000字")},
    )


class RateForm(DomainErrorsMixin, forms.Form):
    satisfaction = satisfaction_field()
    comment = comment_field(placeholder=_("如不满意，请说说哪里还没解决"))


class VerifiedPhoneMixin(forms.Form):
    """Optional phone + SMS code: a rating verified by them counts in the rates."""

    phone = forms.CharField(
        label=_("手机号"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "inputmode": "tel",
                "autocomplete": "tel",
                "placeholder": _("用于接收验证码"),
                "maxlength": 20,
            }
        ),
        help_text=_("经短信验证的评价计入考核；不验证的评价会保留，但不计入满意率。"),
    )
    sms_code = forms.CharField(
        label=_("短信验证码"),
        required=False,
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 8}
        ),
    )

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data.get("phone", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("sms_code") and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("请填写手机号"))
        if data.get("phone") and not data.get("sms_code") and "sms_code" not in self.errors:
            self.add_error("sms_code", _("请填写短信验证码，或清空手机号不验证"))
        return data

    def verification(self) -> dict[str, str]:
        return {
            "phone": self.cleaned_data.get("phone", ""),
            "sms_code": self.cleaned_data.get("sms_code", ""),
        }


class ServiceRatingForm(DomainErrorsMixin, VerifiedPhoneMixin, forms.Form):
    satisfaction = satisfaction_field(_("您对本次服务满意吗？"))
    window = forms.CharField(
        label=_("窗口号或工作人员"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": _("选填，如：3号窗口"), "maxlength": 60}),
        error_messages={"max_length": _("不能超过60字")},
    )
    comment = comment_field()


class EnterpriseRatingForm(DomainErrorsMixin, VerifiedPhoneMixin, forms.Form):
    enterprise_name = forms.CharField(
        label=_("企业名称"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "organization", "maxlength": 100}),
        error_messages={"required": _("请填写企业名称"), "max_length": _("企业名称不能超过100字")},
    )
    department = DepartmentChoiceField(
        label=_("为您服务的部门"),
        queryset=department_queryset(),
        empty_label=_("请选择部门"),
        error_messages={
            "required": _("请选择为您服务的部门"),
            "invalid_choice": _("请从列表中选择部门"),
        },
    )
    satisfaction = satisfaction_field(_("总体评价"))
    comment = comment_field(_("意见建议"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = department_queryset()
        for key, label in ENTERPRISE_INDICATORS.items():
            self.fields[f"indicator_{key}"] = satisfaction_field(label, required=False)
        self.order_fields(["enterprise_name", "department", "satisfaction"])

    def indicator_fields(self) -> list:
        return [self[f"indicator_{key}"] for key in ENTERPRISE_INDICATORS]

    def indicators(self) -> dict[str, str]:
        return {
            key: self.cleaned_data[f"indicator_{key}"]
            for key in ENTERPRISE_INDICATORS
            if self.cleaned_data.get(f"indicator_{key}")
        }
