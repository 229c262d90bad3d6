"""Forms of the staff web app. They parse and present; the actions validate and decide.

Text fields are `required=False` on purpose: the action checks them and its Chinese message is
shown at the field (the HTML `required` attribute still helps in the browser)."""

from __future__ import annotations

from django import forms
from django.db.models import Case, When
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from minhu.appeals.actions import EDITABLE_FIELDS
from minhu.appeals.kinds import channel_choices
from minhu.appeals.models import (
    AppellantKind,
    Channel,
    FollowUpSource,
    OutcomeKind,
    Satisfaction,
    Urgency,
)
from minhu.categories.models import Category
from minhu.orgs.models import HANDLING_KINDS, Unit, UnitKind

from .widgets import CategorySelect, MultipleImageField, SearchCheckboxes, SearchSelect

REQ = {"required": True}


def _text_field(
    label, *, rows: int | None = None, required_attr: bool = True, **attrs
) -> forms.Field:
    widget_attrs = dict(attrs)
    if required_attr:
        widget_attrs.update(REQ)
    if rows:
        widget = forms.Textarea(attrs={"rows": rows, **widget_attrs})
    else:
        widget = forms.TextInput(attrs=widget_attrs)
    return forms.CharField(label=label, required=False, widget=widget, strip=True)


class ListChoiceIterator(ModelChoiceIterator):
    """Iterates objects the caller already loaded (`field.objects`) instead of querying each
    time the widget renders; the queryset still validates submitted values."""

    def __iter__(self):
        objects = getattr(self.field, "objects", None)
        if objects is None:
            yield from super().__iter__()
            return
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in objects:
            yield self.choice(obj)

    def __len__(self):
        objects = getattr(self.field, "objects", None)
        if objects is None:
            return super().__len__()
        return len(objects) + (1 if self.field.empty_label is not None else 0)


def use_objects(field: forms.ModelChoiceField, objects) -> None:
    field.objects = list(objects)
    field.iterator = ListChoiceIterator
    field.widget.choices = field.choices


def _label_with_kind(obj: Unit) -> str:
    return _("%(name)s（%(kind)s）") % {"name": obj.name, "kind": obj.get_kind_display()}


class UnitChoiceField(forms.ModelChoiceField):
    iterator = ListChoiceIterator

    def label_from_instance(self, obj: Unit) -> str:
        return _label_with_kind(obj)


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = ListChoiceIterator

    def label_from_instance(self, obj: Unit) -> str:
        return _label_with_kind(obj)


def handling_units():
    """The units work can be sent to, as the drop-downs list them: the district departments
    first, then each street/town followed by its communities and villages (the tree)."""
    return (
        Unit.objects.filter(active=True, kind__in=HANDLING_KINDS)
        .exclude(kind=UnitKind.GRID)
        .order_by(Case(When(kind=UnitKind.DEPARTMENT, then=0), default=1), "path")
    )


def grid_units():
    return Unit.objects.filter(active=True, kind=UnitKind.GRID)


def active_categories():
    return Category.objects.filter(active=True).select_related("parent").order_by("sort", "id")


class CategoryField(forms.ModelChoiceField):
    iterator = ListChoiceIterator

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", active_categories())
        kwargs.setdefault("widget", CategorySelect)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("分类"))
        super().__init__(**kwargs)


class GridField(forms.ModelChoiceField):
    iterator = ListChoiceIterator

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", grid_units())
        kwargs.setdefault("widget", SearchSelect(placeholder=_("输入网格名称筛选")))
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("网格"))
        kwargs.setdefault("empty_label", _("—— 未定位 ——"))
        super().__init__(**kwargs)


# --- dispatch centre ------------------------------------------------------------------------


class DispatchForm(forms.Form):
    """分类 + 派单 in one form: `op` says whether to dispatch or only save the classification."""

    category = CategoryField()
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices)
    grid = GridField()
    lead_unit = UnitChoiceField(
        label=_("主办单位"),
        queryset=handling_units(),
        required=False,
        widget=SearchSelect(placeholder=_("输入单位名称筛选")),
        empty_label=_("—— 请选择主办单位 ——"),
    )
    assist_units = UnitMultipleChoiceField(
        label=_("协办单位"),
        queryset=handling_units(),
        required=False,
        widget=SearchCheckboxes(placeholder=_("输入单位名称筛选")),
    )
    note = _text_field(_("派单说明"), rows=2, required_attr=False)

    def __init__(self, *args, units=None, grids=None, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Lists loaded once by the caller and shared by the page's selects.
        if units is not None:
            use_objects(self.fields["lead_unit"], units)
            use_objects(self.fields["assist_units"], units)
        if grids is not None:
            use_objects(self.fields["grid"], grids)
        if categories is not None:
            use_objects(self.fields["category"], categories)


class MergeForm(forms.Form):
    parent_code = forms.CharField(
        label=_("合并到（编号）"), max_length=12, required=False, widget=forms.TextInput(attrs=REQ)
    )
    note = _text_field(_("合并说明"), required_attr=False)


class EditDetailsForm(forms.Form):
    """修改信息: the centre corrects an appeal's descriptive fields (pre-filled). The appellant's
    name and phone are left out for an anonymous appeal, the phone also when the user may not
    see it, the enterprise name unless the appellant is an enterprise or one is recorded."""

    subject = _text_field(_("标题"), maxlength=200)
    detail = _text_field(_("诉求内容"), rows=5)
    address = _text_field(_("地址"), required_attr=False, maxlength=200)
    appellant_name = _text_field(_("诉求人姓名"), required_attr=False, maxlength=60)
    appellant_phone = _text_field(_("联系电话"), required_attr=False, maxlength=20, inputmode="tel")
    enterprise_name = _text_field(_("企业名称"), required_attr=False, maxlength=100)
    latitude = forms.DecimalField(
        label=_("纬度"),
        max_digits=9,
        decimal_places=6,
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "min": -90, "max": 90}),
    )
    longitude = forms.DecimalField(
        label=_("经度"),
        max_digits=9,
        decimal_places=6,
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "min": -180, "max": 180}),
    )
    note = _text_field(_("修改说明"), required_attr=False, maxlength=500)

    FIELDS: tuple[str, ...] = ()  # the verb's editable fields this form has (set below)

    def __init__(self, *args, appeal=None, phone_visible: bool = True, **kwargs):
        if appeal is not None:
            kwargs.setdefault("initial", {n: getattr(appeal, n) for n in self.FIELDS})
        super().__init__(*args, **kwargs)
        if appeal is None:
            return
        if appeal.appellant_kind == AppellantKind.ANONYMOUS:
            del self.fields["appellant_name"]
            del self.fields["appellant_phone"]
        elif not phone_visible:
            del self.fields["appellant_phone"]
        if appeal.appellant_kind != AppellantKind.ENTERPRISE and not appeal.enterprise_name:
            del self.fields["enterprise_name"]


EditDetailsForm.FIELDS = tuple(n for n in EDITABLE_FIELDS if n in EditDetailsForm.base_fields)


class LinkForm(forms.Form):
    other_code = forms.CharField(
        label=_("关联诉求（编号）"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs=REQ),
    )
    note = _text_field(_("关联说明"), required_attr=False, maxlength=200)


class UnlinkForm(forms.Form):
    other = forms.IntegerField(required=False, widget=forms.HiddenInput)


class DecideExtensionForm(forms.Form):
    extension = forms.IntegerField(widget=forms.HiddenInput)
    approve = forms.TypedChoiceField(
        choices=[("1", _("批准")), ("0", _("驳回"))], coerce=lambda v: v == "1"
    )
    note = _text_field(_("审批意见"), required_attr=False)


class IntakeForm(forms.Form):
    """Register an appeal by phone (12345 hotline) or another staff channel."""

    channel = forms.ChoiceField(label=_("渠道"), choices=channel_choices, initial=Channel.HOTLINE)
    appellant_kind = forms.ChoiceField(
        label=_("诉求人类型"),
        choices=AppellantKind.choices,
        initial=AppellantKind.PERSON,
        widget=forms.RadioSelect,
    )
    appellant_name = _text_field(_("诉求人姓名"), required_attr=False, maxlength=60)
    appellant_phone = _text_field(_("联系电话"), required_attr=False, maxlength=20, inputmode="tel")
    enterprise_name = _text_field(_("企业名称"), required_attr=False, maxlength=100)
    subject = _text_field(_("标题"), maxlength=200)
    detail = _text_field(_("诉求内容"), rows=5)
    address = _text_field(_("地址"), required_attr=False, maxlength=200)
    grid = GridField()
    category = CategoryField()
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices)
    attachments = MultipleImageField(label=_("照片"))

    def __init__(self, *args, channels=None, **kwargs):
        super().__init__(*args, **kwargs)
        if channels is not None:
            self.fields["channel"].choices = [c for c in channel_choices() if c[0] in channels]
            if self.fields["channel"].initial not in channels:
                self.fields["channel"].initial = channels[0]


# --- unit work ------------------------------------------------------------------------------


class ClaimForm(forms.Form):
    unit_id = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReturnForm(forms.Form):
    reason = _text_field(_("退单理由"), rows=3, minlength=4)


class ExtensionForm(forms.Form):
    days = forms.IntegerField(
        label=_("延期工作日"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 30, "required": True}),
    )
    reason = _text_field(_("延期理由"), rows=3)


class WhistleForm(forms.Form):
    departments = UnitMultipleChoiceField(
        label=_("召集部门"),
        queryset=Unit.objects.filter(active=True, kind=UnitKind.DEPARTMENT),
        required=False,
        widget=SearchCheckboxes(placeholder=_("输入部门名称筛选")),
    )
    reason = _text_field(_("吹哨事由"), rows=3)


class ReportForm(forms.Form):
    unit_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    share = _text_field(_("承担的任务"), rows=2)


class CancelSummonsForm(forms.Form):
    summons = forms.IntegerField(widget=forms.HiddenInput)
    reason = _text_field(_("撤销原因"), rows=2)


class AnswerForm(forms.Form):
    unit_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    answer = _text_field(_("反馈内容"), rows=3)


class ProgressForm(forms.Form):
    note = _text_field(_("进展说明"), rows=3)
    attachments = MultipleImageField(label=_("照片"), camera=True)


class ContactForm(forms.Form):
    note = _text_field(_("联系情况"), rows=2)


class ResolveForm(forms.Form):
    outcome_kind = forms.ChoiceField(
        label=_("办理方式"),
        choices=OutcomeKind.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    outcome = _text_field(_("办理结果"), rows=3)
    measures = _text_field(_("整改措施"), rows=2, required_attr=False)
    responsible_office = _text_field(_("责任科室"), required_attr=False, maxlength=100)
    responsible_person = _text_field(_("责任人"), required_attr=False, maxlength=50)
    roadmap = _text_field(_("路线图"), rows=2, required_attr=False)
    timetable = _text_field(_("时间表"), rows=2, required_attr=False)
    explanation = _text_field(_("向群众的解释说明"), rows=2, required_attr=False)
    attachments = MultipleImageField(label=_("照片"), camera=True)


class ReplyForm(forms.Form):
    text = _text_field(_("答复内容"), rows=4, minlength=10)


class AttachForm(forms.Form):
    files = MultipleImageField(label=_("照片"), camera=True)


# --- follow-up and close --------------------------------------------------------------------

YES_NO = [("1", _("是")), ("0", _("否"))]


def _yes_no(v):
    return {"1": True, "0": False}.get(v)


class FollowUpForm(forms.Form):
    """回访: three answers, or `reached=0` when the appellant could not be reached."""

    reached = forms.TypedChoiceField(
        choices=[("1", _("已接通")), ("0", _("未接通"))],
        coerce=lambda v: v != "0",
        required=False,
        empty_value=True,
        widget=forms.HiddenInput,
    )
    source = forms.ChoiceField(
        label=_("回访方式"),
        choices=[c for c in FollowUpSource.choices if c[0] != FollowUpSource.RESIDENT],
        initial=FollowUpSource.CALLBACK,
        required=False,
    )
    contacted = forms.TypedChoiceField(
        label=_("承办单位是否及时联系"),
        choices=YES_NO,
        coerce=_yes_no,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    solved = forms.TypedChoiceField(
        label=_("问题是否解决"),
        choices=YES_NO,
        coerce=_yes_no,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=_("满意度"), choices=Satisfaction.choices, required=False, widget=forms.RadioSelect
    )
    comment = _text_field(_("群众意见"), rows=2, required_attr=False)


class CloseForm(forms.Form):
    note = _text_field(_("销号说明"), required_attr=False)


class ReopenForm(forms.Form):
    reason = _text_field(_("重办理由"), rows=2, minlength=4)


class NoteForm(forms.Form):
    text = _text_field(_("备注"), rows=2, minlength=4)
