"""Appeal serializers: read shapes for lists, details and timelines, and one input serializer
per verb. Input serializers only check shape and types; the verbs in `appeals.actions` check
everything else (and raise the domain errors the API reports)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from minhu.appeals.access import can_see_phone, mask_phone
from minhu.appeals.actions import PUBLIC_CHANNELS
from minhu.appeals.kinds import channel_choices
from minhu.appeals.models import (
    Appeal,
    AppealEvent,
    AppellantKind,
    Assignment,
    Attachment,
    Channel,
    CollectionPoint,
    EventKind,
    ExtensionRequest,
    FollowUp,
    FollowUpSource,
    OutcomeKind,
    Satisfaction,
    Summons,
    Urgency,
)
from minhu.categories.models import Category
from minhu.orgs.api.common import UnitRefSerializer
from minhu.orgs.models import Unit

DUE_STATES = ["overdue", "due_soon", "on_time"]
PUBLIC_CHANNEL_CHOICES = [c for c in Channel.choices if c[0] in PUBLIC_CHANNELS]
MAX_UPLOADS = 9


# --- read shapes ------------------------------------------------------------------------------


class CategoryRefSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "parent", "full_name"]
        read_only_fields = fields


class CollectionPointRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CollectionPoint
        fields = ["id", "code", "name"]
        read_only_fields = fields


class PhoneMaskingMixin(serializers.Serializer):
    """`appellant_phone` in full only for those who may call the appellant."""

    appellant_phone = serializers.SerializerMethodField()

    def get_appellant_phone(self, obj: Appeal) -> str:
        request = self.context.get("request")
        user = request.user if request else None
        if user is not None and can_see_phone(user, obj):
            return obj.appellant_phone
        return mask_phone(obj.appellant_phone)


class DueStateMixin(serializers.Serializer):
    due_state = serializers.SerializerMethodField(
        help_text="overdue / due_soon / on_time for the current step, empty when no clock runs"
    )

    @extend_schema_field(serializers.ChoiceField(choices=[*DUE_STATES, ""]))
    def get_due_state(self, obj: Appeal) -> str:
        now = self.context.get("now") or timezone.now()
        return obj.due_state(now)


class AppealListSerializer(PhoneMaskingMixin, DueStateMixin, serializers.ModelSerializer):
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    urgency_label = serializers.CharField(source="get_urgency_display", read_only=True)
    category = CategoryRefSerializer(read_only=True)
    street = UnitRefSerializer(read_only=True)
    grid = UnitRefSerializer(read_only=True)
    lead_unit = UnitRefSerializer(read_only=True)

    class Meta:
        model = Appeal
        fields = [
            "id",
            "code",
            "channel",
            "channel_label",
            "subject",
            "status",
            "status_label",
            "urgency",
            "urgency_label",
            "appellant_kind",
            "appellant_name",
            "appellant_phone",
            "address",
            "category",
            "street",
            "grid",
            "lead_unit",
            "created_at",
            "current_step",
            "current_due_at",
            "due_state",
            "reopen_count",
            "return_count",
        ]
        read_only_fields = fields


class AssignmentSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    claimed_by = serializers.StringRelatedField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "unit",
            "role",
            "role_label",
            "status",
            "status_label",
            "active",
            "round",
            "dispatched_at",
            "claim_due_at",
            "claimed_at",
            "claimed_by",
            "note",
        ]
        read_only_fields = fields


class SummonsSerializer(serializers.ModelSerializer):
    department = UnitRefSerializer(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    whistle_reason = serializers.CharField(source="whistle.reason", read_only=True)
    whistle_unit = UnitRefSerializer(source="whistle.unit", read_only=True)
    raised_at = serializers.DateTimeField(source="whistle.raised_at", read_only=True)
    reported_by = serializers.StringRelatedField()
    reported_on_time = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = Summons
        fields = [
            "id",
            "whistle",
            "whistle_reason",
            "whistle_unit",
            "raised_at",
            "department",
            "status",
            "status_label",
            "report_due_at",
            "answer_due_at",
            "reported_at",
            "reported_by",
            "reported_on_time",
            "share",
            "answered_at",
            "answer",
            "cancelled_at",
            "cancel_reason",
        ]
        read_only_fields = fields


class ExtensionSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    requested_by = serializers.StringRelatedField()
    decided_by = serializers.StringRelatedField()

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "unit",
            "days",
            "reason",
            "status",
            "status_label",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class FollowUpSerializer(serializers.ModelSerializer):
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    satisfaction_label = serializers.CharField(source="get_satisfaction_display", read_only=True)
    unit = UnitRefSerializer(read_only=True)
    actor = serializers.StringRelatedField()
    rated_appeal = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "source",
            "source_label",
            "round",
            "unit",
            "reached",
            "contacted",
            "solved",
            "satisfaction",
            "satisfaction_label",
            "comment",
            "actor",
            "rated_appeal",
            "created_at",
        ]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    uploaded_by = serializers.StringRelatedField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "url",
            "name",
            "content_type",
            "size",
            "by_handler",
            "uploaded_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_url(self, obj: Attachment) -> str:
        # Photos are never public: the URL is the scope-checked download endpoint.
        url = reverse("appeal-attachment-file", kwargs={"pk": obj.appeal_id, "att_id": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class AppealDetailSerializer(AppealListSerializer):
    appellant_kind_label = serializers.CharField(
        source="get_appellant_kind_display", read_only=True
    )
    outcome_kind_label = serializers.CharField(source="get_outcome_kind_display", read_only=True)
    satisfaction_label = serializers.CharField(source="get_satisfaction_display", read_only=True)
    collection_point = CollectionPointRefSerializer(read_only=True)
    about_unit = UnitRefSerializer(read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    merged_children = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    registered_by = serializers.StringRelatedField()
    assignments = AssignmentSerializer(many=True, read_only=True)
    summonses = SummonsSerializer(many=True, read_only=True)
    extensions = ExtensionSerializer(many=True, read_only=True)
    follow_ups = FollowUpSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(AppealListSerializer.Meta):
        fields = [
            *AppealListSerializer.Meta.fields,
            "detail",
            "appellant_kind_label",
            "enterprise_name",
            "latitude",
            "longitude",
            "collection_point",
            "about_unit",
            "parent",
            "merged_children",
            "registered_by",
            "dispatched_at",
            "claimed_at",
            "contacted_at",
            "resolved_at",
            "replied_at",
            "closed_at",
            "claim_due_at",
            "contact_due_at",
            "resolve_due_at",
            "extension_days",
            "outcome_kind",
            "outcome_kind_label",
            "outcome",
            "measures",
            "responsible_office",
            "responsible_person",
            "roadmap",
            "timetable",
            "explanation",
            "reply",
            "satisfaction",
            "satisfaction_label",
            "solved",
            "updated_at",
            "assignments",
            "summonses",
            "extensions",
            "follow_ups",
            "attachments",
            "attributes",
        ]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="get_kind_display", read_only=True)
    unit = UnitRefSerializer(read_only=True)
    is_public = serializers.BooleanField(read_only=True)

    class Meta:
        model = AppealEvent
        fields = [
            "id",
            "kind",
            "label",
            "actor_name",
            "unit",
            "from_status",
            "to_status",
            "note",
            "data",
            "created_at",
            "is_public",
        ]
        read_only_fields = fields


# --- inputs -----------------------------------------------------------------------------------


def _units(**kwargs) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), **kwargs)


def _uploads(help_text: str = "Photos (multipart only), at most 9") -> serializers.ListField:
    return serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        max_length=MAX_UPLOADS,
        help_text=help_text,
    )


class RegisterInputSerializer(serializers.Serializer):
    """受理: a staff member registers an appeal from any channel."""

    channel = serializers.ChoiceField(choices=channel_choices())
    subject = serializers.CharField(allow_blank=True, trim_whitespace=False)
    detail = serializers.CharField(allow_blank=True, trim_whitespace=False)
    appellant_kind = serializers.ChoiceField(
        choices=AppellantKind.choices, default=AppellantKind.PERSON
    )
    appellant_name = serializers.CharField(required=False, allow_blank=True, default="")
    appellant_phone = serializers.CharField(required=False, allow_blank=True, default="")
    enterprise_name = serializers.CharField(required=False, allow_blank=True, default="")
    address = serializers.CharField(required=False, allow_blank=True, default="")
    grid = _units(required=False, allow_null=True, default=None)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, default=None
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, default=None
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True, default=None
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    collection_point = serializers.PrimaryKeyRelatedField(
        queryset=CollectionPoint.objects.all(), required=False, allow_null=True, default=None
    )
    about_unit = _units(
        required=False,
        allow_null=True,
        default=None,
        help_text="The unit the appeal is about (an enterprise rating a department)",
    )
    attributes = serializers.DictField(
        required=False,
        default=dict,
        help_text="Values of the category's extra fields, by field code "
        "(GET /categories/{id}/ lists them under `fields`)",
    )
    attachments = _uploads()


class PublicRegisterInputSerializer(serializers.Serializer):
    """A resident or enterprise files an appeal (H5, mini-program, enterprise code)."""

    channel = serializers.ChoiceField(
        choices=PUBLIC_CHANNEL_CHOICES,
        required=False,
        help_text="Defaults to the collection point's channel, else h5",
    )
    collection_point = serializers.SlugRelatedField(
        slug_field="code",
        queryset=CollectionPoint.objects.filter(active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="The code printed on the QR code of the collection point",
    )
    subject = serializers.CharField(allow_blank=True, trim_whitespace=False)
    detail = serializers.CharField(allow_blank=True, trim_whitespace=False)
    appellant_kind = serializers.ChoiceField(
        choices=AppellantKind.choices, default=AppellantKind.PERSON
    )
    appellant_name = serializers.CharField(required=False, allow_blank=True, default="")
    appellant_phone = serializers.CharField(required=False, allow_blank=True, default="")
    enterprise_name = serializers.CharField(required=False, allow_blank=True, default="")
    address = serializers.CharField(required=False, allow_blank=True, default="")
    grid = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.filter(active=True), required=False, allow_null=True, default=None
    )
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, default=None
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, default=None
    )
    about_unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.filter(active=True), required=False, allow_null=True, default=None
    )
    attachments = _uploads()


class ClassifyInputSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True, default=None
    )
    urgency = serializers.ChoiceField(
        choices=Urgency.choices, required=False, allow_null=True, default=None
    )
    grid = _units(required=False, allow_null=True, default=None)
    address = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None)


class EditInputSerializer(serializers.Serializer):
    """修改信息: only the fields sent are changed (PATCH)."""

    subject = serializers.CharField(allow_blank=True, trim_whitespace=False)
    detail = serializers.CharField(allow_blank=True, trim_whitespace=False)
    address = serializers.CharField(allow_blank=True)
    appellant_name = serializers.CharField(allow_blank=True)
    appellant_phone = serializers.CharField(allow_blank=True)
    enterprise_name = serializers.CharField(allow_blank=True)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    collection_point = serializers.PrimaryKeyRelatedField(
        queryset=CollectionPoint.objects.all(), allow_null=True
    )
    about_unit = _units(allow_null=True)
    note = serializers.CharField(
        required=False, allow_blank=True, help_text="Why (kept on the event)"
    )


class MergeInputSerializer(serializers.Serializer):
    parent = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Id of the main appeal"
    )
    parent_code = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Or its tracking code"
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["parent"] is None and not attrs["parent_code"].strip():
            raise serializers.ValidationError(
                {"parent": [_("请指定要合并到的主诉求（parent 或 parent_code）")]}
            )
        return attrs


class DispatchInputSerializer(serializers.Serializer):
    lead_unit = _units()
    assist_units = _units(many=True, required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class UnitChoiceInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The unit to act for, when the user belongs to several involved units",
    )


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class ExtensionInputSerializer(serializers.Serializer):
    days = serializers.IntegerField(help_text="Working days, 1 to 30")
    reason = serializers.CharField(allow_blank=True)


class DecideExtensionInputSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class WhistleInputSerializer(serializers.Serializer):
    departments = _units(many=True, help_text="District departments to summon")
    reason = serializers.CharField(allow_blank=True)


class ReportInputSerializer(UnitChoiceInputSerializer):
    share = serializers.CharField(allow_blank=True, help_text="The share the department takes")


class AnswerInputSerializer(UnitChoiceInputSerializer):
    answer = serializers.CharField(allow_blank=True, help_text="What the department did")


class CancelSummonsInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="Why the summons is withdrawn")


class NoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True)


class LeaderNoteInputSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, help_text="4 to 2000 characters")


class OptionalNoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ProgressInputSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True)
    attachments = _uploads()


class ResolveInputSerializer(serializers.Serializer):
    outcome_kind = serializers.ChoiceField(choices=OutcomeKind.choices)
    outcome = serializers.CharField(allow_blank=True)
    measures = serializers.CharField(required=False, allow_blank=True, default="")
    responsible_office = serializers.CharField(required=False, allow_blank=True, default="")
    responsible_person = serializers.CharField(required=False, allow_blank=True, default="")
    roadmap = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required for long_term"
    )
    timetable = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required for long_term"
    )
    explanation = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required for long_term"
    )
    attachments = _uploads()


class ReplyInputSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, help_text="At least 10 characters")


class FollowUpInputSerializer(serializers.Serializer):
    reached = serializers.BooleanField(default=True)
    contacted = serializers.BooleanField(required=False, allow_null=True, default=None)
    solved = serializers.BooleanField(required=False, allow_null=True, default=None)
    satisfaction = serializers.ChoiceField(
        choices=Satisfaction.choices, required=False, allow_blank=True, default=""
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(
        choices=[
            (FollowUpSource.CALLBACK.value, FollowUpSource.CALLBACK.label),
            (FollowUpSource.VISIT.value, FollowUpSource.VISIT.label),
        ],
        default=FollowUpSource.CALLBACK,
    )


class AttachmentsInputSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(),
        min_length=1,
        max_length=MAX_UPLOADS,
        help_text="Photos (multipart), at most 9",
    )


class RateInputSerializer(serializers.Serializer):
    phone = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required for named appeals"
    )
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    solved = serializers.BooleanField(required=False, allow_null=True, default=None)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


# --- public shapes ----------------------------------------------------------------------------

# Event kinds whose note the appellant sees (the answer, their own rating, why it was reopened).
PUBLIC_NOTE_KINDS = {EventKind.REPLY, EventKind.RATE, EventKind.REOPEN}


class PublicEventSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="get_kind_display", read_only=True)
    unit = serializers.SerializerMethodField()
    note = serializers.SerializerMethodField()

    class Meta:
        model = AppealEvent
        fields = ["kind", "label", "unit", "note", "created_at"]
        read_only_fields = fields

    def get_unit(self, obj: AppealEvent) -> str:
        return obj.unit.name if obj.unit_id else ""

    def get_note(self, obj: AppealEvent) -> str:
        return obj.note if obj.kind in PUBLIC_NOTE_KINDS else ""


class PublicAppealSerializer(serializers.ModelSerializer):
    """What the appellant sees through the tracking code."""

    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    category = serializers.SerializerMethodField()
    lead_unit = serializers.SerializerMethodField()
    outcome_kind_label = serializers.CharField(source="get_outcome_kind_display", read_only=True)
    satisfaction_label = serializers.CharField(source="get_satisfaction_display", read_only=True)
    can_rate = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta:
        model = Appeal
        fields = [
            "code",
            "channel",
            "channel_label",
            "subject",
            "detail",
            "address",
            "status",
            "status_label",
            "category",
            "lead_unit",
            "created_at",
            "resolved_at",
            "replied_at",
            "closed_at",
            "outcome_kind",
            "outcome_kind_label",
            "roadmap",
            "timetable",
            "explanation",
            "reply",
            "satisfaction",
            "satisfaction_label",
            "can_rate",
            "timeline",
        ]
        read_only_fields = fields

    def get_category(self, obj: Appeal) -> str:
        return str(obj.category) if obj.category_id else ""

    def get_lead_unit(self, obj: Appeal) -> str:
        return obj.lead_unit.name if obj.lead_unit_id else ""

    def get_can_rate(self, obj: Appeal) -> bool:
        return bool(self.context.get("can_rate"))

    @extend_schema_field(PublicEventSerializer(many=True))
    def get_timeline(self, obj: Appeal):
        events = [e for e in self.context.get("events", []) if e.is_public]
        return PublicEventSerializer(events, many=True).data


class AppealReceiptSerializer(serializers.ModelSerializer):
    """Answer to a staff registration: the new appeal's id, code and status and where to read
    it. Routing (classification, duplicates, automatic dispatch) runs after the answer, so the
    full appeal is read from `url` when needed (or asked for with `Prefer: return=representation`)."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Appeal
        fields = ["id", "code", "status", "status_label", "created_at", "url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: Appeal) -> str:
        request = self.context.get("request")
        path = reverse("appeal-detail", kwargs={"pk": obj.pk})
        return request.build_absolute_uri(path) if request else path


class PublicReceiptSerializer(serializers.ModelSerializer):
    """Answer to a public registration: the tracking code to keep."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    tracking_url = serializers.SerializerMethodField(
        help_text="The resident's H5 tracking page (open it in a browser)."
    )
    api_url = serializers.SerializerMethodField(help_text="The same appeal in this API (JSON).")

    class Meta:
        model = Appeal
        fields = ["code", "status", "status_label", "created_at", "tracking_url", "api_url"]
        read_only_fields = fields

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_tracking_url(self, obj: Appeal) -> str:
        return self._absolute(reverse("residents:track_detail", kwargs={"code": obj.code}))

    @extend_schema_field(OpenApiTypes.URI)
    def get_api_url(self, obj: Appeal) -> str:
        return self._absolute(reverse("public-appeal-detail", kwargs={"code": obj.code}))
