"""The appeals API. Reads go through `appeals_visible_to` / `access_appeal`; every POST on an
appeal calls one verb in `minhu.appeals.actions` and nothing else changes state here. Domain
errors become `{"error": {...}}` bodies in `minhu.core.api.exception_handler`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from minhu.appeals import actions, guards
from minhu.appeals.access import access_appeal, appeal_id_by_code, appeals_visible_to
from minhu.appeals.attachments import serve_attachment
from minhu.appeals.kinds import resident_channel
from minhu.appeals.models import (
    Appeal,
    AppealEvent,
    Assignment,
    Attachment,
    ExtensionRequest,
    FollowUp,
    Summons,
)
from minhu.core import idempotency, ratelimit
from minhu.core.errors import InvalidInput, NotFound
from minhu.core.parsers import JSONObjectParser
from minhu.orgs.api.common import errors
from minhu.orgs.api.permissions import IsStaffMember, PublicRateThrottle

from . import serializers as s
from .filters import AppealFilter


def _idempotent(request: Request, scope: str, produce) -> Response:
    """Run an intake once per `Idempotency-Key` (minhu.core.idempotency): a retry with the
    same key gets the first response again (body and headers), marked
    `Idempotent-Replayed: true`. `produce` returns (status, {"data": ..., "headers": {...}})."""
    code, data, replayed = idempotency.run_once(
        scope,
        request.headers.get(idempotency.HEADER),
        idempotency.fingerprint(request.data, request.FILES),
        produce,
    )
    response = Response(data["data"], status=code)
    for name, value in data["headers"].items():
        response[name] = value
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


IDEMPOTENCY_PARAM = OpenApiParameter(
    idempotency.HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Optional. A random key (UUID) per appeal: a retry with the same key returns "
    "the first response instead of registering the appeal twice.",
)


PARSERS = [JSONObjectParser, MultiPartParser, FormParser]
ACTION_ERRORS = errors(400, 401, 403, 404, 409)
PREFER = OpenApiParameter(
    "Prefer",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    enum=["return=minimal", "return=representation"],
    description="RFC 7240: `return=representation` for the whole appeal instead of the receipt",
)
REGISTERED = PolymorphicProxySerializer(
    component_name="RegisteredAppeal",
    serializers=[s.AppealReceiptSerializer, s.AppealDetailSerializer],
    resource_type_field_name=None,
)


def _prefers_representation(request: Request) -> bool:
    prefs = request.headers.get("Prefer", "")
    return any(p.strip().lower() == "return=representation" for p in prefs.split(","))


def _appeal_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound()


def _act(summary: str, request_serializer, description: str = "", code: int = 200, **kwargs):
    """Schema for one verb endpoint: its body, the appeal it returns, the error bodies."""
    return extend_schema(
        summary=summary,
        description=description,
        request=request_serializer,
        responses={code: s.AppealDetailSerializer, **ACTION_ERRORS},
        **kwargs,
    )


@extend_schema_view(
    list=extend_schema(
        summary="List appeals visible to the user",
        responses={200: s.AppealListSerializer, **errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="One appeal with assignments, summonses, extensions, follow-ups, attachments",
        responses={200: s.AppealDetailSerializer, **errors(401, 403, 404)},
    ),
)
class AppealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, IsStaffMember]
    filterset_class = AppealFilter
    parser_classes = PARSERS
    queryset = Appeal.objects.none()  # for the schema; get_queryset scopes every request

    # --- reads ----------------------------------------------------------------------------

    def get_queryset(self) -> QuerySet[Appeal]:
        qs = appeals_visible_to(self.request.user).select_related(
            "lead_unit", "category__parent", "street", "grid"
        )
        if self.action == "list":
            return qs
        return self._with_detail(qs)

    @staticmethod
    def _with_detail(qs: QuerySet[Appeal]) -> QuerySet[Appeal]:
        return qs.select_related(
            "lead_unit",
            "category__parent",
            "street",
            "grid",
            "collection_point",
            "about_unit",
            "parent",
            "registered_by",
        ).prefetch_related(
            Prefetch(
                "assignments",
                Assignment.objects.select_related("unit", "claimed_by").order_by(
                    "round", "-role", "id"
                ),
            ),
            Prefetch(
                "summonses",
                Summons.objects.select_related(
                    "department", "reported_by", "whistle__unit"
                ).order_by("id"),
            ),
            Prefetch(
                "extensions",
                ExtensionRequest.objects.select_related(
                    "unit", "requested_by", "decided_by"
                ).order_by("id"),
            ),
            Prefetch(
                "follow_ups",
                FollowUp.objects.select_related("unit", "actor", "rated_appeal").order_by(
                    "created_at", "id"
                ),
            ),
            Prefetch(
                "attachments", Attachment.objects.select_related("uploaded_by").order_by("id")
            ),
            Prefetch("merged_children", Appeal.objects.only("id", "code", "parent_id")),
        )

    def get_serializer_class(self):
        if self.action == "list":
            return s.AppealListSerializer
        return s.AppealDetailSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def retrieve(self, request: Request, pk=None) -> Response:
        appeal = self.get_queryset().filter(pk=_appeal_id(pk)).first()
        if appeal is None:
            raise NotFound()
        return Response(self.get_serializer(appeal).data)

    def _detail(self, appeal_id: int, code: int = status.HTTP_200_OK) -> Response:
        """The appeal after a verb: the actor just acted on it, so no second scope check."""
        appeal = self._with_detail(Appeal.objects.filter(pk=appeal_id)).get()
        return Response(
            s.AppealDetailSerializer(appeal, context=self.get_serializer_context()).data,
            status=code,
        )

    def _run(self, serializer_class, verb: Callable[..., Any], **fixed) -> Response:
        """Validate the body's shape, call the verb, answer with the appeal."""
        appeal_id = _appeal_id(self.kwargs["pk"])
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        verb(appeal_id, actor=self.request.user, **{**body.validated_data, **fixed})
        return self._detail(appeal_id)

    # --- intake ---------------------------------------------------------------------------

    @extend_schema(
        summary="Register an appeal (staff, any channel)",
        description="Answers 201 with a receipt (`id`, `code`, `status`, `url`; the `Location` "
        "header is `url`): routing runs after the answer. `Prefer: return=representation` "
        "answers with the whole appeal as `GET /appeals/{id}/` would right after registration.",
        parameters=[PREFER, IDEMPOTENCY_PARAM],
        request={
            "application/json": s.RegisterInputSerializer,
            "multipart/form-data": s.RegisterInputSerializer,
        },
        responses={201: REGISTERED, **errors(400, 401, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        def produce() -> tuple[int, dict]:
            body = s.RegisterInputSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            appeal = actions.register_appeal(actor=request.user, **body.validated_data)
            receipt = s.AppealReceiptSerializer(appeal, context={"request": request}).data
            headers = {"Location": receipt["url"]}
            if _prefers_representation(request):
                data = self._detail(appeal.pk, status.HTTP_201_CREATED).data
                headers["Preference-Applied"] = "return=representation"
            else:
                data = receipt
            return status.HTTP_201_CREATED, {"data": data, "headers": headers}

        return _idempotent(request, f"api.appeals:user:{request.user.pk}", produce)

    @extend_schema(
        summary="Correct descriptive fields: subject, detail, address, appellant (centre)",
        request=s.EditInputSerializer,
        responses={200: s.AppealDetailSerializer, **ACTION_ERRORS},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        appeal_id = _appeal_id(pk)
        body = s.EditInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        actions.edit_details(appeal_id, actor=request.user, **body.validated_data)
        return self._detail(appeal_id)

    @extend_schema(
        summary="Every event of the appeal, oldest first",
        responses={200: s.EventSerializer(many=True), **errors(401, 403, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request: Request, pk=None) -> Response:
        appeal = access_appeal(request.user, _appeal_id(pk))
        events = AppealEvent.objects.filter(appeal=appeal).select_related("unit")
        return Response(s.EventSerializer(events.order_by("created_at", "id"), many=True).data)

    # --- the verbs ------------------------------------------------------------------------

    @_act("Classify: category, urgency, grid, address (centre)", s.ClassifyInputSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def classify(self, request: Request, pk=None) -> Response:
        return self._run(s.ClassifyInputSerializer, actions.classify)

    @_act("Merge this appeal into a main one (centre)", s.MergeInputSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def merge(self, request: Request, pk=None) -> Response:
        appeal_id = _appeal_id(pk)
        body = s.MergeInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        parent = body.validated_data["parent"]
        if parent is None:
            parent = appeal_id_by_code(
                request.user, body.validated_data["parent_code"], field="parent_code"
            )
        actions.merge(
            appeal_id, actor=request.user, parent=parent, note=body.validated_data["note"]
        )
        return self._detail(appeal_id)

    @_act("Dispatch to a lead unit and assisting units (centre)", s.DispatchInputSerializer)
    @action(detail=True, methods=["post"], url_path="dispatch", filter_backends=[])
    def dispatch_appeal(self, request: Request, pk=None) -> Response:
        return self._run(s.DispatchInputSerializer, actions.dispatch)

    @_act("Claim the unit's share", s.UnitChoiceInputSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def claim(self, request: Request, pk=None) -> Response:
        body = s.UnitChoiceInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appeal_id = _appeal_id(pk)
        actions.claim(appeal_id, actor=request.user, unit_id=body.validated_data["unit"])
        return self._detail(appeal_id)

    @_act("Return to the centre as not the unit's business (lead unit)", s.ReasonInputSerializer)
    @action(detail=True, methods=["post"], url_path="return", filter_backends=[])
    def return_appeal(self, request: Request, pk=None) -> Response:
        return self._run(s.ReasonInputSerializer, actions.return_appeal)

    @_act("Request more working days (lead unit)", s.ExtensionInputSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def extension(self, request: Request, pk=None) -> Response:
        return self._run(s.ExtensionInputSerializer, actions.request_extension)

    @_act(
        "Approve or deny an extension request (centre)",
        s.DecideExtensionInputSerializer,
        parameters=[OpenApiParameter("ext_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="extensions/<id:ext_id>/decide",
        filter_backends=[],
    )
    def decide_extension(self, request: Request, pk=None, ext_id=None) -> Response:
        appeal_id = _appeal_id(pk)
        body = s.DecideExtensionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # Scope first: outside it, an existing request and a made-up one are both "not found"
        # (the verb's 403 for non-centre users would otherwise tell them apart).
        access_appeal(request.user, appeal_id)
        if not ExtensionRequest.objects.filter(pk=ext_id, appeal_id=appeal_id).exists():
            raise NotFound()
        actions.decide_extension(int(ext_id), actor=request.user, **body.validated_data)
        return self._detail(appeal_id)

    @_act("Blow the whistle: summon district departments (street/town)", s.WhistleInputSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def whistle(self, request: Request, pk=None) -> Response:
        return self._run(s.WhistleInputSerializer, actions.blow_whistle)

    @_act("Report to a summons and take a share (summoned department)", s.ReportInputSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def report(self, request: Request, pk=None) -> Response:
        body = s.ReportInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appeal_id = _appeal_id(pk)
        data = dict(body.validated_data)
        actions.report_summons(appeal_id, actor=request.user, unit_id=data.pop("unit"), **data)
        return self._detail(appeal_id)

    @_act(
        "Withdraw a summons the department has not reported to (whistling street or centre)",
        s.CancelSummonsInputSerializer,
        parameters=[OpenApiParameter("summons_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="summonses/<id:summons_id>/cancel",
        filter_backends=[],
    )
    def cancel_summons(self, request: Request, pk=None, summons_id=None) -> Response:
        appeal_id = _appeal_id(pk)
        body = s.CancelSummonsInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actions.cancel_summons(
            appeal_id, actor=request.user, summons_id=int(summons_id), **body.validated_data
        )
        return self._detail(appeal_id)

    @_act("Answer a summons: what the department did", s.AnswerInputSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def answer(self, request: Request, pk=None) -> Response:
        body = s.AnswerInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appeal_id = _appeal_id(pk)
        data = dict(body.validated_data)
        actions.answer_summons(appeal_id, actor=request.user, unit_id=data.pop("unit"), **data)
        return self._detail(appeal_id)

    @_act("Record contact with the appellant (lead unit)", s.NoteInputSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def contact(self, request: Request, pk=None) -> Response:
        return self._run(s.NoteInputSerializer, actions.contact_appellant)

    @_act(
        "Add a progress note, with photos (working units)",
        {
            "application/json": s.ProgressInputSerializer,
            "multipart/form-data": s.ProgressInputSerializer,
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def progress(self, request: Request, pk=None) -> Response:
        return self._run(s.ProgressInputSerializer, actions.add_progress)

    @_act(
        "Resolve: on the spot, coordinated, or long-term (lead unit)",
        {
            "application/json": s.ResolveInputSerializer,
            "multipart/form-data": s.ResolveInputSerializer,
        },
        description="`long_term` needs `roadmap`, `timetable` and `explanation`.",
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def resolve(self, request: Request, pk=None) -> Response:
        return self._run(s.ResolveInputSerializer, actions.resolve)

    @_act("Reply to the appellant (lead unit)", s.ReplyInputSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reply(self, request: Request, pk=None) -> Response:
        return self._run(s.ReplyInputSerializer, actions.reply)

    @_act(
        "Record a follow-up call or visit (callback / centre)",
        s.FollowUpInputSerializer,
        description="Unsolved or unsatisfied answers reopen the appeal.",
    )
    @action(detail=True, methods=["post"], url_path="follow-up", filter_backends=[])
    def follow_up(self, request: Request, pk=None) -> Response:
        return self._run(s.FollowUpInputSerializer, actions.record_follow_up)

    @_act("Reopen: send back to the lead unit (centre)", s.ReasonInputSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reopen(self, request: Request, pk=None) -> Response:
        return self._run(s.ReasonInputSerializer, actions.reopen)

    @_act(
        "Leader's note: appended to the record (the only correction after closing)",
        s.LeaderNoteInputSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def note(self, request: Request, pk=None) -> Response:
        return self._run(s.LeaderNoteInputSerializer, actions.add_note)

    @_act("Close: tick off the ledger after follow-up (centre)", s.OptionalNoteInputSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def close(self, request: Request, pk=None) -> Response:
        return self._run(s.OptionalNoteInputSerializer, actions.close)

    @_act(
        "Upload photos (working units)",
        {"multipart/form-data": s.AttachmentsInputSerializer},
        code=201,
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser],
        filter_backends=[],
    )
    def attachments(self, request: Request, pk=None) -> Response:
        appeal_id = _appeal_id(pk)
        body = s.AttachmentsInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actions.add_attachments(appeal_id, actor=request.user, files=body.validated_data["files"])
        return self._detail(appeal_id, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download one photo (only for users who may see the appeal)",
        responses={(200, "image/*"): OpenApiTypes.BINARY},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="attachments/<id:att_id>/file",
        filter_backends=[],
        pagination_class=None,
    )
    def attachment_file(self, request: Request, pk=None, att_id=None) -> FileResponse:
        return serve_attachment(request.user, _appeal_id(pk), att_id)


# --- residents ------------------------------------------------------------------------------


def _public_appeal(code: str) -> Appeal:
    appeal = (
        Appeal.objects.select_related("category__parent", "lead_unit")
        .filter(code=(code or "").strip().upper())
        .first()
    )
    if appeal is None:
        raise NotFound(_("查询码或手机号不正确"))
    return appeal


def _can_rate(appeal: Appeal) -> bool:
    """Whether the appellant may rate now: the (main) appeal was answered and this appellant
    has not rated this round yet. The verb `actions.rate` checks the same when they do."""
    main = appeal.parent if appeal.parent_id else appeal
    return guards.allows(guards.check_rate, main, appeal)


PHONE_HEADER = "X-Appellant-Phone"
PHONE_PARAM = OpenApiParameter(
    PHONE_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The phone the appeal was filed with (not needed for anonymous appeals). "
    "A header, never the query string (which lands in access logs): `?phone=` is 400.",
)

CODE_PARAM = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH)


class PublicAppealViewSet(viewsets.GenericViewSet):
    """Residents and enterprises, without an account: file, track by code, rate."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicRateThrottle]
    parser_classes = PARSERS
    lookup_field = "code"
    lookup_value_converter = "str"
    queryset = Appeal.objects.none()
    serializer_class = s.PublicAppealSerializer

    def _public_body(self, appeal: Appeal) -> dict:
        events = list(
            AppealEvent.objects.filter(appeal=appeal)
            .select_related("unit")
            .order_by("created_at", "id")
        )
        context = {"request": self.request, "events": events, "can_rate": _can_rate(appeal)}
        return s.PublicAppealSerializer(appeal, context=context).data

    @extend_schema(
        summary="File an appeal (public channels; photos as multipart)",
        request={
            "application/json": s.PublicRegisterInputSerializer,
            "multipart/form-data": s.PublicRegisterInputSerializer,
        },
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: s.PublicReceiptSerializer, **errors(400, 403, 409, 429)},
    )
    def create(self, request: Request) -> Response:
        def produce() -> tuple[int, dict]:
            # One limit for one action: the H5 form counts in the same bucket.
            if ratelimit.public_exceeded("submit", request):
                raise ratelimit.public_refusal("submit")
            body = s.PublicRegisterInputSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            data = dict(body.validated_data)
            uploaded = ratelimit.upload_bytes(data.get("attachments"))
            ratelimit.check_upload_quota(request, uploaded)
            point = data.get("collection_point")
            if "channel" not in data:
                data["channel"] = resident_channel(point)
            appeal = actions.register_appeal(actor=None, **data)
            ratelimit.public_hit("submit", request)
            if uploaded:
                ratelimit.public_hit("upload_bytes", request, uploaded)
            receipt = s.PublicReceiptSerializer(appeal, context={"request": request})
            return status.HTTP_201_CREATED, {"data": receipt.data, "headers": {}}

        return _idempotent(request, "api.public-appeals", produce)

    @extend_schema(
        summary="Track an appeal by its code (public events only)",
        parameters=[CODE_PARAM, PHONE_PARAM],
        responses={200: s.PublicAppealSerializer, **errors(400, 404, 429)},
    )
    def retrieve(self, request: Request, code=None) -> Response:
        if "phone" in request.query_params:
            raise InvalidInput(
                _("手机号请放在请求头 %(h)s 中，不要放在网址里") % {"h": PHONE_HEADER},
                code="phone_in_query",
                field="phone",
            )
        ratelimit.check_public_lookup(request, code)
        try:
            appeal = _public_appeal(code)
            actions.check_appellant(appeal, request.headers.get(PHONE_HEADER))
        except NotFound:
            ratelimit.count_failed_lookup(request, code)
            raise
        return Response(self._public_body(appeal))

    @extend_schema(
        summary="Rate the answer (不满意 reopens the appeal)",
        parameters=[CODE_PARAM],
        request=s.RateInputSerializer,
        responses={200: s.PublicAppealSerializer, **errors(400, 404, 409, 429)},
    )
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, code=None) -> Response:
        body = s.RateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ratelimit.check_public_lookup(request, code)
        try:
            actions.rate(code, actor=None, **body.validated_data)
        except NotFound:
            ratelimit.count_failed_lookup(request, code)
            raise
        return Response(self._public_body(_public_appeal(code)))
