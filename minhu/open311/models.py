"""Open311 GeoReport v2 clients: their API keys, the requests they posted and every use of a
key (append-only)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.core.models import AppendOnlyModel


class ApiKey(models.Model):
    """A client's key (FixMyStreet, a reporting app, ...). Only a hash of the key is stored: the
    key is shown once, when it is issued."""

    name = models.CharField(_("客户端名称"), max_length=100)
    contact = models.CharField(_("联系人"), max_length=200, blank=True)
    prefix = models.CharField(_("密钥前缀"), max_length=8, db_index=True)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    rate_limit = models.PositiveIntegerField(
        _("每小时请求上限"), default=600, help_text=_("该密钥每小时最多可调用的次数")
    )
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 密钥")
        verbose_name_plural = _("Open311 密钥")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Open311Request(models.Model):
    """A service request posted through Open311: the work item it became, the key that posted
    it and what the client sent besides (kept private: never in GET answers)."""

    appeal = models.OneToOneField(
        "appeals.Appeal", on_delete=models.CASCADE, related_name="open311"
    )
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="requests")
    token = models.CharField(max_length=36, unique=True)
    client_name = models.CharField(_("客户端名称"), max_length=100)
    email = models.EmailField(blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    address_id = models.CharField(max_length=100, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    jurisdiction_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Open311 请求")
        verbose_name_plural = _("Open311 请求")
        indexes = [models.Index(fields=["api_key", "created_at"])]

    def __str__(self) -> str:
        return f"{self.client_name}: {self.appeal_id}"


class KeyUse(AppendOnlyModel):
    """One call made with a key (the audit of its use): what, when and how it was answered."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="uses")
    at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField()
    service_request_id = models.CharField(max_length=12, blank=True)

    class Meta:
        verbose_name = _("Open311 密钥使用记录")
        verbose_name_plural = _("Open311 密钥使用记录")
        indexes = [models.Index(fields=["api_key", "at"])]
