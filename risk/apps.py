from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = _("Risk")

    def ready(self) -> None:
        from risk.services import metrics_loop
        from spark_site.startup import on_startup

        # The daily PnL gauge must fall back to 0 when the trading day rolls over, even if no
        # fill arrives: refresh the gauges from the database every SPARK_RISK_METRICS_SECONDS.
        on_startup(metrics_loop)
