from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FuturesConfig(AppConfig):
    name = "futures"
    verbose_name = _("Futures")

    def ready(self) -> None:
        # Imported here, not at the top: the app registry must be ready before models load.
        from futures import broadcast, providers, supervisor  # noqa: PLC0415 - app registry
        from spark_site.startup import on_startup  # noqa: PLC0415 - app registry

        broadcast.connect_risk_receivers()  # order, position, account: sync.py publishes
        # risk shows positions and filter conflicts through these (it must not import futures).
        providers.register_providers()
        # The hook itself checks SPARK_STREAMS_EMBEDDED when the server starts serving
        # (settings are read at run time, so tests and run_streams can override them).
        on_startup(supervisor.embedded_main)
