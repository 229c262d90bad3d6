"""Serializers for the organisation: units, users, memberships, the current user, tokens."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from minhu.orgs import actions
from minhu.orgs.models import Membership, Unit, UnitKind, User
from minhu.orgs.scope import scope_of

from .base import actor_of
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

    # The tree's rules (parent kinds, no cycles, pairing, deactivation) are the verbs'.
    def create(self, validated_data) -> Unit:
        return actions.create_unit(actor=actor_of(self), **validated_data)

    def update(self, instance: Unit, validated_data) -> Unit:
        actions.update_unit(instance, actor=actor_of(self), **validated_data)
        instance.refresh_from_db()
        return instance


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
        # (user, unit, role) is unique: the verb says so in Chinese.
        validators: list = []

    def create(self, validated_data) -> Membership:
        user = validated_data.pop("user")
        return actions.add_membership(user, actor=actor_of(self), **validated_data)

    def update(self, instance: Membership, validated_data) -> Membership:
        actions.update_membership(instance, actor=actor_of(self), **validated_data)
        instance.refresh_from_db()
        return instance


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
    login_locked = serializers.SerializerMethodField(
        help_text="Sign-ins refused after too many failures (POST …/unlock/ lifts it)"
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "phone",
            "email",
            "is_active",
            "login_locked",
            "last_login",
            "date_joined",
            "password",
            "memberships",
        ]
        read_only_fields = ["last_login", "date_joined"]

    def get_login_locked(self, obj: User) -> bool:
        from minhu.orgs import login_guard

        return login_guard.is_locked(obj.username)

    def validate(self, attrs):
        if self.instance is None and not attrs.get("password"):
            raise serializers.ValidationError({"password": [gettext("请设置初始密码")]})
        return attrs

    # Password strength and self-deactivation are the verbs' rules.
    def create(self, validated_data) -> User:
        return actions.create_user(actor=actor_of(self), **validated_data)

    def update(self, instance: User, validated_data) -> User:
        actions.update_user(instance, actor=actor_of(self), **validated_data)
        instance.refresh_from_db()
        return instance


class UnlockSerializer(serializers.Serializer):
    unlocked = serializers.BooleanField(help_text="False when the account was not locked")
    login_locked = serializers.BooleanField()


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
