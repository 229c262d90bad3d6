"""问卷调查: questionnaires staff build and publish with a link and QR code; residents answer
them on the H5 pages; an answer that reports a problem becomes a work item (by a rule on a
question, or by a staff member), linked to it."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

KIND = "survey_answer"
SOURCE_MODEL = "surveys.Response"


def new_slug() -> str:
    return secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")[:8]


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("收集中")
    CLOSED = "closed", _("已结束")


class Identity(models.TextChoices):
    ANONYMOUS = "anonymous", _("匿名")
    OPTIONAL = "optional", _("可留名")
    NAMED = "named", _("实名（须留姓名和手机号）")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    RATING = "rating", _("评分（1-5）")
    TEXT = "text", _("填空")


class Survey(models.Model):
    slug = models.CharField(max_length=12, unique=True, default=new_slug)
    title = models.CharField(_("问卷标题"), max_length=100)
    intro = models.TextField(_("说明"), blank=True)
    identity = models.CharField(
        _("填写方式"), max_length=10, choices=Identity.choices, default=Identity.OPTIONAL
    )
    one_per_phone = models.BooleanField(_("每个手机号限填一次"), default=False)
    grid = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("所属网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The unit whose staff built it: they (and the district-wide roles) see it.
    owner_unit = models.ForeignKey(
        "orgs.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("问卷")

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("题型"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("题目"), max_length=200)
    required = models.BooleanField(_("必答"), default=False)
    options = models.JSONField(_("选项"), default=list, blank=True)
    # The rule: an answer choosing one of these options, or rating at most this, reports a
    # problem (the response becomes a work item).
    problem_options = models.JSONField(_("反映问题的选项"), default=list, blank=True)
    problem_rating_max = models.PositiveSmallIntegerField(_("评分不高于此值视为问题"), null=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def has_rule(self) -> bool:
        return bool(self.problem_options) or self.problem_rating_max is not None


class Response(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    # {str(question id): "option" | ["option", ...] | 1..5 | "text"}
    answers = models.JSONField(default=dict)
    name = models.CharField(_("姓名"), max_length=40, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    problem = models.BooleanField(_("反映问题"), default=False, db_index=True)
    appeal = models.OneToOneField(
        "appeals.Appeal", null=True, on_delete=models.PROTECT, related_name="survey_response"
    )
    # The phone when the survey allows one answer per phone (else ""): unique per survey.
    once_key = models.CharField(max_length=20, blank=True)
    ip_hash = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "once_key"],
                condition=~Q(once_key=""),
                name="survey_response_one_per_phone",
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.pk}"
