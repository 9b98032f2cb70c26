from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FuturesConfig(AppConfig):
    name = "futures"
    verbose_name = _("Futures")

    def ready(self) -> None:
        from futures import broadcast, supervisor
        from spark_site.startup import on_startup

        broadcast.connect_signals()
        # risk shows positions and filter conflicts through these (it must not import futures).
        from futures.selectors import register_risk_providers

        register_risk_providers()
        from futures.summary import register_summary_provider

        register_summary_provider()
        # The hook itself checks SPARK_STREAMS_EMBEDDED when the server starts serving
        # (settings are read at run time, so tests and run_streams can override them).
        on_startup(supervisor.embedded_main)
