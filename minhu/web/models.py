"""The desk's own records: xlsx exports of the staff lists (and who exported what)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ListExport(models.Model):
    """One xlsx export of a filtered staff list: the list, its query string (the same filters
    as the page), progress while the background job writes it, and the file. Kept as the
    record of who exported which rows; only its owner may download it."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    list_name = models.CharField(max_length=20)
    params = models.CharField(max_length=2000, blank=True)
    title = models.CharField(max_length=200)
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True)
    error = models.CharField(max_length=300, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("列表导出")
        verbose_name_plural = _("列表导出")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.done_rows * 100 / self.total_rows))

    @property
    def file_name(self) -> str:
        return f"{self.title}-{timezone.localtime(self.created_at):%Y%m%d-%H%M}.xlsx"


class SavedView(models.Model):
    """A user's own named filters of one staff list (个人视图): the list's query string, opened
    from the chips above the list."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    list_name = models.CharField(max_length=20)
    name = models.CharField(max_length=40)
    params = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("个人视图")
        verbose_name_plural = _("个人视图")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "list_name", "name"], name="saved_view_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name
