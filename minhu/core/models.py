"""Shared model building blocks."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise TypeError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    """A row that is written once and never changed or removed (events, ledgers)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only")


class ConfigAction(models.TextChoices):
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DEACTIVATE = "deactivate", _("停用")
    ACTIVATE = "activate", _("启用")
    DELETE = "delete", _("删除")


class ConfigChange(AppendOnlyModel):
    """One change to the configuration (units, users, memberships, categories, time limits,
    calendar overrides, collection points), written by the verb that made it, in its transaction.

    `changes` is `{field: [old, new]}` with JSON values: related rows as `{"id", "name"}`,
    many-to-many fields as lists of those, decimals as strings, dates in ISO 8601. A password
    is never stored: its entry is `[null, "password changed"]` (or `"password set"` on create)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=60, blank=True)
    action = models.CharField(_("操作"), max_length=12, choices=ConfigAction.choices)
    model = models.CharField(_("对象类型"), max_length=60, help_text="app_label.model_name")
    object_id = models.BigIntegerField(_("对象编号"), null=True, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("配置变更记录")
        verbose_name_plural = _("配置变更记录")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["model", "created_at"]),
            models.Index(fields=["model", "object_id"]),
            models.Index(fields=["actor", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.get_action_display()} {self.object_repr}"


class IdempotencyKey(models.Model):
    """A request that created something, remembered by the key its client sent
    (`Idempotency-Key` header, or the H5 form's hidden token): a retry with the same key gets
    the stored response instead of creating it again (minhu.core.idempotency)."""

    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="core_idempotency_scope_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
