from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "minhu.open311"
    label = "open311"
    verbose_name = _("Open311 接口")

    def ready(self) -> None:
        from minhu.appeals.kinds import ChannelInfo, register_channel
        from minhu.demo.parts import DemoPart, register_part

        from . import demo

        # Public: the resident files through a client app; the key names the client.
        register_channel(ChannelInfo(code="open311", label=_("Open311接口"), public=True))
        register_part(
            DemoPart(
                code="open311",
                label="Open311 客户端",
                order=50,
                build=demo.build,
                is_built=demo.is_built,
                logins=demo.logins,
            )
        )
