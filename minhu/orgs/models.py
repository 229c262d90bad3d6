"""The organisation: district → street/town → community/village → grid, departments, staff."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    DISTRICT = "district", _("区")
    CENTER = "center", _("调度中心")
    DEPARTMENT = "department", _("区直部门")
    STREET = "street", _("街道")
    TOWN = "town", _("镇")
    COMMUNITY = "community", _("社区")
    VILLAGE = "village", _("村")
    GRID = "grid", _("网格")
    COMPANY = "company", _("企事业单位")
    # Outside parties (社会力量): organisations outside the government that take work items
    # (a meeting's decision, a service order, an appeal) with accounts of their own. They sit
    # under the street or community that registered them; `paired_communities` lists the
    # further communities they serve.
    PROPERTY = "property", _("物业公司")
    SOCIAL_ORG = "social_org", _("社会组织")
    VOLUNTEER = "volunteer", _("志愿服务队")
    RESIDENT_UNIT = "resident_unit", _("驻区单位")
    PROVIDER = "provider", _("服务商")


OUTSIDE_KINDS = {
    UnitKind.PROPERTY,
    UnitKind.SOCIAL_ORG,
    UnitKind.VOLUNTEER,
    UnitKind.RESIDENT_UNIT,
    UnitKind.PROVIDER,
}


# Which kinds may sit under which.
ALLOWED_PARENTS: dict[str, set[str | None]] = {
    UnitKind.DISTRICT: {None},
    UnitKind.CENTER: {UnitKind.DISTRICT},
    UnitKind.DEPARTMENT: {UnitKind.DISTRICT},
    UnitKind.STREET: {UnitKind.DISTRICT},
    UnitKind.TOWN: {UnitKind.DISTRICT},
    UnitKind.COMMUNITY: {UnitKind.STREET, UnitKind.TOWN},
    UnitKind.VILLAGE: {UnitKind.STREET, UnitKind.TOWN},
    UnitKind.GRID: {UnitKind.COMMUNITY, UnitKind.VILLAGE},
    UnitKind.COMPANY: {UnitKind.DISTRICT, UnitKind.STREET, UnitKind.TOWN, UnitKind.DEPARTMENT},
    **{
        k: {UnitKind.STREET, UnitKind.TOWN, UnitKind.COMMUNITY, UnitKind.VILLAGE}
        for k in OUTSIDE_KINDS
    },
}
HANDLING_KINDS = {
    UnitKind.DEPARTMENT,
    UnitKind.STREET,
    UnitKind.TOWN,
    UnitKind.COMMUNITY,
    UnitKind.VILLAGE,
    UnitKind.GRID,
    UnitKind.COMPANY,
    *OUTSIDE_KINDS,
}
WHISTLE_KINDS = {UnitKind.STREET, UnitKind.TOWN}


class Unit(models.Model):
    """A node of the organisation tree. `path` is a materialised path ("/1/4/17/") so that a
    subtree is one indexed prefix query."""

    name = models.CharField(_("名称"), max_length=100)
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=UnitKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    paired_communities = models.ManyToManyField(
        "self",
        verbose_name=_("结对社区"),
        blank=True,
        symmetrical=False,
        related_name="paired_departments",
        limit_choices_to={"kind__in": ["community", "village"]},
    )

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The path needs our own id, so a new row is saved twice.
        if self.pk is None:
            super().save(*args, **kwargs)
            kwargs.pop("force_insert", None)
            kwargs["update_fields"] = ["path", "depth"]
        elif kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"path", "depth"}
        old_path = self.path
        self.path = (self.parent.path if self.parent_id else "/") + f"{self.pk}/"
        self.depth = self.path.count("/") - 2
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            for child in Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                child.save(update_fields=["path"])

    def subtree(self) -> models.QuerySet[Unit]:
        return Unit.objects.filter(path__startswith=self.path)

    def ancestors(self) -> models.QuerySet[Unit]:
        ids = [int(p) for p in self.path.strip("/").split("/") if p]
        return Unit.objects.filter(pk__in=ids).order_by("depth")

    def ancestor_of_kind(self, *kinds: str) -> Unit | None:
        for unit in self.ancestors().order_by("-depth"):
            if unit.kind in kinds:
                return unit
        return None

    @property
    def can_whistle(self) -> bool:
        return self.kind in WHISTLE_KINDS


class Role(models.TextChoices):
    DISPATCHER = "dispatcher", _("调度员")
    HANDLER = "handler", _("承办人")
    UNIT_LEADER = "unit_leader", _("单位负责人")
    GRID_WORKER = "grid_worker", _("网格员")
    CALLBACK = "callback", _("回访员")
    DISTRICT_LEADER = "district_leader", _("区领导")
    ADMIN = "admin", _("系统管理员")


# Roles whose holders see every appeal in the district.
DISTRICT_WIDE_ROLES = {Role.DISPATCHER, Role.CALLBACK, Role.DISTRICT_LEADER, Role.ADMIN}
# The role sets every app asks, defined here once (orgs/tests/test_role_sets.py fails when an
# app assigns one of these names itself).
CENTRE_ROLES = frozenset({Role.DISPATCHER, Role.ADMIN})  # the dispatch centre (调度中心)
UNIT_ROLES = frozenset({Role.HANDLER, Role.UNIT_LEADER})  # act for their own unit
FOLLOW_UP_ROLES = frozenset({Role.DISPATCHER, Role.CALLBACK, Role.ADMIN})  # 回访
PHONE_ROLES = frozenset({Role.DISPATCHER, Role.ADMIN, Role.CALLBACK})  # see appellants' phones
LEADER_ROLES = frozenset({Role.DISTRICT_LEADER, Role.ADMIN})  # the district's leadership
# Register work items (through the channels their role may use: appeals.guards.channels_for).
REGISTER_ROLES = CENTRE_ROLES | UNIT_ROLES | {Role.GRID_WORKER}


class AccountKind(models.TextChoices):
    PERSON = "person", _("工作人员")
    # An integration (an Open311 client, an import, another city system): an account without a
    # password that acts through its memberships like a person and is named on every event.
    INTEGRATION = "integration", _("系统对接")


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    kind = models.CharField(
        _("账号类型"), max_length=12, choices=AccountKind.choices, default=AccountKind.PERSON
    )

    @property
    def is_integration(self) -> bool:
        return self.kind == AccountKind.INTEGRATION

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="uniq_membership")
        ]
        indexes = [models.Index(fields=["unit", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"
