"""Serializers for the organisation: units, users, memberships, the current user, tokens."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from minhu.orgs.models import ALLOWED_PARENTS, Membership, Unit, UnitKind, User
from minhu.orgs.scope import scope_of

from .common import UnitRefSerializer


class UnitSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    child_count = serializers.IntegerField(read_only=True, default=0)
    paired_communities = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.filter(kind__in=[UnitKind.COMMUNITY, UnitKind.VILLAGE]),
        many=True,
        required=False,
        help_text="Communities/villages a department is paired with (departments only)",
    )

    class Meta:
        model = Unit
        fields = [
            "id",
            "name",
            "code",
            "kind",
            "kind_label",
            "parent",
            "path",
            "depth",
            "active",
            "phone",
            "paired_communities",
            "child_count",
        ]
        read_only_fields = ["path", "depth"]

    def validate(self, attrs):
        instance: Unit | None = self.instance
        kind = attrs.get("kind", instance.kind if instance else None)
        parent = attrs["parent"] if "parent" in attrs else (instance.parent if instance else None)
        allowed = ALLOWED_PARENTS.get(kind, set())
        if (parent.kind if parent else None) not in allowed:
            raise serializers.ValidationError(
                {"parent": [f"「{UnitKind(kind).label}」不能隶属于该上级单位"]}
            )
        if instance is not None and parent is not None:
            if parent.pk == instance.pk or parent.path.startswith(instance.path):
                raise serializers.ValidationError({"parent": ["上级单位不能是自身或下级单位"]})
        if instance is not None and "kind" in attrs and attrs["kind"] != instance.kind:
            bad = [c.name for c in instance.children.all() if kind not in ALLOWED_PARENTS[c.kind]]
            if bad:
                raise serializers.ValidationError(
                    {"kind": [f"下级单位「{bad[0]}」不能隶属于该类型"]}
                )
        paired = attrs.get("paired_communities")
        if paired and kind != UnitKind.DEPARTMENT:
            raise serializers.ValidationError({"paired_communities": ["只有区直部门可以结对社区"]})
        return attrs


class UnitTreeSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    children = serializers.SerializerMethodField()

    class Meta:
        model = Unit
        fields = ["id", "name", "code", "kind", "kind_label", "active", "children"]
        read_only_fields = fields

    def get_children(self, obj: Unit) -> list[dict]:
        # Built from the prefetched map in the view: no query per node.
        kids = self.context["children"].get(obj.pk, [])
        return UnitTreeSerializer(kids, many=True, context=self.context).data


class MembershipSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    unit_detail = UnitRefSerializer(source="unit", read_only=True)
    user_name = serializers.CharField(source="user.__str__", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "user_name", "unit", "unit_detail", "role", "role_label", "active"]


class UserMembershipSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    unit = UnitRefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "unit", "role", "role_label", "active"]
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer):
    password = serializers.CharField(
        write_only=True,
        required=False,
        style={"input_type": "password"},
        help_text="Required when creating a user; leave out to keep the current one",
    )
    memberships = UserMembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "phone",
            "email",
            "is_active",
            "last_login",
            "date_joined",
            "password",
            "memberships",
        ]
        read_only_fields = ["last_login", "date_joined"]

    def validate(self, attrs):
        password = attrs.get("password")
        if self.instance is None and not password:
            raise serializers.ValidationError({"password": ["请设置初始密码"]})
        if password:
            candidate = self.instance or User(
                username=attrs.get("username", ""), email=attrs.get("email", "")
            )
            try:
                validate_password(password, candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)})
        return attrs

    def create(self, validated_data):
        password = validated_data.pop("password")
        return User.objects.create_user(password=password, **validated_data)

    def update(self, instance, validated_data):
        password = validated_data.pop("password", None)
        instance = super().update(instance, validated_data)
        if password:
            instance.set_password(password)
            instance.save(update_fields=["password"])
        return instance


class MeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)
    roles = serializers.SerializerMethodField()
    all_units = serializers.SerializerMethodField(
        help_text="True when the user sees every appeal in the district"
    )
    memberships = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "name",
            "display_name",
            "phone",
            "email",
            "roles",
            "all_units",
            "memberships",
        ]
        read_only_fields = fields

    def get_roles(self, obj: User) -> list[str]:
        return sorted(scope_of(obj).roles)

    def get_all_units(self, obj: User) -> bool:
        return scope_of(obj).all_units

    @staticmethod
    def _memberships(obj: User):
        return (
            Membership.objects.filter(user=obj, active=True)
            .select_related("unit")
            .order_by("unit__path", "role")
        )

    @extend_schema_field(UserMembershipSerializer(many=True))
    def get_memberships(self, obj: User) -> list[dict]:
        return UserMembershipSerializer(self._memberships(obj), many=True).data


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`")
    user = MeSerializer()
