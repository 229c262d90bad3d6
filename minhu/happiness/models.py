"""问题清单 → 幸福清单 and 领办 "一件事" projects (seed 001).

- `Listing`: a solved work item a staff member marked publishable, in public words (no
  personal data: checked by `personal.find_personal`), shown on the public list of its street
  and community (`/h5/happy/<unit code>/`) with the count of 微实事 solved.
- `Project`: one "一件事" a district leader or a department takes on (领办), with a responsible
  person and milestones. The project is tracked to done as a work item of kind `led_project`
  (channel `led_project`), dispatched to its lead unit, which claims it, ticks milestones (each a
  progress note on the item) and resolves it; the appeals it answers are linked to it. Its
  public page shows its progress."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

PROJECT_KIND = "led_project"
PROJECT_CHANNEL = "led_project"
PROJECT_SOURCE = "happiness.Project"


class Listing(models.Model):
    appeal = models.OneToOneField(
        "appeals.Appeal", on_delete=models.PROTECT, related_name="happy_listing"
    )
    # Where it is shown: its community (when the item has a grid) and street.
    community = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    street = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("公开标题"), max_length=100)
    result = models.TextField(_("办理成效"), max_length=1000)
    micro = models.BooleanField(_("微实事"), default=True)
    solved_on = models.DateField(_("解决日期"), db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-solved_on", "-id"]
        verbose_name = _("幸福清单条目")
        indexes = [
            models.Index(fields=["street", "withdrawn_at"], name="happy_listing_street"),
            models.Index(fields=["community", "withdrawn_at"], name="happy_listing_comm"),
        ]

    def __str__(self) -> str:
        return self.title


class LeaderKind(models.TextChoices):
    LEADER = "leader", _("区领导领办")
    DEPARTMENT = "department", _("部门领办")
    UNIT = "unit", _("驻区单位领办")


class Project(models.Model):
    title = models.CharField(_("项目名称"), max_length=100)
    description = models.TextField(_("项目内容"), max_length=3000)
    leader_kind = models.CharField(
        _("领办方式"), max_length=12, choices=LeaderKind.choices, default=LeaderKind.DEPARTMENT
    )
    leader = models.CharField(_("领办人/领办单位"), max_length=60)
    lead_unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("承办单位")
    )
    responsible = models.CharField(_("责任人"), max_length=40)
    # Where it is shown publicly: a street or community (district-wide when empty).
    area = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("所在街道/社区"),
    )
    due_on = models.DateField(_("计划完成"), null=True, blank=True)
    public = models.BooleanField(_("公开"), default=True)
    appeal = models.OneToOneField(
        "appeals.Appeal", on_delete=models.PROTECT, null=True, related_name="led_project"
    )
    answers = models.ManyToManyField(
        "appeals.Appeal", through="ProjectLink", related_name="answered_by_projects"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("领办项目")

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("节点"), max_length=100)
    due_on = models.DateField(_("计划日期"), null=True, blank=True)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    note = models.CharField(_("完成情况"), max_length=300, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("项目节点")

    def __str__(self) -> str:
        return self.title


class ProjectLink(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="links")
    appeal = models.ForeignKey("appeals.Appeal", on_delete=models.PROTECT, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "appeal"], name="project_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} → {self.appeal_id}"
