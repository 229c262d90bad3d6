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


class FieldType(models.TextChoices):
    """The datatypes of a category's extra field (Open311's in brackets)."""

    TEXT = "text", _("文本")  # string / text
    NUMBER = "number", _("数字")  # number
    SINGLE = "single", _("单选")  # singlevaluelist
    MULTI = "multi", _("多选")  # multivaluelist
    DATE = "date", _("日期")  # datetime


class CategoryField(models.Model):
    """An extra field a category asks for (e.g. 路灯编号 for 路灯不亮), stored with the appeal in
    `Appeal.attributes` under `code`. A second-level category also asks for its parent's."""

    category = models.ForeignKey(
        Category, verbose_name=_("分类"), on_delete=models.CASCADE, related_name="fields"
    )
    code = models.SlugField(_("字段编码"), max_length=40)
    label = models.CharField(_("字段名称"), max_length=60)
    datatype = models.CharField(
        _("类型"), max_length=10, choices=FieldType.choices, default=FieldType.TEXT
    )
    required = models.BooleanField(_("必填"), default=False)
    order = models.PositiveIntegerField(_("排序"), default=0)
    help_text = models.CharField(_("填写说明"), max_length=200, blank=True)
    # Options of single/multi fields: "key=名称" per line (or just "名称": key = name).
    options = models.TextField(_("选项"), blank=True, help_text=_("每行一个选项：编码=名称"))
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("分类附加字段")
        verbose_name_plural = _("分类附加字段")
        ordering = ["category_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="uniq_category_field_code")
        ]

    def __str__(self) -> str:
        return f"{self.category.name} / {self.label}"

    @property
    def is_choice(self) -> bool:
        return self.datatype in (FieldType.SINGLE, FieldType.MULTI)

    def option_list(self) -> list[tuple[str, str]]:
        """[(key, name)] of a choice field, in order."""
        out = []
        for line in self.options.splitlines():
            line = line.strip()
            if not line:
                continue
            key, sep, name = line.partition("=")
            key, name = key.strip(), name.strip()
            out.append((key, name or key) if sep else (key, key))
        return out
