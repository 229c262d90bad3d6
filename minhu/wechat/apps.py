from django.apps import AppConfig


class WechatConfig(AppConfig):
    name = "minhu.wechat"
    label = "wechat"
    verbose_name = "社情民意微信群"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from minhu.appeals.kinds import WorkKind, register_kind

        from .models import KIND, SOURCE_MODEL

        # A resident's message from a group: a resident appeal in all but its source (named
        # senders are called back and rated; anonymous ones are answered in the group). The
        # channel `wechat_group` is a built-in one (appeals.models.Channel).
        register_kind(WorkKind(code=KIND, label=_("微信群反映"), source_model=SOURCE_MODEL))

        from minhu.demo.parts import DemoPart, register_part

        from . import demo

        register_part(
            DemoPart(
                code="wechat",
                label="社情民意微信群",
                order=42,
                build=demo.build,
                is_built=demo.built,
                logins=demo.logins,
            )
        )
