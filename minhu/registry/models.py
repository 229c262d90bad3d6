"""The household registry (户籍台账) of door-to-door visits: estates/villages, buildings,
households, residents, shops per grid, the cadre links (联户) of households, district leaders'
包联 of towns, and the append-only change and unmasking logs.

Every row has a stable natural `key` (unique) so that an xlsx re-import upserts instead of
duplicating. Changes go through `registry/actions.py`, which writes `RegistryChange` rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.core.models import AppendOnlyModel
from minhu.orgs.models import Unit


class EstateKind(models.TextChoices):
    ESTATE = "estate", _("小区")
    VILLAGE = "village", _("自然村")


class HouseholdTag(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("独居老人")
    LOW_INCOME = "low_income", _("低保")
    DISABLED = "disabled", _("残疾")
    VETERAN = "veteran", _("退役军人")
    VACANT = "vacant", _("空置")
    RENTED = "rented", _("出租")


class Gender(models.TextChoices):
    MALE = "m", _("男")
    FEMALE = "f", _("女")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    SIBLING = "sibling", _("兄弟姐妹")
    TENANT = "tenant", _("租户")
    OTHER = "other", _("其他")


class CadreTier(models.TextChoices):
    # Seed 004: district leaders 联系, district departments 帮包, streets/towns 兜底.
    CONTACT = "contact", _("联系")
    SUPPORT = "support", _("帮包")
    BACKSTOP = "backstop", _("兜底")


class Estate(models.Model):
    key = models.CharField(max_length=160, unique=True, editable=False)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(
        _("类型"), max_length=10, choices=EstateKind.choices, default=EstateKind.ESTATE
    )
    grid = models.ForeignKey(
        Unit, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="estates"
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("小区/自然村")
        verbose_name_plural = _("小区/自然村")
        ordering = ["grid_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "name"], name="registry_estate_grid_name")
        ]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    key = models.CharField(max_length=200, unique=True, editable=False)
    estate = models.ForeignKey(
        Estate, verbose_name=_("小区/自然村"), on_delete=models.PROTECT, related_name="buildings"
    )
    grid = models.ForeignKey(
        Unit, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="buildings"
    )
    name = models.CharField(_("楼号"), max_length=60)
    unit_count = models.PositiveSmallIntegerField(_("单元数"), default=1)
    floor_count = models.PositiveSmallIntegerField(_("层数"), default=1)
    unmanaged = models.BooleanField(_("脱管楼栋"), default=False, db_index=True)
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("楼宇")
        verbose_name_plural = _("楼宇")
        ordering = ["estate_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "name"], name="registry_building_estate_name")
        ]

    def __str__(self) -> str:
        return f"{self.estate.name}{self.name}" if self.estate_id else self.name


class Household(models.Model):
    key = models.CharField(_("户编号"), max_length=200, unique=True)
    grid = models.ForeignKey(
        Unit, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="households"
    )
    estate = models.ForeignKey(
        Estate,
        verbose_name=_("小区/自然村"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("楼宇"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
    )
    unit_no = models.CharField(_("单元"), max_length=20, blank=True)
    room = models.CharField(_("门牌/房号"), max_length=40, blank=True)
    address = models.CharField(_("详细地址"), max_length=255)
    head_name = models.CharField(_("户主姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    member_count = models.PositiveSmallIntegerField(_("家庭人数"), default=1)
    # Tag codes (HouseholdTag) stored as ",a,b," so that one tag is found with
    # `tags__contains=",a,"` on SQLite and PostgreSQL alike; use `tag_list` / `set_tags`.
    tags = models.CharField(_("标签"), max_length=200, blank=True, default="")
    active = models.BooleanField(_("有效"), default=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("住户")
        verbose_name_plural = _("住户")
        ordering = ["grid_id", "address"]
        indexes = [
            models.Index(fields=["grid", "active"], name="registry_hh_grid_active"),
            models.Index(fields=["building", "unit_no", "room"], name="registry_hh_room"),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    def tag_labels(self) -> list[str]:
        labels = dict(HouseholdTag.choices)
        return [str(labels.get(t, t)) for t in self.tag_list]

    @staticmethod
    def encode_tags(tags) -> str:
        order = [c for c, _label in HouseholdTag.choices]
        chosen = sorted(set(tags), key=lambda t: order.index(t) if t in order else 99)
        return ("," + ",".join(chosen) + ",") if chosen else ""

    def set_tags(self, tags) -> None:
        self.tags = self.encode_tags(tags)


class Resident(models.Model):
    key = models.CharField(max_length=240, unique=True, editable=False)
    household = models.ForeignKey(
        Household, verbose_name=_("住户"), on_delete=models.PROTECT, related_name="residents"
    )
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("出生年份"), null=True, blank=True)
    # Fernet token of the ID number (personal.encrypt_id); `id_masked` is what lists show;
    # `id_hash` (keyed HMAC) finds duplicates without decrypting.
    id_number_enc = models.TextField(blank=True, default="", editable=False)
    id_masked = models.CharField(_("身份证号"), max_length=18, blank=True, editable=False)
    id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    relation = models.CharField(
        _("与户主关系"), max_length=12, choices=Relation.choices, default=Relation.OTHER
    )
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["household_id", "id"]

    def __str__(self) -> str:
        return self.name


class Shop(models.Model):
    key = models.CharField(max_length=240, unique=True, editable=False)
    grid = models.ForeignKey(
        Unit, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="shops"
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("楼宇"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shops",
    )
    name = models.CharField(_("店名"), max_length=100)
    operator = models.CharField(_("经营者"), max_length=50, blank=True)
    business_type = models.CharField(_("经营类型"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    licence_no = models.CharField(_("营业执照号"), max_length=40, blank=True, db_index=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("商铺")
        verbose_name_plural = _("商铺")
        ordering = ["grid_id", "name"]

    def __str__(self) -> str:
        return self.name


class CadreLink(models.Model):
    """One cadre linked to one household (联户). At most one current link (ended_at null) per
    household; ended links stay as history."""

    household = models.ForeignKey(
        Household, verbose_name=_("住户"), on_delete=models.PROTECT, related_name="cadre_links"
    )
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("联户干部"),
        on_delete=models.PROTECT,
        related_name="cadre_links",
    )
    tier = models.CharField(_("层级"), max_length=10, choices=CadreTier.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("干部单位"), on_delete=models.PROTECT, related_name="cadre_links"
    )
    assigned_at = models.DateTimeField(_("联户时间"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("联户关系")
        verbose_name_plural = _("联户关系")
        ordering = ["household_id", "-assigned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(ended_at__isnull=True),
                name="registry_one_current_cadre",
            )
        ]
        indexes = [models.Index(fields=["cadre", "ended_at"], name="registry_link_cadre")]

    def __str__(self) -> str:
        return f"{self.household_id} ← {self.cadre_id} ({self.tier})"


class LeaderTownLink(models.Model):
    """A district leader's 包联 of a street/town (seed 004: the 联系 tier)."""

    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("区领导"),
        on_delete=models.PROTECT,
        related_name="town_links",
    )
    town = models.ForeignKey(
        Unit, verbose_name=_("包联镇街"), on_delete=models.PROTECT, related_name="leader_links"
    )
    since = models.DateTimeField(_("开始时间"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("区领导包联")
        verbose_name_plural = _("区领导包联")
        constraints = [
            models.UniqueConstraint(
                fields=["town"],
                condition=Q(ended_at__isnull=True),
                name="registry_one_leader_per_town",
            )
        ]

    def __str__(self) -> str:
        return f"{self.leader_id} → {self.town_id}"


class ChangeAction(models.TextChoices):
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DEACTIVATE = "deactivate", _("注销")
    LINK = "link", _("联户")
    UNLINK = "unlink", _("解除联户")


class RegistryChange(AppendOnlyModel):
    """History of every change to the registry (append-only; personal values masked)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    model = models.CharField(max_length=20)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=12, choices=ChangeAction.choices)
    # {field: [old, new]} with personal values masked; `source` says "import:<job>" etc.
    changes = models.JSONField(default=dict)
    source = models.CharField(max_length=60, blank=True)

    class Meta:
        verbose_name = _("台账变更记录")
        verbose_name_plural = _("台账变更记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"], name="registry_change_obj")]


class Unmasking(AppendOnlyModel):
    """Every display of an unmasked ID number or phone: who, when, which record, why."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    model = models.CharField(max_length=20)
    object_id = models.BigIntegerField()
    field = models.CharField(max_length=20)
    reason = models.CharField(_("查看原因"), max_length=200)

    class Meta:
        verbose_name = _("查看明文记录")
        verbose_name_plural = _("查看明文记录")
        ordering = ["-at", "-id"]


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    CHECKING = "checking", _("校验中")
    WRITING = "writing", _("写入中")
    DONE = "done", _("已导入")
    REJECTED = "rejected", _("有错误，未导入")
    FAILED = "failed", _("失败")


class RegistryImport(models.Model):
    """One uploaded registry workbook and its background import: progress and the report."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    file = models.FileField(upload_to="registry/imports/")
    file_name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    checked_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    error_count = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.REJECTED, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        if not self.total_rows:
            return 0
        # Checking fills the first half of the bar, writing (checked_rows = rows written) the
        # second.
        done = min(self.checked_rows, self.total_rows) / self.total_rows
        if self.status == ImportStatus.WRITING:
            return min(99, 50 + int(done * 49))
        return min(49, int(done * 50))
