"""The audit plumbing: JSON values, diffs, field checks, display, and append-only rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minhu.core import audit
from minhu.core.errors import InvalidInput, NotFound
from minhu.core.models import ConfigChange
from minhu.deadlines.models import TimeLimitPolicy
from minhu.orgs.models import Unit

pytestmark = pytest.mark.django_db


def test_values_are_plain_json(org):
    assert audit.field_value(org.community1, "parent") == {"id": org.street1.pk, "name": "东街道"}
    assert audit.field_value(org.district, "parent") is None
    assert audit.field_value(org.dept1, "paired_communities") == [
        {"id": org.community1.pk, "name": "东一社区"}
    ]
    row = TimeLimitPolicy(step="claim", amount=Decimal("2"), measure="working_hours")
    assert audit.field_value(row, "amount") == "2.00"  # at the field's precision
    assert audit.jsonable(dt.date(2031, 2, 8)) == "2031-02-08"


def test_diff_compares_related_rows_by_id():
    a = {"parent": {"id": 1, "name": "东街道"}, "name": "甲", "pairs": [{"id": 2, "name": "x"}]}
    renamed = {"parent": {"id": 1, "name": "东街道（新）"}, "name": "甲", "pairs": [{"id": 2}]}
    assert audit.diff(a, renamed) == {}
    moved = {**a, "parent": {"id": 3, "name": "西街道"}, "name": "乙"}
    assert audit.diff(a, moved) == {
        "parent": [{"id": 1, "name": "东街道"}, {"id": 3, "name": "西街道"}],
        "name": ["甲", "乙"],
    }
    assert audit.created({"name": "甲", "phone": "", "parent": None, "active": False}) == {
        "name": [None, "甲"],
        "active": [None, False],
    }
    assert audit.deleted({"name": "甲", "phone": ""}) == {"name": ["甲", None]}


def test_clean_fields_converts_and_refuses():
    out = audit.clean_fields(TimeLimitPolicy, {"amount": "2.5", "step": " claim "})
    assert out == {"amount": Decimal("2.5"), "step": "claim"}
    with pytest.raises(InvalidInput) as exc:
        audit.clean_fields(Unit, {"name": "  "})
    assert (exc.value.code, exc.value.details["field"]) == ("required", "name")
    assert exc.value.message == "请填写名称"
    with pytest.raises(InvalidInput) as exc:
        audit.clean_fields(Unit, {"code": "有 空格"})
    assert exc.value.code == "invalid" and exc.value.details["field"] == "code"
    with pytest.raises(InvalidInput) as exc:
        audit.clean_fields(Unit, {"name": "x" * 101})
    assert exc.value.code == "max_length"
    with pytest.raises(InvalidInput) as exc:
        audit.clean_fields(Unit, {"colour": "red"})
    assert exc.value.code == "unknown_field"


def test_lock_and_record(org):
    with pytest.raises(NotFound):
        audit.lock(Unit, 999999)
    row = audit.record(org.admin, "update", org.street1, {"name": ["东街道", "东湖街道"]})
    assert (row.model, row.object_id, row.object_repr) == ("orgs.unit", org.street1.pk, "东街道")
    assert row.actor_name == "管理员" and row.created_at is not None
    system = audit.record(None, "update", org.street1, {})
    assert system.actor is None and system.actor_name == "系统"


def test_rows_are_append_only(org):
    row = audit.record(org.admin, "update", org.street1, {"phone": ["", "1"]})
    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        row.delete()
    with pytest.raises(TypeError):
        ConfigChange.objects.filter(pk=row.pk).update(action="delete")
    with pytest.raises(TypeError):
        ConfigChange.objects.all().delete()
    assert ConfigChange.objects.get(pk=row.pk).action == "update"


def test_describe_for_people(org):
    row = audit.record(
        org.admin,
        "update",
        org.street1,
        {
            "kind": ["street", "town"],
            "active": [True, False],
            "parent": [None, {"id": 1, "name": "测试区"}],
            "paired_communities": [
                [],
                [{"id": 2, "name": "东一社区"}, {"id": 3, "name": "西一社区"}],
            ],
        },
    )
    assert audit.describe(row) == [
        {"field": "kind", "label": "类型", "old": "街道", "new": "镇"},
        {"field": "active", "label": "启用", "old": "是", "new": "否"},
        {"field": "parent", "label": "上级", "old": "—", "new": "测试区"},
        {
            "field": "paired_communities",
            "label": "结对社区",
            "old": "—",
            "new": "东一社区、西一社区",
        },
    ]
    pw = audit.record(org.admin, "update", org.s1_handler, {"password": [None, "password changed"]})
    assert audit.describe(pw) == [
        {"field": "password", "label": "密码", "old": "—", "new": "已修改"}
    ]
    assert audit.model_name("orgs.unit") == "单位"
    assert ("deadlines.timelimitpolicy", "时限规则") in audit.model_choices()
