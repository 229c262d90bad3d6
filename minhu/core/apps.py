from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as BaseStaticFilesConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    # This module holds two configs: without `default`, Django would use neither for
    # "minhu.core" (and ready() below would never run).
    default = True
    name = "minhu.core"
    label = "core"
    verbose_name = _("核心")

    def ready(self) -> None:
        # Registers the `id` path converter before any URLconf is loaded.
        from . import routers  # noqa: F401
        from .append_only import on_post_migrate

        # Schema plumbing, not business logic: the database-side append-only triggers.
        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="minhu-append-only")


class StaticFilesConfig(BaseStaticFilesConfig):
    """collectstatic skips the npm packages' files no page loads (source maps, unminified and
    ESM builds: 150 MB of the 160 MB): only echarts.min.js and htmx.min.js are referenced."""

    ignore_patterns = [
        *BaseStaticFilesConfig.ignore_patterns,
        "echarts*.map",
        "*.d.ts",
        "echarts.js",
        "echarts.common*",
        "echarts.esm*",
        "echarts.simple*",
        "extension",
        "htmx.js",
        "htmx.amd.js",
        "htmx.cjs.js",
        "htmx.esm*",
        "ext",
    ]
