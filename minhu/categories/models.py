"""The two-level taxonomy of appeals (一级分类 / 二级分类)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from minhu.orgs.models import UnitKind


class Category(models.Model):
    name = models.CharField(_("名称"), max_length=60)
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("一级分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    default_lead_kind = models.CharField(
        _("默认主办单位类型"), max_length=20, choices=UnitKind.choices, blank=True
    )
    default_lead_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("默认主办单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    keywords = models.TextField(
        _("关键词"), blank=True, help_text=_("用空格或逗号分隔，供自动分类的关键词规则使用")
    )
    active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("诉求分类")
        verbose_name_plural = _("诉求分类")
        ordering = ["sort", "id"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="uniq_category_name")
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def clean(self) -> None:
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": _("分类最多两级")})

    @property
    def top(self) -> Category:
        return self.parent if self.parent_id else self

    def keyword_list(self) -> list[str]:
        return [k for k in self.keywords.replace("，", ",").replace(",", " ").split() if k]
