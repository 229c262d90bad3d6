"""人大代表建议 (民呼我为): the register of deputies and their suggestions. Each suggestion is
registered as a work item of kind `deputy_suggestion` with the deputy as appellant, so it runs
through the loop's deadlines, reply and rating; the formal answer is the item's reply."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The statuses of a background import, as the registry's imports have them.
from minhu.registry.models import ImportStatus  # noqa: F401 (re-exported)

KIND = "deputy_suggestion"
SOURCE_MODEL = "deputies.Suggestion"


class DeputyLevel(models.TextChoices):
    NATIONAL = "national", _("全国人大代表")
    PROVINCIAL = "provincial", _("省人大代表")
    CITY = "city", _("市人大代表")
    DISTRICT = "district", _("区人大代表")
    TOWN = "town", _("乡镇人大代表")


class Deputy(models.Model):
    name = models.CharField(_("姓名"), max_length=40)
    level = models.CharField(_("代表级别"), max_length=12, choices=DeputyLevel.choices)
    constituency = models.CharField(_("选区/代表团"), max_length=100)
    phone = models.CharField(_("联系电话"), max_length=20)
    workplace = models.CharField(_("工作单位"), max_length=100, blank=True)
    active = models.BooleanField(_("在册"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("人大代表")
        constraints = [
            models.UniqueConstraint(fields=["name", "phone"], name="deputy_unique_name_phone")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_level_display()}）"


class Suggestion(models.Model):
    """One suggestion as the deputy submitted it; the loop's item is `appeal`."""

    deputy = models.ForeignKey(Deputy, on_delete=models.PROTECT, related_name="suggestions")
    number = models.CharField(_("建议编号"), max_length=30, unique=True)
    year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    content = models.TextField(_("建议内容"))
    appeal = models.OneToOneField(
        "appeals.Appeal",
        on_delete=models.PROTECT,
        null=True,
        related_name="deputy_suggestion",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("代表建议")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class SuggestionImport(models.Model):
    """One uploaded xlsx/csv of suggestions and its background import (`jobs.run_import`):
    progress while the rows are checked, then every row written in one transaction, or none
    with the errors by row and column."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.FileField(upload_to="deputies/imports/")
    file_name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    checked_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("代表建议导入")

    def __str__(self) -> str:
        return self.file_name

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.REJECTED, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        return int(self.checked_rows * 100 / self.total_rows) if self.total_rows else 0


COLUMNS_HINT = _(
    "每行一条：代表姓名、代表电话（同名时必填）、标题、建议内容、网格编码（可空），"
    "用制表符（从表格复制）或 | 分隔。"
)
