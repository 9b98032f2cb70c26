from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = _("Risk")

    def ready(self) -> None:
        # Imported here, not at the top: the app registry must be ready before models load.
        from risk import alerts  # noqa: PLC0415 - app registry
        from risk.services import metrics_loop  # noqa: PLC0415 - app registry
        from spark_site.startup import on_startup  # noqa: PLC0415 - app registry

        alerts.connect()
        # The daily PnL gauge must fall back to 0 when the trading day rolls over, even if no
        # fill arrives: refresh the gauges from the database every SPARK_RISK_METRICS_SECONDS.
        on_startup(metrics_loop)
